"""Writes for treatment courses: start on a protocol, pause, resume, end early, maintenance.

Planned dates come from the Django-free ``treatment.schedule`` module with the
clinic's dosing days, so the preview on the course page, the stored plan and
the tests agree.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterglow.audit.models import Action
from afterglow.audit.services import CHANGED, audit_record
from afterglow.patients.models import CareStatus, Patient
from afterglow.schedules.services import schedule_attach, schedule_reanchor
from afterglow.treatment import schedule
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    Decision,
    PlannedSession,
    Protocol,
    Route,
    Screening,
    SessionKind,
    SessionStatus,
)
from afterglow.treatment.selectors_screening import latest_screening

#: Limits on a maintenance block, input checks rather than clinical advice.
MAX_MAINTENANCE_SESSIONS = 26
MAX_MAINTENANCE_EVERY_DAYS = 120


def _lock(course: Course) -> Course:
    """Re-read the course under the write lock: status changes never interleave."""
    return Course.objects.select_for_update().get(pk=course.pk)


def _refresh(course: Course, locked: Course) -> Course:
    for field in ("status", "status_reason", "status_changed_at"):
        setattr(course, field, getattr(locked, field))
    return course


def screening_problem(screening: Screening | None) -> str:
    """Why a course cannot start on this (latest) screening; empty when it can.

    The course follows the prescriber's documented decision: it needs a
    screening decided "eligible" (an override of an absolute flag is documented
    by then, because the decision could not be stored without its reason).
    A screening decided "not eligible" is a documented decision too, so it is
    respected rather than bypassed: a changed decision is a new screening.
    """
    if screening is None:
        return "Record a screening and the prescriber's decision before starting a course."
    assessed = timezone.localtime(screening.assessed_at, screening.patient.clinic.tzinfo)
    if screening.decision == Decision.PENDING:
        return (
            f"The latest screening ({assessed:%d %b %Y}) awaits the prescriber's "
            "decision. Decide it first."
        )
    if screening.decision == Decision.NOT_ELIGIBLE:
        return (
            f"The latest screening ({assessed:%d %b %Y}) was decided not eligible. "
            "To change that decision, record a new screening and decide it."
        )
    return ""


def _is_esketamine(route: str) -> bool:
    return route == Route.INTRANASAL


def course_start(
    *,
    patient: Patient,
    protocol: Protocol,
    start_date: dt.date,
    by: User | None,
    screening: Screening | None = None,
    start_time: dt.time | None = None,
) -> Course:
    """Enrol ``patient`` on ``protocol`` from ``start_date`` and plan every session
    (each at ``start_time`` when given: the Today board lists and sorts by it).

    ``screening`` defaults to the patient's latest; it must be that latest one
    and decided eligible (:func:`screening_problem`). A patient has one open
    (active or paused) course at a time. The patient's care status becomes "in
    treatment".
    """
    if protocol.clinic_id != patient.clinic_id:
        raise ValidationError({"protocol": "That protocol belongs to another clinic."})
    if not protocol.is_active:
        raise ValidationError({"protocol": "That protocol is archived; choose an active one."})
    latest = latest_screening(patient=patient)
    if screening is not None and latest is not None and screening.pk != latest.pk:
        raise ValidationError(
            "A newer screening exists for this patient; the course follows the latest one."
        )
    screening = latest
    problem = screening_problem(screening)
    if problem:
        raise ValidationError(problem)
    assert screening is not None
    if _is_esketamine(screening.route) != _is_esketamine(protocol.route):
        # The absolute flags differ between the two labels (treatment.eligibility).
        raise ValidationError(
            f"The latest screening was for {screening.get_route_display().lower()}; this "
            f"protocol is {protocol.get_route_display().lower()}, whose label classes the "
            "contraindications differently. Record a screening for it first."
        )
    try:
        dates = schedule.plan_dates(
            start=start_date,
            sessions=protocol.sessions,
            sessions_per_week=protocol.sessions_per_week,
            weekdays=patient.clinic.weekdays,
        )
    except ValueError as exc:
        raise ValidationError({"start_date": str(exc)}) from None
    with transaction.atomic():
        # Lock the patient row so two prescribers cannot open two courses at once.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        open_course = (
            Course.objects.filter(
                patient=patient, status__in=[CourseStatus.ACTIVE, CourseStatus.PAUSED]
            )
            .select_related("protocol")
            .first()
        )
        if open_course is not None:
            raise ValidationError(
                f"This patient is already on a course ({open_course.protocol.name}, "
                f"{open_course.get_status_display().lower()}). End it before starting another."
            )
        course = Course(
            clinic=patient.clinic,
            patient=patient,
            protocol=protocol,
            screening=screening,
            start_date=dates[0],
            status=CourseStatus.ACTIVE,
            created_by=by,
        )
        course.full_clean(exclude=["created_by"])  # nullable without blank=True
        course.save()
        audit_record(
            action=Action.CREATE, actor=by, clinic=course.clinic_id, patient=patient, obj=course
        )
        PlannedSession.objects.bulk_create(
            PlannedSession(
                course=course,
                number=n,
                planned_date=day,
                planned_time=start_time,
                kind=SessionKind.COURSE,
            )
            for n, day in enumerate(dates, start=1)
        )
        if patient.status in (CareStatus.SCREENING, CareStatus.PAUSED, CareStatus.FOLLOW_UP):
            patient.status = CareStatus.ACTIVE
            patient.save(update_fields=["status"])
        schedule_attach(course=course)  # measurement invitations anchored to the plan
    return course


def _set_status(locked: Course, status: str, reason: str) -> None:
    # The actor is the signed-in user of the current request (none from the CLI).
    audit_record(
        action=Action.UPDATE,
        clinic=locked.clinic_id,
        patient=locked.patient_id,
        obj=locked,
        changes={"status": {"old": locked.status, "new": status}, "status_reason": CHANGED},
    )
    locked.status = status
    locked.status_reason = reason
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_reason", "status_changed_at"])


def _pending(course: Course) -> list[PlannedSession]:
    """Planned sessions still to come: not cancelled and no dosing session begun."""
    return list(
        PlannedSession.objects.filter(
            course=course, cancelled=False, session__isnull=True
        ).order_by("number")
    )


COMPLETED_REASON = "All planned sessions signed."


def course_complete_if_done(*, course: Course) -> bool:
    """Mark an active course completed once every planned session that is not
    cancelled has a signed dosing session. Called when a session is signed."""
    with transaction.atomic():
        locked = _lock(course)
        if locked.status != CourseStatus.ACTIVE:
            return False
        open_planned = (
            PlannedSession.objects.filter(course=locked, cancelled=False)
            .exclude(session__status=SessionStatus.SIGNED)
            .exists()
        )
        if open_planned:
            return False
        _set_status(locked, CourseStatus.COMPLETED, COMPLETED_REASON)
    _refresh(course, locked)
    return True


def course_pause(*, course: Course, by: User, reason: str) -> Course:
    """Pause an active course; its remaining sessions wait (re-plan them on resuming)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the course is paused."})
    with transaction.atomic():
        locked = _lock(course)
        if locked.status != CourseStatus.ACTIVE:
            raise ValidationError(
                f"Only an active course can be paused; this one is "
                f"{locked.get_status_display().lower()}."
            )
        _set_status(locked, CourseStatus.PAUSED, reason.strip())
        schedule_reanchor(course=locked)
    return _refresh(course, locked)


