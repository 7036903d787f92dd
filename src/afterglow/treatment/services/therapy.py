"""Writes for psychotherapy sessions."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.patients.models import Patient
from afterglow.treatment.models import TherapySession
from afterglow.treatment.selectors_therapy import therapists_for

#: A session is recorded once it has started; this much clock difference is tolerated.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def therapy_session_record(
    *,
    patient: Patient,
    by: User | None,
    therapist: User,
    modality: str,
    started_at: dt.datetime,
    duration_minutes: int,
    notes: str = "",
    now: dt.datetime | None = None,
) -> TherapySession:
    """Record a psychotherapy session held with ``patient``.

    ``therapist`` must be an active therapist or prescriber of the patient's clinic, and
    ``started_at`` an aware time not in the future (``now``, default the current time,
    lets the demo record a past timeline). ``by`` is who entered it; the model keeps the
    therapist, who is usually the same person. Raises ``ValidationError`` naming the field.
    """
    if timezone.is_naive(started_at):
        raise ValidationError({"started_at": "Give the time with its timezone."})
    if started_at > (now or timezone.now()) + FUTURE_TOLERANCE:
        raise ValidationError(
            {"started_at": "That time is in the future: record a session once it has started."}
        )
    if not therapists_for(clinic=patient.clinic).filter(pk=therapist.pk).exists():
        raise ValidationError(
            {"therapist": "Choose one of this clinic's therapists or prescribers."}
        )
    with transaction.atomic():
        session = TherapySession(
            clinic=patient.clinic,
            patient=patient,
            therapist=therapist,
            modality=modality,
            started_at=started_at,
            duration_minutes=duration_minutes,
            notes=notes.strip(),
            recorded_by=by,
        )
        session.full_clean()
        session.save()
        audit_record(
            action=Action.CREATE, actor=by, clinic=patient.clinic_id, patient=patient, obj=session
        )
    return session
