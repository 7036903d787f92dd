"""Measurement schedules attached to courses, the invitations they give, and each message sent.

Sending is at most once per message, and this is how
-----------------------------------------------------

A message is one :class:`Delivery` row, identified by ``(invitation, sequence, channel)``
(sequence 0 = the invitation, 1..N = its reminders, or for the diary the day number of
a nudge), with a unique constraint on the three. A worker **claims** a message by
inserting its row with status ``sending`` in its own, committed transaction *before*
it talks to the mail server or the SMS provider:

- a duplicated task, a retried task or a second worker that tries to claim the same
  message finds the row (or hits the constraint) and does nothing;
- after a successful send the row becomes ``sent`` (with the provider's id); a send
  that raised becomes ``failed`` with the error. Neither is sent again: the next
  reminder, a day later, is the retry;
- a worker that crashes between the claim and the end of the send leaves the row in
  ``sending``. Nobody can know whether the message left, so it is never re-sent
  automatically (at most once, never twice); after a few minutes staff see it as
  "delivery unknown" and can decide.

Links: only a hash of a personal-link token is stored, so a reminder cannot repeat the
first link. Each questionnaire message therefore carries a fresh single-use
:class:`~afterglow.instruments.models.PersonalLink` for the same invitation, all expiring
with it. The first one used completes the invitation and revokes the others, so an
invitation is answered once (``afterglow.schedules.completion``).

The diary is different: one long-lived diary link sent once when the diary period
starts (sequence 0), then at most one nudge a day (sequence = day number of the
period), only on a day without an entry. Nudges carry no link (the patient already has
it; a new one would revoke the old) and there is no per-day expiry.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.core.sqlconst import Const, consts
from afterglow.diary.models import DiaryLink
from afterglow.instruments.catalog import UnknownInstrument, get_instrument
from afterglow.instruments.models import PersonalLink, Response
from afterglow.patients.models import Patient
from afterglow.schedules.failures import plain_failure
from afterglow.schedules.rules import DIARY
from afterglow.treatment.models import Course

#: A claimed message still "sending" after this long is shown as "delivery unknown".
DELIVERY_UNKNOWN_AFTER = dt.timedelta(minutes=10)


class CourseSchedule(models.Model):
    """The schedule a course follows: a copy of the definition as it was when attached,
    so a later change to the shipped definition never rewrites a running course."""

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, related_name="measurement_schedule"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=40)
    definition = models.JSONField()
    attached_at = models.DateTimeField(default=timezone.now)
    reanchored_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} schedule of course {self.course_id}"


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    UNDELIVERABLE = "undeliverable", "Cannot contact"


#: Statuses an invitation can still leave by itself (the worklist's "open").
OPEN_STATUSES = (
    InvitationStatus.SCHEDULED,
    InvitationStatus.SENT,
    InvitationStatus.UNDELIVERABLE,
)
#: The statuses an invitation never leaves.
CLOSED_STATUSES = tuple(s for s in InvitationStatus if s not in OPEN_STATUSES)
#: The worklist's open rows: open invitations, less the diaries that are running (their
#: days are in the diary list). The worklist filters with this very Q and the partial index
#: ``invitation_worklist_open_idx`` has it as its condition: SQLite uses a partial index only
#: when the query's WHERE repeats the index's condition term for term. "Not closed" rather
#: than "open" so SQLite's planner, which has no statistics, cannot prefer the
#: (clinic, status, due_at) index (a NOT IN term is no index key): that one reads every
#: open diary too.
#: Its constants are written into the SQL (:class:`~afterglow.core.sqlconst.Const`): SQLite
#: does not match a bound parameter with the index's constant.
WORKLIST_OPEN = ~models.Q(status__in=consts(CLOSED_STATUSES)) & ~models.Q(
    instrument=Const(DIARY), status=Const(InvitationStatus.SENT)
)
#: A message's states (``Delivery.state``) that mean it did not reach the patient.
NOT_DELIVERED = ("failed", "unknown")
#: Not sent yet: these move when the course is re-anchored.
UNSENT_STATUSES = (InvitationStatus.SCHEDULED, InvitationStatus.UNDELIVERABLE)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def for_clinic(self, clinic: Clinic) -> InvitationQuerySet:
        return self.filter(clinic=clinic)

    def questionnaires(self) -> InvitationQuerySet:
        return self.exclude(instrument=DIARY)

    def diaries(self) -> InvitationQuerySet:
        return self.filter(instrument=DIARY)


class Invitation(models.Model):
    """One occurrence of a course's schedule: ask the patient for ``instrument`` at ``due_at``.

    ``key`` is the occurrence's stable key (``phq9@dose:3``), unique per course: moving a
    dose moves the invitation rather than making a second one.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invitations")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="invitations")
    schedule = models.ForeignKey(
        CourseSchedule, on_delete=models.CASCADE, related_name="invitations"
    )
    key = models.CharField(max_length=60)
    instrument = models.CharField(max_length=40, help_text="Catalog code, or 'diary'.")
    label = models.CharField(max_length=120)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField(
        help_text="End of the window: not sent after it, and its links stop working."
    )
    period_start = models.DateField(null=True, blank=True, help_text="Diary: first day.")
    period_end = models.DateField(null=True, blank=True, help_text="Diary: last day.")
    status = models.CharField(
        max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="one_invitation_per_key")
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "due_at"]),
            # The worklist's "expired in the last two weeks", newest first.
            models.Index(fields=["clinic", "status", "status_changed_at"]),
            models.Index(fields=["patient", "due_at"]),
            # The worklist's "due today" and "overdue": counted and paged by due time
            # without reading the closed invitations (issue 13 §2).
            models.Index(
                fields=["clinic", "due_at"],
                condition=WORKLIST_OPEN,
                name="invitation_worklist_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} for patient {self.patient_id}"

    @property
    def is_diary(self) -> bool:
        return self.instrument == DIARY

    @property
    def instrument_name(self) -> str:
        if self.is_diary:
            return "Intrusion diary"
        try:
            return get_instrument(self.instrument).title
        except UnknownInstrument:
            return self.instrument

    @property
    def can_send_now(self) -> bool:
        return self.status in UNSENT_STATUSES

    def can_send_again(self, last: Delivery | None) -> bool:
        """A sent questionnaire whose last message ``last`` did not go out (failed, or its
        send never finished): the worklist's "Send again" (``invitation_send_again``)."""
        return (
            not self.is_diary
            and self.status == InvitationStatus.SENT
            and last is not None
            and last.state in NOT_DELIVERED
        )

    @property
    def can_cancel(self) -> bool:
        return self.status in OPEN_STATUSES


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message for an invitation (see the module docstring for the claim protocol)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="deliveries")
    sequence = models.PositiveIntegerField(
        help_text="0 = the invitation, 1..N = reminders (diary: the day of the nudge)."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING
    )
    personal_link = models.ForeignKey(
        PersonalLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    diary_link = models.ForeignKey(
        DiaryLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    provider_status = models.CharField(
        max_length=20,
        blank=True,
        help_text="What the provider last reported (Twilio: queued, sent, delivered, "
        "undelivered, failed).",
    )
    provider_status_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # Why this message went by another channel than the patient's choice (e.g. they
    # opted out of texts, so it went by email). Plain words for staff; no address.
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["invitation", "sequence", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "sequence", "channel"], name="one_delivery_per_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.sequence} of invitation {self.invitation_id}"

    @property
    def kind(self) -> str:
        if self.sequence == 0:
            return "Diary link" if self.invitation.is_diary else "Invitation"
        if self.invitation.is_diary:
            return f"Nudge (day {self.sequence})"
        return f"Reminder {self.sequence}"

    @property
    def plain_error(self) -> str:
        """The failure in plain words for staff; the raw error stays in ``error``."""
        return plain_failure(self.error, channel=self.channel)

    @property
    def state(self) -> str:
        """sent, failed, sending, or "unknown" for a claim whose send never finished."""
        if self.status == DeliveryStatus.SENDING and (
            timezone.now() - self.claimed_at > DELIVERY_UNKNOWN_AFTER
        ):
            return "unknown"
        return str(self.status)
