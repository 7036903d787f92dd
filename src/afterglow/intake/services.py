"""Writes for intake submissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import CHANGED, audit_record
from afterglow.core.ratelimit import rate_limit_lock
from afterglow.intake.models import IntakeSubmission, Status
from afterglow.patients.models import CareStatus, Patient
from afterglow.patients.services import patient_create

SUBMISSION_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "email",
    "phone",
    "preferred_channel",
    "reason",
    "symptoms",
    "treatments_tried",
    "treatments_other",
    "current_medications",
    "psychosis_or_mania",
    "high_blood_pressure",
    "heart_or_vascular",
    "pregnancy",
    "substance_use",
    "consent_contact",
)


class RateLimited(Exception):
    """Too many submissions from one address in the last hour."""


def client_hash(address: str) -> str:
    """Keyed hash of the client address: enough to rate-limit, useless to identify."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def intake_submit(
    *,
    clinic: Clinic,
    data: dict[str, Any],
    submission_key: uuid.UUID,
    client: str = "",
    is_bot: bool = False,
) -> tuple[IntakeSubmission, bool]:
    """Store a submission once; return it and whether it was created now.

    A second post with the same ``submission_key`` (a double click, a re-sent
    page, a retry after an error) returns the stored row instead of a copy.
    Honeypot hits are stored as spam, outside the queue, so the page never
    claims to have stored something it did not.
    """
    existing = IntakeSubmission.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return existing, False
    submission = IntakeSubmission(
        clinic=clinic,
        submission_key=submission_key,
        client_hash=client,
        status=Status.SPAM if is_bot else Status.NEW,
        **{field: data[field] for field in SUBMISSION_FIELDS if field in data},
    )
    submission.full_clean(exclude=["submission_key"])
    try:
        with transaction.atomic():
            if client:
                # Count and insert under this address's counter-row lock, in one
                # transaction: twenty simultaneous posts queue here one by one, so each
                # sees the ones before it and at most the limit are stored.
                rate_limit_lock(scope="intake", key_hash=client)
                since = timezone.now() - dt.timedelta(hours=1)
                recent = IntakeSubmission.objects.filter(
                    client_hash=client, created_at__gte=since
                ).count()
                if recent >= settings.AFTERGLOW_INTAKE_RATE_PER_HOUR:
                    raise RateLimited
            submission.save()
            # The public form has no signed-in actor; the event records the arrival.
            audit_record(
                action=Action.CREATE,
                clinic=submission.clinic_id,
                obj=submission,
                note="public form (held as spam)" if is_bot else "public form",
            )
    except IntegrityError:
        # The same key raced in from a second request between our check and insert.
        twin = IntakeSubmission.objects.filter(submission_key=submission_key).first()
        if twin is None:
            raise
        return twin, False
    return submission, True


def intake_set_status(
    *, submission: IntakeSubmission, status: str, by: User, note: str = ""
) -> IntakeSubmission:
    if submission.status == Status.ENROLLED:
        raise ValueError(
            "This person is already enrolled; change their status on the patient record."
        )
    if status in (Status.ENROLLED, Status.SPAM) or status not in Status.values:
        raise ValueError(f"Cannot set status to {status!r} here.")
    with transaction.atomic():
        changes: dict[str, object] = {"status": {"old": submission.status, "new": status}}
        if note:
            changes["staff_note"] = CHANGED
        submission.status = status
        submission.status_changed_at = timezone.now()
        submission.status_changed_by = by
        if note:
            stamp = timezone.localtime(timezone.now(), submission.clinic.tzinfo)
            submission.staff_note = (
                f"{submission.staff_note}\n[{stamp:%Y-%m-%d %H:%M}] {note}".strip()
            )
        submission.full_clean()
        submission.save()
        audit_record(
            action=Action.UPDATE,
            actor=by,
            clinic=submission.clinic_id,
            patient=submission.patient_id,
            obj=submission,
            changes=changes,
        )
    return submission


def intake_enrol(
    *,
    submission: IntakeSubmission,
    by: User,
    trauma_context: str = "unknown",
    veteran_status: str = "unknown",
    sex: str = "unknown",
) -> Patient:
    """Create the patient from a submission, once; enrolling again returns the same patient.

    The defaults mean "not recorded", never a guess: the intake form does not ask these,
    so only what the coordinator asked and recorded is stored (issue 14 §5).
    """
    with transaction.atomic():
        # Re-read under the write lock so two coordinators clicking at once make one patient.
        # No select_related("patient") here: PostgreSQL cannot lock the nullable
        # side of the outer join it would need.
        locked = IntakeSubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.patient_id is not None:
            return Patient.objects.get(pk=locked.patient_id)
        if locked.status == Status.SPAM:
            raise ValueError("A spam submission cannot be enrolled.")
        patient = patient_create(
            clinic=locked.clinic,
            by=by,
            given_name=locked.given_name,
            family_name=locked.family_name,
            date_of_birth=locked.date_of_birth,
            email=locked.email,
            phone=locked.phone,
            preferred_channel=locked.preferred_channel,
            consent_contact=locked.consent_contact,
            trauma_context=trauma_context,
            veteran_status=veteran_status,
            sex=sex,
            status=CareStatus.SCREENING,
        )
        locked.patient = patient
        locked.status = Status.ENROLLED
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
        locked.save(update_fields=["patient", "status", "status_changed_at", "status_changed_by"])
    submission.refresh_from_db()
    return patient
