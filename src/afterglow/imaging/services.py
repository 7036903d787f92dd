"""Writes of imaging sessions: from ``extract`` output, an upload, or a BIDS TSV import."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.imaging.models import ImagingSession, ScanKind, Source, Timing
from afterglow.imaging.selectors import MEASURES, first_dose_day
from afterglow.patients.models import Patient

#: The keys of ``extract``'s output that are measures; everything else is provenance.
_EXTRACT_MEASURES = ("amygdala_hippocampus_r", "amygdala_hippocampus_z")


def measures_from_extract(result: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``afterglow imaging extract``'s JSON into (measures, provenance)."""
    measures: dict[str, Any] = {key: result.get(key) for key in _EXTRACT_MEASURES}
    reactivity = result.get("amygdala_reactivity")
    if reactivity:
        measures["amygdala_reactivity"] = reactivity["effect"]
        measures["amygdala_reactivity_stat"] = reactivity["stat"]
        measures["contrast"] = reactivity["contrast"]
    provenance = {
        key: value
        for key, value in result.items()
        if key not in _EXTRACT_MEASURES and key != "amygdala_reactivity"
    }
    if reactivity:
        provenance["reactivity_model"] = {
            key: value
            for key, value in reactivity.items()
            if key not in ("effect", "stat", "contrast")
        }
    return measures, provenance


def _timing(patient: Patient, scanned_on: dt.date) -> tuple[int | None, str]:
    day0 = first_dose_day(patient=patient)
    if day0 is None:
        return None, Timing.UNKNOWN
    days = (scanned_on - day0).days
    return days, (Timing.BEFORE if days <= 0 else Timing.AFTER)


def imaging_session_record(
    *,
    patient: Patient,
    by: Any,
    label: str,
    scanned_on: dt.date,
    kind: str,
    measures: Mapping[str, Any],
    provenance: Mapping[str, Any],
    source: str,
    task_name: str = "",
    site: str = "",
    scanner: str = "",
) -> ImagingSession:
    """Store one session's derived measures; raises ValidationError on bad values."""
    days, timing = _timing(patient, scanned_on)
    values = {name: measures.get(name) for name in MEASURES}
    for name, value in values.items():
        if value is not None and not math.isfinite(float(value)):
            raise ValidationError({name: "must be a finite number"})
    r = values["amygdala_hippocampus_r"]
    if r is not None and not -1 < float(r) < 1:
        raise ValidationError({"amygdala_hippocampus_r": "a correlation is between -1 and 1"})
    session = ImagingSession(
        clinic=patient.clinic,
        patient=patient,
        label=label,
        scanned_on=scanned_on,
        kind=kind,
        task_name=task_name,
        site=site,
        scanner=scanner,
        days_from_first_dose=days,
        timing=timing,
        contrast=str(measures.get("contrast") or ""),
        provenance=dict(provenance),
        source=source,
        recorded_by=by if getattr(by, "pk", None) else None,
        **values,
    )
    session.full_clean()
    with transaction.atomic():
        session.save()
        audit_record(
            action=Action.CREATE,
            actor=by,
            clinic=patient.clinic,
            patient=patient,
            obj=session,
            changes={"label": label, "source": source},
        )
    return session


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "skipped": self.skipped, "refused": self.refused}


def _bids_label(text: str, prefix: str) -> str:
    text = text.strip()
    return text[len(prefix) :] if text.startswith(prefix) else text


def _number(name: str, text: Any) -> float | None:
    """A measure cell: blank or BIDS's ``n/a`` is no value; anything else must be a number."""
    if text is None or str(text).strip() in ("", "n/a"):
        return None
    try:
        value = float(str(text))
    except ValueError:
        raise ValueError(f"{name} {str(text)!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} {str(text)!r} is not a finite number")
    return value


def imaging_import(
    *,
    clinic: Clinic,
    by: Any,
    rows: Iterable[Mapping[str, str]],
    mapping: Mapping[str, str] | None,
    dry_run: bool,
) -> ImportReport:
    """Import a BIDS-derivatives style table: ``participant_id`` (``sub-X``), ``session``
    (``ses-Y``), ``scanned_on`` (YYYY-MM-DD; ``acq_time`` also read), optional ``kind``
    (rest|task), ``task``, ``site``, ``scanner``, ``contrast`` and the measure columns.

    A participant is matched through ``mapping`` (participant label → record number), or
    else by record number with its punctuation removed (BIDS labels are alphanumeric).
    Idempotent: a patient's session label already stored is skipped. Nothing is written
    on a dry run; the report says what would happen, row by row ("line N")."""
    report = ImportReport()
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic)}
    by_bids = {"".join(ch for ch in mrn if ch.isalnum()): p for mrn, p in patients.items()}
    stored = set(ImagingSession.objects.for_clinic(clinic).values_list("patient_id", "label"))
    for number, row in enumerate(rows, start=2):
        where = f"line {number}"
        participant = _bids_label(row.get("participant_id") or "", "sub-")
        label = _bids_label(row.get("session") or "", "ses-")
        if not participant or not label:
            report.refused.append(f"{where}: participant_id and session are required")
            continue
        if mapping is not None:
            mrn = mapping.get(participant)
            patient = patients.get(mrn) if mrn else None
        else:
            patient = by_bids.get(participant)
        if patient is None:
            report.refused.append(f"{where}: sub-{participant} matches no patient of the clinic")
            continue
        if (patient.pk, label) in stored:
            report.skipped.append(f"{where}: sub-{participant} ses-{label} already stored")
            continue
        try:
            day_text = (row.get("scanned_on") or row.get("acq_time") or "").strip()[:10]
            scanned_on = dt.date.fromisoformat(day_text)
            measures: dict[str, Any] = {name: _number(name, row.get(name)) for name in MEASURES}
        except ValueError as error:
            report.refused.append(f"{where}: {error}")
            continue
        if (
            measures["amygdala_hippocampus_r"] is not None
            and measures["amygdala_hippocampus_z"] is None
        ):
            r = measures["amygdala_hippocampus_r"]
            if abs(r) < 1:
                measures["amygdala_hippocampus_z"] = math.atanh(r)
        if all(value is None for value in measures.values()):
            report.refused.append(f"{where}: no measure columns with a value")
            continue
        kind = (row.get("kind") or "").strip() or (
            ScanKind.TASK if measures["amygdala_reactivity"] is not None else ScanKind.REST
        )
        if kind not in ScanKind.values:
            report.refused.append(f"{where}: kind {kind!r} is not rest or task")
            continue
        measures["contrast"] = (row.get("contrast") or "").strip()
        if not dry_run:
            try:
                imaging_session_record(
                    patient=patient,
                    by=by,
                    label=label,
                    scanned_on=scanned_on,
                    kind=kind,
                    task_name=(row.get("task") or "").strip(),
                    site=(row.get("site") or "").strip(),
                    scanner=(row.get("scanner") or "").strip(),
                    measures=measures,
                    provenance={"imported_from": "bids-derivatives tsv", "row": number},
                    source=Source.IMPORT,
                )
            except ValidationError as error:
                report.refused.append(f"{where}: {'; '.join(error.messages)}")
                continue
        stored.add((patient.pk, label))
        report.created.append(f"{where}: sub-{participant} ses-{label}")
    return report
