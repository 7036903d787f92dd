"""Writes for a clinic's protocols: copies of the shipped presets, or its own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record, field_changes, snapshot, stored_values
from afterglow.treatment.models import Protocol
from afterglow.treatment.presets import ProtocolPreset, get_preset

#: Fields a clinic may set on its own protocol (``protocol_save``).
PROTOCOL_FIELDS = (
    "name",
    "route",
    "dose_mg_per_kg",
    "dose_mg_per_kg_min",
    "dose_mg_per_kg_max",
    "fixed_dose_mg",
    "fixed_dose_options_mg",
    "infusion_minutes",
    "sessions",
    "sessions_per_week",
    "observation_minutes",
    "post_dose_therapy",
    "description",
    "source",
    "is_active",
)


def _from_preset(preset: ProtocolPreset) -> dict[str, Any]:
    description = preset.description
    if preset.note:
        description = f"{description}\n\nNote: {preset.note}"
    return {
        "name": preset.name,
        "route": preset.route,
        "dose_mg_per_kg": preset.dose_mg_per_kg,
        "dose_mg_per_kg_min": preset.dose_mg_per_kg_min,
        "dose_mg_per_kg_max": preset.dose_mg_per_kg_max,
        "fixed_dose_mg": int(preset.fixed_dose_mg) if preset.fixed_dose_mg is not None else None,
        "fixed_dose_options_mg": [int(mg) for mg in preset.fixed_dose_options_mg],
        "infusion_minutes": preset.infusion_minutes,
        "sessions": preset.sessions,
        "sessions_per_week": preset.sessions_per_week,
        "observation_minutes": preset.observation_minutes,
        "post_dose_therapy": preset.post_dose_therapy.type if preset.post_dose_therapy else "",
        "description": description,
        "source": preset.source,
    }


def protocol_from_preset(*, clinic: Clinic, code: str) -> Protocol:
    """The clinic's copy of the shipped preset ``code``, created the first time.

    Idempotent through the (clinic, preset_code) constraint: adopting twice, or
    two admins clicking at once, gives one copy. An existing copy is returned as
    it is, with the clinic's edits. Raises ``presets.UnknownPreset`` for an
    unknown code.
    """
    preset = get_preset(code)
    existing = Protocol.objects.filter(clinic=clinic, preset_code=code).first()
    if existing is not None:
        return existing
    protocol = Protocol(clinic=clinic, preset_code=code, **_from_preset(preset))
    protocol.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            protocol.save()
    except IntegrityError:
        # Another request created the copy between our read and our insert.
        twin = Protocol.objects.filter(clinic=clinic, preset_code=code).first()
        if twin is None:
            raise
        return twin
    return protocol


def protocol_save(
    *, clinic: Clinic, data: dict[str, Any], protocol: Protocol | None = None
) -> Protocol:
    """Create the clinic's own protocol, or update ``protocol`` (one of the clinic's).

    Only :data:`PROTOCOL_FIELDS` are taken from ``data``. A copied preset keeps
    its ``preset_code`` when edited, so the page can say where it came from.
    Courses already on the protocol keep their planned dates; later doses use
    the new values.

    Dose ranges, as for the shipped presets: a weight-based protocol without a
    range gets ``min = max = dose`` (any other dose then needs a documented
    reason at the chair-side), and the dose must lie within its range; a fixed
    dose is one of its options (the dose alone when no options are given).
    """
    if protocol is None:
        protocol = Protocol(clinic=clinic)
    elif protocol.clinic_id != clinic.pk:
        raise ValueError("That protocol belongs to another clinic.")
    before = stored_values(protocol, PROTOCOL_FIELDS)
    for field in PROTOCOL_FIELDS:
        if field in data:
            setattr(protocol, field, data[field])
    _normalise_doses(protocol)
    protocol.full_clean()
    with transaction.atomic():
        created = protocol.pk is None
        protocol.save()
        audit_record(
            action=Action.CREATE if created else Action.SETTINGS,
            clinic=clinic,
            obj=protocol,
            changes=field_changes(before, snapshot(protocol, PROTOCOL_FIELDS)),
        )
    return protocol


def _normalise_doses(protocol: Protocol) -> None:
    dose = protocol.dose_mg_per_kg
    if dose is not None:
        protocol.dose_mg_per_kg_min = protocol.dose_mg_per_kg_min or dose
        protocol.dose_mg_per_kg_max = protocol.dose_mg_per_kg_max or dose
        if not protocol.dose_mg_per_kg_min <= dose <= protocol.dose_mg_per_kg_max:
            raise ValidationError(
                {"dose_mg_per_kg": "The dose must lie within its range (lowest to highest)."}
            )
    else:
        protocol.dose_mg_per_kg_min = protocol.dose_mg_per_kg_max = None
    if protocol.fixed_dose_mg is None:
        protocol.fixed_dose_options_mg = []
    else:
        options = list(protocol.fixed_dose_options_mg or [protocol.fixed_dose_mg])
        if protocol.fixed_dose_mg not in options:
            raise ValidationError(
                {"fixed_dose_options_mg": "The usual fixed dose must be one of the options."}
            )
        protocol.fixed_dose_options_mg = sorted(set(options))
