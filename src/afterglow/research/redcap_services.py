"""REDCap export and import: the files of a longitudinal project, and answers coming back.

Formats are ``research.redcap`` (Django-free, from the catalog). Export:

- **pseudonymous** (default): patients with research consent; ``record_id`` is the keyed
  pseudonym for ``--recipient``, every date moved by the patient's shift, age top-coded,
  sex × age band × population suppressed in cells smaller than the clinic's minimum N,
  rare timepoint labels read ``other``; refused below the minimum N;
- **identified**: every patient with answers; ``record_id`` is the record number (MRN),
  ``mrn`` and ``date_of_birth`` filled, real dates. Only for a member whose role has
  ``Capability.IDENTIFIED_EXPORT`` (the clinic admin), named with ``--user``.

Import: matched by record number (``record_id`` or the ``mrn`` field, or a mapping file
``record_id,mrn``), each instrument on each row scored through the catalog by
``instruments.services.response_record`` (so alerts fire as for any answer), idempotent: an
answer already stored (same patient, instrument, day and answers) is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from afterglow.accounts.capabilities import Capability, user_has_capability
from afterglow.accounts.models import Clinic
from afterglow.analytics.engine import AGE_BANDS
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.core.csvsafe import csv_writer
from afterglow.diary.models import DiaryEntry
from afterglow.diary.services import DayNotEditable, diary_entry_import
from afterglow.instruments.catalog import Instrument, all_instruments, get_instrument
from afterglow.instruments.models import Response, Source
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from afterglow.research import redcap
from afterglow.research.deid import (
    date_shift_days,
    pseudonym,
    pseudonyms_unique,
    shift_date,
    suppress_small_cells,
    top_code_age,
)
from afterglow.research.redcap_parse import ParsedResponse, parse_records
from afterglow.research.selectors import redcap_source
from afterglow.research.services import DEFAULT_SHIFT_DAYS, ExportRefused, deid_parameters
from afterglow.research.tables import common_labels

__all__ = [
    "DIARY_CODE",
    "ImportLine",
    "RedcapExport",
    "redcap_export_write",
    "redcap_records_import",
    "redcap_selection",
]

#: The pseudo-instrument code of the daily diary in ``--instruments``.
DIARY_CODE = "diary"
#: Time of day given to an imported answer (REDCap's date fields carry no time), clinic time.
IMPORT_TIME = dt.time(12, 0)


def redcap_selection(codes: Sequence[str] | None) -> tuple[list[Instrument], bool]:
    """The chosen catalog instruments and whether the diary is included (all when ``None``).
    An unknown code raises ``UnknownInstrument`` naming the known ones."""
    if not codes:
        return all_instruments(), True
    chosen = [get_instrument(code) for code in codes if code != DIARY_CODE]
    return chosen, DIARY_CODE in codes


@dataclass(frozen=True)
class RedcapExport:
    files: list[Path]
    records: int  # patients
    rows: int  # record rows (patient × event, diary instances)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _band(age: float | None) -> str | None:
    if age is None:
        return None
    return next((label for label, low, high in AGE_BANDS if low <= age < high), None)


def redcap_export_write(
    *,
    clinic: Clinic,
    out: Path,
    codes: Sequence[str] | None = None,
    identified: bool = False,
    by: User | None = None,
    recipient: str = "",
    shift_days: int = DEFAULT_SHIFT_DAYS,
) -> RedcapExport:
    """Write ``dictionary.csv``, ``events.csv``, ``instrument_event_mapping.csv`` and
    ``records.csv`` into ``out`` and audit the export (module docstring).

    Raises ``PermissionDenied`` for an identified export without an admin ``by``, and
    ``ExportRefused`` (pseudonymous) below the minimum N or without the pseudonym key.
    """
    if identified and (
        by is None
        or not user_has_capability(
            user=by, clinic_id=clinic.pk, capability=Capability.IDENTIFIED_EXPORT
        )
    ):
        raise PermissionDenied(
            "an identified export needs --user naming an active admin of this clinic"
        )
    instruments, with_diary = redcap_selection(codes)
    source = redcap_source(
        clinic=clinic, consented_only=not identified, instruments=[i.code for i in instruments]
    )
    people = source.patients
    first_day = source.responses.groupby("patient_id")["date"].min().to_dict()
    for pid, day in source.diary.groupby("patient_id")["date"].min().items():
        first_day[pid] = min(first_day.get(pid, day), day)
    people = people.assign(
        age=[
            _age(born, first_day[pid])
            for pid, born in zip(people["patient_id"], people["date_of_birth"], strict=True)
        ]
    )
    responses = source.responses
    if identified:
        record = dict(zip(people["patient_id"], people["mrn"], strict=True))
        shift = dict.fromkeys(record, 0)
        participants = people.assign(record_id=people["patient_id"].map(record))
    else:
        params = deid_parameters(clinic=clinic, recipient=recipient, shift_days=shift_days)
        if len(people) < params.k:
            raise ExportRefused(
                f"only {len(people)} patients with research consent and answers; the clinic's "
                f"minimum is {params.k}"
            )
        subject = {pid: f"{clinic.slug}:{int(pid)}" for pid in people["patient_id"]}
        record = {
            pid: pseudonym(key=params.key, recipient=params.recipient, subject=s)
            for pid, s in subject.items()
        }
        pseudonyms_unique(record)
        shift = {
            pid: date_shift_days(
                key=params.key, recipient=params.recipient, subject=s, shift_days=params.shift_days
            )
            for pid, s in subject.items()
        }
        aged = people.assign(age=people["age"].map(top_code_age), age_band=people["age"].map(_band))
        participants, _ = suppress_small_cells(aged, k=params.k)
        participants = participants.assign(record_id=participants["patient_id"].map(record))
        participants = participants.drop(columns=["mrn", "date_of_birth"])
        responses = responses.assign(timepoint=common_labels(responses, params.k))

    people_rows = [
        {
            key: value
            for key, value in row.items()
            if key in {"record_id", "mrn", "date_of_birth", "sex", "population", "age"}
            and value is not None
            and value == value  # NaN after suppression
        }
        for row in participants.to_dict("records")
    ]
    for row in people_rows:
        if "age" in row:
            row["age"] = int(row["age"])
    items = [
        redcap.RedcapResponse(
            record_id=record[pid],
            code=code,
            day=shift_date(day, shift[pid]),  # type: ignore[arg-type]
            timepoint=timepoint,
            answers=answers,
            source=source_kind,
            order=(day - first_day[pid]).days,
        )
        for pid, code, day, timepoint, source_kind, answers in source.responses.assign(
            timepoint=responses["timepoint"]
        ).itertuples(index=False)
    ]
    diary = None
    if with_diary:
        diary = [
            {
                "record_id": record[pid],
                "day": shift_date(day, shift[pid]),
                "intrusive_memories": memories,
                "flashbacks": flashbacks,
                "nightmares": nightmares,
                "peak_distress": distress,
            }
            for pid, day, memories, flashbacks, nightmares, distress in source.diary.itertuples(
                index=False
            )
        ]
    events, mapping, columns, rows = redcap.records(
        instruments={i.code: i for i in instruments},
        participants=people_rows,
        responses=items,
        diary=diary,
    )
    out.mkdir(parents=True, exist_ok=True)
    files = [
        _write(
            out / "dictionary.csv",
            redcap.HEADERS,
            [f.row() for f in redcap.dictionary_fields(instruments, diary=with_diary)],
        ),
        _write(out / "events.csv", redcap.EVENT_COLUMNS, events),
        _write(out / "instrument_event_mapping.csv", redcap.MAPPING_COLUMNS, mapping),
        _write(out / "records.csv", columns, [[row.get(c, "") for c in columns] for row in rows]),
    ]
    audit_record(
        action=Action.EXPORT,
        actor=by,
        clinic=clinic,
        object_type="redcap_export",
        note=(
            f"REDCap {'identified' if identified else 'pseudonymous'} export"
            + ("" if identified else f" to {recipient.strip()!r}")
            + f": {len(people_rows)} records"
        )[:300],
    )
    return RedcapExport(files=files, records=len(people_rows), rows=len(rows))


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv_writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- import -------------------------------------------------------------------------------------


def _diary_count(row: Mapping[str, str], name: str, maximum: int) -> int | None:
    text = (row.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > maximum:
        raise ValueError(f"{name} {text!r} is not a whole number from 0 to {maximum}")
    return int(text)


def _diary_row(
    row: Mapping[str, str], patient: Patient | None, *, by: User | None, dry_run: bool
) -> tuple[str, str]:
    """(status, reason) for one diary instance; stores it unless ``dry_run``."""
    if patient is None:
        return "refused", "unknown record: no patient of this clinic has that record number"
    try:
        day = dt.date.fromisoformat((row.get(redcap.date_field(redcap.DIARY_FORM)) or "").strip())
        memories = _diary_count(row, "diary_intrusive_memories", redcap.DIARY_MAX_COUNT)
        flashbacks = _diary_count(row, "diary_flashbacks", redcap.DIARY_MAX_COUNT)
        distress = _diary_count(row, "diary_peak_distress", 10)
    except ValueError as error:
        return "refused", str(error) if "whole number" in str(error) else "no valid day"
    if memories is None or flashbacks is None:
        return "refused", "both counts are needed (a blank count is never read as 0)"
    nightmares = (row.get("diary_nightmares") or "").strip() == "1"
    stored = DiaryEntry.objects.filter(patient=patient, day=day).first()
    if stored is not None:
        same = (stored.intrusive_memories, stored.flashbacks, stored.nightmares) == (
            memories,
            flashbacks,
            nightmares,
        ) and stored.peak_distress == distress
        if same:
            return "skipped", "already in Afterglow (same patient, day and values)"
        return "refused", "Afterglow has a different entry for that day; not overwritten"
    if dry_run:
        return "would create", ""
    try:
        diary_entry_import(
            patient=patient,
            day=day,
            by=by,
            intrusive_memories=memories,
            flashbacks=flashbacks,
            nightmares=nightmares,
            peak_distress=distress,
        )
    except (DayNotEditable, ValidationError) as error:
        return "refused", " ".join(str(error).split())
    return "created", ""


@dataclass(frozen=True)
class ImportLine:
    """What happened to one instrument on one line: created, skipped or refused, and why."""

    line: int
    record_id: str
    instrument: str
    status: str  # "created", "would create" (dry run), "skipped", "refused"
    reason: str = ""


def redcap_records_import(
    *,
    clinic: Clinic,
    rows: Sequence[Mapping[str, str]],
    mapping: Mapping[str, str] | None = None,
    events: Mapping[str, str] | None = None,
    codes: Sequence[str] | None = None,
    dry_run: bool = False,
    by: User | None = None,
) -> list[ImportLine]:
    """Store the answers in ``rows`` (a REDCap flat export) for ``clinic`` (module doc).

    ``mapping``: record_id → MRN; without it the record's ``mrn`` field, else the record_id
    itself, is the MRN. ``events``: unique event name → label, for the timepoint (else the
    unique name without ``_arm_N``). A dry run stores nothing and reports ``would create``.
    All created responses are stored in one transaction.
    """
    instruments, _ = redcap_selection(codes)
    mrn_of: dict[str, str] = {}
    for row in rows:
        record, mrn = (row.get("record_id") or "").strip(), (row.get("mrn") or "").strip()
        if record and mrn:
            mrn_of[record] = mrn
    if mapping:
        mrn_of.update(mapping)
    parsed = parse_records(rows, instruments)
    wanted = {mrn_of.get(p.record_id, p.record_id) for p in parsed} | {
        mrn_of.get(record, record)
        for record in (
            (row.get("record_id") or "").strip()
            for row in rows
            if (row.get("redcap_repeat_instrument") or "").strip() == redcap.DIARY_FORM
        )
    }
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic, mrn__in=wanted)}
    existing = {
        (pid, code, at.astimezone(clinic.tzinfo).date(), tuple(answers))
        for pid, code, at, answers in Response.objects.filter(
            clinic=clinic, patient__in=patients.values()
        ).values_list("patient_id", "instrument", "administered_at", "answers")
    }
    report: list[ImportLine] = []
    with transaction.atomic():
        for found in parsed:

            def line(status: str, reason: str = "", found: ParsedResponse = found) -> None:
                report.append(ImportLine(found.line, found.record_id, found.code, status, reason))

            if found.problems or found.day is None:
                line("refused", "; ".join(found.problems))
                continue
            patient = patients.get(mrn_of.get(found.record_id, found.record_id))
            if patient is None:
                line("refused", "unknown record: no patient of this clinic has that record number")
                continue
            key = (patient.pk, found.code, found.day, found.answers)
            if key in existing:
                line("skipped", "already in Afterglow (same patient, instrument, day and answers)")
                continue
            existing.add(key)
            missing = [n for n, value in enumerate(found.answers, start=1) if value is None]
            note = (
                f"incomplete: items {', '.join(map(str, missing))} blank, no total"
                if missing
                else ""
            )
            if dry_run:
                line("would create", note)
                continue
            label = (events or {}).get(found.event, "")
            label = label.split(" #")[0] if label else found.event.rsplit("_arm_", 1)[0]
            source_kind = (rows[found.line - 2].get(f"{found.code}_source") or "").strip()
            response_record(
                patient=patient,
                instrument_code=found.code,
                answers=list(found.answers),
                source=source_kind if source_kind in Source.values else Source.STAFF,
                by=by,
                administered_at=dt.datetime.combine(
                    found.day,
                    IMPORT_TIME,
                    tzinfo=clinic.tzinfo,  # type: ignore[arg-type]
                ),
                timepoint="" if label in {"unscheduled", redcap.ENROLMENT_EVENT} else label[:40],
            )
            line("created", note)
        for number, row in enumerate(rows, start=2):
            if (row.get("redcap_repeat_instrument") or "").strip() == redcap.DIARY_FORM:
                record = (row.get("record_id") or "").strip()
                status, reason = _diary_row(
                    row, patients.get(mrn_of.get(record, record)), by=by, dry_run=dry_run
                )
                report.append(ImportLine(number, record, redcap.DIARY_FORM, status, reason))
        if not dry_run:
            created = sum(1 for r in report if r.status == "created")
            audit_record(
                action=Action.CREATE,
                actor=by,
                clinic=clinic,
                object_type="redcap_import",
                note=f"REDCap import: {created} created, {len(report) - created} not",
            )
    return report
