"""Writes for measurement schedules: attach one to a course, re-anchor it, and staff actions.

Re-anchoring
------------

:func:`schedule_reanchor` recomputes the occurrences (``rules.occurrences``) from the
course as it is now and compares them with the stored invitations by key:

- a new key becomes a scheduled invitation (maintenance doses added, for instance);
- an invitation not sent yet (scheduled, or waiting for an email address) moves to the
  new due time and window: only unsent invitations move;
- a sent invitation keeps its due time, but a *closing* time can only come closer: a
  "before dose 3" questionnaire sent for a dose now recorded closes at the recorded
  start, and if that is past it expires at once, its links with it. A running diary
  follows the course's new last day;
- an unsent invitation whose key is gone (a dose cancelled, a course ended early) is
  cancelled, saying why. Sent, answered or expired ones are history and stay as they are.

What an ended course keeps: ending a course cancels its remaining planned sessions, so
their per-dose questionnaires disappear, while the end-of-course and follow-up
questionnaires re-anchor to the last dose actually given. They still make sense: how a
patient does after an interrupted course is exactly what the team needs to know. A
course ended before any dose has no anchors left, and everything unsent is cancelled.

A paused course keeps its plan (pausing changes no date), and the sweep holds its
unsent invitations and diary nudges until it resumes; reminders of what was already
sent continue. Resuming with a restart date re-plans the sessions and re-anchors.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from afterglow.instruments.models import PersonalLink
from afterglow.schedules.delivery import contact_problem
from afterglow.schedules.dispatch import enqueue_send
from afterglow.schedules.models import (
    OPEN_STATUSES,
    UNSENT_STATUSES,
    CourseSchedule,
    Delivery,
    Invitation,
    InvitationStatus,
)
from afterglow.schedules.rules import (
    Definition,
    Occurrence,
    definition_data,
    occurrences,
    parse_definition,
)
from afterglow.schedules.selectors import course_anchors
from afterglow.treatment.models import Course, CourseStatus

DEFAULT_SCHEDULE = "default"
REASON_REPLANNED = "No longer in the schedule: the course was re-planned."
REASON_ENDED = "No longer in the schedule: the course ended before this time point."
REASON_CLOSED = "Closed by the recorded dose before it was answered."

_MOVABLE_FIELDS = ["due_at", "expires_at", "label", "period_start", "period_end"]


def schedule_attach(*, course: Course, name: str = DEFAULT_SCHEDULE) -> CourseSchedule:
    """Give ``course`` the measurement schedule ``name`` and create its invitations.

    Idempotent: a course keeps the schedule it has. The definition is copied onto the
    course so a later change to the shipped file does not rewrite a running course.
    """
    data = definition_data(name)
    definition = parse_definition(data, where=f"{name}.json")  # a broken file fails here
    with transaction.atomic():
        existing = CourseSchedule.objects.filter(course=course).first()
        if existing is not None:
            return existing
        schedule = CourseSchedule(
            course=course, clinic_id=course.clinic_id, name=name, definition=data
        )
        schedule.full_clean(exclude=["course", "clinic"])  # both come from the saved course
        schedule.save()
        _sync(schedule, course, definition, stored={})
    return schedule


def schedule_reanchor(*, course: Course) -> CourseSchedule | None:
    """Move, add and cancel the course's invitations after its doses or plan changed.

    Called when a dose is recorded and when a course is paused, resumed, re-planned,
    extended or ended (see the module docstring). A course without a schedule is left
    alone (None).
    """
    with transaction.atomic():
        schedule = (
            CourseSchedule.objects.select_for_update()
            .select_related("course__clinic")
            .filter(course_id=course.pk)
            .first()
        )
        if schedule is None:
            return None
        definition = parse_definition(schedule.definition, where=f"{schedule.name} (course copy)")
        stored = Invitation.objects.select_for_update().filter(schedule=schedule)
        _sync(schedule, schedule.course, definition, stored={i.key: i for i in stored})
        schedule.reanchored_at = timezone.now()
        schedule.save(update_fields=["reanchored_at"])
    return schedule


def _window_end(occurrence: Occurrence, link_days: int) -> dt.datetime:
    return occurrence.closes_at or occurrence.due_at + dt.timedelta(days=link_days)


def new_invitation(
    *, schedule: CourseSchedule, course: Course, occurrence: Occurrence
) -> Invitation:
    """The unsaved, scheduled invitation for ``occurrence`` (the window defaults to the
    clinic's link lifetime). Values come from the checked definition: no full_clean."""
    start, last = occurrence.period or (None, None)
    return Invitation(
        clinic=course.clinic,
        patient_id=course.patient_id,
        course=course,
        schedule=schedule,
        key=occurrence.key,
        instrument=occurrence.instrument,
        label=occurrence.label,
        due_at=occurrence.due_at,
        expires_at=_window_end(occurrence, course.clinic.link_expiry_days),
        period_start=start,
        period_end=last,
    )


def _sync(
    schedule: CourseSchedule,
    course: Course,
    definition: Definition,
    *,
    stored: dict[str, Invitation],
) -> None:
    """Make the stored invitations (``stored``, by key, locked) match the occurrences."""
    clinic = course.clinic  # the callers' course comes with its clinic
    now = timezone.now()
    wanted = occurrences(definition, course_anchors(course=course), clinic.tzinfo)
    create: list[Invitation] = []
    moved: list[Invitation] = []
    close_now: list[Invitation] = []
    for occurrence in wanted:
        ends = _window_end(occurrence, clinic.link_expiry_days)
        start, last = occurrence.period or (None, None)
        invitation = stored.pop(occurrence.key, None)
        if invitation is None:
            create.append(new_invitation(schedule=schedule, course=course, occurrence=occurrence))
        elif invitation.status in UNSENT_STATUSES:
            new = (occurrence.due_at, ends, occurrence.label, start, last)
            if new != tuple(getattr(invitation, f) for f in _MOVABLE_FIELDS):
                for field, value in zip(_MOVABLE_FIELDS, new, strict=True):
                    setattr(invitation, field, value)
                moved.append(invitation)
        elif invitation.status == InvitationStatus.SENT:
            if invitation.is_diary and (invitation.period_end, invitation.expires_at) != (
                last,
                ends,
            ):
                invitation.period_end, invitation.expires_at = last, ends
                moved.append(invitation)
            elif not invitation.is_diary and ends < invitation.expires_at:
                invitation.expires_at = ends
                moved.append(invitation)
                if ends <= now:
                    close_now.append(invitation)
    Invitation.objects.bulk_create(create)
    if moved:
        Invitation.objects.bulk_update(moved, _MOVABLE_FIELDS)
    gone = [i.pk for i in stored.values() if i.status in UNSENT_STATUSES]
    reason = REASON_ENDED if course.status == CourseStatus.ENDED_EARLY else REASON_REPLANNED
    _close(gone, InvitationStatus.CANCELLED, reason, now)
    _close([i.pk for i in close_now], InvitationStatus.EXPIRED, REASON_CLOSED, now)


def _close(
    ids: list[int],
    status: str,
    reason: str,
    now: dt.datetime,
    by: User | None = None,
) -> int:
    """Expire or cancel ``invitations`` and stop their open questionnaire links.

    An expired invitation's links expire (the patient's page then says so); a cancelled
    one's are revoked. The diary link is the patient's and is left alone. Returns the
    number of invitations changed.
    """
    if not ids:
        return 0
    links = PersonalLink.objects.filter(
        pk__in=Delivery.objects.filter(invitation_id__in=ids, personal_link__isnull=False).values(
            "personal_link_id"
        )
    ).usable()
    if status == InvitationStatus.EXPIRED:
        links.update(expires_at=now)
    else:
        links.update(revoked_at=now)
    return Invitation.objects.filter(pk__in=ids).update(
        status=status, status_reason=reason[:300], status_changed_at=now, cancelled_by=by
    )


def invitations_close(
    *, invitations: QuerySet[Invitation], status: str, reason: str, now: dt.datetime
) -> int:
    """Expire or cancel several invitations at once (the sweep's expiry)."""
    with transaction.atomic():
        return _close(list(invitations.values_list("pk", flat=True)), status, reason, now)


def invitation_send_now(*, invitation: Invitation, by: User) -> Invitation:
    """Send an invitation that is not sent yet now instead of at its due time.

    Also the way to retry one that had no address, once the patient's record has one.
    """
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update()
            .select_related("patient", "course")
            .get(pk=invitation.pk)
        )
        if locked.status not in UNSENT_STATUSES:
            raise ValidationError(
                f"This invitation is {locked.get_status_display().lower()}; only one that has "
                "not been sent can be sent now."
            )
        problem = contact_problem(locked.patient)
        if problem:
            raise ValidationError(problem)
        now = timezone.now()
        if locked.expires_at <= now:
            raise ValidationError("Its time has passed; it can no longer be sent.")
        locked.status = InvitationStatus.SCHEDULED
        locked.status_reason = ""
        locked.due_at = min(locked.due_at, now)
        locked.save(update_fields=["status", "status_reason", "due_at"])
        enqueue_send(locked.pk, 0)
    return locked