def course_resume(*, course: Course, by: User, restart_date: dt.date | None = None) -> Course:
    """Resume a paused course.

    With ``restart_date`` the remaining course sessions are planned again from
    that date with the protocol's rhythm (``schedule.plan_dates``), and any
    remaining maintenance sessions move by as many days as the first remaining
    session did; without it the planned dates stay as they were.
    """
    with transaction.atomic():
        locked = _lock(course)
        if locked.status != CourseStatus.PAUSED:
            raise ValidationError(
                f"Only a paused course can be resumed; this one is "
                f"{locked.get_status_display().lower()}."
            )
        if restart_date is not None:
            _replan(locked, restart_date)
        _set_status(locked, CourseStatus.ACTIVE, "")
        schedule_reanchor(course=locked)
    return _refresh(course, locked)


def _replan(course: Course, restart_date: dt.date) -> None:
    pending = _pending(course)
    if not pending:
        return
    protocol = course.protocol
    weekdays = course.clinic.weekdays
    done = (
        PlannedSession.objects.filter(course=course, session__isnull=False)
        .order_by("-planned_date")
        .values_list("planned_date", flat=True)
        .first()
    )
    if done is not None and restart_date <= done:
        raise ValidationError(
            {"restart_date": f"Restart after the last session given ({done:%d %b %Y})."}
        )
    main = [p for p in pending if p.kind == SessionKind.COURSE]
    extra = [p for p in pending if p.kind != SessionKind.COURSE]
    try:
        new_main = (
            schedule.plan_dates(
                start=restart_date,
                sessions=len(main),
                sessions_per_week=protocol.sessions_per_week if len(main) > 1 else None,
                weekdays=weekdays,
            )
            if main
            else []
        )
    except ValueError as exc:
        raise ValidationError({"restart_date": str(exc)}) from None
    moved_by = ((new_main[0] if main else restart_date) - pending[0].planned_date).days
    not_before = new_main[-1] + dt.timedelta(days=1) if new_main else restart_date
    new_extra = schedule.shift_dates(
        [p.planned_date for p in extra], days=moved_by, weekdays=weekdays, not_before=not_before
    )
    for planned, day in zip([*main, *extra], [*new_main, *new_extra], strict=True):
        planned.planned_date = day
    PlannedSession.objects.bulk_update([*main, *extra], ["planned_date"])


