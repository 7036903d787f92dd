"""Writes for care-team alerts: raise them from a response or a diary entry, tell the
team by email after commit, and record who acknowledged them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.alerts.models import DIARY_URGENT_CODE, Alert, SourceKind, Urgency
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient

#: Who is emailed: the roles that can act on a safety signal. Intake coordinators
#: triage referrals and researchers see de-identified data, so neither is paged.
ALERT_ROLES = frozenset({Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})


def alert_recipients(*, clinic: Clinic) -> list[str]:
    """Email addresses of the clinic's active members with a role in ``ALERT_ROLES``."""
    emails = (
        Membership.objects.active()
        .filter(clinic=clinic, role__in=ALERT_ROLES)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(emails))


def _email_care_team(*, clinic: Clinic, patient: Patient, alerts: list[Alert]) -> None:
    """Queue one email to the care team for after the surrounding transaction commits.

    Email is not a safe channel for clinical detail: the message names only the
    record number and the inbox path, never the patient's name or what was answered.
    """
    if not alerts:
        return
    recipients = alert_recipients(clinic=clinic)
    if not recipients:
        return
    kind = "Urgent alert" if any(a.urgency == Urgency.URGENT for a in alerts) else "Alert"
    subject = f"{clinic.name}: {kind.lower()} for record {patient.mrn}"
    body = (
        f"{kind}: a patient of {clinic.name} (record {patient.mrn}) needs the care team's "
        "attention. Someone must acknowledge it.\n\n"
        f"Open the alert inbox: {reverse('alerts:inbox')}\n\n"
        "Details are only in Afterglow, not in this email.\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def alerts_for_response(*, response: Response) -> list[Alert]:
    """Raise one alert per item-alert code stored on ``response`` and email the team.

    Idempotent: a code already raised for this response is returned, not raised again.
    """
    definitions = {
        item.code: item for item in get_instrument(response.instrument).scoring.item_alerts
    }
    created: list[Alert] = []
    alerts: list[Alert] = []
    with transaction.atomic():
        for code in response.alerts:
            definition = definitions[code]
            alert, was_created = Alert.objects.get_or_create(
                response=response,
                code=code,
                defaults={
                    "clinic": response.clinic,
                    "patient": response.patient,
                    "label": definition.label,
                    "urgency": definition.urgency,
                    "source_kind": SourceKind.RESPONSE,
                    "message": definition.note,
                },
            )
            alerts.append(alert)
            if was_created:
                created.append(alert)
        _email_care_team(clinic=response.clinic, patient=response.patient, alerts=created)
    return alerts


def alert_for_diary_entry(*, entry: DiaryEntry) -> Alert | None:
    """Raise the urgent alert for a diary note the patient marked urgent and email the team.

    Returns None when the entry is not urgent. Idempotent: an entry raises one alert
    however often it is saved, even if the patient unticks and ticks "urgent" again.
    """
    if not entry.urgent:
        return None
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            diary_entry=entry,
            code=DIARY_URGENT_CODE,
            defaults={
                "clinic": entry.clinic,
                "patient": entry.patient,
                "label": f"Diary note marked urgent by the patient ({entry.day:%d %b %Y})",
                "urgency": Urgency.URGENT,
                "source_kind": SourceKind.DIARY,
            },
        )
        if created:
            _email_care_team(clinic=entry.clinic, patient=entry.patient, alerts=[alert])
    return alert


class AlreadyAcknowledged(Exception):
    """The alert was acknowledged before (by someone else, or a double submit)."""


def alert_acknowledge(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Record that ``by`` has seen the alert and taken it on, with an optional note.

    The row is locked so two staff acknowledging at once record one acknowledgement:
    the second gets :class:`AlreadyAcknowledged` and the first person's name stays.
    """
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise AlreadyAcknowledged(str(alert.pk))
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = by
        locked.ack_note = note.strip()
        locked.full_clean()
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "ack_note"])
    alert.acknowledged_at = locked.acknowledged_at
    alert.acknowledged_by = by
    alert.ack_note = locked.ack_note
    return alert
