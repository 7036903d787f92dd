"""factory_boy factories for treatment objects (screenings, protocols, courses, sessions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from afterglow.treatment import eligibility
from afterglow.treatment.models import (
    Course,
    DosingSession,
    PlannedSession,
    Protocol,
    Screening,
)
from tests.factories import ClinicFactory, PatientFactory

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
