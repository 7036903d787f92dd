"""Writes of the research export: the de-identified tables, codebook and manifest in a folder
(``afterglow export research``) or a zip (the dashboard's download), audited.

The rules are Django-free (``deid``, ``tables``, ``codebook``, ``writers``); this module reads
the clinic through ``selectors``, checks the minimum N and records the export in the audit
log. Files are written outside any transaction; the audit event follows a successful write.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

import afterglow
from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.core.csvsafe import neutral_frame
from afterglow.instruments.catalog import all_instruments
from afterglow.research.codebook import codebook_frame, variables
from afterglow.research.selectors import research_source
from afterglow.research.tables import DeidParameters, research_tables
from afterglow.research.writers import FORMATS, write_manifest, write_tables

__all__ = [
    "DEFAULT_SHIFT_DAYS",
    "ExportRefused",
    "ResearchExport",
    "deid_parameters",
    "research_export_write",
    "research_export_zip",
]

#: Default bound of the per-patient date shift, in days either way. Afterglow default
#: (UNCONFIRMED: no source in evidence.md); half a year hides the calendar date while
#: keeping the season roughly. ``--shift-days`` changes it per export.
DEFAULT_SHIFT_DAYS = 180


class ExportRefused(Exception):
    """The export cannot be made (too few patients, no key); the message says why."""


@dataclass(frozen=True)
class ResearchExport:
    folder: Path
    files: list[Path]  # every file written, manifest last
    rows: dict[str, int]
    patients: int
    suppressed: int


def deid_parameters(*, clinic: Clinic, recipient: str, shift_days: int) -> DeidParameters:
    """The de-identification parameters, or ``ExportRefused`` naming what is missing."""
    key = settings.RESEARCH_PSEUDONYM_KEY
    if not key:
        raise ExportRefused("RESEARCH_PSEUDONYM_KEY is not set; see docs/research-exports.md")
    if not recipient.strip():
        raise ExportRefused("name the recipient (--recipient): pseudonyms are kept per recipient")
    if shift_days < 1:
        raise ExportRefused(f"the date shift must be at least 1 day, got {shift_days}")
    return DeidParameters(
        key=key,
        recipient=recipient.strip(),
        shift_days=shift_days,
        k=clinic.analytics_min_n,
        namespace=clinic.slug,
    )


def research_export_write(
    *,
    clinic: Clinic,
    out: Path,
    formats: Sequence[str] = FORMATS,
    recipient: str,
    shift_days: int = DEFAULT_SHIFT_DAYS,
    by: User | None = None,
) -> ResearchExport:
    """Write the research export of ``clinic`` into ``out`` (created if needed) and audit it.

    Raises ``ExportRefused`` when fewer research-consenting patients than the clinic's
    minimum N would be exported, or when the pseudonym key is missing.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ExportRefused(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    params = deid_parameters(clinic=clinic, recipient=recipient, shift_days=shift_days)
    instruments = all_instruments()
    built = research_tables(research_source(clinic=clinic), instruments=instruments, params=params)
    if built.patients < clinic.analytics_min_n:
        raise ExportRefused(
            f"only {built.patients} patients with research consent and a signed dose; the "
            f"clinic's minimum is {clinic.analytics_min_n} (row-level data of so few people "
            "could identify them)"
        )
    known = variables(instruments)
    tables = built.tables
    codebook = codebook_frame(tables, known)
    files = write_tables(out, tables, known, formats)
    codebook_path = out / "codebook.csv"
    neutral_frame(codebook).to_csv(codebook_path, index=False)
    files.append(codebook_path)
    rows = {name: len(frame) for name, frame in tables.items()} | {"codebook": len(codebook)}
    parameters = {
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "clinic": clinic.slug,
        "recipient": params.recipient,
        "formats": list(formats),
        "date_shift_days": f"±{params.shift_days}, one shift per patient, never 0",
        "minimum_n": params.k,
        "patients": built.patients,
        "patients_suppressed": built.suppressed,
        "consent": "research consent only (Patient.consent_research)",
        "age_top_code": 90,
        "software": f"afterglow {afterglow.__version__}",
        "instruments": {i.code: i.form_version or i.version_label for i in instruments},
    }
    files.append(write_manifest(out, files, rows, parameters))
    audit_record(
        action=Action.EXPORT,
        actor=by,
        clinic=clinic,
        object_type="research_export",
        note=(
            f"research export to {params.recipient!r}: {built.patients} patients, "
            f"formats {','.join(formats)}"
        )[:300],
    )
    return ResearchExport(
        folder=out, files=files, rows=rows, patients=built.patients, suppressed=built.suppressed
    )


def research_export_zip(
    *, clinic: Clinic, recipient: str, by: User | None, formats: Sequence[str] = FORMATS
) -> tuple[str, bytes]:
    """The research export as a zip (the dashboard's download): its file name and bytes."""
    stamp = timezone.localdate(timezone=clinic.tzinfo).isoformat()
    name = f"afterglow-research-{clinic.slug}-{stamp}"
    with tempfile.TemporaryDirectory() as tmp:
        export = research_export_write(
            clinic=clinic, out=Path(tmp) / name, formats=formats, recipient=recipient, by=by
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in export.files:
                archive.write(path, arcname=f"{name}/{path.name}")
    return f"{name}.zip", buffer.getvalue()
