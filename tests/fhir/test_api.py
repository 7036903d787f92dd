"""The FHIR REST API: read, search with paging, $everything, create answers; refusals
are OperationOutcomes (never a 500), other clinics' rows are 404s, every read is audited."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from afterglow.audit.models import AuditEvent
from afterglow.fhir.codes import QUESTIONNAIRE_RESPONSE_IDENTIFIER, questionnaire_url
from afterglow.fhir.validation import validate
from afterglow.instruments.models import Response
from afterglow.instruments.services import response_record
from tests.factories import PatientFactory

FHIR_JSON = "application/fhir+json"
BASE = "/fhir/r4"


def body(response):
    assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
    return json.loads(response.content)


def outcome(response, status: int) -> str:
    assert response.status_code == status, response.content
    data = body(response)
    assert data["resourceType"] == "OperationOutcome"
    validate(data)
    return data["issue"][0]["diagnostics"]


def answers_resource(patient, answers, *, identifier="tablet-1", code="phq9", **extra):
    resource = {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": QUESTIONNAIRE_RESPONSE_IDENTIFIER, "value": identifier},
        "questionnaire": questionnaire_url(code),
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": "2026-01-05T10:00:00+01:00",
        "item": [
            {"linkId": str(n), "answer": [{"valueInteger": value}]}
            for n, value in enumerate(answers, start=1)
            if value is not None
        ],
    }
    resource.update(extra)
    return resource


def post(client, resource, content_type=FHIR_JSON):
    raw = resource if isinstance(resource, str | bytes) else json.dumps(resource)
    return client.post(f"{BASE}/QuestionnaireResponse", raw, content_type=content_type)


def events() -> int:
    return AuditEvent.objects.count()


# --- reading -------------------------------------------------------------------------------


def test_metadata_is_a_valid_capability_statement_for_fhir_4_0_1(anonymous) -> None:
    data = body(anonymous.get(f"{BASE}/metadata"))
    validate(data)
    assert data["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in data["rest"][0]["resource"]}
    assert {"Patient", "QuestionnaireResponse", "MedicationAdministration"} <= types


def test_a_read_returns_the_resource_and_writes_one_audit_event(clinician, chart) -> None:
    before = events()
    data = body(clinician.client.get(f"{BASE}/Patient/{chart.patient.pk}"))
    assert data["identifier"][0]["value"] == "AG-000042"
    assert events() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.patient_id) == ("read", chart.patient.pk)

    observation = body(clinician.client.get(f"{BASE}/Observation/r{chart.pcl5.pk}-total"))
    assert observation["valueQuantity"]["value"] == 39


def test_another_clinics_resource_is_not_found_and_not_audited(outsider, chart) -> None:
    before = events()
    for path in (
        f"Patient/{chart.patient.pk}",
        f"QuestionnaireResponse/{chart.pcl5.pk}",
        f"Observation/r{chart.pcl5.pk}-total",
        f"MedicationAdministration/{chart.dose.pk}",
        f"Encounter/dosing-{chart.dose.pk}",
        f"Patient/{chart.patient.pk}/$everything",
    ):
        response = outsider.client.get(f"{BASE}/{path}")
        assert "Quill" not in outcome(response, 404)
    assert events() == before
    # A search naming the patient finds nothing for the outsider.
    data = body(outsider.client.get(f"{BASE}/Observation?patient={chart.patient.pk}"))
    assert data["total"] == 0


def test_search_by_patient_pages_with_next_and_previous_links(clinician, chart) -> None:
    other = PatientFactory(clinic=clinician.clinic)
    first = body(clinician.client.get(f"{BASE}/Observation?patient={chart.patient.pk}&_count=3"))
    validate(first)
    assert first["type"] == "searchset"
    assert len(first["entry"]) == 3
    relations = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in relations
    seen = [e["resource"]["id"] for e in first["entry"]]
    url = relations["next"]
    while url:
        page = body(clinician.client.get(url))
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert len(seen) == len(set(seen)) == first["total"]
    assert all(
        e["resource"]["subject"]["reference"] == f"Patient/{chart.patient.pk}"
        for e in first["entry"]
    )
    assert other.pk not in seen


def test_search_by_last_updated_with_prefixes(clinician, chart) -> None:
    stamp = Response.objects.get(pk=chart.phq9.pk).created_at
    later = body(
        clinician.client.get(
            f"{BASE}/QuestionnaireResponse",
            {"_lastUpdated": f"gt{stamp.isoformat()}"},
        )
    )
    ids = {e["resource"]["id"] for e in later["entry"]}
    assert str(chart.phq9.pk) not in ids and str(chart.pcl5.pk) not in ids
    assert str(chart.voided.pk) in ids  # voided after: its lastUpdated is the void
    upto = body(
        clinician.client.get(
            f"{BASE}/QuestionnaireResponse", {"_lastUpdated": f"le{stamp.isoformat()}"}
        )
    )
    assert {e["resource"]["id"] for e in upto["entry"]} == {str(chart.pcl5.pk), str(chart.phq9.pk)}
    day = stamp.astimezone(clinician.clinic.tzinfo).date().isoformat()
    both = body(
        clinician.client.get(
            f"{BASE}/QuestionnaireResponse?_lastUpdated=ge{day}&_lastUpdated=lt2999-01-01"
        )
    )
    assert both["total"] == 4
    assert body(clinician.client.get(f"{BASE}/Patient?_lastUpdated=lt2000"))["total"] == 0


def test_everything_returns_the_patients_resources_and_is_audited_once(clinician, chart) -> None:
    before = events()
    data = body(clinician.client.get(f"{BASE}/Patient/{chart.patient.pk}/$everything"))
    validate(data)
    types = {e["resource"]["resourceType"] for e in data["entry"]}
    assert "MedicationAdministration" in types and "Questionnaire" in types
    assert events() == before + 1


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("_count=100000", "_count"),
        ("_count=-1", "_count"),
        ("_count=abc", "_count"),
        ("_offset=1e9", "_offset"),
        ("_lastUpdated=yesterday", "_lastUpdated"),
        ("_lastUpdated=ge2026-13-45", "_lastUpdated"),
        ("_lastUpdated=sa2026-01-01", "prefix"),
        ("patient=Robert", "patient"),
        ("patient=1&patient=2", "patient"),
        ("name=Quill", "name"),
    ],
)
def test_bad_search_parameters_are_400_operation_outcomes(clinician, query, fragment) -> None:
    assert fragment in outcome(clinician.client.get(f"{BASE}/Observation?{query}"), 400)


def test_an_unknown_type_or_id_is_a_404_operation_outcome(clinician, chart) -> None:
    assert "Medication" in outcome(clinician.client.get(f"{BASE}/Medication/1"), 404)
    outcome(clinician.client.get(f"{BASE}/Patient/99999999"), 404)
    outcome(clinician.client.get(f"{BASE}/Observation/not-an-id"), 404)
    outcome(clinician.client.get(f"{BASE}/Patient/{'9' * 40}"), 404)


# --- who may -------------------------------------------------------------------------------


def test_an_anonymous_caller_gets_401_and_a_researcher_403(anonymous, researcher, chart) -> None:
    outcome(anonymous.get(f"{BASE}/Patient/{chart.patient.pk}"), 401)
    outcome(researcher.client.get(f"{BASE}/Patient/{chart.patient.pk}"), 403)
    outcome(post(researcher.client, answers_resource(chart.patient, [0] * 9)), 403)


def test_a_session_without_its_second_sign_in_step_is_refused(settings, clinician, chart) -> None:
    settings.AFTERGLOW_REQUIRE_MFA = True
    settings.AFTERGLOW_MFA_EXEMPT_DEMO = False
    assert "Two-step" in outcome(clinician.client.get(f"{BASE}/Patient/{chart.patient.pk}"), 401)


def test_a_session_post_needs_the_csrf_token(clinician, chart) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clinician.user)
    assert "CSRF" in outcome(post(strict, answers_resource(chart.patient, [0] * 9)), 403)
    strict.get(f"{BASE}/metadata")  # any page; the cookie comes from a form in real use
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    strict.cookies["csrftoken"] = secret
    response = strict.post(
        f"{BASE}/QuestionnaireResponse",
        json.dumps(answers_resource(chart.patient, [0] * 9)),
        content_type=FHIR_JSON,
        headers={"X-CSRFToken": _mask_cipher_secret(secret)},
    )
    assert response.status_code == 201, response.content


# --- creating answers ----------------------------------------------------------------------


def test_a_posted_phq9_is_scored_stored_and_audited_as_a_write(clinician, chart) -> None:
    before = events()
    response = post(clinician.client, answers_resource(chart.patient, [3, 3, 2, 2, 1, 1, 0, 0, 1]))
    assert response.status_code == 201, response.content
    data = body(response)
    stored = Response.objects.get(pk=int(data["id"]))
    assert (stored.total, stored.severity, stored.patient_id) == (13, "moderate", chart.patient.pk)
    assert stored.alerts == ["self_harm_thoughts"]  # item 9 above 0: the usual alert
    assert stored.administered_at.isoformat() == "2026-01-05T09:00:00+00:00"
    assert response["Location"].endswith(f"/QuestionnaireResponse/{stored.pk}")
    assert AuditEvent.objects.order_by("-seq").first().action == "create"
    assert events() == before + 1


def test_posting_the_same_identifier_again_returns_the_stored_response(clinician, chart) -> None:
    resource = answers_resource(chart.patient, [1] * 9, identifier="retry-me")
    first = post(clinician.client, resource)
    again = post(clinician.client, resource)
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(first)["id"] == body(again)["id"]
    assert Response.objects.filter(patient=chart.patient, instrument="phq9").count() == 2


def test_an_incomplete_answer_set_is_stored_without_a_total(clinician, chart) -> None:
    response = post(clinician.client, answers_resource(chart.patient, [1] * 8 + [None]))
    stored = Response.objects.get(pk=int(body(response)["id"]))
    assert (stored.complete, stored.total, stored.missing_items) == (False, None, [9])


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"questionnaire": "urn:afterglow:questionnaire:gad7"}, 422, "unknown questionnaire"),
        ({"item": [{"linkId": "3", "answer": [{"valueInteger": 4}]}]}, 422, "out of range"),
        ({"item": [{"linkId": "3", "answer": [{"valueInteger": "2"}]}]}, 422, "out of range"),
        ({"item": [{"linkId": "3", "answer": [{"valueCoding": {"code": "x"}}]}]}, 422, "item 3"),
        ({"item": [{"linkId": "10", "answer": [{"valueInteger": 1}]}]}, 422, "linkId"),
        ({"item": "all of them"}, 422, "item"),
        ({"identifier": None}, 422, "identifier"),
        ({"subject": {"reference": "Patient/99999999"}}, 422, "subject"),
        ({"status": "entered-in-error"}, 422, "status"),
        ({"authored": "yesterday"}, 400, "authored"),
        ({"authored": "2026-01-05T10:00:00"}, 400, "time zone"),
        ({"authored": "2999-01-01T00:00:00+00:00"}, 422, "future"),
        ({"resourceType": "Observation"}, 422, "QuestionnaireResponse"),
    ],
)
def test_a_bad_questionnaire_response_is_refused_with_the_problem_named(
    clinician, chart, change, status, fragment
) -> None:
    before = Response.all_objects.count()
    resource = answers_resource(chart.patient, [1] * 9, identifier="bad-one")
    resource.update(change)
    assert fragment in outcome(post(clinician.client, resource), status)
    assert Response.all_objects.count() == before


def test_malformed_bodies_are_400_or_415_never_500(clinician, chart) -> None:
    outcome(post(clinician.client, "{not json"), 400)
    outcome(post(clinician.client, b"\xff\xfe"), 400)
    outcome(post(clinician.client, "NaN"), 400)
    outcome(post(clinician.client, "[" * 5_000 + "]" * 5_000), 400)
    outcome(post(clinician.client, "[1, 2]"), 422)
    outcome(post(clinician.client, "{}", content_type="text/plain"), 415)
    outcome(clinician.client.post(f"{BASE}/Patient", "{}", content_type=FHIR_JSON), 405)
    outcome(clinician.client.delete(f"{BASE}/Patient/{chart.patient.pk}"), 405)


def test_a_posted_response_for_another_clinics_patient_is_refused(outsider, chart) -> None:
    resource = answers_resource(chart.patient, [1] * 9)
    assert "not a patient of this clinic" in outcome(post(outsider.client, resource), 422)
    # ... also when named by its record number.
    resource["subject"] = {"identifier": {"value": "AG-000042"}}
    outcome(post(outsider.client, resource), 422)


def test_paging_over_two_sources_returns_every_encounter_once(clinician, chart) -> None:
    seen = []
    for offset in range(0, 4):
        page = body(clinician.client.get(f"{BASE}/Encounter?_count=1&_offset={offset}"))
        assert page["total"] == 3
        seen += [e["resource"]["id"] for e in page["entry"]]
    assert sorted(seen) == sorted(
        [f"dosing-{chart.dose.pk}", f"dosing-{chart.not_dosed.pk}", f"therapy-{chart.therapy.pk}"]
    )


def test_a_search_takes_the_same_number_of_queries_for_more_patients(clinician, chart) -> None:
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert clinician.client.get(path).status_code == 200
        return len(captured)

    paths = [f"{BASE}/{t}" for t in ("QuestionnaireResponse", "Observation", "Procedure")]
    before = [queries(path) for path in paths]
    for n in range(3):
        other = PatientFactory(clinic=clinician.clinic, mrn=f"AG-9{n}")
        response_record(patient=other, instrument_code="phq9", answers=[1] * 9, source="staff")
    assert [queries(path) for path in paths] == before


def test_an_exported_response_posted_back_to_its_own_clinic_is_not_stored_twice(
    clinician, chart
) -> None:
    exported = body(clinician.client.get(f"{BASE}/QuestionnaireResponse/{chart.pcl5.pk}"))
    again = post(clinician.client, exported)
    assert again.status_code == 200
    assert body(again)["id"] == str(chart.pcl5.pk)


# --- API tokens (afterglow.api) ------------------------------------------------------------


def bearer(membership, scope: str) -> dict[str, str]:
    from afterglow.api.services import apitoken_create

    _token, plaintext = apitoken_create(
        clinic=membership.clinic, user=membership.user, scope=scope, name="tablet", by=None
    )
    return {"Authorization": f"Bearer {plaintext}"}


def test_a_token_reads_and_writes_without_a_session_or_csrf(clinician, chart) -> None:
    tokenless = Client(enforce_csrf_checks=True)
    headers = bearer(clinician.membership, "write")
    before = events()
    read = tokenless.get(f"{BASE}/Patient/{chart.patient.pk}", headers=headers)
    assert read.status_code == 200, read.content
    assert events() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.actor_user_id == clinician.user.pk
    created = tokenless.post(
        f"{BASE}/QuestionnaireResponse",
        json.dumps(answers_resource(chart.patient, [0] * 9, identifier="token-1")),
        content_type=FHIR_JSON,
        headers=headers,
    )
    assert created.status_code == 201, created.content
    assert Response.objects.get(pk=int(body(created)["id"])).entered_by == clinician.user


def test_a_read_token_cannot_write_and_a_bad_token_is_401(clinician, chart) -> None:
    client = Client()
    refused = client.post(
        f"{BASE}/QuestionnaireResponse",
        json.dumps(answers_resource(chart.patient, [0] * 9)),
        content_type=FHIR_JSON,
        headers=bearer(clinician.membership, "read"),
    )
    assert "read" in outcome(refused, 403).lower()
    unknown = client.get(
        f"{BASE}/Patient/{chart.patient.pk}", headers={"Authorization": "Bearer agt_nope"}
    )
    outcome(unknown, 401)
    assert unknown["WWW-Authenticate"].startswith("Bearer")


def test_a_token_of_a_role_without_the_clinical_record_is_403(researcher, chart) -> None:
    refused = Client().get(
        f"{BASE}/Patient/{chart.patient.pk}", headers=bearer(researcher.membership, "read")
    )
    outcome(refused, 403)


def test_a_token_never_reaches_another_clinics_patient(outsider, chart) -> None:
    response = Client().get(
        f"{BASE}/Patient/{chart.patient.pk}", headers=bearer(outsider.membership, "read")
    )
    outcome(response, 404)
