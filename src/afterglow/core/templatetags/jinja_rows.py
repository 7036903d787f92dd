"""``{% jinja_include "app/_rows.html" name=value ... %}``: a Jinja2 row partial inside a
Django template (see :mod:`afterglow.core.jinja`).

The partial sees only the names passed, plus what Django's Jinja2 backend adds for the
request (``request``, ``csrf_input``, ``csrf_token``). Its output is already escaped.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja_include(context: template.Context, template_name: str, **values: Any) -> SafeString:
    partial = engines["jinja2"].get_template(template_name)
    return mark_safe(partial.render(values, request=context.get("request")))  # escaped by Jinja2
