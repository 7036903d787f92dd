"""A patient with one of everything FHIR exports, in the home clinic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from afterglow.diary.models import DiaryEntry
from afterglow.instruments.models import Response
from afterglow.instruments.services import response_record, response_void
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession, TherapySession
from afterglow.treatment.services.session_records import adverse_event_record
from afterglow.treatment.services.sessions import session_mark_not_dosed, session_sign
from afterglow.treatment.services.therapy import therapy_session_record
from tests.factories import PatientFactory, course_on, iv_protocol, ready_to_sign, started

# PCL-5 answers: B = 1+2+3+4+0 = 10, C = 2+2 = 4, D = 1*7 = 7, E = 3*6 = 18; total 39.
PCL5_ANSWERS = [1, 2, 3, 4, 0, 2, 2, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3]
# PHQ-9: 2*9 = 18, "moderately severe" (15-19).
PHQ9_ANSWERS = [2] * 9


@dataclass
class Chart:
    patient: Patient
    pcl5: Response
    phq9: Response
    incomplete: Response
    voided: Response
    diary: DiaryEntry
    dose: DosingSession
    not_dosed: DosingSession
    therapy: TherapySession


@pytest.fixture
def chart(clinician) -> Chart:
    clinic, user = clinician.clinic, clinician.user
    patient = PatientFactory(clinic=clinic, mrn="AG-000042", given_name="Ada", family_name="Quill")
    pcl5 = response_record(
        patient=patient, instrument_code="pcl5", answers=PCL5_ANSWERS, source="staff", by=user
    )
    phq9 = response_record(
        patient=patient, instrument_code="phq9", answers=PHQ9_ANSWERS, source="patient_link"
    )
    incomplete = response_record(
        patient=patient,
        instrument_code="pcl5_past_week",
        answers=[1] * 19 + [None],
        source="staff",
        by=user,
    )
    voided = response_record(
        patient=patient, instrument_code="pcl5", answers=[0] * 20, source="staff", by=user
    )
    response_void(response=voided, by=user, reason="wrong patient")
    diary = DiaryEntry.objects.create(
        clinic=clinic,
        patient=patient,
        day=timezone.localdate(timezone=clinic.tzinfo) - dt.timedelta(days=1),
        intrusive_memories=3,
        flashbacks=1,
        nightmares=True,
        peak_distress=6,
    )
    course = course_on(iv_protocol(clinic), patient=patient, by=user)
    dose = ready_to_sign(course, user)
    adverse_event_record(
        session=dose,
        by=user,
        description="Nausea",
        severity="mild",
        serious=False,
        action="none",
        onset_minute=20,
    )
    dose = session_sign(session=dose, by=user)
    second = started(course, user, number=2)
    second = session_mark_not_dosed(session=second, by=user, reason="declined")
    not_dosed = session_sign(session=second, by=user)
    therapy = therapy_session_record(
        patient=patient,
        by=user,
        therapist=user,
        modality="integration",
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration_minutes=50,
    )
    return Chart(patient, pcl5, phq9, incomplete, voided, diary, dose, not_dosed, therapy)
