"""On a 360 px phone: the alert inbox tells urgent from routine and acknowledges one, and
the patient chart draws the PHQ-9 with its bands, without sideways scrolling."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.alerts.models import DIARY_GAP_CODE, Alert, SourceKind, Urgency
from afterglow.instruments.services import response_record
from tests.browser.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser

PHONE_360 = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": False,  # a narrow window: the layout viewport stays 360 px wide
    "has_touch": True,
    "device_scale_factor": 1,
}


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(timezone="America/New_York")


def no_sideways_scroll(page: Page, selector: str) -> None:
    """Nothing in ``selector`` reaches past the right edge of a 360 px screen.

    (The staff navigation above the page is shared by every page and not checked here.)
    """
    right = page.evaluate(
        """(selector) => Math.max(...Array.from(document.querySelectorAll(selector + ' *'))
            .filter((el) => !el.closest('.js-plotly-plot .legend, .modebar-container'))
            .map((el) => el.getBoundingClientRect().right))""",
        selector,
    )
    assert right <= 360, f"{selector} reaches {right} px on a 360 px screen"


def test_the_inbox_on_a_phone_marks_urgency_in_words_and_acknowledges(
    clinic: Clinic, nurse: Membership, new_context: Callable[..., BrowserContext]
) -> None:
    patient = PatientFactory(clinic=clinic, given_name="Ines", family_name="Morales")
    response_record(patient=patient, instrument_code="phq9", answers=[1] * 9, source="staff")
    Alert.objects.create(
        clinic=clinic,
        patient=patient,
        code=DIARY_GAP_CODE,
        label="No diary entry for 3 days (since 02 Dec 2026)",
        urgency=Urgency.ROUTINE,
        source_kind=SourceKind.DIARY_GAP,
        gap_since=dt.date(2026, 12, 2),
    )
    page = new_context(**PHONE_360).new_page()
    sign_in(page, "/staff/alerts/", "nurse.kim")

    rows = page.locator("tr.alert-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Urgent")
    expect(rows.nth(0)).to_contain_text("Thoughts of self-harm")
    expect(rows.nth(1)).to_contain_text("Routine")
    no_sideways_scroll(page, "main")

    page.get_by_role("link", name="Routine only").click()
    expect(rows).to_have_count(1)
    rows.nth(0).get_by_label("Note").fill("Texted, will write tonight")
    rows.nth(0).get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("acknowledged.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?urgency=routine$"))
    expect(page.get_by_text("No open routine alerts.")).to_be_visible()

    page.get_by_role("link", name="Acknowledged").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("by Dana Kim")
    expect(rows.nth(0)).to_contain_text("Texted, will write tonight")
    no_sideways_scroll(page, "main")


def test_the_phq9_chart_draws_on_a_phone(
    clinic: Clinic, nurse: Membership, new_context: Callable[..., BrowserContext]
) -> None:
    patient = PatientFactory(clinic=clinic)
    for days_ago, answers in ((20, [2] * 9), (5, [1] * 8 + [0])):
        response_record(
            patient=patient,
            instrument_code="phq9",
            answers=answers,
            source="staff",
            administered_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    page = new_context(**PHONE_360).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")

    card = page.locator("#phq9")
    expect(card.get_by_role("heading", name="PHQ-9 over time")).to_be_visible()
    expect(card.locator("#phq9-chart .main-svg").first).to_be_attached()  # plotly drew it
    expect(card.locator("#phq9-chart")).to_contain_text("moderately severe 15–19")
    expect(card.locator("#phq9-table tbody tr")).to_have_count(2)
    expect(card.locator("#phq9-table tbody tr").first).to_contain_text("8")
    no_sideways_scroll(page, "#phq9")
