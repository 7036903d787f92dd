"""The error summary (issue 14 §5): a form sent with problems lists each one, linked to its
field, and the summary takes the focus so a screen reader starts there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from afterglow.accounts.models import Clinic

pytestmark = pytest.mark.browser


def test_an_empty_intake_form_lists_each_problem_and_focuses_the_summary(
    page: Page, clinic: Clinic
) -> None:
    page.goto("/")
    page.get_by_role("button", name="Send", exact=True).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(
        summary.get_by_role("link", name="First name: This field is required.")
    ).to_have_attribute("href", "#id_given_name")
    summary.get_by_role("link", name="Last name: This field is required.").click()
    expect(page.get_by_label("Last name")).to_be_focused()
