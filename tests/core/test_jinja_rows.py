"""The Jinja2 row partials (``afterglow.core.jinja``, ``{% jinja_include %}``)."""

from __future__ import annotations

import jinja2
import pytest
from django.template import Context, Template, engines
from django.test import RequestFactory


def test_the_environment_escapes_and_refuses_undefined_names() -> None:
    engine = engines["jinja2"]
    assert engine.from_string("{{ x }}").render({"x": "<i>&"}) == "&lt;i&gt;&amp;"
    with pytest.raises(jinja2.UndefinedError):
        engine.from_string("<td>{{ row.missing_field }}</td>").render({"row": object()})


def test_jinja_include_passes_only_its_names_and_the_request_token() -> None:
    request = RequestFactory().get("/")
    page = Template(
        '{% load jinja_rows %}<main>{% jinja_include "schedules/_worklist_rows.html" '
        'rows=rows when="expired" %}</main>'
    )
    html = page.render(Context({"rows": [], "request": request}))
    assert html.startswith("<main>") and html.endswith("</main>")
    # Its output is not escaped a second time by Django.
    assert '<table class="table worklist">' in html
    assert '<th scope="col">Expired</th>' in html
