"""A person in distress finds help first (issue 14 §3): the "not for emergencies" notice
precedes every patient-facing form with tap-to-call and tap-to-text links, and an urgent
diary note is answered by one crisis box saying what happens next."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from afterglow.accounts.models import Clinic
from afterglow.diary.services import diary_link_create
from tests.browser.docshots import doc_screenshot
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser

WHAT_NEXT = "Your care team has been told. A nurse will call you within 4 hours on weekdays."


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(
        emergency_number="112",
        crisis_line="Harbour Crisis Line",
        crisis_line_phone="08005550199",
        crisis_line_sms="85258",
        urgent_response_text=WHAT_NEXT,
    )


def precedes(first: Locator, second: Locator) -> bool:
    """``first`` comes before ``second`` in the document (and so for a screen reader)."""
    return bool(
        first.evaluate(
            "(a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)",
            second.element_handle(),
        )
    )


def expect_crisis_links(box: Locator) -> None:
    expect(box.get_by_role("link", name="Call 112")).to_have_attribute("href", "tel:112")
    expect(box.get_by_role("link", name="Call 08005550199")).to_have_attribute(
        "href", "tel:08005550199"
    )
    expect(box.get_by_role("link", name="Text 85258")).to_have_attribute("href", "sms:85258")


def test_the_crisis_notice_precedes_the_intake_form_and_its_links_call_and_text(
    page: Page, clinic: Clinic
) -> None:
    page.goto("/")
    notice = page.get_by_role("note", name="If you need help now")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Not for emergencies.")
    expect_crisis_links(notice)
    form = page.locator("form.intake-form")
    assert precedes(notice, form)
    assert precedes(notice, page.get_by_role("heading", level=1))
    # On a phone it is on the first screen, before any scrolling.
    box = notice.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    for link in notice.get_by_role("link").all():
        size = link.bounding_box()
        assert size is not None and size["height"] >= 44, "a tap target is too small"


def test_the_crisis_notice_heads_the_diary_and_the_questionnaire(
    page: Page, clinic: Clinic
) -> None:
    from afterglow.instruments.services import personal_link_create

    patient = PatientFactory(clinic=clinic)
    _, diary_token = diary_link_create(patient=patient, by=None)
    _, q_token = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
    for url, form in ((f"/d/{diary_token}/", "#diary-form"), (f"/q/{q_token}/", "form")):
        page.goto(url)
        notice = page.get_by_role("note", name="If you need help now")
        expect(notice).to_have_count(1)
        expect_crisis_links(notice)
        assert precedes(notice, page.locator(form).first)
    # The PCL-5 says where the patient is, in words (not only a bar).
    first = page.get_by_role("group", name="1. Repeated, disturbing, and unwanted memories")
    expect(first).to_have_accessible_description("Question 1 of 20")
    expect(page.get_by_text("Question 20 of 20", exact=True)).to_be_visible()


def test_an_urgent_diary_note_shows_one_crisis_box_with_what_happens_next(
    page: Page, clinic: Clinic, snap: Callable[..., None]
) -> None:
    patient = PatientFactory(clinic=clinic)
    _, token = diary_link_create(patient=patient, by=None)
    page.goto(f"/d/{token}/")
    page.get_by_label("This is urgent").check()
    page.get_by_label("Anything else about today?").fill("I can't cope tonight")
    page.get_by_role("button", name="Save today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")

    # One crisis box, not two: it takes the place of the usual notice.
    expect(page.locator(".crisis")).to_have_count(1)
    box = page.get_by_role("alert")
    expect(box).to_have_count(1)
    expect(box).to_contain_text(WHAT_NEXT)
    expect_crisis_links(box)
    assert precedes(box, page.get_by_role("heading", level=1))
    snap(page, "crisis-box-390", full_page=False)
    doc_screenshot(page, "crisis-box-phone")
