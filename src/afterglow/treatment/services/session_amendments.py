"""Corrections to a signed dosing session: amendments with a reason, an author and a time.

A signed session is immutable (every other write refuses it); this is the one
way to correct it. The :class:`Amendment` row keeps the old and the new value
and is the audit trail; the new value is applied to the record. Exported from
:mod:`afterglow.treatment.services.sessions`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import CHANGED, audit_record
from afterglow.schedules.services import schedule_reanchor
from afterglow.treatment.models import Amendment, DosingSession, VitalsReading
from afterglow.treatment.services.session_dose import (
    cosigner_authenticate,
    cosigner_verify,
    dose_guardrails_exceeded,
)

#: Session fields a signed session's amendment may change (never status or signature).
AMENDABLE_FIELDS: dict[str, str] = {
    "weight_kg": "Weight (kg)",
    "actual_dose_mg": "Actual dose (mg)",
    "concentration_mg_per_ml": "Concentration (mg/mL)",
    "lot_number": "Lot number",
    "dose_deviation_reason": "Dose deviation reason",
    "started_at": "Dose started at",
    "stopped_at": "Dose stopped at",
    "discharged_at": "Discharged at",
    "predose_note": "Pre-dose note",
    "discharge_note": "Discharge note",
    "discharge_override_reason": "Reason for leaving before the observation time",
    "not_dosed_detail": "Why no dose was given (detail)",
}
#: Fields of one vitals row an amendment may change, addressed as ``vitals:<pk>:<field>``.
VITALS_AMENDABLE_FIELDS: dict[str, str] = {
    "systolic": "systolic",
    "diastolic": "diastolic",
    "heart_rate": "heart rate",
    "spo2": "SpO2",
    "respiratory_rate": "respiratory rate",
}
_VITALS = tuple(VITALS_AMENDABLE_FIELDS)
#: Reasons a signature rested on: corrected, never removed.
_NOT_EMPTIED = frozenset({"discharge_override_reason"})
#: Corrections that change the dose per kg: checked against the guardrails like a dose.
_DOSE_FIELDS = frozenset({"actual_dose_mg", "weight_kg"})


def session_amend(
    *,
    session: DosingSession,
    by: User,
    field: str,
    new_value: str,
    reason: str,
    cosigner_username: str = "",
    cosigner_password: str = "",
) -> Amendment:
    """Correct a signed session: one field, a reason, the author and the time.

    ``field`` is a name from :data:`AMENDABLE_FIELDS`, or
    ``vitals:<reading pk>:<field>`` for one value of a vitals row. ``new_value``
    is text as typed ("" empties a vitals value); a time without a zone is in
    the clinic's timezone. The :class:`Amendment` row keeps the old and new
    value and is the audit trail; the new value is applied to the record.

    A corrected dose or weight that puts the dose above a guardrail needs a second
    prescriber's co-signature, as when the dose is recorded
    (:func:`session_dose.cosigner_verify`; the amendment's reason is the written
    reason); above 2 mg/kg it is refused. So an amendment is no way around them.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the correction."})
    # Before the transaction, so a wrong password's lockout count survives the refusal.
    authenticated = cosigner_authenticate(
        recorder=by, username=cosigner_username, password=cosigner_password
    )
    with transaction.atomic():
        locked = (
            DosingSession.objects.select_for_update(of=("self",))
            .select_related("clinic")
            .get(pk=session.pk)
        )
        if not locked.is_signed:
            raise ValidationError("Only a signed session is amended; change it directly.")
        target: models.Model
        if field.startswith("vitals:"):
            target, name = _vitals_target(locked, field)
        elif field in AMENDABLE_FIELDS:
            target, name = locked, field
            if field in _NOT_EMPTIED and not new_value.strip():
                raise ValidationError({"new_value": "This reason cannot be emptied."})
        else:
            raise ValidationError({"field": f"{field!r} cannot be amended."})
        model_field = target._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        old = model_field.value_to_string(target)
        value = _parse(model_field, new_value, locked.clinic)
        setattr(target, name, value)
        if model_field.value_to_string(target) == old:
            raise ValidationError({"new_value": "That is the value already recorded."})
        target.full_clean()
        exceeded, cosigner = _guardrails(locked, by, name, cosigner_username, authenticated)
        target.save(update_fields=[name])
        amendment = Amendment(
            session=locked,
            field=field,
            old_value=old,
            new_value=model_field.value_to_string(target),
            reason=reason.strip(),
            author=by,
            guardrail_warnings=" ".join(exceeded),
            cosigned_by=cosigner,
        )
        amendment.full_clean()
        amendment.save()
        # Free text (notes, reasons) is recorded as changed, values of typed fields in full.
        free_text = isinstance(model_field, models.TextField)
        audit_record(
            action=Action.AMEND,
            actor=by,
            clinic=locked.clinic_id,
            patient=locked.patient_id,
            obj=locked,
            changes={
                field: CHANGED if free_text else {"old": old, "new": amendment.new_value},
                "reason": CHANGED,
            },
        )
        if name == "started_at" and target is locked:
            # Questionnaires anchored to this dose follow its corrected time (unsent only).
            schedule_reanchor(course=locked.course)
        return amendment


def _guardrails(
    session: DosingSession, by: User, name: str, username: str, authenticated: User | None
) -> tuple[list[str], User | None]:
    """What a corrected dose or weight exceeds, and its verified co-signer (else refused)."""
    if name not in _DOSE_FIELDS or session.actual_dose_mg is None:
        return [], None
    try:
        exceeded = dose_guardrails_exceeded(
            session, session.course.protocol, session.actual_dose_mg
        )
    except ValidationError as exc:
        raise ValidationError({"new_value": exc.messages}) from None
    if not exceeded:
        return [], None
    try:
        cosigner = cosigner_verify(
            session=session, recorder=by, username=username, authenticated=authenticated
        )
    except ValidationError as exc:
        raise ValidationError(
            {"new_value": exceeded, **{k: v for k, v in exc.message_dict.items()}}
        ) from None
    return exceeded, cosigner


def _vitals_target(session: DosingSession, field: str) -> tuple[VitalsReading, str]:
    parts = field.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in _VITALS:
        raise ValidationError({"field": f"{field!r} cannot be amended."})
    reading = session.vitals.filter(pk=int(parts[1])).first()
    if reading is None:
        raise ValidationError({"field": "No such vitals row in this session."})
    return reading, parts[2]


def _parse(model_field: Any, text: str, clinic: Clinic) -> Any:
    """Typed text -> the field's value; naive times are in the clinic's timezone."""
    text = text.strip()
    if text == "" and model_field.null:
        return None
    try:
        value = model_field.to_python(text)
    except ValidationError as exc:
        raise ValidationError({"new_value": exc.messages}) from None
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, clinic.tzinfo)
    return value
