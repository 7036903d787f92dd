"""Measure an uploaded run and store only the derived measures (the upload page)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from afterglow.accounts.models import Clinic
from afterglow.imaging.extract import ExtractOptions, ImagingInputError, extract
from afterglow.imaging.models import ImagingSession, Source
from afterglow.imaging.services import imaging_session_record, measures_from_extract
from afterglow.patients.models import Patient


class UploadRefused(ValueError):
    """What to tell the person; ``field`` names the form field, or None for the form."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _save(upload: UploadedFile, folder: Path, name: str) -> Path:
    suffix = ".nii.gz" if (upload.name or "").endswith(".gz") else Path(upload.name or "").suffix
    path = folder / f"{name}{suffix}"
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def imaging_upload_measure(*, clinic: Clinic, by: Any, data: dict[str, Any]) -> ImagingSession:
    """Extract the measures from the uploaded files, store the session, delete the files.

    The files are written to a private temporary folder only for nibabel to read and are
    removed when this returns, whatever happens; nothing of the image is stored."""
    patient = Patient.objects.filter(clinic=clinic, mrn=data["mrn"].strip()).first()
    if patient is None:
        raise UploadRefused("No patient with this record number in your clinic.", "mrn")
    if ImagingSession.objects.filter(patient=patient, label=data["label"]).exists():
        raise UploadRefused("This patient already has a session with this label.", "label")
    with tempfile.TemporaryDirectory(prefix="afterglow-upload-") as folder:
        base = Path(folder)
        paths = {
            name: _save(data[name], base, name)
            for name in ("bold", "amygdala", "hippocampus", "events", "confounds")
            if data.get(name)
        }
        try:
            result = extract(
                bold=paths["bold"],
                amygdala=paths["amygdala"],
                hippocampus=paths["hippocampus"],
                events=paths.get("events"),
                confounds=paths.get("confounds"),
                options=ExtractOptions(tr=data["tr"], contrast=data.get("contrast") or None),
            )
        except ImagingInputError as error:
            # Messages name the temporary files ("bold.nii.gz"), never the uploaded names.
            raise UploadRefused(str(error)) from None
    measures, provenance = measures_from_extract(result)
    return imaging_session_record(
        patient=patient,
        by=by,
        label=data["label"],
        scanned_on=data["scanned_on"],
        kind=data["kind"],
        task_name=data.get("task_name") or "",
        site=data.get("site") or "",
        scanner=data.get("scanner") or "",
        measures=measures,
        provenance=provenance,
        source=Source.UPLOAD,
    )
