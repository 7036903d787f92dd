"""Reads for psychotherapy: each session linked to its dose, and each dose's window.

The arithmetic is ``treatment.therapy_window`` (Django-free); this module only fetches
rows, in a fixed number of queries whatever the number of doses and sessions:

- ``therapy_rows``: two queries (the therapy sessions, the doses);
- ``course_therapy_windows``: three (planned sessions, doses, therapy sessions).

Doses are the patient's dosing sessions that have started (``started_at`` set), of
any course, signed or still in progress: a session after a dose of another course
belongs to that dose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from afterglow.accounts.capabilities import Capability, roles_with
from afterglow.accounts.models import Clinic, Membership
from afterglow.patients.models import Patient
from afterglow.treatment.models import Course, DosingSession, TherapySession
from afterglow.treatment.therapy_window import (
    DoseLink,
    in_window,
    nearest_dose,
    suggested_slots,
)

#: A planned dose has a date but no time yet: its window is drawn from midday, clinic
#: time, and shown as dates only ("approximate").
PLANNED_DOSE_TIME = dt.time(12, 0)


@dataclass(frozen=True)
class TherapyRow:
    """One therapy session with the dose it follows and whether it fell in that dose's window."""

    session: TherapySession
    link: DoseLink
    in_window: bool
    dose: DosingSession | None  # the preceding dose, if any

    @property
    def label(self) -> str:
        return self.link.label


@dataclass(frozen=True)
class DoseWindow:
    """The therapy window after one dose of a course (given, or still planned)."""

    number: int
    dose: DosingSession | None  # None while the dose is only planned
    planned_date: dt.date | None
    start: dt.datetime | None  # None: no window (not given, or swallowed by the next dose)
    end: dt.datetime | None
    approximate: bool  # drawn from a planned date, not a dose time
    status: str  # "given", "planned" or "not given"
    inside: list[TherapyRow] = field(default_factory=list)
    outside: list[TherapyRow] = field(default_factory=list)  # linked to this dose, not inside


@dataclass(frozen=True)
class CourseWindows:
    """What the ``treatment/_therapy_windows.html`` partial shows for a course."""

    patient_id: int
    course_id: int
    start_hours: int
    end_hours: int
    windows: list[DoseWindow]

    @property
    def inside_count(self) -> int:
        return sum(len(w.inside) for w in self.windows)

    @property
    def outside_count(self) -> int:
        return sum(len(w.outside) for w in self.windows)


def patient_doses(*, patient: Patient) -> list[DosingSession]:
    """The patient's started doses, oldest first, with their course and protocol (one query)."""
    return list(
        DosingSession.objects.filter(patient=patient, started_at__isnull=False)
        .select_related("course__protocol", "planned")
        .order_by("started_at", "pk")
    )


def link_therapy(
    sessions: Iterable[TherapySession], doses: Sequence[DosingSession], clinic: Clinic
) -> list[TherapyRow]:
    """Link each therapy session to its preceding dose; no queries (rules in therapy_window)."""
    pairs = [(dose.number, _started(dose)) for dose in doses]
    start, end = clinic.therapy_window_start_hours, clinic.therapy_window_end_hours
    rows = []
    for session in sessions:
        link = nearest_dose(session.started_at, pairs)
        dose = doses[link.index] if link.index is not None else None
        rows.append(TherapyRow(session, link, in_window(link.hours_after, start, end), dose))
    return rows


def therapy_rows(
    *, patient: Patient, doses: Sequence[DosingSession] | None = None
) -> list[TherapyRow]:
    """Every therapy session of the patient, newest first, each with its dose link.

    Pass ``doses`` (from :func:`patient_doses`, or any started sessions) to save a query.
    """
    sessions = TherapySession.objects.filter(patient=patient).select_related("therapist")
    if doses is None:
        doses = patient_doses(patient=patient)
    return link_therapy(sessions.order_by("-started_at", "-pk"), doses, patient.clinic)


def latest_course(*, patient: Patient) -> Course | None:
    """The patient's most recent course, ready for :func:`course_therapy_windows` (one query)."""
    return (
        Course.objects.filter(patient=patient)
        .select_related("patient__clinic", "protocol")
        .order_by("-start_date", "-pk")
        .first()
    )


