"""Reads for measurement schedules: a course's anchors, the staff worklist, a patient's card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.alerts.rules import diary_gap
from afterglow.diary.models import DiaryLink
from afterglow.patients.models import Patient
from afterglow.schedules.models import (
    OPEN_STATUSES,
    Delivery,
    Invitation,
    InvitationStatus,
)
from afterglow.schedules.rules import DIARY, Anchors, Dose
from afterglow.treatment.models import Course, DosingSession, PlannedSession, SessionKind

#: How far back the worklist lists expired invitations.
EXPIRED_RECENT_DAYS = 14


def course_anchors(*, course: Course) -> Anchors:
    """The course's anchors: each dose's recorded start, else its planned date.

    A cancelled planned session is no dose; a dose recorded on it anyway (a session begun
    before the course was ended) still is one. Two queries.
    """
    return anchors_from(
        course=course,
        planned=PlannedSession.objects.filter(course=course).order_by("number"),
        given=DosingSession.objects.filter(course=course, started_at__isnull=False).values_list(
            "number", "started_at"
        ),
    )


def anchors_from(
    *,
    course: Course,
    planned: Iterable[PlannedSession],
    given: Iterable[tuple[int, dt.datetime | None]],
) -> Anchors:
    """:func:`course_anchors` from rows already read (for bulk work such as the demo):
    ``given`` holds (number, dose start) of the dosing sessions with a recorded dose."""
    started = {number: at for number, at in given if at is not None}
    doses: list[Dose] = []
    for session in sorted(planned, key=lambda p: p.number):
        is_course = session.kind == SessionKind.COURSE
        at = started.pop(session.number, None)
        if at is not None:
            doses.append(Dose(session.number, at, course=is_course))
        elif not session.cancelled:
            doses.append(Dose(session.number, session.planned_date, course=is_course))
    doses += [Dose(number, at) for number, at in started.items()]
    return Anchors(course_start=course.start_date, doses=tuple(doses))


def _with_deliveries(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return invitations.prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.order_by("sequence", "pk"))
    )


@dataclass(frozen=True)
class Measurements:
    """A patient's invitations of one course: still open or to come, and closed."""

    open: list[Invitation]
    done: list[Invitation]

    def __bool__(self) -> bool:
        return bool(self.open or self.done)

    @property
    def course(self) -> Course | None:
        rows = self.open or self.done
        return rows[0].course if rows else None


def measurements_for_patient(*, patient: Patient) -> Measurements:
    """The invitations of the patient's latest course that has a schedule, by due time.

    Two queries (invitations with their course, deliveries), however many rows.
    """
    latest = (
        Invitation.objects.filter(patient=patient)
        .order_by("-course__start_date", "-course_id")
        .values("course_id")[:1]
    )
    rows = list(
        _with_deliveries(
            Invitation.objects.filter(patient=patient, course_id__in=latest)
            .select_related("course__protocol")
            .order_by("due_at", "pk")
        )
    )
    return Measurements(
        open=[i for i in rows if i.status in OPEN_STATUSES],
        done=[i for i in rows if i.status not in OPEN_STATUSES],
    )


@dataclass(frozen=True)
class DiaryGap:
    patient: Patient
    days_missed: int
    last_entry: dt.date | None
    link_made_on: dt.date


@dataclass(frozen=True)
class Worklist:
    today: dt.date
    due_today: list[Invitation]
    overdue: list[Invitation]
    expired: list[Invitation]
    diary_gaps: list[DiaryGap]
    missed_days_threshold: int

    @property
    def is_empty(self) -> bool:
        return not (self.due_today or self.overdue or self.expired or self.diary_gaps)


def _day_bounds(day: dt.date, clinic: Clinic) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=clinic.tzinfo)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=clinic.tzinfo)
    return start, end


def worklist(*, clinic: Clinic, now: dt.datetime | None = None) -> Worklist:
    """What needs the team today, in the clinic's own day. Five queries, whatever the size.

    - *Due today*: open invitations due today (clinic time);
    - *overdue*: open invitations due before today and not answered (a diary that is
      running is not overdue: its days are in the diary list);
    - *expired*: invitations that expired in the last two weeks;
    - *diary gaps*: patients with a working diary link and no entry for at least the
      clinic's ``diary_missed_days_alert`` whole days before today.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=clinic.tzinfo)
    start, end = _day_bounds(today, clinic)
    base = Invitation.objects.for_clinic(clinic).select_related("patient", "course")
    open_rows = list(
        _with_deliveries(
            base.filter(status__in=OPEN_STATUSES, due_at__lt=end)
            .exclude(instrument=DIARY, status=InvitationStatus.SENT)
            .order_by("due_at", "pk")
        )
    )
    expired = list(
        _with_deliveries(
            base.filter(
                status=InvitationStatus.EXPIRED,
                status_changed_at__gte=now - dt.timedelta(days=EXPIRED_RECENT_DAYS),
            ).order_by("-status_changed_at", "-pk")
        )
    )
    threshold = clinic.diary_missed_days_alert
    gaps = []
    links = (
        DiaryLink.objects.usable()
        .filter(clinic=clinic)
        .select_related("patient")
        .annotate(last_entry=Max("patient__diary_entries__day"))
        .order_by("patient__family_name", "patient__given_name", "pk")
    )
    for link in links:
        made_on = timezone.localdate(link.created_at, timezone=clinic.tzinfo)
        last_entry: dt.date | None = link.last_entry  # type: ignore[attr-defined]
        # The alerts' own rule, so the worklist and the missed-diary alert agree.
        gap = diary_gap(
            last_entry=last_entry, link_since=made_on, today=today, missed_days=threshold
        )
        if gap is not None:
            gaps.append(DiaryGap(link.patient, gap.missed, last_entry, made_on))
    return Worklist(
        today=today,
        due_today=[i for i in open_rows if i.due_at >= start],
        overdue=[i for i in open_rows if i.due_at < start],
        expired=expired,
        diary_gaps=sorted(gaps, key=lambda g: -g.days_missed),
        missed_days_threshold=threshold,
    )