def invitation_send_again(*, invitation: Invitation, by: User) -> Invitation:
    """Send a sent questionnaire's next reminder now, because its last message failed
    or its delivery is unknown (the worklist's "Send again").

    It is the next reminder (a new link, counted against ``invitation_reminders``), sent
    without waiting for the reminder interval; by the patient's channel as it is now.
    """
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update()
            .select_related("patient", "clinic")
            .get(pk=invitation.pk)
        )
        if locked.is_diary or locked.status != InvitationStatus.SENT:
            raise ValidationError("Only a sent questionnaire can be sent again.")
        if not locked.can_send_again(locked.deliveries.order_by("-sequence", "-pk").first()):
            raise ValidationError("Its last message went out; the next reminder follows on time.")
        problem = contact_problem(locked.patient)
        if problem:
            raise ValidationError(problem)
        if locked.expires_at <= timezone.now():
            raise ValidationError("Its time has passed; it can no longer be sent.")
        sequence = locked.reminders_sent + 1
        if sequence > locked.clinic.invitation_reminders:
            raise ValidationError(
                f"All {locked.clinic.invitation_reminders} reminders have been sent: "
                "call the patient instead."
            )
        enqueue_send(locked.pk, sequence)
    return locked


def invitation_cancel(*, invitation: Invitation, by: User, reason: str) -> Invitation:
    """Cancel an open invitation, with the reason; its links stop working at once."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the invitation is cancelled."})
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(
                f"This invitation is already {locked.get_status_display().lower()}."
            )
        _close([locked.pk], InvitationStatus.CANCELLED, reason, timezone.now(), by=by)
        locked.refresh_from_db()
    return locked