def course_therapy_windows(course: Course) -> CourseWindows:
    """Each dose of ``course`` with its therapy window and the therapy sessions linked to it.

    Given doses have an exact window; planned ones (not yet given, not cancelled) an
    approximate one from the planned date (see PLANNED_DOSE_TIME); a planned date that
    passed without a dose has none. Windows are cut at the next dose, given or planned,
    of any of the patient's courses (``therapy_window.suggested_slots``).
    """
    patient = course.patient
    clinic = patient.clinic
    start_h, end_h = clinic.therapy_window_start_hours, clinic.therapy_window_end_hours
    doses = patient_doses(patient=patient)
    planned = [p for p in course.planned.all() if not p.cancelled]
    given_planned = {d.planned_id for d in doses if d.planned_id is not None}
    today = timezone.localdate(timezone=clinic.tzinfo)

    # Anchors: every given dose of the patient, and this course's doses still to come.
    anchors: list[tuple[dt.datetime, bool, DosingSession | None, int]] = [
        (_started(d), True, d, d.number) for d in doses
    ]
    for plan in planned:
        if plan.pk not in given_planned and plan.planned_date >= today:
            moment = dt.datetime.combine(plan.planned_date, PLANNED_DOSE_TIME, clinic.tzinfo)
            anchors.append((moment, False, None, plan.number))
    anchors.sort(key=lambda anchor: anchor[0])
    # suggested_slots identifies each window by the number it is given: pass the anchor's
    # position so two courses' "session 1" cannot be confused.
    slots = {
        slot.dose_number: slot
        for slot in suggested_slots(
            [(i, anchor[0]) for i, anchor in enumerate(anchors)], start_h, end_h
        )
    }

    rows = link_therapy(
        TherapySession.objects.filter(patient=patient)
        .select_related("therapist")
        .order_by("started_at", "pk"),
        doses,
        clinic,
    )
    by_dose: dict[int, list[TherapyRow]] = {}
    for row in rows:
        if row.dose is not None:
            by_dose.setdefault(row.dose.pk, []).append(row)

    windows: dict[int, DoseWindow] = {}
    for position, (moment, exact, dose, number) in enumerate(anchors):
        if (dose is not None and dose.course_id != course.pk) or number in windows:
            continue
        slot = slots.get(position)
        # A window cut at a planned dose ends at an approximate time too.
        cut_at_plan = (
            slot is not None
            and position + 1 < len(anchors)
            and not anchors[position + 1][1]
            and slot.window_end == anchors[position + 1][0]
        )
        linked = by_dose.get(dose.pk, []) if dose is not None else []
        windows[number] = DoseWindow(
            number=number,
            dose=dose,
            planned_date=dose.planned.planned_date if dose and dose.planned else moment.date(),
            start=slot.window_start if slot else None,
            end=slot.window_end if slot else None,
            approximate=not exact or cut_at_plan,
            status="given" if exact else "planned",
            inside=[row for row in linked if row.in_window],
            outside=[row for row in linked if not row.in_window],
        )
    for plan in planned:
        if plan.number not in windows:
            windows[plan.number] = DoseWindow(
                number=plan.number,
                dose=None,
                planned_date=plan.planned_date,
                start=None,
                end=None,
                approximate=False,
                status="not given",
            )
    return CourseWindows(
        patient_id=patient.pk,
        course_id=course.pk,
        start_hours=start_h,
        end_hours=end_h,
        windows=[windows[n] for n in sorted(windows)],
    )


def _started(dose: DosingSession) -> dt.datetime:
    if dose.started_at is None:  # patient_doses only returns started doses
        raise ValueError(f"dosing session {dose.pk} has not started")
    return dose.started_at


def therapists_for(*, clinic: Clinic) -> QuerySet[User]:
    """The clinic's active therapists and prescribers, by name (the therapist field's list).

    Who can be named as the therapist of a session: the clinic's therapists, and its
    prescribers (a psychiatrist may give the integration session themselves).
    """
    members = Membership.objects.active().filter(
        clinic=clinic, role__in=roles_with(Capability.THERAPY)
    )
    return User.objects.filter(pk__in=members.values("user_id")).order_by(
        "first_name", "last_name", "username"
    )
