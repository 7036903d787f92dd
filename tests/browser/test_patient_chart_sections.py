"""The patient chart in a browser, on a phone and on a desktop: sections a clinician can
jump between, charts that are not buried under Plotly's toolbar, and containers that
pass axe's ``nested-interactive`` and ``landmark-unique`` rules (checked here directly)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from afterglow.schedules.models import Channel, Delivery, DeliveryStatus
from afterglow.schedules.rules import DIARY
from afterglow.schedules.services import schedule_attach
from tests.browser.conftest import sign_in
from tests.factories import (
    PatientFactory,
    course_on,
    dosed,
    iv_protocol,
)

pytestmark = pytest.mark.browser

SECTIONS = ["Scores", "Treatment", "Diary", "Measurements", "Record and links"]

#: Interactive descendants of a role="img" element (axe nested-interactive), and the
#: landmarks whose role and name appear more than once (axe landmark-unique).
A11Y_PROBE = (Path(__file__).parent / "a11y_probe.js").read_text()


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(timezone="Europe/London")


def treated_patient(clinic: Clinic, prescriber: Membership) -> Patient:
    """Two PCL-5s on the same morning (the case that used to show a seconds axis), a
    dose, a PHQ-9 and three weeks of diary."""
    patient = PatientFactory(clinic=clinic, given_name="Noor", family_name="Haddad")
    course = course_on(iv_protocol(clinic), patient=patient, by=prescriber.user)
    dosed(course, prescriber.user, minutes_ago=3 * 24 * 60)
    morning = timezone.now() - dt.timedelta(days=1)
    for minutes, answers in ((0, [3] * 20), (5, [2] * 20)):
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=answers,
            source="staff",
            administered_at=morning + dt.timedelta(minutes=minutes),
        )
    response_record(patient=patient, instrument_code="phq9", answers=[1] * 8 + [1], source="staff")
    today = timezone.localdate(timezone=clinic.tzinfo)
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            clinic=clinic,
            patient=patient,
            day=today - dt.timedelta(days=k),
            intrusive_memories=k % 4,
            flashbacks=k % 2,
        )
        for k in range(21)
    )
    return patient


@pytest.mark.parametrize("desktop", [False, True], ids=["phone", "desktop"])
def test_the_chart_has_sections_to_jump_between_and_charts_a_finger_can_use(
    clinic: Clinic,
    prescriber: Membership,
    new_context: Callable[..., BrowserContext],
    snap: Callable[..., None],
    desktop: bool,
) -> None:
    patient = treated_patient(clinic, prescriber)
    page = new_context(desktop=desktop).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "dr.okafor")
    for chart in ("#pcl5-chart", "#phq9-chart", "#diary-chart"):
        expect(page.locator(f"{chart} .main-svg").first).to_be_attached()
    size = "desktop" if desktop else "phone"
    snap(page, f"chart-top-{size}", full_page=False)

    nav = page.get_by_role("navigation", name="Chart sections")
    expect(nav.get_by_role("link")).to_have_text(SECTIONS)
    nav.get_by_role("link", name="Diary").click()
    expect(page).to_have_url(re.compile("#diary$"))
    expect(page.get_by_role("heading", name="Intrusion diary")).to_be_in_viewport()
    expect(nav).to_be_in_viewport()  # sticky: the next jump is one tap away
    snap(page, f"chart-diary-{size}", full_page=False)
    nav.get_by_role("link", name="Treatment").click()
    expect(page.get_by_role("heading", name="Treatment", exact=True)).to_be_in_viewport()

    # Plotly's toolbar covers the plot on a phone: not there; on a desktop it is.
    modebars = page.locator("#pcl5-chart .modebar-container .modebar")
    if desktop:
        expect(modebars).to_have_count(1)
    else:
        expect(modebars).to_have_count(0)

    # Same-morning PCL-5s: the date axis reads in dates or hours, never seconds.
    ticks = page.locator("#pcl5-chart .xtick text").evaluate_all(
        "texts => texts.map(t => t.textContent)"
    )
    assert ticks and not [t for t in ticks if re.search(r"\d:\d\d:\d\d|\d\.\d{3}", t)], ticks

    found = page.evaluate(A11Y_PROBE)
    assert found == {"nested": [], "duplicates": []}


def test_the_probe_finds_a_nested_control_and_a_repeated_landmark(
    clinic: Clinic, prescriber: Membership, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(desktop=True).new_page()
    sign_in(page, "/staff/patients/", "dr.okafor")
    page.evaluate(
        """() => {
      const img = document.createElement('div');
      img.setAttribute('role', 'img'); img.id = 'bad-img';
      img.appendChild(document.createElement('button'));
      document.querySelector('main').appendChild(img);
      const nav = document.createElement('nav'); nav.setAttribute('aria-label', 'Main');
      document.querySelector('main').appendChild(nav);
    }"""
    )
    assert page.evaluate(A11Y_PROBE) == {"nested": ["bad-img"], "duplicates": ["navigation:Main"]}


def test_a_measurements_row_loads_its_messages_when_opened(
    clinic: Clinic, prescriber: Membership, new_context: Callable[..., BrowserContext]
) -> None:
    patient = treated_patient(clinic, prescriber)
    invitations = schedule_attach(course=patient.courses.get()).invitations
    invitation = invitations.exclude(instrument=DIARY).order_by("due_at")[0]
    sent = timezone.now() - dt.timedelta(days=2)
    for sequence in (0, 1):
        Delivery.objects.create(
            invitation=invitation,
            sequence=sequence,
            channel=Channel.EMAIL,
            status=DeliveryStatus.SENT,
            claimed_at=sent + dt.timedelta(days=sequence),
            finished_at=sent + dt.timedelta(days=sequence),
        )
    page = new_context(desktop=True).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "dr.okafor")
    row = page.locator(f"#invitation-{invitation.pk}")
    expect(row.locator("summary")).to_contain_text("2 messages · last: reminder 1 by email")
    expect(row.get_by_text("Reminder 1 · email · sent")).to_have_count(0)  # not loaded yet
    row.locator("summary").click()
    expect(row.get_by_text("Invitation · email · sent")).to_be_visible()
    expect(row.get_by_text("Reminder 1 · email · sent")).to_be_visible()
    expect(row.get_by_role("link", name="Show the messages")).to_have_count(0)
