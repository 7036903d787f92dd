"""The Jinja2 row partials (``afterglow.core.jinja``, ``{% jinja_include %}``)."""

from __future__ import annotations

import re

import jinja2
import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template import Context, RequestContext, Template, engines
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


def _worklist_row(pk: int) -> object:
    """An invitation stand-in carrying a real worklist row with one "Send now" form (the
    partial reads only ``pk`` and ``row``)."""
    from types import SimpleNamespace

    from afterglow.schedules.selectors import StatusBadge, Summary, WorklistRow

    badge = StatusBadge(css_class="status", text="Scheduled", reminders="", reason="")
    summary = Summary(
        status=badge,
        deliveries=0,
        deliveries_text="0 messages",
        last_kind="",
        last_channel="",
        last_state="",
        last_sent="",
    )
    row = WorklistRow(
        patient_name="A B",
        mrn="M1",
        opted_out_of_texts=False,
        chart_url="/c/",
        label="PCL-5",
        instrument_name="PCL-5",
        when="1 Dec 09:00",
        course_paused=False,
        summary=summary,
        messages_url="/m/",
        phone="",
        send_now_label="Send now",
        send_now_url=f"/send/{pk}/",
        can_send_again=False,
        send_again_url="",
        switch_label="",
        switch_channel_url="",
    )
    return SimpleNamespace(pk=pk, row=row)


def test_row_forms_carry_the_pages_one_csrf_token() -> None:
    """Issue 13 §2: Django's Jinja2 backend masks the CSRF secret afresh for every
    ``{{ csrf_input }}``; the partials write the page's own token, the one
    ``{% csrf_token %}`` writes, and that token passes Django's check."""
    from django.middleware.csrf import CsrfViewMiddleware, get_token

    request = RequestFactory().get("/")
    csrf = CsrfViewMiddleware(lambda r: HttpResponse())
    csrf.process_request(request)
    page = Template(
        "{% load jinja_rows %}<form>{% csrf_token %}</form>{% jinja_include "
        '"schedules/_worklist_rows.html" rows=rows when="due" %}'
    )
    html = page.render(
        RequestContext(request, {"rows": [_worklist_row(1), _worklist_row(2), _worklist_row(3)]})
    )
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) == 4 and len(set(tokens)) == 1
    assert get_token(request) != tokens[0]  # a fresh mask each time it is asked for
    # The form's token passes Django's check against the cookie the page set.
    post = RequestFactory().post("/send/1/", {"csrfmiddlewaretoken": tokens[0]})
    post.COOKIES[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    csrf.process_request(post)
    assert csrf.process_view(post, lambda r: HttpResponse(), (), {}) is None
    forged = RequestFactory().post("/send/1/", {"csrfmiddlewaretoken": "x" * 64})
    forged.COOKIES[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    csrf.process_request(forged)
    assert csrf.process_view(forged, lambda r: HttpResponse(), (), {}).status_code == 403


def test_a_partial_without_forms_does_not_ask_for_a_token() -> None:
    request = RequestFactory().get("/")
    page = Template(
        '{% load jinja_rows %}{% jinja_include "schedules/_worklist_rows.html" '
        'rows=rows when="due" %}'
    )
    page.render(RequestContext(request, {"rows": []}))
    # Asking for a token would set the CSRF cookie on the response (and vary it by cookie).
    assert "CSRF_COOKIE" not in request.META
