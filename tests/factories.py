"""Builders for tests: factory_boy factories and the helpers that build treatment records.

- people and places: ``ClinicFactory``, ``UserFactory``, ``MembershipFactory``,
  ``PatientFactory``, ``IntakeSubmissionFactory``;
- treatment: ``ProtocolFactory``, ``ScreeningFactory``, ``CourseFactory``, ``answers``,
  ``planned_sessions``;
- dosing sessions walked to any step through the real services (courses made with the ORM
  directly, no screening needed): ``iv_protocol``, ``esketamine_protocol``, ``course_on``,
  ``started``, ``predosed``, ``dosed``, ``ready_to_sign``, with ``PREDOSE`` and ``ANY_DAY``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.intake.models import IntakeSubmission
from afterglow.patients.models import Patient
from afterglow.treatment import eligibility
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    PlannedSession,
    Protocol,
    Route,
    Screening,
)
from afterglow.treatment.services.sessions import (
    session_discharge,
    session_record_dose,
    session_record_predose,
    session_start,
    session_stop,
    vitals_record,
)

PASSWORD = "correct-horse-battery"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "America/New_York"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.PRESCRIBER


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"AG-{n + 1:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = dt.date(1984, 5, 17)
    email = factory.LazyAttribute(lambda p: f"{p.given_name.lower()}@example.org")
    # Enrolled from the public form, which requires consent to be contacted.
    consent_contact = True


class IntakeSubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntakeSubmission

    clinic = factory.SubFactory(ClinicFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = dt.date(1979, 2, 3)
    email = factory.LazyAttribute(
        lambda s: f"{s.given_name.lower()}.{s.family_name.lower()}@example.org"
    )
    phone = "+1 555 0100"
    reason = "Flashbacks and nightmares since an assault four years ago."
    symptoms = ["intrusive_memories", "flashbacks", "nightmares"]
    treatments_tried = ["trauma_therapy", "antidepressant"]
    psychosis_or_mania = "no"
    high_blood_pressure = "no"
    heart_or_vascular = "no"
    pregnancy = "no"
    substance_use = "no"
    consent_contact = True
    submission_key = factory.LazyFunction(uuid.uuid4)


# --- treatment ---

ALL_NO = {item.code: "no" for item in eligibility.CHECKLIST}


def answers(**overrides: str) -> dict[str, str]:
    """Every checklist question answered "no", except the ones given."""
    return {**ALL_NO, **overrides}


class ProtocolFactory(factory.django.DjangoModelFactory):
    """Feder 2021: six IV infusions of 0.5 mg/kg over 40 min, three a week."""

    class Meta:
        model = Protocol

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Six infusions {n}")
    route = "iv"
    dose_mg_per_kg = Decimal("0.5")
    dose_mg_per_kg_min = Decimal("0.5")
    dose_mg_per_kg_max = Decimal("0.5")
    infusion_minutes = 40
    sessions = 6
    sessions_per_week = 3
    observation_minutes = 240
    source = "Feder 2021"


class ScreeningFactory(factory.django.DjangoModelFactory):
    """A pending screening with every answer "no" and normal vitals."""

    class Meta:
        model = Screening

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    answers = factory.LazyFunction(lambda: dict(ALL_NO))
    systolic = 122
    diastolic = 78
    heart_rate = 70
    spo2 = 98
    weight_kg = Decimal("72.0")
    height_cm = 175
    assessed_at = factory.LazyFunction(timezone.now)

    class Params:
        eligible = factory.Trait(
            decision="eligible",
            decision_reason="No contraindications.",
            decided_at=factory.LazyFunction(timezone.now),
        )
        not_eligible = factory.Trait(
            decision="not_eligible",
            decision_reason="Current mania.",
            decided_at=factory.LazyFunction(timezone.now),
        )


class CourseFactory(factory.django.DjangoModelFactory):
    """An active course; planned sessions are made with ``planned_sessions``."""

    class Meta:
        model = Course

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    protocol = factory.SubFactory(ProtocolFactory, clinic=factory.SelfAttribute("..clinic"))
    screening = factory.SubFactory(
        ScreeningFactory, patient=factory.SelfAttribute("..patient"), eligible=True
    )
    start_date = dt.date(2026, 12, 2)
    status = "active"


def planned_sessions(
    course: Course, dates: list[dt.date], *, signed: int = 0, kind: str = "course"
) -> list[PlannedSession]:
    """Planned sessions on ``dates``; the first ``signed`` have a signed dosing session."""
    start = course.planned.count() + 1
    rows = [
        PlannedSession.objects.create(course=course, number=n, planned_date=day, kind=kind)
        for n, day in enumerate(dates, start=start)
    ]
    for planned in rows[:signed]:
        DosingSession.objects.create(
            clinic=course.clinic,
            patient=course.patient,
            course=course,
            planned=planned,
            number=planned.number,
            route=course.protocol.route,
            status="signed",
            signed_at=timezone.now(),
        )
    return rows


# --- dosing sessions through the real services ---


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
