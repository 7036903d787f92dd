"""A patient answers the PCL-5 on a phone through their personal link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from afterglow.accounts.models import Clinic
from afterglow.instruments.models import PersonalLink, Response, Source
from afterglow.instruments.services import personal_link_create
from afterglow.patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser

ITEMS = 20
DONE_TEXT = "Thank you — your answers were received."
EMERGENCY_NUMBER = "000-112"
CRISIS_LINE = "Harbour Crisis Line — call 0800 555 0199"


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(emergency_number=EMERGENCY_NUMBER, crisis_line=CRISIS_LINE)


@pytest.fixture
def patient(clinic: Clinic) -> Patient:
    return PatientFactory(clinic=clinic, given_name="Sam", family_name="Rivera")


@pytest.fixture
def link(patient: Patient) -> tuple[PersonalLink, str]:
    return personal_link_create(patient=patient, instrument_code="pcl5", by=None)


def item(page: Page, number: int) -> Locator:
    """Item ``number``'s radio group (its legend starts with "<number>. ")."""
    return page.get_by_role("group", name=re.compile(rf"^{number}\.\s"))


def answer(page: Page, number: int, label: str) -> None:
    """Tap the answer's label, as a person would (the label wraps the radio)."""
    item(page, number).locator("label.scale-option").filter(has_text=label).click()


def expect_crisis_resources(page: Page) -> None:
    crisis = page.get_by_role("note", name="If you need help now")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text(EMERGENCY_NUMBER)
    expect(crisis).to_contain_text(CRISIS_LINE)
    expect(crisis.get_by_role("link", name=EMERGENCY_NUMBER)).to_have_attribute(
        "href", f"tel:{EMERGENCY_NUMBER}"
    )


def open_link(page: Page, token: str) -> None:
    response = page.goto(f"/q/{token}/")
    assert response is not None and response.status == 200


def test_patient_answers_every_item_once(
    page: Page, link: tuple[PersonalLink, str], snap: Callable[..., None]
) -> None:
    personal_link, token = link
    open_link(page, token)
    expect(page.get_by_role("heading", level=1)).to_have_text("PTSD Checklist for DSM-5")
    expect(page.get_by_text("Hello Sam.")).to_be_visible()
    expect_crisis_resources(page)
    expect(page.get_by_role("group", name=re.compile(r"^\d+\.\s"))).to_have_count(ITEMS)
    snap(page, "08-questionnaire-top", full_page=False)

    for number in range(1, ITEMS + 1):
        answer(page, number, "Moderately")
        expect(item(page, number).get_by_role("radio", checked=True)).to_have_value("2")
    snap(page, "09-questionnaire-answered")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(DONE_TEXT)
    expect_crisis_resources(page)
    snap(page, "10-questionnaire-thank-you")

    response = Response.objects.get()
    assert response.complete is True
    assert response.total == 40
    assert response.answers == [2] * ITEMS
    assert response.missing_items == []
    assert (response.patient.given_name, response.source) == ("Sam", Source.PATIENT_LINK)
    personal_link.refresh_from_db()
    assert personal_link.used_at is not None
    assert personal_link.response == response
    assert personal_link.state == "used"

    # Opening the link again: a friendly page, no error and no form to fill twice.
    open_link(page, token)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "These answers have already been sent"
    )
    expect(page.locator("form")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    expect_crisis_resources(page)
    snap(page, "11-questionnaire-already-sent")
    assert Response.objects.count() == 1


def test_unanswered_items_need_confirmation_and_are_stored_as_missing(
    page: Page, link: tuple[PersonalLink, str]
) -> None:
    personal_link, token = link
    open_link(page, token)
    for number in range(1, ITEMS - 1):  # items 19 and 20 left blank
        answer(page, number, "Quite a bit")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Questions 19, 20 are not answered. Answer them, or tick the box at the end to "
        "send without; unanswered questions are never counted as zero."
    )
    assert Response.objects.count() == 0
    # The answers given so far are still there.
    expect(page.locator("ol.items input[type=radio]:checked")).to_have_count(ITEMS - 2)
    for number in range(1, ITEMS - 1):
        expect(item(page, number).get_by_role("radio", checked=True)).to_have_value("3")
    for number in (ITEMS - 1, ITEMS):
        expect(item(page, number).get_by_role("radio", checked=True)).to_have_count(0)

    page.get_by_label("Send it with the unanswered questions left blank").check()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(DONE_TEXT)
    response = Response.objects.get()
    assert response.complete is False
    assert response.total is None
    assert response.missing_items == [19, 20]
    assert response.answers == [3] * (ITEMS - 2) + [None, None]
    personal_link.refresh_from_db()
    assert personal_link.state == "used"


def test_expired_link_says_so(page: Page, link: tuple[PersonalLink, str]) -> None:
    personal_link, token = link
    personal_link.expires_at = timezone.now() - dt.timedelta(minutes=1)
    personal_link.save(update_fields=["expires_at"])

    open_link(page, token)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
    expect(page.get_by_text("Please ask Harbour Clinic for a new one.")).to_be_visible()
    expect(page.locator("form")).to_have_count(0)
    expect_crisis_resources(page)
    assert Response.objects.count() == 0
