"""Writes for what is recorded during a dosing session: vitals, ratings, side effects,
adverse events and alert acknowledgements.

Each runs in one transaction through :func:`session_lock.open_session`, so a
signed session refuses them all (:class:`session_lock.SessionLocked`). Import
them from :mod:`afterglow.treatment.services.sessions`, which re-exports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterglow.core.acknowledge import acknowledge_locked, acknowledge_open_locked
from afterglow.treatment.models import (
    AdverseEvent,
    DissociationRating,
    DosingSession,
    Route,
    SedationRating,
    SessionAlert,
    SideEffect,
    VitalsReading,
)
from afterglow.treatment.models.sessions import AdverseAction, Phase, Severity
from afterglow.treatment.safety import (
    SIDE_EFFECT_LABELS,
    Thresholds,
    evaluate_reading,
    vitals_minute_problem,
)
from afterglow.treatment.selectors_sessions import stop_minute
from afterglow.treatment.services.session_lock import open_session, raise_alerts

#: Vitals minutes from the dose start: up to 4 h before and 24 h after.
MIN_MINUTE, MAX_MINUTE = -240, 24 * 60


def _phase_for(session: DosingSession, minute: int) -> str:
    """Before the dose start: pre; from it to the stop: during; after the stop: post."""
    if minute < 0:
        return Phase.PRE
    end = stop_minute(session)
    return Phase.POST if end is not None and minute > end else Phase.DURING


def vitals_record(
    *,
    session: DosingSession,
    by: User,
    minute: int,
    systolic: int | None = None,
    diastolic: int | None = None,
    heart_rate: int | None = None,
    spo2: int | None = None,
    respiratory_rate: int | None = None,
) -> tuple[VitalsReading, list[SessionAlert]]:
    """One row of the fast vitals entry, and an alert for every threshold it crosses.

    ``minute`` counts from the dose start (negative = before it); a minute later than
    the time elapsed since the dose started plus 5 minutes is refused
    (:func:`safety.vitals_minute_problem`). The alerts are
    created in the same transaction as the row: a reading is never stored
    without the alert it raised, and the page that shows the row shows the alert.
    """
    values = {
        "systolic": systolic,
        "diastolic": diastolic,
        "heart_rate": heart_rate,
        "spo2": spo2,
        "respiratory_rate": respiratory_rate,
    }
    if all(v is None for v in values.values()):
        raise ValidationError("Enter at least one value.")
    if not MIN_MINUTE <= minute <= MAX_MINUTE:
        raise ValidationError({"minute": f"Use a minute from {MIN_MINUTE} to {MAX_MINUTE}."})
    with transaction.atomic():
        session = open_session(session)
        if session.started_at is None:
            raise ValidationError(
                "Record the dose start first; the pre-dose reading goes with the pre-dose checks."
            )
        elapsed = (timezone.now() - session.started_at).total_seconds() / 60
        problem = vitals_minute_problem(minute=minute, elapsed_minutes=elapsed)
        if problem:
            raise ValidationError({"minute": problem})
        phase = _phase_for(session, minute)
        reading = VitalsReading(
            session=session,
            taken_at=session.started_at + dt.timedelta(minutes=minute),
            minute=minute,
            phase=phase,
            recorded_by=by,
            **values,
        )
        reading.full_clean()
        reading.save()
        specs = evaluate_reading(
            reading,
            phase=phase,  # type: ignore[arg-type]
            thresholds=Thresholds.from_clinic(session.clinic),
        )
        return reading, raise_alerts(session, reading, specs)


def dissociation_record(
    *, session: DosingSession, by: User, minute: int, cadss_total: int
) -> DissociationRating:
    """A CADSS total (23-item version, 0-92) at a set time (evidence.md section 3)."""
    with transaction.atomic():
        session = open_session(session)
        rating = DissociationRating(
            session=session, minute=minute, cadss_total=cadss_total, recorded_by=by
        )
        rating.full_clean()
        rating.save()
        return rating


def sedation_record(*, session: DosingSession, by: User, minute: int, moaas: int) -> SedationRating:
    """A MOAA/S rating (0-5); the esketamine label's sedation scale, so esketamine only."""
    with transaction.atomic():
        session = open_session(session)
        if session.route != Route.INTRANASAL:
            raise ValidationError(
                "MOAA/S sedation ratings are recorded for esketamine (intranasal) sessions only."
            )
        rating = SedationRating(session=session, minute=minute, moaas=moaas, recorded_by=by)
        rating.full_clean()
        rating.save()
        return rating


