"""Builders of small treated cohorts for the dashboard and selector tests.

A treated patient has a course on a protocol with signed doses (two days apart, from
``first_dose``) and PCL-5s on given days, stored through ``response_record`` so they
are scored as a real response would be. Everything is written with the ORM in a few
statements per patient: these tests are about reading, not about the chair-side flow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from afterglow.accounts.models import Clinic
from afterglow.instruments.models import Response
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from afterglow.treatment.models import Course, DosingSession, PlannedSession, Protocol
from tests.factories import PatientFactory, iv_protocol

UTC = dt.UTC
#: 10:00 in New York (the factories' clinic timezone) on Monday 2 March 2026.
FIRST_DOSE = dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def answers_for(total: int) -> list[int]:
    """20 PCL-5 answers (0-4) summing to ``total``, spread evenly from item 1."""
    base, extra = divmod(total, 20)
    return [base + 1] * extra + [base] * (20 - extra)


def pcl5(patient: Patient, total: int, at: dt.datetime, *, instrument: str = "pcl5") -> Response:
    return response_record(
        patient=patient,
        instrument_code=instrument,
        answers=answers_for(total),
        source="staff",
        administered_at=at,
    )


def treated(
    clinic: Clinic,
    totals: Mapping[int, int],
    *,
    protocol: Protocol | None = None,
    first_dose: dt.datetime = FIRST_DOSE,
    doses: int = 6,
    weight_kg: Decimal | None = Decimal("70.0"),
    dose_mg: Decimal | None = Decimal("35.0"),
    **patient: Any,
) -> Patient:
    """A patient with ``doses`` signed doses from ``first_dose`` and a PCL-5 per
    ``{day: total}``: day <= 0 is taken an hour before the dose time on that day, later
    days at the dose time (so day 0 is a pre-dose baseline)."""
    person = PatientFactory(clinic=clinic, **patient)
    course_on_doses(person, protocol or _protocol(clinic), first_dose, doses, weight_kg, dose_mg)
    for day, total in totals.items():
        at = first_dose + dt.timedelta(days=day)
        pcl5(person, total, at - dt.timedelta(hours=1) if day <= 0 else at)
    return person


def course_on_doses(
    patient: Patient,
    protocol: Protocol,
    first_dose: dt.datetime,
    doses: int,
    weight_kg: Decimal | None = Decimal("70.0"),
    dose_mg: Decimal | None = Decimal("35.0"),
) -> Course:
    course = Course.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol=protocol,
        start_date=first_dose.date(),
        status="active",
    )
    for number in range(1, doses + 1):
        when = first_dose + dt.timedelta(days=2 * (number - 1))
        planned = PlannedSession.objects.create(
            course=course, number=number, planned_date=when.date()
        )
        DosingSession.objects.create(
            clinic=patient.clinic,
            patient=patient,
            course=course,
            planned=planned,
            number=number,
            route=protocol.route,
            status="signed",
            started_at=when,
            signed_at=when + dt.timedelta(hours=3),
            weight_kg=weight_kg,
            actual_dose_mg=dose_mg,
        )
    return course


def _protocol(clinic: Clinic) -> Protocol:
    existing = Protocol.objects.filter(clinic=clinic).order_by("pk").first()
    return existing or iv_protocol(clinic)


def cohort(clinic: Clinic, size: int, *, start: int = 0, **patient: Any) -> list[Patient]:
    """``size`` patients whose baselines and follow-ups differ a little from one another,
    so every mean has a spread: baseline 44-60, a fall of 6-24 points by day 14 that
    partly comes back by day 28."""
    people = []
    for i in range(start, start + size):
        baseline = 44 + (7 * i) % 17
        fall = 6 + (5 * i) % 19
        totals = {
            -7: baseline + 2,
            0: baseline,
            1: baseline - fall // 2,
            7: baseline - fall + 2,
            14: baseline - fall,
            28: baseline - fall // 2 + (i % 3),
        }
        people.append(treated(clinic, totals, **patient))
    return people
