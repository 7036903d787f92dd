"""A nurse runs a dosing session chair-side, from the pre-dose checks to the signature.

The session's times are entered as a nurse catching up on the record would: the
dose start is typed into the dose form as 150 minutes ago (and the stop as 40
minutes after that), so the 120-minute observation (the clinic's default
setting) has passed when the discharge is saved "now", without the test
waiting two hours. Every vitals row is typed with the keyboard and Enter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.treatment.models import DosingSession, SessionAlert, SessionStatus
from tests.browser.conftest import sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    UserFactory,
    course_on,
    dosed,
    iv_protocol,
    predosed,
)

pytestmark = pytest.mark.browser

TABLET: dict[str, Any] = {
    "viewport": {"width": 1024, "height": 768},
    "is_mobile": False,
    "has_touch": True,
    "device_scale_factor": 1,
}
ALERT_TEXT = "BP 185/105 at 40 min is at or above the pause level 180/100 (clinic setting)"


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    # Doses every day, so a session planned for today starts without the off-plan question
    # whatever weekday the suite runs on (that question is tested on its own).
    return make_clinic(timezone="America/New_York", dosing_weekdays="0,1,2,3,4,5,6")


def local(clinic: Clinic, moment: dt.datetime) -> str:
    """A datetime-local input's value in the clinic's timezone."""
    return timezone.localtime(moment, clinic.tzinfo).strftime("%Y-%m-%dT%H:%M")


def type_row(page: Page, values: tuple[int, ...]) -> None:
    """Type SBP, DBP, HR, SpO2, RR with Tab between them and Enter at the end."""
    page.keyboard.type(str(values[0]))
    for value in values[1:]:
        page.keyboard.press("Tab")
        page.keyboard.type(str(value))
    page.keyboard.press("Enter")


def test_a_nurse_runs_a_session_from_predose_checks_to_signing(
    clinic: Clinic,
    nurse: Membership,
    new_context: Callable[..., BrowserContext],
    snap: Callable[..., None],
) -> None:
    course = course_on(iv_protocol(clinic))
    planned = course.planned.get(number=1)
    page = new_context(**TABLET).new_page()

    # The course plan's "Start session" opens the planned session's start page.
    sign_in(page, f"/staff/planned/{planned.pk}/start/", nurse.user.username)
    expect(page.get_by_role("heading", name="Start dosing session 1")).to_be_visible()
    page.get_by_role("button", name="Start session 1").click()
    expect(page.get_by_role("heading", name="Dosing session 1")).to_be_visible()
    session = DosingSession.objects.get()
    expect(page).to_have_url(re.compile(rf"/staff/sessions/{session.pk}/$"))

    # Pre-dose checks: today's weight gives today's dose (70 kg x 0.5 mg/kg = 35 mg).
    page.get_by_label("Weight today (kg)").fill("70")
    page.get_by_label("Systolic BP (mmHg)").fill("128")
    page.get_by_label("Diastolic BP (mmHg)").fill("80")
    page.get_by_label("Heart rate (/min)").fill("72")
    page.get_by_label("SpO2 (%)").fill("98")
    page.get_by_label("Respiratory rate (/min)").fill("14")
    page.get_by_label("An adult will take the patient home").check()
    page.get_by_label("Fasting as instructed").check()
    page.get_by_label("No current suicidal thoughts").check()
    snap(page, "dosing-01-predose-tablet")
    page.get_by_role("button", name="Save pre-dose checks").click()
    expect(page.get_by_text("Pre-dose checks recorded.")).to_be_visible()
    plan = page.locator(".dose-plan")
    expect(plan).to_contain_text("35 mg")
    expect(plan).to_contain_text("0.5 mg/kg × 70 kg")
    expect(plan).to_contain_text("5.3 mL/h over 40 min")

    # The dose: prefilled with today's 35.0 mg; the start typed as 150 minutes ago.
    started_at = timezone.now() - dt.timedelta(minutes=150)
    expect(page.get_by_label("Dose given (mg)")).to_have_value("35.0")
    page.get_by_label("Lot number").fill("KET-2291")
    page.get_by_label("Dose started at").fill(local(clinic, started_at))
    page.get_by_role("button", name="Save dose").click()
    expect(page.get_by_text("Dose recorded.")).to_be_visible()

    # Vitals, fast: keyboard only, one row per Enter, no page reload in between.
    # The page's deferred scripts do what follows: wait for them as a person would.
    page.wait_for_load_state("load")
    page.evaluate("window.__sameDocument = true")
    rows = [
        (132, 84, 80, 98, 14),
        (140, 88, 84, 97, 14),
        (158, 96, 88, 97, 15),
        (185, 105, 92, 97, 16),  # at 40 min: above the 180/100 pause level
        (150, 92, 84, 98, 14),
    ]
    table = page.locator("#vitals-table tbody tr")
    expect(table).to_have_count(1)  # the pre-dose reading
    for number, values in enumerate(rows, start=1):
        # The minute is pre-filled with the time since the dose start (150 min); these
        # rows are caught up from paper, so the nurse corrects it, then types the row.
        minute = page.get_by_label("Minute", exact=True)
        expect(minute).to_have_value(re.compile(r"^15[01]$"))
        minute.fill(str(10 * number))
        page.keyboard.press("Tab")
        type_row(page, values)
        expect(table).to_have_count(1 + number)
        expect(page.get_by_label("SBP", exact=True)).to_be_focused()
        if number == 4:
            alert = page.get_by_role("alert").filter(has_text=ALERT_TEXT)
            expect(alert).to_be_visible()
            snap(page, "dosing-02-alert-tablet", full_page=False)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    expect(table.nth(4)).to_contain_text("185/105")
    stored = SessionAlert.objects.get()
    assert (stored.code, stored.level, stored.reading.minute) == ("bp_pause", "pause", 40)
    assert stored.message.startswith(ALERT_TEXT)

    # The alert stays listed until acknowledged.
    page.reload()
    expect(page.get_by_role("alert").filter(has_text=ALERT_TEXT)).to_be_visible()
    page.get_by_role("button", name="Acknowledge all seen").click()
    expect(page.get_by_role("alert").filter(has_text=ALERT_TEXT)).to_have_count(0)
    stored.refresh_from_db()
    assert stored.acknowledged_by == nurse.user

    # Stop the infusion at 40 minutes; discharge now, 150 minutes after the start.
    # The 50-minute row was entered as "during": a stop at 40 minutes asks to confirm first.
    page.get_by_label("Stopped at").fill(local(clinic, started_at + dt.timedelta(minutes=40)))
    page.get_by_role("button", name="Stop infusion").click()
    expect(page.locator("#dose")).to_contain_text(
        "earlier than readings recorded during the dose (at 50 min)"
    )
    page.get_by_label("Yes, the dose stopped at this time").check()
    page.get_by_role("button", name="Stop infusion").click()
    expect(page.get_by_text("Stop time recorded")).to_be_visible()
    page.get_by_label("Vitals back near baseline").check()
    page.get_by_label("Alert and oriented").check()
    page.get_by_label("Escort present to take the patient home").check()
    page.get_by_role("button", name="Save discharge").click()
    expect(page.get_by_text("Discharge recorded.")).to_be_visible()
    expect(page.locator("#sign")).to_contain_text("Ready to sign.")
    snap(page, "dosing-03-ready-tablet")

    page.get_by_role("button", name="Sign session 1").click()
    expect(page.get_by_text("Session signed and locked.")).to_be_visible()
    expect(page.get_by_text("Signed and locked", exact=True)).to_be_visible()
    expect(page.locator("#vitals-form")).to_have_count(0)
    # The amendment form loads when "Record a correction" is opened (issue 13 §2).
    expect(page.get_by_role("button", name="Record amendment")).to_have_count(0)
    page.locator("#amend-form summary").click()
    expect(page.get_by_role("button", name="Record amendment")).to_be_visible()
    snap(page, "dosing-04-signed-tablet")
    session.refresh_from_db()
    assert session.status == SessionStatus.SIGNED and session.signed_by == nurse.user
    assert session.actual_dose_mg == 35 and session.lot_number == "KET-2291"
    assert session.vitals.count() == 6


def test_on_a_phone_the_alert_shows_above_the_entry_row(
    clinic: Clinic,
    nurse: Membership,
    new_context: Callable[..., BrowserContext],
    snap: Callable[..., None],
) -> None:
    session = dosed(course_on(iv_protocol(clinic)), nurse.user, minutes_ago=35)
    page = new_context().new_page()  # 390 x 844
    sign_in(page, f"/staff/sessions/{session.pk}/", nurse.user.username)
    entry = page.get_by_label("SBP", exact=True)
    entry.scroll_into_view_if_needed()
    snap(page, "dosing-05-entry-phone", full_page=False)
    entry.click()
    page.get_by_label("Minute", exact=True).fill("40")
    entry.click()
    type_row(page, (186, 101, 90, 96, 15))
    alert = page.get_by_role("alert").filter(has_text="BP 186/101 at 40 min")
    expect(alert).to_be_in_viewport()
    expect(page.get_by_label("SBP", exact=True)).to_be_focused()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    snap(page, "dosing-06-alert-phone", full_page=False)
    snap(page, "dosing-07-session-phone")


def test_a_dose_above_the_guardrail_needs_a_reason_and_a_second_prescriber(
    clinic: Clinic,
    nurse: Membership,
    new_context: Callable[..., BrowserContext],
    snap: Callable[..., None],
) -> None:
    MembershipFactory(
        clinic=clinic,
        role=Role.PRESCRIBER,
        user=UserFactory(username="dr.osei", first_name="Ama", last_name="Osei"),
    )
    session = predosed(course_on(iv_protocol(clinic)), nurse.user)  # 70 kg: 35 mg planned
    page = new_context(**TABLET).new_page()
    sign_in(page, f"/staff/sessions/{session.pk}/", nurse.user.username)

    # 56 mg at 70 kg is 0.8 mg/kg, above the 0.75 mg/kg IV guardrail (52.5 mg).
    page.get_by_label("Dose given (mg)").fill("56.0")
    page.get_by_label("Lot number").fill("KET-3301")
    page.get_by_label("Reason for a dose outside the protocol").fill("Ordered 0.8 mg/kg.")
    page.get_by_role("button", name="Save dose").click()
    reason = page.get_by_label("Reason for a dose above a guardrail")
    expect(reason).to_be_visible()
    expect(page.locator("#dose")).to_contain_text(
        "0.8 mg/kg is above the clinic's IV guardrail of 0.75 mg/kg"
    )
    expect(page.locator("#dose")).to_contain_text("A second prescriber must co-sign this dose")
    expect(page.get_by_label("Dose given (mg)")).to_have_value("56.0")  # kept as typed
    expect(page.get_by_label("Lot number")).to_have_value("KET-3301")

    # The nurse cannot co-sign for herself, and a wrong password is refused.
    reason.fill("No response after two sessions at 0.5 mg/kg; prescriber's order.")
    page.get_by_label("Co-signing prescriber: username").fill("dr.osei")
    page.get_by_label("Co-signing prescriber: password").fill("wrong password")
    page.get_by_role("button", name="Save dose").click()
    expect(page.locator("#dose")).to_contain_text("do not match an account; nothing was saved")
    expect(page.get_by_label("Co-signing prescriber: username")).to_have_value("dr.osei")
    expect(page.get_by_label("Co-signing prescriber: password")).to_have_value("")
    assert DosingSession.objects.get().actual_dose_mg is None
    snap(page, "dosing-08-cosign-refused-tablet")

    page.get_by_label("Co-signing prescriber: password").fill(PASSWORD)
    page.get_by_role("button", name="Save dose").click()
    expect(page.get_by_text("Dose recorded.")).to_be_visible()
    given = page.locator("dd.guardrail")
    expect(given).to_contain_text("No response after two sessions")
    expect(given).to_contain_text("Recorded by Dana Kim; co-signed by Ama Osei (prescriber)")
    snap(page, "dosing-09-cosigned-tablet")
    stored = DosingSession.objects.get()
    assert stored.actual_dose_mg == 56 and stored.cosigned_by is not None
    assert stored.cosigned_by.username == "dr.osei" and stored.dose_recorded_by == nurse.user
