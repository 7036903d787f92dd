"""A patient keeps the daily intrusion diary on a phone, through their diary link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.alerts.models import DIARY_URGENT_CODE, Alert
from afterglow.diary.models import DiaryEntry
from afterglow.diary.services import diary_link_create
from afterglow.patients.models import Patient
from tests.browser.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser

EMERGENCY_NUMBER = "000-112"
CRISIS_LINE = "Harbour Crisis Line — call 0800 555 0199"
PHONES = {"320": {"width": 320, "height": 640}, "390": {"width": 390, "height": 844}}


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(emergency_number=EMERGENCY_NUMBER, crisis_line=CRISIS_LINE)


@pytest.fixture
def patient(clinic: Clinic) -> Patient:
    return PatientFactory(clinic=clinic, given_name="Sam", family_name="Rivera")


def expect_fits(page: Page, width: int) -> None:
    """Nothing sticks out sideways: no horizontal scrolling on the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def expect_crisis_resources(page: Page) -> None:
    crisis = page.get_by_role("note", name="If you need help now")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text(EMERGENCY_NUMBER)
    expect(crisis).to_contain_text(CRISIS_LINE)


@pytest.mark.parametrize("phone", PHONES)
def test_a_patient_fills_today_then_none_for_yesterday(
    new_context: Callable[..., BrowserContext],
    patient: Patient,
    phone: str,
    snap: Callable[..., None],
) -> None:
    viewport: dict[str, Any] = PHONES[phone]
    page = new_context(viewport=viewport).new_page()
    _, token = diary_link_create(patient=patient, by=None)
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    yesterday = today - dt.timedelta(days=1)

    response = page.goto(f"/d/{token}/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Today’s diary")
    expect_crisis_resources(page)
    expect_fits(page, viewport["width"])
    snap(page, f"diary-{phone}-01-form")

    plus = page.get_by_role("button", name="One more intrusive memories")
    box = plus.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    plus.click()
    plus.click()
    expect(page.get_by_label("Intrusive memories", exact=True)).to_have_value("2")
    flashbacks = page.get_by_label("Flashbacks", exact=True)
    flashbacks.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    expect(flashbacks).to_have_value("1")
    distress = page.get_by_role("group", name=re.compile("Worst distress"))
    distress.get_by_label("6", exact=True).click()  # the whole tile is the radio
    expect(distress.get_by_role("radio", checked=True)).to_have_value("6")
    snap(page, f"diary-{phone}-02-filled")
    page.get_by_role("button", name="Save today").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")
    numbers = page.locator(".day-numbers")
    expect(numbers).to_contain_text("Intrusive memories2")
    expect(numbers).to_contain_text("Flashbacks1")
    expect(numbers).to_contain_text("6 / 10")
    expect_crisis_resources(page)
    expect_fits(page, viewport["width"])
    snap(page, f"diary-{phone}-03-saved")

    entry = DiaryEntry.objects.get(patient=patient, day=today)
    assert (entry.intrusive_memories, entry.flashbacks, entry.peak_distress) == (2, 1, 6)
    assert (entry.none_today, entry.nightmares, entry.urgent) == (False, False, False)

    # Yesterday, from the week list: "None that day".
    page.get_by_role("link", name=re.compile(r"^Add ")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Diary for {yesterday:%A} {yesterday.day} {yesterday:%B}"
    )
    page.get_by_role("button", name="None that day").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")
    expect(page.locator(".day-numbers")).to_contain_text("None — no intrusive memories")
    snap(page, f"diary-{phone}-04-none-yesterday")

    rows = {e.day: e for e in DiaryEntry.objects.filter(patient=patient)}
    assert set(rows) == {today, yesterday}
    none = rows[yesterday]
    assert none.none_today
    assert (none.intrusive_memories, none.flashbacks, none.nightmares) == (0, 0, False)


