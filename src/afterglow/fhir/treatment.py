"""Doses, adverse events and sessions: MedicationAdministration, AdverseEvent, Encounter
and Procedure (Django-free).

Only signed sessions leave Afterglow: a MedicationAdministration per signed dose, and
an Encounter plus a Procedure per signed dosing session (``not-done`` when it ended
without a dose) and per therapy session. Free-text notes are never exported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from afterglow.fhir.codes import ACT_CODE, UCUM, afterglow_coding, coding, drug_code

ROUTE_LABELS = {"iv": "Intravenous", "intranasal": "Intranasal", "im": "Intramuscular"}
#: Esketamine is the intranasal product; IV and IM doses are racemic ketamine.
ROUTE_DRUG = {"iv": "ketamine", "intranasal": "esketamine", "im": "ketamine"}


def _when(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _period(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, str]:
    period = {}
    if start is not None:
        period["start"] = start.isoformat()
    if end is not None:
        period["end"] = end.isoformat()
    return period


def _mg(value: Decimal | float) -> dict[str, Any]:
    return {"value": float(value), "unit": "mg", "system": UCUM, "code": "mg"}


@dataclass(frozen=True)
class DoseRow:
    """A signed dosing session (dosed or not)."""

    pk: int
    patient_pk: int
    number: int
    route: str
    dosed: bool
    dose_mg: Decimal | None
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    checked_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed_at: dt.datetime
    performer: str
    not_dosed_reason: str
    last_updated: dt.datetime


def medication_administration(row: DoseRow) -> dict[str, Any]:
    """The dose of one signed session: drug, dose, route, rate, period, performer."""
    dosage: dict[str, Any] = {
        "route": {
            "coding": [afterglow_coding(f"route-{row.route}", ROUTE_LABELS[row.route])],
            "text": ROUTE_LABELS[row.route],
        },
    }
    if row.dose_mg is not None:
        dosage["dose"] = _mg(row.dose_mg)
        if row.started_at and row.stopped_at and row.stopped_at > row.started_at:
            minutes = (row.stopped_at - row.started_at).total_seconds() / 60
            dosage["rateQuantity"] = {
                "value": round(float(row.dose_mg) / minutes, 4),
                "unit": "mg/min",
                "system": UCUM,
                "code": "mg/min",
            }
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": str(row.pk),
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "status": "completed",
        "medicationCodeableConcept": drug_code(ROUTE_DRUG[row.route]),
        "subject": {"reference": f"Patient/{row.patient_pk}"},
        "context": {"reference": f"Encounter/dosing-{row.pk}"},
        "dosage": dosage,
    }
    start = row.started_at or row.signed_at
    if row.stopped_at is not None and row.stopped_at >= start:
        resource["effectivePeriod"] = _period(start, row.stopped_at)
    else:
        resource["effectiveDateTime"] = start.isoformat()
    if row.performer:
        resource["performer"] = [{"actor": {"display": row.performer}}]
    return resource


def _session_code(key: str, label: str) -> dict[str, Any]:
    return {"coding": [afterglow_coding(key, label)], "text": label}


def dosing_encounter(row: DoseRow) -> dict[str, Any]:
    start = row.checked_at or row.started_at or row.signed_at
    end = row.discharged_at or row.signed_at
    return {
        "resourceType": "Encounter",
        "id": f"dosing-{row.pk}",
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "status": "finished",
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [_session_code("dosing-session", "Ketamine dosing session")],
        "subject": {"reference": f"Patient/{row.patient_pk}"},
        "period": _period(start, end if end >= start else None),
    }


def dosing_procedure(row: DoseRow) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": f"dosing-{row.pk}",
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "status": "completed" if row.dosed else "not-done",
        "code": _session_code(
            "dosing-session", f"Ketamine dosing session {row.number} ({ROUTE_LABELS[row.route]})"
        ),
        "subject": {"reference": f"Patient/{row.patient_pk}"},
        "encounter": {"reference": f"Encounter/dosing-{row.pk}"},
    }
    if row.dosed and row.started_at is not None:
        resource["performedPeriod"] = _period(row.started_at, row.stopped_at)
    if not row.dosed and row.not_dosed_reason:
        resource["statusReason"] = {"text": row.not_dosed_reason}
    if row.performer:
        resource["performer"] = [{"actor": {"display": row.performer}}]
    return resource


@dataclass(frozen=True)
class TherapyRow:
    pk: int
    patient_pk: int
    modality: str
    modality_label: str
    started_at: dt.datetime
    duration_minutes: int
    therapist: str
    last_updated: dt.datetime


def therapy_encounter(row: TherapyRow) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": f"therapy-{row.pk}",
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "status": "finished",
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [_session_code("therapy-session", "Psychotherapy session")],
        "subject": {"reference": f"Patient/{row.patient_pk}"},
        "period": _period(
            row.started_at, row.started_at + dt.timedelta(minutes=row.duration_minutes)
        ),
        "length": {
            "value": row.duration_minutes,
            "unit": "min",
            "system": UCUM,
            "code": "min",
        },
    }


def therapy_procedure(row: TherapyRow) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": f"therapy-{row.pk}",
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "status": "completed",
        "code": _session_code(f"therapy-{row.modality}", f"Psychotherapy: {row.modality_label}"),
        "subject": {"reference": f"Patient/{row.patient_pk}"},
        "encounter": {"reference": f"Encounter/therapy-{row.pk}"},
        "performedPeriod": _period(
            row.started_at, row.started_at + dt.timedelta(minutes=row.duration_minutes)
        ),
    }
    if row.therapist:
        resource["performer"] = [{"actor": {"display": row.therapist}}]
    return resource


@dataclass(frozen=True)
class AdverseEventRow:
    pk: int
    patient_pk: int
    session_pk: int
    session_dosed: bool  # a MedicationAdministration exists for the session
    description: str
    severity: str
    serious: bool
    action_label: str
    onset: dt.datetime | None
    recorded_at: dt.datetime


def adverse_event(row: AdverseEventRow) -> dict[str, Any]:
    seriousness = "serious" if row.serious else "non-serious"
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": str(row.pk),
        "meta": {"lastUpdated": row.recorded_at.isoformat()},
        "actuality": "actual",
        "event": {"text": row.description},
        "subject": {"reference": f"Patient/{row.patient_pk}"},
        "encounter": {"reference": f"Encounter/dosing-{row.session_pk}"},
        "date": (row.onset or row.recorded_at).isoformat(),
        "recordedDate": row.recorded_at.isoformat(),
        "seriousness": _session_code(f"adverse-{seriousness}", seriousness.capitalize()),
        "severity": _session_code(f"severity-{row.severity}", row.severity.capitalize()),
        "outcome": {"text": f"Action taken: {row.action_label}"},
    }
    if row.session_dosed:
        resource["suspectEntity"] = [
            {"instance": {"reference": f"MedicationAdministration/{row.session_pk}"}}
        ]
    return resource
