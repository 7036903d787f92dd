"""Writes for care-team alerts: raise them from a response, a diary entry or a run of
missed diary days, tell the team by email after commit, and record who acknowledged them.

Email policy: only urgent alerts (safety signals: PHQ-9 item 9, a diary note marked
urgent) are emailed. Routine alerts (PCL-5 reliable deterioration, loss of response,
missed diary days; ``alerts.rules``) wait in the inbox and on the worklist, so the
care team is never paged out of hours for something that can wait for the working day.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.capabilities import Capability, roles_with
from afterglow.accounts.models import Clinic, Membership
from afterglow.alerts.models import (
    DIARY_GAP_CODE,
    DIARY_URGENT_CODE,
    Alert,
    SourceKind,
    Urgency,
)
from afterglow.alerts.rules import (
    LOSS_OF_RESPONSE_CODE,
    DiaryGap,
    diary_gap,
    diary_gap_wording,
    outcome_alerts,
)
from afterglow.audit.models import Action
from afterglow.audit.services import CHANGED, audit_record
from afterglow.core.acknowledge import acknowledge_locked
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response
from afterglow.outcomes.selectors import BASELINE_INSTRUMENT, pcl5_outcome
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession

#: Who is emailed: the roles that can act on a safety signal. Intake coordinators
#: triage referrals and researchers see de-identified data, so neither is paged.


def alert_recipients(*, clinic: Clinic) -> list[str]:
    """Email addresses of the clinic's active members with a role has ``Capability.ALERTS``."""
    emails = (
        Membership.objects.active()
        .filter(clinic=clinic, role__in=roles_with(Capability.ALERTS))
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(emails))


