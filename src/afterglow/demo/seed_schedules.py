"""Give the demo clinic's measurement invitations a plausible history.

``course_start`` attached the default schedule to every demo course as it was created,
but before the demo's doses were bulk-written, so those invitations hang on planned
dates (and an ended course lost everything). Here they are made again from the doses as
given, with the schedules' own pieces: ``selectors.anchors_from`` (the anchors),
``rules.occurrences`` (the occurrences of the course's copy of the definition) and
``services.new_invitation`` (the invitation for one occurrence), then given the history
a running clinic would have, and written in bulk: one upsert of the invitations on their
(course, key) constraint and one insert of the messages (re-anchoring course by course
through the services would add seconds to the demo). Nothing is sent: no task is
queued, no email or text message leaves.

- An invitation whose time window holds a demo response of the same instrument (the
  baseline and end-of-course PCL-5s, the PHQ-9 before each dose) is completed by it,
  after as many daily reminders as had passed;
- otherwise, if its window has closed: completed (without a linked response: the demo
  has no past-week PCL-5s) or, for about one in four and always after a patient
  stopped coming, expired after its reminders;
- still inside its window: sent, with the reminders so far (the worklist's overdue and
  due-today rows); one shows "delivery unknown", one a message the mail server refused;
- a paused course's unsent invitations are held (missed once their window closed);
- the diary: its link sent when the period began (the patient's demo diary link),
  completed when the period has ended;
- invitations due later stay scheduled, for the worker to send.

Outcomes come from a seeded generator: the same clinic gets the same history.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.diary.models import DiaryLink
from afterglow.instruments.models import Response
from afterglow.schedules.models import (
    CourseSchedule,
    Delivery,
    DeliveryStatus,
    Invitation,
    InvitationStatus,
)
from afterglow.schedules.rules import Definition, occurrences, parse_definition
from afterglow.schedules.selectors import anchors_from
from afterglow.schedules.services import new_invitation
from afterglow.schedules.sweep import REASON_DIARY_ENDED, REASON_MISSED, REASON_NO_ANSWER
from afterglow.treatment.models import CourseStatus, DosingSession, PlannedSession

#: Illustrative: share of closed invitations without a demo response left unanswered.
UNANSWERED_SHARE = 0.25
#: The sweep runs every minute: a message leaves a few minutes after its due time.
SEND_DELAY = dt.timedelta(minutes=3)
#: Illustrative: hours from the last message to the answer.
ANSWER_DELAY_HOURS = (1, 20)
REFUSED = "SMTPRecipientsRefused: 550 mailbox unavailable (demo)"
BATCH = 500
_UPSERT_FIELDS = [
    "label",
    "due_at",
    "expires_at",
    "period_start",
    "period_end",
    "status",
    "status_reason",
    "status_changed_at",
    "reminders_sent",
    "first_sent_at",
    "last_sent_at",
    "completed_at",
    "response",
]


@dataclass
class _Message:
    invitation: Invitation
    sequence: int
    at: dt.datetime
    status: str = DeliveryStatus.SENT
    error: str = ""
    diary_link: DiaryLink | None = None


def seed_schedules(*, clinic: Clinic, now: dt.datetime | None = None) -> int:
    """Re-make and back-fill every demo course's invitations; the number made."""
    now = now or timezone.now()
    Delivery.objects.filter(invitation__clinic=clinic).delete()  # none on a new clinic
    schedules = list(
        CourseSchedule.objects.filter(clinic=clinic).select_related("course").order_by("pk")
    )
    planned: dict[int, list[PlannedSession]] = defaultdict(list)
    for session in PlannedSession.objects.filter(course__clinic=clinic):
        planned[session.course_id].append(session)
    given: dict[int, list[tuple[int, dt.datetime | None]]] = defaultdict(list)
    for course_id, number, started in DosingSession.objects.filter(
        clinic=clinic, started_at__isnull=False
    ).values_list("course_id", "number", "started_at"):
        given[course_id].append((number, started))
    responses: dict[tuple[int, str], list[Response]] = defaultdict(list)
    for response in Response.objects.for_clinic(clinic).order_by("administered_at"):
        responses[(response.patient_id, response.instrument)].append(response)
    diary_links = {
        link.patient_id: link for link in DiaryLink.objects.filter(clinic=clinic).order_by("pk")
    }

    history = _History(clinic, now, random.Random(f"{clinic.slug}-schedules"))
    made: list[Invitation] = []
    for schedule in schedules:
        course = schedule.course
        course.clinic = clinic
        definition = _parsed(schedule)
        anchors = anchors_from(course=course, planned=planned[course.pk], given=given[course.pk])
        for occurrence in occurrences(definition, anchors, clinic.tzinfo):
            invitation = new_invitation(schedule=schedule, course=course, occurrence=occurrence)
            made.append(invitation)
            # Not sent yet (its first message goes SEND_DELAY after it is due): no
            # message may lie in the future, whatever the hour the demo is seeded at.
            if invitation.due_at + SEND_DELAY > now:
                continue
            if invitation.is_diary:
                history.diary(invitation, diary_links.get(invitation.patient_id))
            else:
                key = (invitation.patient_id, invitation.instrument)
                history.questionnaire(invitation, responses[key])
    history.add_trouble()
    # Upsert on the (course, key) constraint: the invitations course_start made are
    # rewritten in place and the pks are set on ``made``. Keys no longer scheduled (the
    # doses of a course ended early) stay as course_end_early cancelled them.
    Invitation.objects.bulk_create(
        made,
        update_conflicts=True,
        unique_fields=["course", "key"],
        update_fields=_UPSERT_FIELDS,
        batch_size=BATCH,
    )
    Delivery.objects.bulk_create(
        (
            Delivery(
                invitation=m.invitation,
                sequence=m.sequence,
                channel="email",
                status=m.status,
                diary_link=m.diary_link,
                claimed_at=m.at,
                finished_at=None if m.status == DeliveryStatus.SENDING else m.at,
                provider_id=(
                    f"<demo-{m.invitation.pk}-{m.sequence}@afterglow>"
                    if m.status == DeliveryStatus.SENT
                    else ""
                ),
                error=m.error,
            )
            for m in history.messages
        ),
        batch_size=BATCH,
    )
    return len(made)


