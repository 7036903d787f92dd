"""Patient and Observation resources: demographics, scores and diary counts (Django-free).

Each score a stored response holds becomes one Observation: the total (LOINC when
verified, see ``codes``), each subscale (PCL-5 clusters B-E) and the severity band
(PHQ-9). A score that could not be computed (an incomplete response) has no
Observation: missing is never sent as zero. Each diary day gives its counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from afterglow.fhir.codes import (
    IDENTIFIER_TYPE,
    afterglow_coding,
    coding,
    mrn_system,
    score_quantity,
    survey_category,
    total_code,
)
from afterglow.instruments.catalog import Instrument

GENDER = {"female": "female", "male": "male", "intersex": "other", "undisclosed": "unknown"}


@dataclass(frozen=True)
class PatientRow:
    pk: int
    clinic_slug: str
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex: str
    email: str
    phone: str
    active: bool
    last_updated: dt.datetime
    preferred_channel: str = ""  # "email", "sms" or "" (not chosen)
    sms_opted_out: bool = False


def patient_resource(row: PatientRow) -> dict[str, Any]:
    names: list[dict[str, Any]] = [
        {"use": "official", "family": row.family_name, "given": [row.given_name]}
    ]
    if row.preferred_name:
        names.append({"use": "usual", "given": [row.preferred_name]})
    telecom: list[dict[str, Any]] = []
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
        if not row.sms_opted_out:
            # The number takes text messages (no STOP received): FHIR's "sms" system.
            telecom.append({"system": "sms", "value": row.phone})
    # The channel the patient chose for messages ranks first (ContactPoint.rank 1 = the
    # most preferred); none is ranked when they have not chosen, or chose texts and then
    # texted STOP (the sms contact point is then absent).
    preferred = {"email": "email", "sms": "sms"}.get(row.preferred_channel)
    for point in telecom:
        if point["system"] == preferred:
            point["rank"] = 1
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(row.pk),
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "identifier": [
            {
                "use": "official",
                "type": {"coding": [coding(IDENTIFIER_TYPE, "MR", "Medical record number")]},
                "system": mrn_system(row.clinic_slug),
                "value": row.mrn,
            }
        ],
        "active": row.active,
        "name": names,
        "gender": GENDER.get(row.sex, "unknown"),
        "birthDate": row.date_of_birth.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    return resource


@dataclass(frozen=True)
class ScoreRow:
    """The scores stored with one response."""

    response_pk: int
    patient_pk: int
    instrument: Instrument
    administered_at: dt.datetime
    total: int | None
    subscales: Mapping[str, int | None]
    severity: str
    voided: bool
    last_updated: dt.datetime


def _observation(
    *,
    oid: str,
    patient_pk: int,
    code: dict[str, Any],
    effective: str,
    last_updated: dt.datetime,
    voided: bool = False,
    derived_from: str = "",
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "meta": {"lastUpdated": last_updated.isoformat()},
        "status": "entered-in-error" if voided else "final",
        "category": survey_category(),
        "code": code,
        "subject": {"reference": f"Patient/{patient_pk}"},
        "effectiveDateTime": effective,
    }
    if derived_from:
        resource["derivedFrom"] = [{"reference": derived_from}]
    return resource


def score_observations(row: ScoreRow) -> list[dict[str, Any]]:
    """Total, subscales and severity of one response; only the scores that exist."""
    instrument = row.instrument
    common = {
        "patient_pk": row.patient_pk,
        "effective": row.administered_at.isoformat(),
        "last_updated": row.last_updated,
        "voided": row.voided,
        "derived_from": f"QuestionnaireResponse/{row.response_pk}",
    }
    found: list[dict[str, Any]] = []
    if row.total is not None:
        total = _observation(
            oid=f"r{row.response_pk}-total",
            code=total_code(instrument.code, instrument.short_name),
            **common,  # type: ignore[arg-type]
        )
        total["valueQuantity"] = score_quantity(row.total)
        found.append(total)
    for subscale in instrument.subscales:
        value = row.subscales.get(subscale.key)
        if value is None:
            continue
        label = f"{instrument.short_name} cluster {subscale.key} ({subscale.label}) score"
        code = f"{instrument.code}-cluster-{subscale.key.lower()}"
        observation = _observation(
            oid=f"r{row.response_pk}-cluster-{subscale.key.lower()}",
            code={"coding": [afterglow_coding(code, label)], "text": label},
            **common,  # type: ignore[arg-type]
        )
        observation["valueQuantity"] = score_quantity(value)
        found.append(observation)
    if row.severity:
        label = f"{instrument.short_name} severity"
        observation = _observation(
            oid=f"r{row.response_pk}-severity",
            code={
                "coding": [afterglow_coding(f"{instrument.code}-severity", label)],
                "text": label,
            },
            **common,  # type: ignore[arg-type]
        )
        observation["valueString"] = row.severity
        found.append(observation)
    return found


@dataclass(frozen=True)
class DiaryRow:
    pk: int
    patient_pk: int
    day: dt.date
    intrusive_memories: int | None
    flashbacks: int | None
    nightmares: bool
    peak_distress: int | None
    last_updated: dt.datetime


DIARY_CODES = {
    "intrusive-memories": "Intrusive memories today (count)",
    "flashbacks": "Flashbacks today (count)",
    "nightmares": "Nightmares (yes or no)",
    "peak-distress": "Peak distress today (0-10)",
}


def diary_observations(row: DiaryRow) -> list[dict[str, Any]]:
    """One Observation per answered diary question (a count not answered is left out)."""
    values: dict[str, tuple[str, Any]] = {"nightmares": ("valueBoolean", row.nightmares)}
    if row.intrusive_memories is not None:
        values["intrusive-memories"] = ("valueInteger", row.intrusive_memories)
    if row.flashbacks is not None:
        values["flashbacks"] = ("valueInteger", row.flashbacks)
    if row.peak_distress is not None:
        values["peak-distress"] = ("valueInteger", row.peak_distress)
    found = []
    for key, label in DIARY_CODES.items():
        if key not in values:
            continue
        field, value = values[key]
        observation = _observation(
            oid=f"d{row.pk}-{key}",
            patient_pk=row.patient_pk,
            code={"coding": [afterglow_coding(f"diary-{key}", label)], "text": label},
            effective=row.day.isoformat(),
            last_updated=row.last_updated,
        )
        observation[field] = value
        found.append(observation)
    return found
