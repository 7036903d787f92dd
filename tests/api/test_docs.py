"""docs/api.md: its worked example runs and prints what the page says; the docs page
obeys the Content-Security-Policy."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from afterglow.api.services import apitoken_create
from tests.core.test_csp import assert_strict
from tests.factories import PatientFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)


@pytest.mark.django_db(transaction=True)
def test_the_worked_example_prints_what_the_doc_shows(live_server, clinician, monkeypatch) -> None:
    PatientFactory(clinic=clinician.clinic)
    _row, token = apitoken_create(
        clinic=clinician.clinic, user=clinician.user, scope="write", name="doc", by=None
    )
    monkeypatch.setenv("AFTERGLOW_URL", live_server.url)
    monkeypatch.setenv("AFTERGLOW_TOKEN", token)
    (example,) = _blocks("python")
    (expected,) = _blocks("text")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, str(DOC), "exec"), {"__name__": "api_doc_example"})
    assert printed.getvalue() == expected


def test_the_docs_page_runs_no_inline_script_and_loads_its_assets_locally(anonymous) -> None:
    page = anonymous.get("/api/v1/docs")
    assert page.status_code == 200
    assert_strict(page)
    html = page.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        # Either a file from this origin, or a data block the browser never runs.
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui-init.js", "ninja/swagger-ui.css"):
        assert f"/static/{asset}" in html and finders.find(asset), asset
    assert "cdn" not in html.lower() and "validatorUrl" in html


def test_the_openapi_document_is_public_and_declares_problem_errors(anonymous) -> None:
    document = anonymous.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "Afterglow API"
    create = document["paths"]["/api/v1/responses"]["post"]
    assert set(create["responses"]) >= {"201", "401", "403", "404", "422", "429"}
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert document["components"]["securitySchemes"]