def planned_session_plan(
    *,
    planned: PlannedSession,
    by: User | None,
    planned_date: dt.date,
    planned_time: dt.time | None,
) -> PlannedSession:
    """Move one session still to come to another day and/or set its start time.

    Refused for a session already opened or cancelled, on a course that is closed, on
    a day before today (the clinic's timezone), or on a day that would break the
    order of the plan: a session stays after the one numbered before it and before the
    one numbered after it (not cancelled), one dose a day, so "session n of m" keeps
    its meaning. Any day of the week is accepted (the clinic may open on an extra day).
    """
    with transaction.atomic():
        locked_course = _lock(planned.course)
        locked = PlannedSession.objects.select_for_update().get(pk=planned.pk)
        if locked_course.status not in (CourseStatus.ACTIVE, CourseStatus.PAUSED):
            raise ValidationError(
                f"This course is {locked_course.get_status_display().lower()}; "
                "its sessions can no longer be planned."
            )
        if locked.cancelled:
            raise ValidationError("This session is cancelled; it cannot be planned again.")
        if PlannedSession.objects.filter(pk=locked.pk, session__isnull=False).exists():
            raise ValidationError(
                "This session has been opened already; its date and time are the session's own."
            )
        today = timezone.localdate(timezone=locked_course.clinic.tzinfo)
        if planned_date < today:
            raise ValidationError({"planned_date": "Choose today or a later day."})
        others = PlannedSession.objects.filter(course=locked_course, cancelled=False).exclude(
            pk=locked.pk
        )
        before = others.filter(number__lt=locked.number).order_by("-number").first()
        after = others.filter(number__gt=locked.number).order_by("number").first()
        if before is not None and planned_date <= before.planned_date:
            raise ValidationError(
                {
                    "planned_date": f"Session {before.number} is planned on "
                    f"{before.planned_date:%a %d %b %Y}; choose a later day."
                }
            )
        if after is not None and planned_date >= after.planned_date:
            raise ValidationError(
                {
                    "planned_date": f"Session {after.number} is planned on "
                    f"{after.planned_date:%a %d %b %Y}; choose an earlier day."
                }
            )
        changes = {
            name: {"old": str(old) if old else None, "new": str(new) if new else None}
            for name, old, new in (
                ("planned_date", locked.planned_date, planned_date),
                ("planned_time", locked.planned_time, planned_time),
            )
            if old != new
        }
        if not changes:
            return locked
        moved = locked.planned_date != planned_date
        locked.planned_date = planned_date
        locked.planned_time = planned_time
        locked.save(update_fields=["planned_date", "planned_time"])
        audit_record(
            action=Action.UPDATE,
            actor=by,
            clinic=locked_course.clinic_id,
            patient=locked_course.patient_id,
            obj=locked,
            changes=changes,
        )
        if moved:
            schedule_reanchor(course=locked_course)
    return locked