def side_effects_set(
    *,
    session: DosingSession,
    by: User,
    codes_with_severity: Mapping[str, str],
    other_note: str = "",
) -> list[SideEffect]:
    """Make the session's side effects exactly these ``{code: severity}`` (the checklist).

    ``other_note`` says what an "other" side effect was; it is required with "other"
    and kept on that row only."""
    unknown = sorted(set(codes_with_severity) - set(SIDE_EFFECT_LABELS))
    if unknown:
        raise ValidationError(f"Unknown side effect: {', '.join(unknown)}.")
    bad = sorted(c for c, s in codes_with_severity.items() if s not in Severity.values)
    if bad:
        raise ValidationError(f"Choose mild, moderate or severe for: {', '.join(bad)}.")
    other_note = other_note.strip()
    if "other" in codes_with_severity and not other_note:
        raise ValidationError({"other_note": 'Say what the "other" side effect was.'})
    with transaction.atomic():
        session = open_session(session)
        session.side_effects.exclude(code__in=list(codes_with_severity)).delete()
        for code, severity in codes_with_severity.items():
            note = other_note[:300] if code == "other" else ""
            SideEffect.objects.update_or_create(
                session=session, code=code, defaults={"severity": severity, "note": note}
            )
        return list(session.side_effects.all())


def adverse_event_record(
    *,
    session: DosingSession,
    by: User,
    description: str,
    severity: str,
    serious: bool,
    action: str,
    onset_minute: int | None = None,
    medication: str = "",
) -> AdverseEvent:
    """An adverse event with its severity, seriousness and the action taken."""
    if action == AdverseAction.MEDICATION and not medication.strip():
        raise ValidationError({"medication": "Name the medication given."})
    with transaction.atomic():
        session = open_session(session)
        event = AdverseEvent(
            session=session,
            description=description.strip(),
            severity=severity,
            serious=serious,
            action=action,
            onset_minute=onset_minute,
            medication=medication.strip(),
            recorded_by=by,
        )
        event.full_clean()
        event.save()
        return event


def session_alert_acknowledge(*, alert: SessionAlert, by: User) -> SessionAlert:
    """Record that ``by`` has seen one of a session's safety alerts (``core.acknowledge``).

    The same behaviour as the alert inbox's ``alerts.services.alert_acknowledge``: the
    row is locked, the first acknowledgement stays, and a second one raises
    ``AlreadyAcknowledged``; ``open_session`` writes the audit event (rolled back with
    a refused acknowledgement).
    """
    with transaction.atomic():
        open_session(alert.session)
        locked = SessionAlert.objects.select_for_update().get(pk=alert.pk)
        return acknowledge_locked(locked, by=by)


def session_alerts_acknowledge(
    *, session: DosingSession, alert_ids: Sequence[int], by: User, note: str = ""
) -> list[SessionAlert]:
    """Acknowledge the session's alerts ``alert_ids`` (the ones the nurse saw), each
    with the same ``note``; those already acknowledged keep their first acknowledgement.

    Only the alerts named are acknowledged, never "all open": an alert raised after the
    page was drawn has not been seen. One audit event (``open_session``); the note stays
    on the alert rows. Returns the alerts acknowledged now.
    """
    note = note.strip()
    if len(note) > 300:
        raise ValidationError({"note": "Keep the note under 300 characters."})
    if not alert_ids:
        raise ValidationError("No alert was chosen.")
    with transaction.atomic():
        locked = open_session(session)
        alerts = list(
            SessionAlert.objects.select_for_update()
            .filter(session=locked, pk__in=alert_ids, acknowledged_at__isnull=True)
            .order_by("pk")
        )
        return acknowledge_open_locked(alerts, by=by, acknowledged_note=note)
