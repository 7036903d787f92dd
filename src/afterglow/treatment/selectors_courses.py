"""Reads for courses and protocols: the plan with its progress, the patient's treatment summary."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient
from afterglow.treatment import schedule
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    PlannedSession,
    Protocol,
    Screening,
    SessionKind,
    SessionStatus,
)
from afterglow.treatment.presets import ProtocolPreset, all_presets

DONE = "done"
IN_PROGRESS = "in_progress"
NEXT = "next"
PLANNED = "planned"
CANCELLED = "cancelled"
STATE_LABELS = {
    DONE: "Done",
    IN_PROGRESS: "In progress",
    NEXT: "Next",
    PLANNED: "Planned",
    CANCELLED: "Cancelled",
}


@dataclass(frozen=True)
class PlanRow:
    planned: PlannedSession
    state: str
    overdue: bool  # planned before today and not yet done

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def weekday(self) -> str:
        return schedule.WEEKDAY_NAMES[self.planned.planned_date.weekday()]

    @property
    def session_id(self) -> int | None:
        session = getattr(self.planned, "session", None)
        return session.pk if session is not None else None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def __str__(self) -> str:
        return f"{self.done} of {self.total}"


@dataclass(frozen=True)
class CoursePlan:
    course: Course
    rows: list[PlanRow]
    course_progress: Progress  # the protocol's sessions (cancelled ones not counted)
    maintenance_progress: Progress | None
    next_row: PlanRow | None
    # Sessions signed "not dosed": no dose, their planned session is to come again.
    not_dosed: list[DosingSession] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.course.status in (CourseStatus.ACTIVE, CourseStatus.PAUSED)


def _session_done(planned: PlannedSession) -> tuple[bool, bool]:
    session = getattr(planned, "session", None)
    if session is None:
        return False, False
    return session.status == SessionStatus.SIGNED, True


def course_plan(*, course: Course, today: dt.date) -> CoursePlan:
    """The course's plan with each session's state and the progress, in one query.

    A session is *done* when its dosing session is signed, *in progress* when one
    has begun, *next* for the first session still to come (if the course is
    active), *cancelled* when ended early; the rest are *planned*.
    """
    planned = list(
        PlannedSession.objects.filter(course=course).select_related("session").order_by("number")
    )
    rows: list[PlanRow] = []
    next_row: PlanRow | None = None
    counts = {SessionKind.COURSE: [0, 0], SessionKind.MAINTENANCE: [0, 0]}
    for item in planned:
        done, begun = _session_done(item)
        if item.cancelled and not begun:
            state = CANCELLED
        elif done:
            state = DONE
        elif begun:
            state = IN_PROGRESS
        elif next_row is None and course.status == CourseStatus.ACTIVE:
            state = NEXT
        else:
            state = PLANNED
        row = PlanRow(
            planned=item,
            state=state,
            overdue=state in (NEXT, PLANNED) and item.planned_date < today,
        )
        if state == NEXT:
            next_row = row
        if state != CANCELLED:
            tally = counts[SessionKind(item.kind)]
            tally[0] += done
            tally[1] += 1
        rows.append(row)
    maintenance = counts[SessionKind.MAINTENANCE]
    return CoursePlan(
        course=course,
        rows=rows,
        course_progress=Progress(*counts[SessionKind.COURSE]),
        maintenance_progress=Progress(*maintenance) if maintenance[1] else None,
        next_row=next_row,
        not_dosed=list(
            DosingSession.objects.filter(course=course, status=SessionStatus.NOT_DOSED).order_by(
                "number", "pk"
            )
        ),
    )


def course_preview(*, protocol: Protocol, start_date: dt.date, clinic: Clinic) -> list[dt.date]:
    """The dates a course would get, without storing anything (raises ValueError like the plan)."""
    return schedule.plan_dates(
        start=start_date,
        sessions=protocol.sessions,
        sessions_per_week=protocol.sessions_per_week,
        weekdays=clinic.weekdays,
    )


def protocols_for_clinic(*, clinic: Clinic) -> QuerySet[Protocol]:
    """The clinic's protocols, active first, with how many open courses use each."""
    return (
        Protocol.objects.for_clinic(clinic)
        .annotate(
            open_courses=Count(
                "courses",
                filter=Q(courses__status__in=[CourseStatus.ACTIVE, CourseStatus.PAUSED]),
            )
        )
        .order_by("-is_active", "name", "pk")
    )


def open_course_for(*, patient: Patient) -> Course | None:
    """The patient's active or paused course, if any (one at a time: ``course_start``)."""
    return (
        Course.objects.filter(
            patient=patient, status__in=[CourseStatus.ACTIVE, CourseStatus.PAUSED]
        )
        .select_related("protocol")
        .first()
    )


def open_course_count(*, protocol: Protocol) -> int:
    return Course.objects.filter(
        protocol=protocol, status__in=[CourseStatus.ACTIVE, CourseStatus.PAUSED]
    ).count()


def presets_with_adoption(
    *, protocols: list[Protocol]
) -> list[tuple[ProtocolPreset, Protocol | None]]:
    """Every shipped preset with the clinic's copy of it, if any."""
    copies = {p.preset_code: p for p in protocols if p.preset_code}
    return [(preset, copies.get(preset.code)) for preset in all_presets()]


@dataclass(frozen=True)
class TreatmentSummary:
    screenings: Sequence[Screening]
    courses: Sequence[Course]

    @property
    def latest_screening(self) -> Screening | None:
        return self.screenings[0] if self.screenings else None

    @property
    def open_course(self) -> Course | None:
        return next(
            (c for c in self.courses if c.status in (CourseStatus.ACTIVE, CourseStatus.PAUSED)),
            None,
        )


def treatment_summary(*, patient: Patient) -> TreatmentSummary:
    """A patient's screenings and courses (with planned/done counts), newest first; three
    queries.

    For the patient chart's Treatment card (and the patient PDF): only the columns they
    show (screening day and decision; course start, status and protocol name). The
    counts come from one small query of the courses' planned sessions, counted here: two
    distinct ``Count`` joins grouped by every course and protocol column cost more than
    both other queries together (issue 13 §2).
    """
    screenings = list(
        Screening.objects.filter(patient=patient)
        .only("patient", "assessed_at", "decision")
        .order_by("-assessed_at", "-pk")
    )
    courses = list(
        Course.objects.filter(patient=patient)
        .select_related("protocol")
        .only("patient", "start_date", "status", "protocol__name")
        .order_by("-start_date", "-pk")
    )
    planned: Counter[int] = Counter()
    done: Counter[int] = Counter()
    if courses:
        for course_id, cancelled, status in PlannedSession.objects.filter(
            course__in=courses, kind=SessionKind.COURSE
        ).values_list("course_id", "cancelled", "session__status"):
            planned[course_id] += not cancelled
            done[course_id] += status == SessionStatus.SIGNED
    for course in courses:
        course.n_planned = planned[course.pk]  # type: ignore[attr-defined]
        course.n_done = done[course.pk]  # type: ignore[attr-defined]
    return TreatmentSummary(screenings=screenings, courses=courses)
