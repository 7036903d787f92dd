"""The Content-Security-Policy in a real browser: it blocks what it should, the
watch in conftest.py notices, and what moved out of inline handlers still works."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership, Role
from tests.browser.conftest import CspViolations
from tests.factories import PASSWORD, ClinicFactory, MembershipFactory, PatientFactory, UserFactory


@pytest.fixture
def clinic(transactional_db: None) -> Clinic:
    return ClinicFactory(name="Harbour Clinic", slug="harbour")


@pytest.fixture
def nurse(clinic: Clinic) -> Membership:
    return MembershipFactory(clinic=clinic, role=Role.NURSE, user=UserFactory(username="nurse.kim"))


def sign_in(page: Page, path: str, username: str) -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_injected_inline_script_and_style_are_blocked_and_reported(
    page: Page, clinic: Clinic, csp_violations: CspViolations
) -> None:
    response = page.goto("/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # What an injected payload would try: an inline script and an inline style.
    ran = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.head.appendChild(script);
          document.body.setAttribute("style", "background: red");
          return window.injected === true;
        }"""
    )
    assert ran is False
    expect(page.locator("body")).not_to_have_css("background-color", "rgb(255, 0, 0)")
    page.wait_for_timeout(200)  # the reports are sent after the blocked actions
    seen = "\n".join(csp_violations.take())
    assert "script-src-elem" in seen
    assert "style-src-attr" in seen


def test_a_personal_link_is_selected_whole_on_a_click(
    new_context: Callable[..., BrowserContext], clinic: Clinic, nurse: Membership
) -> None:
    patient = PatientFactory(clinic=clinic, email="")
    page = new_context(desktop=True).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")
    page.get_by_role("button", name="Create link").click()
    field = page.get_by_label(re.compile("Link \\(shown only now"))
    expect(field).to_have_value(re.compile("/q/"))
    field.click()
    selected = page.evaluate(
        "() => { const f = document.getElementById('link-url');"
        " return f.selectionEnd - f.selectionStart === f.value.length; }"
    )
    assert selected is True