def test_ticking_urgent_shows_the_crisis_message_at_once(
    page: Page, patient: Patient, snap: Callable[..., None]
) -> None:
    _, token = diary_link_create(patient=patient, by=None)
    page.goto(f"/d/{token}/")
    message = page.get_by_text("your care team may not read this right away")
    expect(message).to_be_hidden()
    page.get_by_label("This is urgent").check()
    expect(message).to_be_visible()
    page.get_by_label("Anything else about today?").fill("I can't cope tonight")
    # Counts untouched: an urgent note is never refused for them (issue 9 safety fix).
    page.get_by_role("button", name="Save today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")
    # One crisis box, in place of the notice: what happens next and the numbers.
    box = page.get_by_role("alert")
    expect(box).to_contain_text(patient.clinic.urgent_response_text)
    expect(box.get_by_role("link", name=f"Call {EMERGENCY_NUMBER}")).to_have_attribute(
        "href", f"tel:{EMERGENCY_NUMBER}"
    )
    expect(box).to_contain_text(CRISIS_LINE)
    expect(page.locator(".crisis")).to_have_count(1)
    numbers = page.locator(".day-numbers")
    expect(numbers).to_contain_text("Intrusive memoriesNot answered")
    expect(numbers).to_contain_text("FlashbacksNot answered")
    expect(numbers).to_contain_text("I can't cope tonight")
    snap(page, "diary-390-05-urgent-saved")
    entry = DiaryEntry.objects.get()
    assert (entry.urgent, entry.intrusive_memories, entry.flashbacks) == (True, None, None)
    alert = Alert.objects.get(diary_entry=entry)
    assert (alert.code, alert.urgency) == (DIARY_URGENT_CODE, "urgent")

    # Later the same day the patient fills in the counts: the entry gets them, no
    # second alert.
    page.get_by_role("link", name="Change today’s entry").click()
    expect(page.get_by_label("Intrusive memories", exact=True)).to_have_value("")
    page.get_by_label("Intrusive memories", exact=True).fill("4")
    page.get_by_label("Flashbacks", exact=True).fill("2")
    page.get_by_role("button", name="Save today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")
    expect(page.locator(".day-numbers")).to_contain_text("Intrusive memories4")
    entry.refresh_from_db()
    assert (entry.urgent, entry.intrusive_memories, entry.flashbacks) == (True, 4, 2)
    assert Alert.objects.filter(diary_entry=entry).count() == 1


def test_a_note_without_urgent_and_no_counts_is_refused_calmly(
    page: Page, patient: Patient
) -> None:
    _, token = diary_link_create(patient=patient, by=None)
    page.goto(f"/d/{token}/")
    page.get_by_label("Anything else about today?").fill("a hard day")
    page.get_by_role("button", name="Save today").click()
    expect(page.get_by_text("Tap 'None today' if you had none")).to_be_visible()
    expect(page.get_by_label("Anything else about today?")).to_have_value("a hard day")
    assert not DiaryEntry.objects.exists() and not Alert.objects.exists()


def test_the_clinician_sees_the_diary_chart_and_table(
    new_context: Callable[..., BrowserContext],
    patient: Patient,
    nurse: Membership,
    snap: Callable[..., None],
) -> None:
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    for k in range(20):
        if k % 5 == 3:
            continue  # missing days
        DiaryEntry.objects.create(
            clinic=patient.clinic,
            patient=patient,
            day=today - dt.timedelta(days=k),
            intrusive_memories=(k * 7) % 5,
            flashbacks=k % 3 == 0,
            none_today=False,
        )
    context = new_context(desktop=True)
    page = context.new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/diary/", nurse.user.username)
    expect(page.locator("#diary-chart .main-svg").first).to_be_visible()
    expect(page.locator("#diary-table tr.missing-row")).to_have_count(12 * 7 - 16)
    snap(page, "diary-staff-desktop")
    page.goto(f"/staff/patients/{patient.pk}/")
    expect(page.locator("#diary-chart .main-svg").first).to_be_visible()
    snap(page, "diary-chart-card")


def test_save_with_no_count_touched_is_refused_calmly(
    page: Page, patient: Patient, snap: Callable[..., None]
) -> None:
    _, token = diary_link_create(patient=patient, by=None)
    page.goto(f"/d/{token}/")
    memories = page.get_by_label("Intrusive memories", exact=True)
    expect(memories).to_have_value("")  # empty, not a pre-filled 0
    page.get_by_role("button", name="Save today").click()

    message = page.get_by_role("alert").filter(
        has_text="Tap 'None today' if you had none, or enter your counts"
    )
    expect(message).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today’s diary")
    assert not DiaryEntry.objects.exists()
    snap(page, "diary-05-untouched-refused")

    # Stepping a count down from empty is a touch: it is a chosen 0, saved as such.
    page.get_by_role("button", name="One fewer intrusive memories").click()
    expect(memories).to_have_value("0")
    page.get_by_role("button", name="One more flashbacks").click()
    page.get_by_role("button", name="Save today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks, entry.none_today) == (0, 1, False)


def test_without_javascript_the_patient_still_saves_real_counts(
    new_context: Callable[..., BrowserContext], patient: Patient
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    _, token = diary_link_create(patient=patient, by=None)
    page.goto(f"/d/{token}/")
    page.get_by_role("button", name="Save today").click()
    expect(
        page.get_by_text("Tap 'None today' if you had none, or enter your counts")
    ).to_be_visible()
    page.get_by_label("Intrusive memories", exact=True).fill("3")
    page.get_by_label("Flashbacks", exact=True).fill("0")
    page.get_by_role("button", name="Save today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved — thank you")
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks) == (3, 0)
