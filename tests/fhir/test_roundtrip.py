"""A patient's bundle round-trips: export from the demo clinic, POST its
QuestionnaireResponses to a fresh clinic, and every score comes out the same."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from afterglow.accounts.models import Role
from afterglow.demo.seed import seed_demo_clinic
from afterglow.demo.synthetic import generate_clinic
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from tests.conftest import _persona
from tests.factories import ClinicFactory, PatientFactory


def scores(patient: Patient) -> list[tuple]:
    return sorted(
        (r.instrument, r.administered_at, r.total, r.subscales, r.severity, r.complete, r.alerts)
        for r in Response.objects.filter(patient=patient)
    )


@pytest.mark.django_db
def test_exported_responses_posted_to_a_fresh_clinic_give_identical_totals() -> None:
    demo = seed_demo_clinic(synthetic=generate_clinic(n_patients=4, n_new_intake=0), slug="demo")
    fresh = _persona(ClinicFactory(slug="fresh"), Role.PRESCRIBER, "fresh-prescriber")
    compared = 0
    for patient in Patient.objects.filter(clinic=demo.clinic).order_by("pk"):
        out = StringIO()
        call_command("fhir", "export", "--patient", patient.mrn, "--clinic", "demo", stdout=out)
        bundle = json.loads(out.getvalue())
        copy = PatientFactory(clinic=fresh.clinic, mrn=patient.mrn)
        answers = [
            entry["resource"]
            for entry in bundle["entry"]
            if entry["resource"]["resourceType"] == "QuestionnaireResponse"
            and entry["resource"]["status"] != "entered-in-error"
        ]
        for resource in answers:
            # The demo patient's id means nothing in the fresh clinic; the MRN does.
            response = fresh.client.post(
                "/fhir/r4/QuestionnaireResponse",
                json.dumps(resource),
                content_type="application/fhir+json",
            )
            assert response.status_code == 201, response.content
        assert scores(copy) == scores(patient)
        compared += len(answers)
        # Sending the same bundle again stores nothing new.
        for resource in answers:
            again = fresh.client.post(
                "/fhir/r4/QuestionnaireResponse",
                json.dumps(resource),
                content_type="application/fhir+json",
            )
            assert again.status_code == 200
        assert Response.objects.filter(patient=copy).count() == len(answers)
    assert compared >= 8  # the demo gives every patient PCL-5s and PHQ-9s
