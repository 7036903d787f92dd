"""A dosing day seen from the chairs: the Today board and the alert panel, on a phone.

Screenshots for the docs: ``scripts/screenshots-today.sh`` runs these tests with
``AFTERGLOW_DOCS_SHOTS=1``, which saves ``docs/screenshots/today-board-phone.png`` and
``docs/screenshots/alert-panel-phone.png`` (390×844 at 1× pixels, so the files stay small).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.treatment.models import Course, CourseStatus, PlannedSession, SessionAlert
from afterglow.treatment.services.sessions import session_start, vitals_record
from afterglow.treatment.views import board as board_views
from tests.browser.conftest import sign_in
from tests.factories import (
    ANY_DAY,
    PREDOSE,
    MembershipFactory,
    PatientFactory,
    UserFactory,
    dosed,
    iv_protocol,
)

pytestmark = pytest.mark.browser

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SMALL_PHONE = {"device_scale_factor": 1}


def docs_shot(page: Page, name: str) -> None:
    """Save what the screen shows as ``docs/screenshots/<name>.png`` when
    ``AFTERGLOW_DOCS_SHOTS`` is set (scripts/screenshots-today.sh); otherwise nothing."""
    if os.environ.get("AFTERGLOW_DOCS_SHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=False)


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    # Doses every day, so today's sessions start without the off-plan question.
    return make_clinic(timezone="America/New_York", dosing_weekdays="0,1,2,3,4,5,6")


@pytest.fixture
def colleague(clinic: Clinic) -> Membership:
    return MembershipFactory(clinic=clinic, role=Role.NURSE, user=UserFactory(username="nurse.lee"))


def today_course(
    clinic: Clinic,
    given: str,
    family: str,
    *,
    first_day: int = 0,
    planned_time: dt.time | None = None,
) -> Course:
    today = timezone.localdate(timezone=clinic.tzinfo)
    course = Course.objects.create(
        clinic=clinic,
        patient=PatientFactory(clinic=clinic, given_name=given, family_name=family),
        protocol=iv_protocol(clinic),
        start_date=today,
        status=CourseStatus.ACTIVE,
    )
    for number in range(1, 7):
        PlannedSession.objects.create(
            course=course,
            number=number,
            planned_date=today + dt.timedelta(days=first_day + 2 * (number - 1)),
            planned_time=planned_time,
        )
    return course


def test_a_nurse_sees_a_colleagues_change_live_and_opens_the_session_in_one_tap(
    clinic: Clinic,
    nurse: Membership,
    colleague: Membership,
    new_context: Callable[..., BrowserContext],
) -> None:
    waiting = today_course(clinic, "Ana", "Baker", planned_time=dt.time(23, 45))
    running = today_course(clinic, "Carl", "Diaz")
    session = session_start(
        planned=running.planned.get(number=1), by=colleague.user, off_schedule_reason=ANY_DAY
    )
    today_course(clinic, "Eve", "Ford", first_day=-3)  # session 1 was due 3 days ago

    page = new_context(**SMALL_PHONE).new_page()
    page.clock.install()  # the page's timers run when the test says: no 15 s wait
    sign_in(page, "/staff/today/", nurse.user.username)
    rows = page.locator("#board-rows > li")
    expect(rows).to_have_count(2)
    diaz = rows.filter(has_text="Carl")
    expect(diaz).to_contain_text("Pre-dose")
    expect(diaz).to_contain_text("Session 1 of 6")
    expect(rows.filter(has_text="Ana")).to_contain_text("Not started")
    # Its planned start time, in the clinic's time, marked as planned.
    expect(rows.filter(has_text="Ana").locator(".board-time")).to_have_text("23:45planned")
    expect(page.locator(".board-due")).to_contain_text("Eve")
    # The page's deferred scripts do what follows: wait for them as a person would.
    page.wait_for_load_state("load")
    page.evaluate("window.__sameDocument = true")

    # A colleague at the other chair records the pre-dose checks and starts the dose,
    # and an alert is raised: the board shows it without a reload.
    from afterglow.treatment.services.sessions import session_record_dose, session_record_predose

    session, _ = session_record_predose(session=session, by=colleague.user, **PREDOSE)
    session_record_dose(
        session=session,
        by=colleague.user,
        actual_dose_mg=session.planned_dose_mg,
        concentration_mg_per_ml=session.concentration_mg_per_ml,
        lot_number="KET-1",
        started_at=timezone.now() - dt.timedelta(minutes=12),
    )
    vitals_record(session=session, by=colleague.user, minute=10, systolic=186, diastolic=101)
    expect(diaz).to_contain_text("Pre-dose")  # until the next poll
    page.clock.run_for(board_views.POLL_SECONDS * 1000 + 500)
    expect(diaz).to_contain_text("Dosing")
    expect(diaz).to_contain_text("1 alert")
    assert page.evaluate("window.__sameDocument") is True, "the board reloaded"
    docs_shot(page, "today-board-phone")

    # One tap on the row opens the session.
    diaz.click()
    expect(page).to_have_url(re.compile(rf"/staff/sessions/{session.pk}/$"))
    expect(page.get_by_role("heading", name="Dosing session 1")).to_be_visible()

    # One tap on a session not started yet opens it (pre-dose checks next).
    page.go_back()
    page.locator("#board-rows > li").filter(has_text="Ana").click()
    expect(page.get_by_role("heading", name="Dosing session 1")).to_be_visible()
    assert waiting.sessions.count() == 1


def test_three_breaches_of_one_reading_show_one_line_and_are_acknowledged_together(
    clinic: Clinic,
    nurse: Membership,
    new_context: Callable[..., BrowserContext],
) -> None:
    session = dosed(today_course(clinic, "Carl", "Diaz"), nurse.user, minutes_ago=47)
    for minute, (sbp, dbp) in ((20, (181, 96)), (30, (190, 99)), (35, (182, 95))):
        vitals_record(session=session, by=nurse.user, minute=minute, systolic=sbp, diastolic=dbp)
    vitals_record(session=session, by=nurse.user, minute=40, spo2=88)
    vitals_record(session=session, by=nurse.user, minute=41, heart_rate=131)
    start = timezone.localtime(session.started_at, clinic.tzinfo)
    at_35 = (start + dt.timedelta(minutes=35)).strftime("%H:%M")

    page = new_context(**SMALL_PHONE).new_page()
    sign_in(page, f"/staff/sessions/{session.pk}/", nurse.user.username)
    lines = page.locator("#alert-lines > li")
    expect(lines).to_have_count(3)
    # A phone shows the first two lines; the rest scroll, with a cue at the top.
    expect(page.locator(".alert-more")).to_be_visible()
    expect(page.locator(".alert-more")).to_have_text("+1 more ↓")
    expect(lines.filter(has_text="BP")).to_have_text(
        re.compile(rf"BP 182/95 ×3, last \+35 min · {at_35}")
    )
    expect(lines.filter(has_text="SpO2")).to_contain_text("SpO2 88%, +40 min")
    # Never more than about a fifth of the screen.
    box = page.locator(".session-alert-box").bounding_box()
    assert box is not None and box["height"] <= 844 * 0.2 + 1
    # The vitals minute is the time since the dose started (47 min), not a 10-minute mark.
    expect(page.get_by_label("Minute", exact=True)).to_have_value(re.compile(r"^4[78]$"))
    docs_shot(page, "alert-panel-phone")

    page.get_by_label("Note for the alerts acknowledged").fill("BP rechecked, prescriber told")
    page.get_by_role("button", name="Acknowledge all seen").click()
    expect(page.locator(".session-alert-box")).to_have_count(0)
    notes = set(SessionAlert.objects.values_list("acknowledged_note", flat=True))
    assert notes == {"BP rechecked, prescriber told"}
