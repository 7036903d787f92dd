"""The API's interactive docs (Swagger UI) work under the strict Content-Security-Policy:
the page draws every operation, and a call made from it with a token answers. Any CSP
violation fails the test (conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.api.services import apitoken_create

pytestmark = pytest.mark.browser


def test_swagger_ui_draws_the_api_and_calls_it_with_a_token(
    page: Page, clinic: Clinic, nurse: Membership
) -> None:
    _row, token = apitoken_create(
        clinic=clinic, user=nurse.user, scope="read", name="docs", by=None
    )
    # The first request imports the whole API (pandas, the analytics engine): be patient.
    page.goto("/api/v1/docs", timeout=90_000)
    expect(page.get_by_text("Afterglow API").first).to_be_visible()
    trials = page.locator(".opblock").filter(has_text="/api/v1/trials")
    expect(trials).to_be_visible()

    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").fill(token)
    dialog.locator("button.authorize").click()
    dialog.locator("button.btn-done").click()

    trials.locator(".opblock-summary").click()
    trials.get_by_role("button", name="Try it out").click()
    trials.get_by_role("button", name="Execute").click()
    expect(trials.locator(".live-responses-table tbody td.response-col_status").first).to_have_text(
        "200"
    )
