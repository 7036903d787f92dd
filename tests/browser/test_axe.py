"""Accessibility as a test (issue 14 §6): axe-core finds no critical or serious violation
on the pages patients and the care team use most, on a phone and on a desktop.

Adding a page is one line in ``PAGES``: its name, whether it needs a signed-in clinician,
and its address built from the ``World`` below (a clinic with a patient who has a diary
link, a questionnaire link, a PHQ-9 with item 9 above 0 (an open alert) and a dosing
session in progress, and a treated cohort larger than the clinic's smallest group shown,
so that the outcomes dashboard draws its charts).

A page listed in ``DRAWN`` is checked only once what it draws is there (the charts'
SVG, drawn by plotly.js after the page loads): axe then sees the charts too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.diary.services import diary_entry_save, diary_link_create
from afterglow.instruments.services import personal_link_create, response_record
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession
from tests.analytics.cohort import cohort
from tests.browser.axe import assert_no_serious_violations
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.factories import (
    PatientFactory,
    course_on,
    dosed,
    iv_protocol,
)

pytestmark = pytest.mark.browser


@dataclass
class World:
    prescriber: Membership
    patient: Patient
    diary_token: str
    questionnaire_token: str
    session: DosingSession


#: name -> (signed in as a prescriber?, the page's address).
PAGES: dict[str, tuple[bool, Callable[[World], str]]] = {
    "intake form": (False, lambda w: "/"),
    "questionnaire link": (False, lambda w: f"/q/{w.questionnaire_token}/"),
    "diary": (False, lambda w: f"/d/{w.diary_token}/"),
    "dosing session": (True, lambda w: f"/staff/sessions/{w.session.pk}/"),
    "plan a session": (True, lambda w: f"/staff/courses/{w.session.course_id}/sessions/2/plan/"),
    "patient chart": (True, lambda w: f"/staff/patients/{w.patient.pk}/"),
    "closed invitations": (
        True,
        lambda w: f"/staff/patients/{w.patient.pk}/measurements/closed/",
    ),
    "alert inbox": (True, lambda w: "/staff/alerts/"),
    "dashboard": (True, lambda w: "/staff/outcomes/"),
    "today board": (True, lambda w: "/staff/today/"),
    "therapist home": (True, lambda w: "/staff/therapy/home/"),
    "research imaging": (True, lambda w: "/staff/imaging/"),
    "worklist": (True, lambda w: "/staff/worklist/"),
}
VIEWPORTS: dict[str, dict[str, Any]] = {"phone": PHONE, "desktop": DESKTOP}
#: name -> the charts that must be drawn before axe runs (every ``.chart`` box drawn).
DRAWN: dict[str, tuple[str, ...]] = {
    "dashboard": ("#chart-trajectory", "#chart-intrusion"),
}
#: Patients of the treated cohort: more than the clinic's ``analytics_min_n`` (default 10).
COHORT = 12


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(dosing_weekdays="0,1,2,3,4,5,6")


@pytest.fixture
def world(clinic: Clinic, prescriber: Membership) -> World:
    patient = PatientFactory(clinic=clinic, given_name="Sam", family_name="Rivera")
    _, diary_token = diary_link_create(patient=patient, by=None)
    diary_entry_save(
        token=diary_token,
        day=timezone.localdate(timezone=clinic.tzinfo) - dt.timedelta(days=1),
        intrusive_memories=3,
        flashbacks=1,
        nightmares=True,
        peak_distress=6,
    )
    _, questionnaire_token = personal_link_create(
        patient=patient, instrument_code="pcl5", by=prescriber.user
    )
    for days_ago, answers in ((20, [2] * 9), (2, [1] * 8 + [1])):
        response_record(
            patient=patient,
            instrument_code="phq9",
            answers=answers,
            source="staff",
            administered_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    session = dosed(course_on(iv_protocol(clinic), patient=patient), prescriber.user)
    assert clinic.analytics_min_n < COHORT
    cohort(clinic, COHORT)
    return World(prescriber, patient, diary_token, questionnaire_token, session)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_critical_or_serious_axe_violations(
    world: World,
    new_context: Callable[..., BrowserContext],
    viewport: str,
) -> None:
    page = new_context(**VIEWPORTS[viewport]).new_page()
    signed_in = False
    failures: list[str] = []
    for name, (staff, address) in PAGES.items():
        if staff and not signed_in:
            sign_in(page, "/staff/patients/", world.prescriber.user.username)
            signed_in = True
        response = page.goto(address(world))
        assert response is not None and response.status == 200, f"{name}: {response}"
        page.wait_for_load_state("load")
        for chart in DRAWN.get(name, ()):
            expect(page.locator(f"{chart} .main-svg").first).to_be_attached()
        if name in DRAWN:
            expect(page.locator(".chart:not(:has(.main-svg))")).to_have_count(0)
        try:
            assert_no_serious_violations(page)
        except AssertionError as failure:  # collect every page's findings, then fail
            failures.append(f"{name} ({viewport}): {failure}")
    assert not failures, "\n\n".join(failures)