def _email_care_team(*, clinic: Clinic, patient: Patient, alerts: list[Alert]) -> None:
    """Queue one email to the care team for after the surrounding transaction commits.

    Email is not a safe channel for clinical detail: the message names only the
    record number and the inbox path, never the patient's name or what was answered.
    Only urgent alerts are emailed (module docstring).
    """
    alerts = [a for a in alerts if a.urgency == Urgency.URGENT]
    if not alerts:
        return
    recipients = alert_recipients(clinic=clinic)
    if not recipients:
        return
    kind = "Urgent alert"
    subject = f"{clinic.name}: {kind.lower()} for record {patient.mrn}"
    body = (
        f"{kind}: a patient of {clinic.name} (record {patient.mrn}) needs the care team's "
        "attention. Someone must acknowledge it.\n\n"
        # Absolute: a mail client has no site to resolve a bare path against.
        f"Open the alert inbox: {settings.AFTERGLOW_BASE_URL}{reverse('alerts:inbox')}\n\n"
        "Details are only in Afterglow, not in this email.\n"
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def alert_raise_for_response(*, response: Response) -> list[Alert]:
    """Raise the alerts a newly stored response calls for and email the team if urgent.

    - one alert per item-alert code stored on ``response`` (e.g. PHQ-9 item 9, urgent);
    - for a complete past-month PCL-5, the routine outcome alerts of the latest course
      (:func:`alert_raise_for_pcl5_outcome`).

    Idempotent: a code already raised for a response is returned, not raised again.
    """
    alerts = _item_alerts(response)
    alerts += alert_raise_for_pcl5_outcome(response=response)
    return alerts


def _item_alerts(response: Response) -> list[Alert]:
    if not response.alerts:
        return []
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


def alert_raise_for_pcl5_outcome(*, response: Response) -> list[Alert]:
    """Routine alerts from the latest course's PCL-5 outcome, after ``response`` is stored.

    Only a complete past-month PCL-5 can change the outcome (``outcomes.selectors``
    compares past-month forms only), so anything else returns ``[]`` at once, and an
    incomplete form never raises an outcome alert. Otherwise the outcome is evaluated
    with the clinic's rules (``outcomes.selectors.pcl5_outcome`` on two queries) and:

    - ``pcl5_reliable_deterioration`` is raised on the latest follow-up when it is a
      reliable deterioration from baseline (one per response: a later follow-up that
      is still worse raises its own);
    - ``pcl5_loss_of_response`` is raised on ``response`` when it is the follow-up that
      confirms a loss of response (the last of the clinic's ``loss_confirmations``
      consecutive failing follow-ups), and only if the course has none yet (a follow-up
      of the course is one after its first dose), so it is raised once per course. A
      possible loss (too few failing follow-ups yet) raises nothing.

    Routine: shown in the inbox, not emailed (module docstring).
    """
    if response.instrument != BASELINE_INSTRUMENT or not response.complete:
        return []
    responses = list(
        Response.objects.filter(patient_id=response.patient_id, instrument=BASELINE_INSTRUMENT)
        .only("pk", "instrument", "administered_at", "total", "complete")
        .order_by("administered_at", "pk")
    )
    sessions = list(
        DosingSession.objects.filter(patient_id=response.patient_id, started_at__isnull=False).only(
            "pk", "course_id", "started_at"
        )
    )
    outcome = pcl5_outcome(clinic=response.clinic, responses=responses, sessions=sessions)
    if outcome is None:
        return []
    response_at_day = {point.day: pk for pk, point in outcome.by_response.items()}
    alerts: list[Alert] = []
    with transaction.atomic():
        for found in outcome_alerts(outcome.trajectory, outcome.rules):
            source_pk = response_at_day[found.day]
            if found.code == LOSS_OF_RESPONSE_CODE and (
                source_pk != response.pk
                or Alert.objects.filter(
                    patient_id=response.patient_id,
                    code=LOSS_OF_RESPONSE_CODE,
                    response__administered_at__gt=outcome.first_dose_at,
                    # A loss raised from a voided response no longer counts.
                    response__voided_at__isnull=True,
                ).exists()
            ):
                continue
            alert, _created = Alert.objects.get_or_create(
                response_id=source_pk,
                code=found.code,
                defaults={
                    "clinic": response.clinic,
                    "patient_id": response.patient_id,
                    "label": found.label,
                    "urgency": Urgency.ROUTINE,
                    "source_kind": SourceKind.RESPONSE,
                    "message": found.message,
                },
            )
            alerts.append(alert)
    return alerts


def alert_raise_for_missed_diary(*, clinic: Clinic, today: dt.date) -> list[Alert]:
    """Raise one routine alert per open run of missed diary days; return the new ones.

    A patient counts when they hold a working diary link (not revoked, not expired)
    and ``alerts.rules.diary_gap`` finds ``clinic.diary_missed_days_alert`` whole days
    in a row without an entry before ``today`` (the clinic's local date), counted from
    the later of their last entry and the day their working link was created.

    Any entry is a written day, including an urgent note saved with its counts not
    answered: the patient reached out that day, so it ends a gap (its counts are
    still missing data in every mean, ``diary.rules``).

    Idempotent: an alert is keyed on (patient, code, first missed day), so a second
    sweep the same day or the next finds the gap already raised; an entry ends the gap
    and a later gap is a new alert. A constraint backs this up when two sweeps race.
    Four queries whatever the number of patients. Routine: not emailed.
    """
    missed_days = clinic.diary_missed_days_alert
    tz = clinic.tzinfo
    last_entry = (
        DiaryEntry.objects.filter(patient=OuterRef("pk"), day__lte=today)
        .order_by("-day")
        .values("day")[:1]
    )
    # filter() before annotate(): Min() sees only the working links.
    candidates = (
        Patient.objects.filter(
            clinic=clinic,
            diary_links__revoked_at__isnull=True,
            diary_links__expires_at__gt=timezone.now(),
        )
        .annotate(link_since=Min("diary_links__created_at"), last_entry=Subquery(last_entry))
        .values_list("pk", "link_since", "last_entry")
    )
    gaps: dict[int, DiaryGap] = {}
    for patient_id, link_since, last in candidates:
        gap = diary_gap(
            last_entry=last,
            link_since=timezone.localtime(link_since, tz).date(),
            today=today,
            missed_days=missed_days,
        )
        if gap is not None:
            gaps[patient_id] = gap
    if not gaps:
        return []
    earliest = min(gap.since for gap in gaps.values())
    with transaction.atomic():
        known = set(
            Alert.objects.filter(
                clinic=clinic, code=DIARY_GAP_CODE, gap_since__gte=earliest
            ).values_list("patient_id", "gap_since")
        )
        new = []
        for patient_id, gap in gaps.items():
            if (patient_id, gap.since) in known:
                continue
            label, message = diary_gap_wording(gap, missed_days)
            new.append(
                Alert(
                    clinic=clinic,
                    patient_id=patient_id,
                    code=DIARY_GAP_CODE,
                    label=label,
                    urgency=Urgency.ROUTINE,
                    source_kind=SourceKind.DIARY_GAP,
                    gap_since=gap.since,
                    message=message,
                )
            )
        if not new:
            return []
        # ignore_conflicts: a sweep running at the same moment may have raised some.
        Alert.objects.bulk_create(new, ignore_conflicts=True)
        wanted = {(a.patient_id, a.gap_since) for a in new}
        raised = Alert.objects.filter(
            clinic=clinic, code=DIARY_GAP_CODE, gap_since__gte=earliest
        ).select_related("patient")
        return [a for a in raised if (a.patient_id, a.gap_since) in wanted]


def alert_raise_for_diary_entry(*, entry: DiaryEntry) -> Alert | None:
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


def alert_acknowledge(*, alert: Alert, by: User, note: str = "") -> Alert:
    """Record that ``by`` has seen the alert and taken it on, with an optional note.

    The row is locked so two staff acknowledging at once record one acknowledgement:
    the second gets :class:`~afterglow.core.acknowledge.AlreadyAcknowledged` and the
    first person's name stays (``core.acknowledge``: the same behaviour as a dosing
    session's alerts).
    """
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        acknowledge_locked(locked, by=by, ack_note=note.strip())
        audit_record(
            action=Action.UPDATE,
            actor=by,
            clinic=locked.clinic_id,
            patient=locked.patient_id,
            obj=locked,
            changes={"acknowledged": {"old": False, "new": True}}
            | ({"ack_note": CHANGED} if locked.ack_note else {}),
        )
    alert.acknowledged_at = locked.acknowledged_at
    alert.acknowledged_by = by
    alert.ack_note = locked.ack_note
    return alert
