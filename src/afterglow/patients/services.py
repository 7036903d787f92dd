"""Writes for patients."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record, field_changes, snapshot, stored_values
from afterglow.patients.models import Patient
from afterglow.patients.phones import phone_matches

_MRN_RE = re.compile(r"^AG-(\d+)$")


def _next_mrn(clinic: Clinic) -> str:
    latest = (
        Patient.objects.filter(clinic=clinic, mrn__startswith="AG-")
        .order_by("-mrn")
        .values_list("mrn", flat=True)
        .first()
    )
    match = _MRN_RE.match(latest or "")
    number = int(match.group(1)) + 1 if match else 1
    return f"AG-{number:06d}"


def patient_create(*, clinic: Clinic, by: User | None, **fields: Any) -> Patient:
    """Create a patient with the next clinic-scoped record number.

    Two coordinators enrolling at the same moment could compute the same MRN;
    the unique constraint catches it and we retry with the next number.
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                patient = Patient(clinic=clinic, created_by=by, mrn=_next_mrn(clinic), **fields)
                patient.full_clean()
                patient.save()
                audit_record(
                    action=Action.CREATE, actor=by, clinic=clinic, patient=patient, obj=patient
                )
                return patient
        except IntegrityError:
            continue
    raise IntegrityError("Could not allocate a record number; please try again.")


PATIENT_EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "preferred_channel",
    "trauma_context",
    "veteran_status",
    "status",
    "consent_contact",
    "consent_research",
    "notes",
)


# Free-text clinical notes: the audit log records that they changed, never the text.
PATIENT_REDACTED_FIELDS = ("notes",)


def patient_update(*, patient: Patient, data: dict[str, Any]) -> Patient:
    with transaction.atomic():
        before = stored_values(patient, PATIENT_EDITABLE_FIELDS)
        for field in PATIENT_EDITABLE_FIELDS:
            if field in data:
                setattr(patient, field, data[field])
        patient.full_clean()
        patient.save()
        changes = field_changes(
            before, snapshot(patient, PATIENT_EDITABLE_FIELDS), redact=PATIENT_REDACTED_FIELDS
        )
        if changes:
            audit_record(
                action=Action.UPDATE,
                clinic=patient.clinic_id,
                patient=patient,
                obj=patient,
                changes=changes,
            )
    return patient


def patient_sms_opt_change(
    *, sender: str, opted_out: bool, now: dt.datetime | None = None
) -> list[Patient]:
    """Record that the phone ``sender`` texted STOP (``opted_out``) or START; the patients
    changed.

    Matched by number (``patients.phones.phone_matches``) across the clinics this
    installation serves, since the SMS account is the installation's. Each change is
    audited with a note and no number. A patient already in that state is left alone.
    """
    now = now or timezone.now()
    changed: list[Patient] = []
    candidates = Patient.objects.exclude(phone="").only("pk", "phone")
    matched = [p.pk for p in candidates.iterator() if phone_matches(p.phone, sender)]
    if not matched:
        return changed
    with transaction.atomic():
        rows = Patient.objects.select_for_update().filter(
            pk__in=matched, sms_opted_out_at__isnull=opted_out
        )
        for patient in rows:
            before = patient.sms_opted_out_at is not None
            patient.sms_opted_out_at = now if opted_out else None
            patient.save(update_fields=["sms_opted_out_at", "updated_at"])
            audit_record(
                action=Action.UPDATE,
                actor=None,
                clinic=patient.clinic_id,
                patient=patient,
                obj=patient,
                changes={"sms_opted_out": {"old": before, "new": opted_out}},
                note=(
                    "The patient opted out of text messages (replied STOP)"
                    if opted_out
                    else "The patient opted back in to text messages (replied START)"
                ),
            )
            changed.append(patient)
    return changed
