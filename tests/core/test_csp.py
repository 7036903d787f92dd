"""Content-Security-Policy: every response carries the strict policy, and no template
needs anything it forbids (inline script, event-handler attributes, inline style).

The browser tests (tests/browser/conftest.py) check the other half: no page they open
reports a violation in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from django.urls import path, reverse

# The URL walk of the access tests: every named page, with objects of each type.
from tests.accounts.test_access import (  # noqa: F401 (home_objects is a fixture)
    PUBLIC,
    _kwargs_for,
    all_named_patterns,
    home_objects,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "afterglow"
EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.status_code} {response.request['PATH_INFO']} has no CSP header"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response) -> None:
    where = f"{response.request['PATH_INFO']} -> {response.status_code}"
    policy = policy_of(response)
    for name, values in EXPECTED.items():
        assert policy.get(name) == values, f"{where}: {name} {policy.get(name)}"
    # Styles: this origin plus Plotly's two exact stylesheets (by hash), nothing inline.
    assert policy["style-src"][0] == "'self'", where
    assert all(v.startswith("'sha256-") for v in policy["style-src"][1:]), where
    for name, values in policy.items():
        assert "'unsafe-inline'" not in values, f"{where}: {name} allows unsafe-inline"
        assert "'unsafe-eval'" not in values, f"{where}: {name} allows unsafe-eval"


def test_every_staff_page_carries_the_policy(clinician, home_objects) -> None:  # noqa: F811
    checked = 0
    for name, pattern in all_named_patterns():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        # Pages, refusals (403/405) and PDFs alike.
        assert_strict(clinician.client.get(url))
        checked += 1
    assert checked > 30


def test_every_public_and_patient_link_page_carries_the_policy(
    anonymous,
    home_objects,  # noqa: F811
) -> None:
    for name, pattern in all_named_patterns():
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        # Public pages answer; staff pages send the visitor to sign in: both carry it.
        assert_strict(anonymous.get(url))
    assert_strict(anonymous.get(reverse("admin:login")))


def test_the_not_found_page_carries_the_policy(anonymous) -> None:
    response = anonymous.get("/no/such/page/")
    assert response.status_code == 404
    assert_strict(response)


def _boom(request):
    raise RuntimeError("a failing page")


urlpatterns = [path("boom/", _boom)]


@override_settings(ROOT_URLCONF=__name__)
def test_the_server_error_page_carries_the_policy(db) -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert_strict(response)


def test_report_only_mode_sends_the_same_policy_without_enforcing_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "AFTERGLOW_MODE"}}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(AFTERGLOW_VAR_DIR=str(tmp_path), AFTERGLOW_CSP_REPORT_ONLY="true")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CONTENT_SECURITY_POLICY is None, "
        "s.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['script-src'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "afterglow.settings"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "[\"'self'\"]"]
    # Off by default: the policy is enforced.
    assert settings.AFTERGLOW_CSP_REPORT_ONLY is False
    assert settings.CONTENT_SECURITY_POLICY_REPORT_ONLY is None


# --- Templates need nothing the policy forbids ---------------------------------------

TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>{]|\{[^}]*\})*)>")
ATTRIBUTE_HANDLER = re.compile(r"(?:^|\s)on[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"(?:^|\s)style\s*=", re.IGNORECASE)


def problems_in(text: str) -> list[str]:
    """What in this template the policy would block: an inline <script> (one without
    src; a nonce'd one is allowed), an on*= handler, a style attribute or element, or a
    javascript: URL. ``json_script`` output is written by the filter, not the template."""
    found = []
    for match in TAG.finditer(text):
        name, attributes = match.group(1).lower(), match.group(2)
        if name == "script" and "src=" not in attributes and "nonce=" not in attributes:
            found.append(f"inline script: {match.group(0)[:60]}")
        if name == "style":
            found.append("a <style> element")
        if ATTRIBUTE_HANDLER.search(attributes):
            found.append(f"event handler attribute: {match.group(0)[:80]}")
        if STYLE_ATTRIBUTE.search(attributes):
            found.append(f"style attribute: {match.group(0)[:80]}")
    if re.search(r"javascript:", text, re.IGNORECASE):
        found.append("a javascript: URL")
    return found


def _is_pdf_template(template: Path, text: str) -> bool:
    # WeasyPrint renders these into PDFs on the server; no browser applies a CSP to them.
    return template.name == "print_base.html" or '{% extends "reports/print_base.html" %}' in text


def served_templates() -> list[Path]:
    templates = []
    # Django's templates and the Jinja2 row partials (afterglow.core.jinja).
    found = [*SRC.glob("**/templates/**/*.html"), *SRC.glob("**/jinja2/**/*.html")]
    for template in sorted(found):
        if not _is_pdf_template(template, template.read_text()):
            templates.append(template)
    return templates


def test_the_scan_finds_what_the_policy_blocks() -> None:
    assert problems_in('<script>alert(1)</script><a onclick="x()">') == [
        "inline script: <script>",
        'event handler attribute: <a onclick="x()">',
    ]
    assert problems_in('<div style="width: 3%">') == ['style attribute: <div style="width: 3%">']
    assert problems_in("<style>p{}</style>") == ["a <style> element"]
    assert problems_in('<a href="javascript:void(0)">') == ["a javascript: URL"]
    assert problems_in("<script src=\"{% static 'x.js' %}\" defer></script>") == []
    assert problems_in('<p data-online="yes" class="{% if a %}on{% endif %}">') == []


def test_no_served_template_has_inline_script_handlers_or_styles() -> None:
    templates = served_templates()
    assert len(templates) > 50
    found = {
        str(t.relative_to(SRC)): problems
        for t in templates
        if (problems := problems_in(t.read_text()))
    }
    assert not found, f"move these into static files (CONTRIBUTING.md): {found}"


# --- Plotly's stylesheets -------------------------------------------------------------


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_style_hashes_match_the_plotly_bundle_that_is_served() -> None:
    bundle_path = finders.find("vendor/plotly/plotly.min.js")
    assert bundle_path, "plotly.min.js is not served"
    bundle = Path(str(bundle_path)).read_text()
    # Plotly's style rules go into an empty <style> element through the CSSOM ...
    assert re.search(r'createElement\("style"\)[^;]{0,80}createTextNode\(""\)', bundle)
    # ... and the bundle inserts stylesheets of fixed text at load.
    fixed = re.findall(
        r'createElement\("style"\);[^;]{0,200}?\.textContent=(\'[^\']*\'|"[^"]*")', bundle
    )
    assert fixed, "no fixed stylesheet found: has the bundle changed its loader?"
    allowed = settings.CSP_DIRECTIVES["style-src"]
    expected = {_csp_hash(""), *(_csp_hash(text[1:-1]) for text in fixed)}
    assert all("\\" not in text for text in fixed), "escaped characters: hash the decoded text"
    assert set(allowed) == {"'self'", *expected}, (
        f"style-src should be 'self' plus {sorted(expected)} for this Plotly bundle"
    )


def test_the_chart_pages_load_their_start_up_script() -> None:
    # Each chart draws from a static script, not an inline one.
    for template, script in (
        ("charts/templates/charts/chart.html", "js/charts.js"),
        ("charts/templates/charts/diary.html", "js/charts.js"),
        ("analytics/templates/analytics/dashboard.html", "analytics/dashboard.js"),
        ("diary/templates/diary/entry.html", "diary/entry.js"),
    ):
        assert f"{{% static '{script}' %}}" in (SRC / template).read_text(), template
        assert finders.find(script), script


@pytest.mark.parametrize(
    "template", ["charts/chart.html", "charts/_phq9.html", "charts/_diary_chart.html"]
)
def test_chart_fragments_name_their_json_data(template: str) -> None:
    # Each figure's data is written by json_script or figure_json (the same <script
    # type="application/json"> element, tests/core/test_figure_json.py), never inline.
    app = template.split("/")[0]
    text = (SRC / app / "templates" / template).read_text()
    ids = re.findall(r'data-figure="([\w-]+)"', text)
    assert ids and all(f'json_script:"{i}"' in text or f'figure_json:"{i}"' in text for i in ids)
