"""Builders for dosing-session tests: protocols, a course with planned sessions, and a
session walked to any step through the real services.

Courses are made with the ORM directly (no screening needed): these tests are about
the chair-side session, not about how a course is started.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    PlannedSession,
    Protocol,
    Route,
)
from afterglow.treatment.services.sessions import (
    session_discharge,
    session_record_dose,
    session_record_predose,
    session_start,
    session_stop,
    vitals_record,
)
from tests.factories import PatientFactory


def iv_protocol(clinic: Clinic, **changes: Any) -> Protocol:
    """0.5 mg/kg IV over 40 min, six sessions (as Feder 2021, without its 4 h stay)."""
    fields: dict[str, Any] = {
        "clinic": clinic,
        "name": "IV ketamine 0.5 mg/kg over 40 min",
        "route": Route.IV,
        "dose_mg_per_kg": Decimal("0.5"),
        "dose_mg_per_kg_min": Decimal("0.5"),
        "dose_mg_per_kg_max": Decimal("0.5"),
        "infusion_minutes": 40,
        "sessions": 6,
        "sessions_per_week": 3,
        "observation_minutes": None,
        **changes,
    }
    protocol = Protocol(**fields)
    protocol.full_clean()
    protocol.save()
    return protocol


def esketamine_protocol(clinic: Clinic, **changes: Any) -> Protocol:
    """Esketamine 56 mg (options 56/84), as the label preset."""
    fields: dict[str, Any] = {
        "clinic": clinic,
        "name": "Esketamine nasal spray 56/84 mg",
        "route": Route.INTRANASAL,
        "fixed_dose_mg": 56,
        "fixed_dose_options_mg": [56, 84],
        "sessions": 8,
        "sessions_per_week": 2,
        "observation_minutes": None,
        **changes,
    }
    protocol = Protocol(**fields)
    protocol.full_clean()
    protocol.save()
    return protocol


def course_on(
    protocol: Protocol, *, patient: Patient | None = None, by: User | None = None, sessions: int = 3
) -> Course:
    """An active course on ``protocol`` with ``sessions`` planned sessions from today."""
    patient = patient or PatientFactory(clinic=protocol.clinic)
    today = timezone.localdate(timezone=protocol.clinic.tzinfo)
    course = Course.objects.create(
        clinic=protocol.clinic,
        patient=patient,
        protocol=protocol,
        start_date=today,
        status=CourseStatus.ACTIVE,
        created_by=by,
    )
    for number in range(1, sessions + 1):
        PlannedSession.objects.create(
            course=course, number=number, planned_date=today + dt.timedelta(days=2 * (number - 1))
        )
    return course


PREDOSE: dict[str, Any] = {
    "weight_kg": Decimal("70.0"),
    "systolic": 124,
    "diastolic": 78,
    "heart_rate": 72,
    "spo2": 98,
    "respiratory_rate": 14,
    "escort_confirmed": True,
    "fasting_confirmed": True,
    "pregnancy_test": "na",
    "suicide_risk": "none",
}


#: Builders start sessions whatever today's weekday is; the reason is stored only when the
#: start is off the plan (tests/treatment/test_session_guards.py tests that rule).
ANY_DAY = "Test run on any day of the week"


def started(course: Course, by: User, number: int = 1) -> DosingSession:
    return session_start(
        planned=course.planned.get(number=number), by=by, off_schedule_reason=ANY_DAY
    )


def predosed(course: Course, by: User, **changes: Any) -> DosingSession:
    session = started(course, by)
    session, _alerts = session_record_predose(session=session, by=by, **{**PREDOSE, **changes})
    return session


def dosed(course: Course, by: User, *, minutes_ago: int = 150, **dose: Any) -> DosingSession:
    """Pre-dose checks done and the protocol's dose started ``minutes_ago``."""
    session = predosed(course, by)
    fields: dict[str, Any] = {
        "actual_dose_mg": session.planned_dose_mg,
        "concentration_mg_per_ml": session.concentration_mg_per_ml,
        "lot_number": "KET-2291",
        "started_at": timezone.now() - dt.timedelta(minutes=minutes_ago),
        **dose,
    }
    return session_record_dose(session=session, by=by, **fields)


def ready_to_sign(course: Course, by: User, *, minutes_ago: int = 150) -> DosingSession:
    """Every step up to discharge done, nothing wrong: only the signature is missing."""
    session = dosed(course, by, minutes_ago=minutes_ago)
    assert session.started_at is not None
    for minute, (sbp, dbp) in zip(
        (10, 20, 30, 40), ((130, 82), (136, 86), (140, 88), (138, 86)), strict=True
    ):
        vitals_record(
            session=session,
            by=by,
            minute=minute,
            systolic=sbp,
            diastolic=dbp,
            heart_rate=80,
            spo2=97,
        )
    session = session_stop(
        session=session, by=by, stopped_at=session.started_at + dt.timedelta(minutes=40)
    )
    rems = (
        {
            "rems_bp_before": True,
            "rems_bp_40_min": True,
            "rems_pulse_oximetry": True,
            "rems_clinically_stable": True,
            "rems_form_submitted": True,
        }
        if session.route == Route.INTRANASAL
        else {}
    )
    return session_discharge(
        session=session,
        by=by,
        discharged_at=timezone.now(),
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=True,
        **rems,
    )
