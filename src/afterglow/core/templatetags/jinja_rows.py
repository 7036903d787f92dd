"""``{% jinja_include "app/_rows.html" name=value ... %}``: a Jinja2 row partial inside a
Django template (see :mod:`afterglow.core.jinja`).

The partial sees only the names passed, plus ``request``, ``csrf_token`` and
``csrf_input`` for the page's forms. Its output is already escaped.

The CSRF token is the page's own (the one Django's ``{% csrf_token %}`` writes), worked out
once: Django's Jinja2 backend would mask the secret afresh for every ``{{ csrf_input }}``,
and on the worklist's forty-odd row forms that cost more than the page's queries
(issue 13 §2). One masked token per response is what Django's own templates send.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template import engines
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


class _CsrfInput:
    """The hidden CSRF field, built on first use, so a partial without forms does not ask
    for a token (asking sets the CSRF cookie on the response)."""

    def __init__(self, token: Any) -> None:
        self._token = token
        self._html: SafeString | None = None

    def __html__(self) -> SafeString:
        if self._html is None:
            self._html = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', self._token
            )
        return self._html

    __str__ = __html__


@register.simple_tag(takes_context=True)
def jinja_include(context: template.Context, template_name: str, **values: Any) -> SafeString:
    partial = engines["jinja2"].get_template(template_name)
    request = context.get("request")
    if request is not None:
        # Django's csrf context processor gives the page a token worked out once (lazily:
        # not tested for truth here, which would ask for it).
        token = context.get("csrf_token")
        if token is None:
            token = SimpleLazyObject(lambda: get_token(request))
        values.update(request=request, csrf_token=token, csrf_input=_CsrfInput(token))
    return mark_safe(partial.render(values))  # escaped by Jinja2
