"""The upload page: a researcher measures a run for a patient named by record number;
only numbers are stored, the files are gone, and bad input keeps what was typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from afterglow.audit.models import AuditEvent
from afterglow.imaging.models import ImagingSession, Source
from afterglow.imaging.synthetic import synthetic_run, write_run
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def run_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    run = synthetic_run(seed=21, connectivity_r=0.35, reactivity_psc=0.6, task=True)
    return write_run(run, tmp_path_factory.mktemp("upload"))


def posted(files: dict[str, Path], **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "mrn": "AG-000007",
        "label": "pre",
        "scanned_on": "2026-03-01",
        "kind": "task",
        "task_name": "trauma cues",
        "tr": "2",
        "contrast": "trauma - neutral",
    }
    for name in ("bold", "amygdala", "hippocampus", "events"):
        path = files[name]
        data[name] = SimpleUploadedFile(path.name, path.read_bytes())
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_researcher_measures_a_run_and_only_the_numbers_are_stored(
    researcher, clinic, run_files, tmp_path, settings, monkeypatch
):
    import tempfile

    patient = PatientFactory(clinic=clinic, mrn="AG-000007")
    # Uploads over the memory limit and the measuring folder both go under tmp_path.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    response = researcher.client.post(reverse("imaging:upload"), posted(run_files))
    assert response.status_code == 200, response.context["form"].errors
    session = ImagingSession.objects.get(patient=patient)
    assert session.source == Source.UPLOAD and session.kind == "task"
    assert session.amygdala_reactivity == pytest.approx(0.6, abs=0.15)
    assert "Stored: session pre of AG-000007" in response.text
    assert session.provenance["inputs_sha256"]["bold"]
    assert list(tmp_path.iterdir()) == []  # neither the uploads nor the measuring folder
    assert AuditEvent.objects.filter(object_type="imaging.imagingsession").count() == 1


def test_an_unknown_record_number_is_refused_on_its_field_keeping_what_was_typed(
    researcher, clinic, run_files
):
    response = researcher.client.post(
        reverse("imaging:upload"), posted(run_files, mrn="AG-404", task_name="faces")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["mrn"] == ["No patient with this record number in your clinic."]
    assert 'value="faces"' in response.text and 'value="AG-404"' in response.text
    assert "choose the files again" in response.text
    assert ImagingSession.objects.count() == 0


def test_an_image_extract_refuses_is_reported_in_one_line(researcher, clinic, run_files):
    PatientFactory(clinic=clinic, mrn="AG-000007")
    response = researcher.client.post(reverse("imaging:upload"), posted(run_files, tr="3"))
    assert response.status_code == 400
    assert "does not match the TR" in " ".join(response.context["form"].non_field_errors())
    assert ImagingSession.objects.count() == 0


def test_a_patient_of_another_clinic_cannot_be_reached(outsider, clinic, run_files):
    PatientFactory(clinic=clinic, mrn="AG-000007")
    response = outsider.client.post(reverse("imaging:upload"), posted(run_files))
    assert response.status_code == 400
    assert ImagingSession.objects.count() == 0