def _parsed(schedule: CourseSchedule) -> Definition:
    """The schedule's copy of its definition; the demo's are all the same, checked once."""
    text = json.dumps(schedule.definition, sort_keys=True)
    if text not in _PARSED:
        _PARSED[text] = parse_definition(schedule.definition, where=f"{schedule.name} (demo)")
    return _PARSED[text]


_PARSED: dict[str, Definition] = {}


class _History:
    def __init__(self, clinic: Clinic, now: dt.datetime, rng: random.Random) -> None:
        self.clinic = clinic
        self.now = now
        self.rng = rng
        self.interval = dt.timedelta(hours=clinic.reminder_interval_hours)
        self.limit = clinic.invitation_reminders
        self.messages: list[_Message] = []
        self.in_flight: list[Invitation] = []

    def _send(self, invitation: Invitation, count: int, link: DiaryLink | None = None) -> None:
        """``count`` messages: the invitation and its first ``count - 1`` reminders."""
        first = invitation.due_at + SEND_DELAY
        for sequence in range(count):
            at = first + sequence * self.interval
            self.messages.append(_Message(invitation, sequence, at, diary_link=link))
        invitation.first_sent_at = first
        invitation.last_sent_at = first + (count - 1) * self.interval
        invitation.reminders_sent = 0 if invitation.is_diary else count - 1

    def _reminders_before(self, moment: dt.datetime, invitation: Invitation) -> int:
        passed = (moment - invitation.due_at - SEND_DELAY) // self.interval
        return max(0, min(self.limit, passed))

    @staticmethod
    def _set(invitation: Invitation, status: str, at: dt.datetime, reason: str = "") -> None:
        invitation.status = status
        invitation.status_reason = reason
        invitation.status_changed_at = at
        if status == InvitationStatus.COMPLETED:
            invitation.completed_at = at

    def diary(self, invitation: Invitation, link: DiaryLink | None) -> None:
        self._send(invitation, 1, link)
        today = timezone.localdate(self.now, timezone=self.clinic.tzinfo)
        if invitation.period_end and invitation.period_end < today:
            self._set(
                invitation, InvitationStatus.COMPLETED, invitation.expires_at, REASON_DIARY_ENDED
            )
        else:
            self._set(invitation, InvitationStatus.SENT, invitation.due_at + SEND_DELAY)

    def questionnaire(self, invitation: Invitation, candidates: list[Response]) -> None:
        course = invitation.course
        stopped_at = course.status_changed_at
        stopped = (
            course.status in (CourseStatus.PAUSED, CourseStatus.ENDED_EARLY)
            and stopped_at is not None
            and invitation.due_at > stopped_at
        )
        if stopped and course.status == CourseStatus.PAUSED:
            # Held while the course is paused; missed once its window has closed.
            if invitation.expires_at <= self.now:
                self._set(
                    invitation, InvitationStatus.EXPIRED, invitation.expires_at, REASON_MISSED
                )
            return
        opens = invitation.due_at - dt.timedelta(days=1)
        match = next(
            (r for r in candidates if opens <= r.administered_at < invitation.expires_at), None
        )
        if match is not None:
            candidates.remove(match)
            answered = match.administered_at
            self._send(invitation, 1 + self._reminders_before(answered, invitation))
            assert invitation.last_sent_at is not None
            invitation.response = match
            self._set(
                invitation, InvitationStatus.COMPLETED, max(answered, invitation.last_sent_at)
            )
            return
        if invitation.expires_at > self.now:
            reminders = self._reminders_before(self.now, invitation)
            self._send(invitation, 1 + reminders)
            assert invitation.last_sent_at is not None
            if reminders == self.limit and invitation.last_sent_at + self.interval <= self.now:
                ended = invitation.last_sent_at + self.interval
                self._set(invitation, InvitationStatus.EXPIRED, ended, REASON_NO_ANSWER)
            else:
                self._set(invitation, InvitationStatus.SENT, invitation.due_at + SEND_DELAY)
                self.in_flight.append(invitation)
            return
        if stopped or self.rng.random() < UNANSWERED_SHARE:
            self._send(invitation, 1 + self.limit)
            assert invitation.last_sent_at is not None
            ended = min(invitation.expires_at, invitation.last_sent_at + self.interval)
            self._set(invitation, InvitationStatus.EXPIRED, ended, REASON_NO_ANSWER)
            return
        self._send(invitation, 1 + self.rng.randint(0, self.limit))
        assert invitation.last_sent_at is not None
        answered = invitation.last_sent_at + dt.timedelta(
            hours=self.rng.randint(*ANSWER_DELAY_HOURS)
        )
        closing = invitation.expires_at - dt.timedelta(minutes=1)
        self._set(invitation, InvitationStatus.COMPLETED, min(answered, closing))

    def add_trouble(self) -> None:
        """One message whose send was never confirmed, one the mail server refused."""
        if self.in_flight:
            unknown = self.in_flight[0]
            last = max(
                (m for m in self.messages if m.invitation is unknown), key=lambda m: m.sequence
            )
            last.status = DeliveryStatus.SENDING
        if len(self.in_flight) > 1:
            refused = self.in_flight[-1]
            first = next(m for m in self.messages if m.invitation is refused and m.sequence == 0)
            first.status, first.error = DeliveryStatus.FAILED, REFUSED
