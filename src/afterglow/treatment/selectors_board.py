"""Reads for the Today board: every dosing session of the day, and who is due but not booked.

The board is one clinic's day at the chairs. :func:`today_board` loads it in a fixed
number of queries whatever the number of sessions (asserted in
``tests/treatment/test_today_board.py``):

1. the dosing sessions opened or dosed today, with patient, course, protocol and the
   count of their open alerts (a subquery);
2. the planned sessions dated today that have no dosing session yet;
3. the number of planned sessions of each course on the board ("session n of m");
4. the courses due but not booked (below).

**Due but not booked**: an *active* course whose earliest planned session still to come
(not cancelled, no dosing session, or only one signed "not dosed", which gives its
number back) is dated *before* today. Its plan says it should have been given already,
and nothing is planned for it today: someone has to book it (move the session on the
course page) or start it today with a reason. Courses that are paused, completed or
ended early are not due. A course with a session on today's board is never listed here.

**Order**: signed sessions last; the others by their time (the dose start, else when
the session was opened, else the planned start time set on the course page), those
without a time after those with one; then by patient (family name, given name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient
from afterglow.treatment.board import SessionFacts, SessionState, session_state
from afterglow.treatment.models import (
    CourseStatus,
    DosingSession,
    PlannedSession,
    Protocol,
    SessionAlert,
)
from afterglow.treatment.models.courses import Course
from afterglow.treatment.safety import minimum_observation_minutes


@dataclass(frozen=True)
class BoardRow:
    """One line of the board: a planned session of today, or a session opened today."""

    patient: Patient
    course: Course
    protocol: Protocol
    number: int
    of: int
    state: SessionState
    # Dose start, else when the session was opened; before that the planned start time
    # (the planned session's date and time in the clinic's timezone); None: no time set.
    time: dt.datetime | None
    open_alerts: int
    session: DosingSession | None
    planned: PlannedSession | None

    @property
    def time_is_planned(self) -> bool:
        """True when ``time`` is the planned start (no session opened yet)."""
        return self.session is None and self.time is not None

    @property
    def state_key(self) -> str:
        """The state as a CSS-safe word ("ready-for-discharge")."""
        return self.state.value.replace(" ", "-")


@dataclass(frozen=True)
class DueRow:
    """A course whose next planned session is overdue and not booked for today."""

    patient: Patient
    course: Course
    planned: PlannedSession
    days_overdue: int


@dataclass
class TodayBoard:
    today: dt.date
    rows: list[BoardRow] = field(default_factory=list)
    due: list[DueRow] = field(default_factory=list)

    @property
    def open_alerts(self) -> int:
        return sum(row.open_alerts for row in self.rows)


def _day_bounds(clinic: Clinic, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(today, dt.time.min, clinic.tzinfo)
    return start, start + dt.timedelta(days=1)


def _facts(session: DosingSession, clinic: Clinic) -> SessionFacts:
    protocol = session.course.protocol
    return SessionFacts(
        signed=session.is_signed,
        not_dosed=session.is_not_dosed,
        started_at=session.started_at,
        stopped_at=session.stopped_at,
        discharged_at=session.discharged_at,
        infusion=bool(protocol.infusion_minutes),
        observation_minutes=minimum_observation_minutes(
            route=session.route,
            clinic_minutes=clinic.observation_minutes,
            protocol_minutes=protocol.observation_minutes,
        ),
    )


def today_board(*, clinic: Clinic, now: dt.datetime | None = None) -> TodayBoard:
    """The clinic's dosing day (today in the clinic's timezone), in four queries."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=clinic.tzinfo)
    day_start, day_end = _day_bounds(clinic, today)
    open_alerts = (
        SessionAlert.objects.filter(session=OuterRef("pk"), acknowledged_at__isnull=True)
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    sessions = list(
        DosingSession.objects.filter(clinic=clinic)
        .filter(
            Q(created_at__gte=day_start, created_at__lt=day_end)
            | Q(started_at__gte=day_start, started_at__lt=day_end)
            | Q(planned__planned_date=today)
        )
        .select_related("patient", "course__protocol", "planned")
        .annotate(n_open=Coalesce(Subquery(open_alerts, output_field=IntegerField()), 0))
    )
    waiting = list(
        PlannedSession.objects.filter(
            course__clinic=clinic,
            course__status=CourseStatus.ACTIVE,
            planned_date=today,
            cancelled=False,
            session__isnull=True,
        ).select_related("course__patient", "course__protocol")
    )
    course_ids = {s.course_id for s in sessions} | {p.course_id for p in waiting}
    totals = {
        (row["course"], row["kind"]): row["n"]
        for row in PlannedSession.objects.filter(course_id__in=course_ids, cancelled=False)
        .values("course", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    }
    kinds = {p.pk: p.kind for p in waiting} | {
        s.planned_id: s.planned.kind for s in sessions if s.planned is not None
    }

    rows: list[BoardRow] = []
    for s in sessions:
        kind = kinds.get(s.planned_id, "course")
        rows.append(
            BoardRow(
                patient=s.patient,
                course=s.course,
                protocol=s.course.protocol,
                number=s.number,
                of=totals.get((s.course_id, kind), s.course.protocol.sessions),
                state=session_state(_facts(s, clinic), now=now),
                time=s.started_at or s.created_at,
                open_alerts=s.n_open,  # type: ignore[attr-defined]
                session=s,
                planned=s.planned,
            )
        )
    for p in waiting:
        rows.append(
            BoardRow(
                patient=p.course.patient,
                course=p.course,
                protocol=p.course.protocol,
                number=p.number,
                of=totals.get((p.course_id, p.kind), p.course.protocol.sessions),
                state=session_state(None, now=now),
                time=(
                    dt.datetime.combine(p.planned_date, p.planned_time, clinic.tzinfo)
                    if p.planned_time is not None
                    else None
                ),
                open_alerts=0,
                session=None,
                planned=p,
            )
        )
    # Signed sessions sink to the bottom; then by time (the dose start or opening, else
    # the planned start time; rows without any time after those with one), then patient.
    rows.sort(
        key=lambda r: (
            r.state == SessionState.SIGNED,
            r.time is None,
            r.time or now,
            r.patient.family_name,
            r.patient.given_name,
            r.patient.pk,
        )
    )
    return TodayBoard(today=today, rows=rows, due=_due_not_booked(clinic, today, course_ids))


def _due_not_booked(clinic: Clinic, today: dt.date, on_board: set[int]) -> list[DueRow]:
    """Courses due but not booked (definition in the module docstring), most overdue first."""
    candidates = (
        PlannedSession.objects.filter(
            course__clinic=clinic,
            course__status=CourseStatus.ACTIVE,
            cancelled=False,
            session__isnull=True,
            # The earliest session to come is overdue exactly when one before today is.
            planned_date__lt=today,
        )
        .exclude(course_id__in=on_board)
        .select_related("course__patient", "course__protocol")
        .order_by("course_id", "planned_date", "number")
    )
    first: dict[int, PlannedSession] = {}
    for planned in candidates:
        first.setdefault(planned.course_id, planned)
    due = [
        DueRow(
            patient=p.course.patient,
            course=p.course,
            planned=p,
            days_overdue=(today - p.planned_date).days,
        )
        for p in first.values()
    ]
    due.sort(key=lambda d: (-d.days_overdue, d.patient.family_name, d.patient.pk))
    return due
