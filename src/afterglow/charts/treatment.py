"""The treatment part of the patient chart: courses, screenings, doses, therapy, exposure.

Five queries whatever the number of rows (:func:`chart_treatment`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from afterglow.charts.marks import DoseMark, TherapyMark
from afterglow.core.choices import choice_labels
from afterglow.patients.models import Patient
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    Route,
    Screening,
    SessionStatus,
    TherapyModality,
    TherapySession,
)
from afterglow.treatment.selectors_courses import treatment_summary
from afterglow.treatment.selectors_therapy import TherapyRow, link_therapy

#: The dosing session columns the chart, the diary page and the patient PDF use.
SESSION_FIELDS = (
    "patient",
    "course",
    "planned",
    "number",
    "route",
    "status",
    "planned_dose_mg",
    "actual_dose_mg",
    "started_at",
)


@dataclass(frozen=True)
class ChartEvent:
    """One row of the chart's "Doses and therapy" table."""

    when: dt.datetime  # in the clinic's timezone
    kind: str  # "dose" or "therapy"
    title: str
    detail: str
    pk: int
    in_window: bool | None = None  # therapy only


@dataclass(frozen=True)
class ChartTreatment:
    """The treatment part of the patient chart, in five queries whatever its size."""

    courses: list[Course]
    screenings: list[Screening]
    sessions: list[DosingSession]  # every dosing session, in course order
    therapy: list[TherapyRow]  # newest first
    exposure_sessions: int  # signed dosing sessions
    exposure_mg: Decimal  # their total actual dose
    dose_marks: list[DoseMark]
    therapy_marks: list[TherapyMark]
    events: list[ChartEvent]  # newest first

    @property
    def therapy_inside(self) -> int:
        return sum(row.in_window for row in self.therapy)

    @property
    def open_course(self) -> Course | None:
        """An active or paused course: a second one cannot start (``course_start``)."""
        open_statuses = (CourseStatus.ACTIVE, CourseStatus.PAUSED)
        return next((c for c in self.courses if c.status in open_statuses), None)

    @property
    def is_empty(self) -> bool:
        return not (self.courses or self.screenings or self.sessions or self.therapy)


def chart_treatment(*, patient: Patient) -> ChartTreatment:
    """Courses, screenings, dosing sessions, therapy and cumulative exposure for the chart.

    Queries: screenings, courses and their planned sessions' counts
    (``selectors_courses.treatment_summary``), dosing sessions and therapy sessions:
    five, however many rows. The exposure is added up
    from the sessions already read, as ``selectors_sessions.ketamine_exposure`` counts it
    (signed sessions; their actual doses in mg, as recorded).
    """
    clinic = patient.clinic
    tz = clinic.tzinfo
    # Screenings and courses (with planned/done counts) as the course pages count them.
    summary = treatment_summary(patient=patient)
    courses, screenings = list(summary.courses), list(summary.screenings)
    # The courses (with their protocols) are above: the sessions need no joined rows,
    # not even for their order (course start, course, number), taken from the courses.
    course_start = {c.pk: c.start_date for c in courses}
    sessions = sorted(
        DosingSession.objects.filter(patient=patient).only(*SESSION_FIELDS),
        key=lambda s: (course_start.get(s.course_id, dt.date.max), s.course_id, s.number),
    )
    doses = sorted(
        (s for s in sessions if s.started_at is not None),
        key=lambda s: (s.started_at, s.pk),
    )
    therapy = link_therapy(
        TherapySession.objects.filter(patient=patient)
        .only("patient", "modality", "started_at")
        .order_by("-started_at", "-pk"),
        doses,
        clinic,
    )
    signed = [s for s in sessions if s.status == SessionStatus.SIGNED]
    exposure_sessions = len(signed)
    exposure_mg = sum(
        (s.actual_dose_mg for s in signed if s.actual_dose_mg is not None), Decimal(0)
    )
    protocol_name = {c.pk: c.protocol.name for c in courses}
    routes, modalities = choice_labels(Route), choice_labels(TherapyModality)
    statuses = choice_labels(SessionStatus)

    dose_marks = [
        DoseMark(
            number=s.number,
            when=timezone.localtime(s.started_at, tz),
            dose_mg=s.actual_dose_mg if s.actual_dose_mg is not None else s.planned_dose_mg,
            route=routes[s.route],
        )
        for s in doses
        if s.started_at is not None
    ]
    therapy_marks = [
        TherapyMark(
            when=timezone.localtime(row.session.started_at, tz),
            modality=modalities[row.session.modality],
            timing=row.label,
            in_window=row.in_window,
        )
        for row in therapy
    ]
    window = f"{clinic.therapy_window_start_hours}–{clinic.therapy_window_end_hours} h window"
    events = [
        ChartEvent(
            when=mark.when,
            kind="dose",
            title=f"Dose {mark.number}",
            detail=" · ".join(
                part
                for part in (
                    f"{mark.dose_mg} mg" if mark.dose_mg is not None else "dose not recorded",
                    mark.route,
                    protocol_name.get(session.course_id, "") if len(courses) > 1 else "",
                    statuses[session.status].lower(),
                )
                if part
            ),
            pk=session.pk,
        )
        for mark, session in zip(dose_marks, doses, strict=True)
    ] + [
        ChartEvent(
            when=mark.when,
            kind="therapy",
            title=mark.modality,
            detail=f"{mark.timing} · {'inside' if mark.in_window else 'outside'} the {window}",
            pk=row.session.pk,
            in_window=mark.in_window,
        )
        for mark, row in zip(therapy_marks, therapy, strict=True)
    ]
    events.sort(key=lambda event: event.when, reverse=True)
    return ChartTreatment(
        courses=courses,
        screenings=screenings,
        sessions=sessions,
        therapy=therapy,
        exposure_sessions=exposure_sessions,
        exposure_mg=exposure_mg,
        dose_marks=dose_marks,
        therapy_marks=therapy_marks,
        events=events,
    )
