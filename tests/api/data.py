"""A clinic with a little of everything the API reads (a builder for API tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from afterglow.diary.models import DiaryEntry
from afterglow.instruments.models import Response
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from afterglow.treatment.models import Course, DosingSession, SessionStatus
from tests.conftest import Persona
from tests.factories import PatientFactory, course_on, iv_protocol


@dataclass
class History:
    patient: Patient
    baseline: Response
    followup: Response
    course: Course
    session: DosingSession


def clinic_with_history(clinician: Persona) -> History:
    """A patient with a PCL-5 of 50 before a signed first dose and 30 two weeks after."""
    clinic = clinician.clinic
    patient = PatientFactory(clinic=clinic, given_name="Zebedee", family_name="Quill")
    now = timezone.now()
    first_dose = now - dt.timedelta(days=14)
    baseline = response_record(
        patient=patient,
        instrument_code="pcl5",
        answers=[3] * 10 + [2] * 10,  # 30 + 20 = 50
        source="staff",
        administered_at=first_dose - dt.timedelta(days=2),
    )
    followup = response_record(
        patient=patient,
        instrument_code="pcl5",
        answers=[2] * 10 + [1] * 10,  # 20 + 10 = 30
        source="staff",
        administered_at=now - dt.timedelta(hours=1),
    )
    course = course_on(iv_protocol(clinic), patient=patient, by=clinician.user)
    session = DosingSession.objects.create(
        clinic=clinic,
        patient=patient,
        course=course,
        number=1,
        route="iv",
        status=SessionStatus.SIGNED,
        weight_kg=80,
        actual_dose_mg=40,
        started_at=first_dose,
        signed_at=first_dose + dt.timedelta(hours=3),
    )
    DiaryEntry.objects.create(
        clinic=clinic,
        patient=patient,
        day=timezone.localdate(timezone=clinic.tzinfo),
        intrusive_memories=2,
        flashbacks=1,
    )
    return History(patient, baseline, followup, course, session)
