"""``afterglow fhir questionnaire`` and ``afterglow fhir export``: output, audit, bad input."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from afterglow.audit.models import AuditEvent
from afterglow.fhir.validation import validate
from afterglow.instruments.catalog import get_instrument
from tests.factories import ClinicFactory, PatientFactory


def run(*args: str) -> str:
    out = StringIO()
    call_command("fhir", *args, stdout=out)
    return out.getvalue()


def test_questionnaire_prints_the_catalog_definition_as_fhir() -> None:
    resource = json.loads(run("questionnaire", "pcl5"))
    validate(resource)
    assert len([i for i in resource["item"] if i["type"] == "choice"]) == len(
        get_instrument("pcl5").items
    )


def test_an_unknown_code_exits_2_with_one_line(afterglow_cli) -> None:
    done = afterglow_cli("fhir", "questionnaire", "gad7")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "gad7" in done.stderr


def test_export_patient_prints_a_collection_bundle_and_audits_it(chart) -> None:
    before = AuditEvent.objects.count()
    bundle = json.loads(run("export", "--patient", "AG-000042"))
    validate(bundle)
    assert bundle["type"] == "collection"
    types = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "QuestionnaireResponse", "Observation", "AdverseEvent"} <= types
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.patient_id) == ("export", chart.patient.pk)


def test_export_all_writes_one_ndjson_file_per_type(chart, tmp_path) -> None:
    printed = run("export", "--all", "--out", str(tmp_path), "--clinic", "home")
    files = {path.stem: path for path in tmp_path.glob("*.ndjson")}
    assert {"Patient", "Observation", "MedicationAdministration", "Questionnaire"} <= set(files)
    for resource_type, path in files.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        assert f"{len(lines)} {resource_type}" in printed
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == resource_type
            validate(resource)
    assert len(files["Patient"].read_text().splitlines()) == 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.clinic_id, event.patient_id) == (
        "export",
        chart.patient.clinic_id,
        None,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--patient", "AG-404"], "no patient"),
        (["export", "--patient", "AG-000042", "--clinic", "nope"], "no clinic"),
        (["export", "--all"], "--out"),
        (["export", "--patient", "AG-000042", "--out", "x"], "--out"),
    ],
)
def test_bad_export_input_is_a_usage_error(chart, args, message) -> None:
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert raised.value.returncode == 2
    assert message in str(raised.value)


def test_an_mrn_in_two_clinics_needs_the_clinic(chart) -> None:
    PatientFactory(clinic=ClinicFactory(slug="twin"), mrn="AG-000042")
    with pytest.raises(CommandError, match="several clinics"):
        run("export", "--patient", "AG-000042")
    bundle = json.loads(run("export", "--patient", "AG-000042", "--clinic", "twin"))
    assert len(bundle["entry"]) == 1


def test_export_all_needs_the_clinic_when_there_are_several(chart, tmp_path) -> None:
    ClinicFactory(slug="second")
    with pytest.raises(CommandError, match="--clinic"):
        run("export", "--all", "--out", str(tmp_path))
