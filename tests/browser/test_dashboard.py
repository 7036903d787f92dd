"""A researcher reads the cohort outcomes dashboard on a phone and narrows it with a filter."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership, Role
from tests.analytics.cohort import cohort
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    # A smallest group of 5 so that the filtered half of the cohort is still shown.
    return make_clinic(analytics_min_n=5)


@pytest.fixture
def researcher(clinic: Clinic) -> Membership:
    return MembershipFactory(
        clinic=clinic, role=Role.RESEARCHER, user=UserFactory(username="researcher.ito")
    )


def expect_fits(page: Page, width: int) -> None:
    """No sideways scrolling of the page itself (wide tables scroll in their own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_researcher_reads_the_dashboard_on_a_phone_and_filters_it(
    new_context: Callable[..., BrowserContext],
    clinic: Clinic,
    researcher: Membership,
    snap: Callable[..., None],
) -> None:
    cohort(clinic, 6, sex="female")
    cohort(clinic, 6, start=6, sex="male")
    page = new_context(viewport={"width": PHONE_WIDTH, "height": 844}).new_page()

    sign_in(page, "/staff/outcomes/", researcher.user.username)

    expect(page.get_by_role("heading", name="Cohort outcomes", level=1)).to_be_visible()
    expect(page.locator("#n-selected")).to_have_text("12")
    # plotly.js drew the trajectory from the locally served script.
    expect(page.locator("#chart-trajectory .main-svg").first).to_be_attached()
    expect(page.locator("#timepoint-table tr[data-day='14'] td").first).to_have_text("10–18")
    expect_fits(page, PHONE_WIDTH)
    snap(page, "dashboard-390-01-all")

    page.get_by_label("Sex", exact=True).select_option(label="Female")
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"/staff/outcomes/\?.*sex=female"))
    expect(page.locator("#n-selected")).to_have_text("6")
    expect(page.get_by_label("Sex", exact=True)).to_have_value("female")
    expect(page.locator("#export-csv")).to_have_attribute("href", re.compile(r"sex=female"))
    expect_fits(page, PHONE_WIDTH)
    snap(page, "dashboard-390-02-female")