def course_end_early(*, course: Course, by: User, reason: str) -> Course:
    """End an active or paused course early, with its reason.

    Remaining planned sessions are cancelled (kept on the plan, marked
    cancelled). A session already begun is left alone so it can be finished
    and signed.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why the course is ended early."})
    with transaction.atomic():
        locked = _lock(course)
        if locked.status not in (CourseStatus.ACTIVE, CourseStatus.PAUSED):
            raise ValidationError(f"This course is already {locked.get_status_display().lower()}.")
        PlannedSession.objects.filter(course=locked, cancelled=False, session__isnull=True).update(
            cancelled=True
        )
        _set_status(locked, CourseStatus.ENDED_EARLY, reason.strip())
        schedule_reanchor(course=locked)
    return _refresh(course, locked)


def course_add_maintenance(
    *,
    course: Course,
    by: User,
    count: int,
    every_days: int,
    start_date: dt.date | None = None,
) -> list[PlannedSession]:
    """Add ``count`` maintenance sessions ``every_days`` apart after the course.

    ``start_date`` is the first one (moved to the next clinic day if the clinic
    does not dose then); by default it is ``every_days`` after the last planned
    session. Numbering continues the course's. A completed course becomes
    active again; a paused course must be resumed and an ended one cannot be
    extended (start a new course).
    """
    if not 1 <= count <= MAX_MAINTENANCE_SESSIONS:
        raise ValidationError({"count": f"Add 1 to {MAX_MAINTENANCE_SESSIONS} sessions."})
    if not 1 <= every_days <= MAX_MAINTENANCE_EVERY_DAYS:
        raise ValidationError(
            {"every_days": f"Space them 1 to {MAX_MAINTENANCE_EVERY_DAYS} days apart."}
        )
    with transaction.atomic():
        locked = _lock(course)
        if locked.status == CourseStatus.PAUSED:
            raise ValidationError("Resume the course before adding maintenance sessions.")
        if locked.status == CourseStatus.ENDED_EARLY:
            raise ValidationError(
                "This course was ended early; start a new course instead of extending it."
            )
        planned = PlannedSession.objects.filter(course=locked)
        last = planned.order_by("-number").first()
        last_date = (
            planned.filter(cancelled=False)
            .order_by("-planned_date")
            .values_list("planned_date", flat=True)
            .first()
        )
        if start_date is not None:
            if last_date is not None and start_date <= last_date:
                raise ValidationError(
                    {"start_date": f"Start after the last planned session ({last_date:%d %b %Y})."}
                )
            after = start_date - dt.timedelta(days=every_days)
        else:
            after = last_date or locked.start_date
        try:
            dates = schedule.maintenance_dates(
                after=after, count=count, every_days=every_days, weekdays=locked.clinic.weekdays
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        first_number = (last.number if last else 0) + 1
        added = PlannedSession.objects.bulk_create(
            PlannedSession(course=locked, number=n, planned_date=day, kind=SessionKind.MAINTENANCE)
            for n, day in enumerate(dates, start=first_number)
        )
        if locked.status == CourseStatus.COMPLETED:
            _set_status(locked, CourseStatus.ACTIVE, "")
        schedule_reanchor(course=locked)
    _refresh(course, locked)
    return added
