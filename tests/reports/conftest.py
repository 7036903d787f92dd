"""Builders for the report tests: a treated patient with a hand-worked PCL-5 series."""

from __future__ import annotations

import datetime as dt
import importlib.abc
import sys
from dataclasses import dataclass

import pytest
from django.utils import timezone

from afterglow.diary.models import DiaryEntry
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession
from afterglow.treatment.services.session_records import adverse_event_record
from afterglow.treatment.services.sessions import session_sign
from tests.factories import PatientFactory, course_on, iv_protocol, ready_to_sign

#: Hand-worked (baseline 50; response = ≥30 % below, reliable = 10 points, cutoff 33):
#: day 1: 34 → −32.0 %: response, reliable improvement, not below 33;
#: day 14: 30 → −40.0 %: response, below cutoff, reliable recovery;
#: day 28: 38 → −24.0 %: no longer a response → loss of response on day 28.
SERIES = [(-1, 50), (1, 34), (14, 30), (28, 38)]


def pcl5_answers(total: int) -> list[int]:
    """20 answers summing to ``total``; cluster B (items 1–5) gets its even share."""
    base, extra = divmod(total, 20)
    return [base + (1 if i < extra else 0) for i in range(20)]


def cluster_b(total: int) -> int:
    return sum(pcl5_answers(total)[:5])


def page_texts(document) -> list[str]:
    """The words WeasyPrint laid out on each page (margin boxes included), one string a page."""

    def walk(box, out: list[str]) -> list[str]:
        text = getattr(box, "text", None)
        if text:
            out.append(text)
        for child in getattr(box, "children", None) or []:
            walk(child, out)
        return out

    return [" ".join(walk(page._page_box, [])) for page in document.pages]


@dataclass
class Treated:
    patient: Patient
    session: DosingSession
    first_dose_at: dt.datetime


@pytest.fixture
def treated(clinician, colleague) -> Treated:
    """Zebedee Quill: one signed IV dose 30 days ago, the SERIES around it, two adverse
    events (one severe and serious), a PHQ-9 with item 9 positive then one without, and
    five diary days this week."""
    clinic = clinician.clinic
    patient = PatientFactory(
        clinic=clinic,
        given_name="Zebedee",
        family_name="Quill",
        mrn="AG-000777",
        date_of_birth=dt.date(1984, 5, 17),
    )
    course = course_on(iv_protocol(clinic), patient=patient, by=colleague.user)
    session = ready_to_sign(course, colleague.user, minutes_ago=30 * 24 * 60)
    for description, severity, serious in (
        ("Nausea", "moderate", False),
        ("Blood pressure 190/110", "severe", True),
    ):
        adverse_event_record(
            session=session,
            by=colleague.user,
            description=description,
            severity=severity,
            serious=serious,
            action="paused",
        )
    session = session_sign(session=session, by=colleague.user)
    assert session.started_at is not None
    # In the clinic's time, so that adding days keeps day N across a daylight-saving change.
    start = session.started_at.astimezone(clinic.tzinfo)
    for day, total in SERIES:
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=pcl5_answers(total),
            source="staff",
            administered_at=start + dt.timedelta(days=day),
            timepoint="baseline" if day < 0 else f"day {day}",
        )
    # PHQ-9: item 9 answered "several days" (total 10), then "not at all" (total 8).
    response_record(
        patient=patient,
        instrument_code="phq9",
        answers=[1] * 8 + [2],
        source="staff",
        administered_at=start + dt.timedelta(days=7),
    )
    response_record(
        patient=patient,
        instrument_code="phq9",
        answers=[1] * 8 + [0],
        source="staff",
        administered_at=start + dt.timedelta(days=21),
    )
    today = timezone.localdate(timezone=clinic.tzinfo)
    # This week: 5 of 7 days, intrusions 3+1, 5+1, 2+0, 4+2, 1+1 → mean 20 / 5 = 4.0.
    for back, (memories, flashbacks) in enumerate([(3, 1), (5, 1), (2, 0), (4, 2), (1, 1)]):
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=today - dt.timedelta(days=back),
            intrusive_memories=memories,
            flashbacks=flashbacks,
        )
    # The week before: 2 days only → too few for a mean (4 of 7 needed).
    for back in (8, 10):
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=today - dt.timedelta(days=back),
            intrusive_memories=9,
            flashbacks=9,
        )
    return Treated(patient=patient, session=session, first_dose_at=start)


class _NoPango(importlib.abc.MetaPathFinder):
    """Imports weasyprint the way a machine without Pango does: OSError from cffi."""

    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: not found")
        return None


@pytest.fixture
def without_pango(monkeypatch):
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoPango(), *sys.meta_path])
