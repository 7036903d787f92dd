"""The periodic sweep: what is due, what needs a reminder, what has expired, per clinic.

Run by ``afterglow worker`` every ``AFTERGLOW_SWEEP_SECONDS`` (and by ``--once``). It
only decides and queues; each message is sent by the ``send_delivery`` task, which
claims it first (``schedules.models``), so a sweep run twice, two workers sweeping at
once or a task queued twice still send each message at most once.

For each clinic, with its own settings and its own day:

1. unsent invitations whose window closed are *expired* ("missed"), never sent late;
2. sent invitations with no answer expire when their window closes, or once
   ``invitation_reminders`` reminders have gone and ``reminder_interval_hours`` more
   have passed; their links expire with them;
3. a diary whose last day is past is completed;
4. due invitations are queued, except for a paused course (held until it resumes);
5. a sent invitation with no answer gets its next reminder once the interval since the
   last message has passed;
6. from the definition's ``diary_nudge_hour`` (clinic time), a running diary with no
   entry yet today gets one nudge (not for a paused course, not without a working
   diary link);
7. the missed-diary alerts (``alerts.services.alert_raise_for_missed_diary``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.alerts import services as alert_services
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.schedules.dispatch import enqueue_send
from afterglow.schedules.models import (
    UNSENT_STATUSES,
    Delivery,
    Invitation,
    InvitationStatus,
)
from afterglow.schedules.services import invitations_close
from afterglow.treatment.models import CourseStatus

REASON_MISSED = "Not sent: its time window closed first."
REASON_NO_ANSWER = "No answer by the end of its time window."
REASON_DIARY_ENDED = "The diary period ended."


@dataclass
class SweepReport:
    clinics: int = 0
    missed: int = 0
    expired: int = 0
    diaries_ended: int = 0
    queued: int = 0
    reminders: int = 0
    nudges: int = 0
    alerts: int = 0

    def __add__(self, other: SweepReport) -> SweepReport:
        return SweepReport(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


def schedules_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Sweep every clinic once; see the module docstring."""
    now = now or timezone.now()
    report = SweepReport()
    for clinic in Clinic.objects.order_by("pk"):
        report += clinic_sweep(clinic=clinic, now=now)
    return report


def clinic_sweep(*, clinic: Clinic, now: dt.datetime) -> SweepReport:
    report = SweepReport(clinics=1)
    today = timezone.localdate(now, timezone=clinic.tzinfo)
    interval = dt.timedelta(hours=clinic.reminder_interval_hours)
    limit = clinic.invitation_reminders
    mine = Invitation.objects.for_clinic(clinic)
    with transaction.atomic():
        report.missed = invitations_close(
            invitations=mine.filter(status__in=UNSENT_STATUSES, expires_at__lte=now),
            status=InvitationStatus.EXPIRED,
            reason=REASON_MISSED,
            now=now,
        )
        report.expired = invitations_close(
            invitations=mine.questionnaires()
            .filter(status=InvitationStatus.SENT)
            .filter(
                Q(expires_at__lte=now)
                | Q(reminders_sent__gte=limit, last_sent_at__lte=now - interval)
            ),
            status=InvitationStatus.EXPIRED,
            reason=REASON_NO_ANSWER,
            now=now,
        )
        report.diaries_ended = (
            mine.diaries()
            .filter(status=InvitationStatus.SENT, period_end__lt=today)
            .update(
                status=InvitationStatus.COMPLETED,
                status_reason=REASON_DIARY_ENDED,
                status_changed_at=now,
                completed_at=now,
            )
        )
        due = mine.filter(
            status=InvitationStatus.SCHEDULED, due_at__lte=now, expires_at__gt=now
        ).exclude(course__status=CourseStatus.PAUSED)
        for invitation_id in due.values_list("pk", flat=True):
            enqueue_send(invitation_id, 0)
            report.queued += 1
        reminders = mine.questionnaires().filter(
            status=InvitationStatus.SENT,
            reminders_sent__lt=limit,
            last_sent_at__lte=now - interval,
            expires_at__gt=now,
        )
        for invitation_id, sent in reminders.values_list("pk", "reminders_sent"):
            enqueue_send(invitation_id, sent + 1)
            report.reminders += 1
        report.nudges = _diary_nudges(clinic, now, today)
    report.alerts = len(alert_services.alert_raise_for_missed_diary(clinic=clinic, today=today))
    return report


def _diary_nudges(clinic: Clinic, now: dt.datetime, today: dt.date) -> int:
    """Queue today's nudge for each running diary without an entry today. Four queries."""
    local_hour = now.astimezone(clinic.tzinfo).hour
    running = list(
        Invitation.objects.for_clinic(clinic)
        .diaries()
        .filter(status=InvitationStatus.SENT, period_start__lte=today, period_end__gte=today)
        .exclude(course__status=CourseStatus.PAUSED)
        .select_related("schedule")
        .only("pk", "patient_id", "period_start", "schedule__definition")
    )
    running = [i for i in running if local_hour >= i.schedule.definition["diary_nudge_hour"]]
    if not running:
        return 0
    patients = {i.patient_id for i in running}
    wrote = set(
        DiaryEntry.objects.filter(patient_id__in=patients, day=today).values_list(
            "patient_id", flat=True
        )
    )
    linked = set(
        DiaryLink.objects.usable()
        .filter(patient_id__in=patients)
        .values_list("patient_id", flat=True)
    )
    day_of = {i.pk: (today - i.period_start).days + 1 for i in running if i.period_start}
    nudged = set(
        Delivery.objects.filter(
            invitation_id__in=day_of, sequence__in=set(day_of.values())
        ).values_list("invitation_id", "sequence")
    )
    queued = 0
    for invitation in running:
        day = day_of.get(invitation.pk)
        if day is None or invitation.patient_id in wrote or invitation.patient_id not in linked:
            continue
        if (invitation.pk, day) in nudged:
            continue
        enqueue_send(invitation.pk, day)
        queued += 1
    return queued
