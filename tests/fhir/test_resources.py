"""Every FHIR resource Afterglow emits validates against the fhir.resources R4B models,
and carries the numbers Afterglow stored (checked against hand-worked scores)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from afterglow.fhir import selectors
from afterglow.fhir.codes import AFTERGLOW_CODES, LOINC, RXNORM
from afterglow.fhir.questionnaires import questionnaire
from afterglow.fhir.validation import InvalidResource, validate
from afterglow.instruments.catalog import all_instruments


def by_type(resources):
    found = defaultdict(list)
    for resource in resources:
        found[resource["resourceType"]].append(resource)
    return found


@pytest.fixture
def everything(chart):
    return by_type(selectors.everything(chart.patient.clinic, chart.patient.pk))


def test_every_resource_type_is_exported_and_validates_with_fhir_resources(everything) -> None:
    assert set(everything) == set(selectors.TYPES)
    for resources in everything.values():
        for resource in resources:
            validate(resource)


def test_the_validator_refuses_a_resource_that_breaks_the_r4b_model() -> None:
    with pytest.raises(InvalidResource):
        validate({"resourceType": "Patient", "birthDate": "not a date"})
    with pytest.raises(InvalidResource):
        validate({"resourceType": "NoSuchThing"})


@pytest.mark.parametrize("instrument", all_instruments(), ids=lambda i: i.code)
def test_every_catalog_instrument_has_a_valid_questionnaire_from_its_definition(
    instrument,
) -> None:
    resource = questionnaire(instrument)
    validate(resource)
    choices = [item for item in resource["item"] if item["type"] == "choice"]
    assert [item["linkId"] for item in choices] == [str(i.number) for i in instrument.items]
    assert [item["text"] for item in choices] == [i.text for i in instrument.items]
    options = choices[0]["answerOption"]
    assert [int(o["valueCoding"]["code"]) for o in options] == list(instrument.option_values)
    assert [o["valueCoding"]["display"] for o in options] == [
        o.label for o in instrument.response_options
    ]
    assert resource["url"].endswith(instrument.code)
    assert instrument.attribution in resource["copyright"]


def test_the_pcl5_scores_are_observations_with_the_hand_worked_values(chart, everything) -> None:
    values = {
        o["id"]: o.get("valueQuantity", {}).get("value")
        for o in everything["Observation"]
        if o["id"].startswith(f"r{chart.pcl5.pk}-")
    }
    assert values == {
        f"r{chart.pcl5.pk}-total": 39,
        f"r{chart.pcl5.pk}-cluster-b": 10,
        f"r{chart.pcl5.pk}-cluster-c": 4,
        f"r{chart.pcl5.pk}-cluster-d": 7,
        f"r{chart.pcl5.pk}-cluster-e": 18,
    }
    total = next(o for o in everything["Observation"] if o["id"] == f"r{chart.pcl5.pk}-total")
    assert total["code"]["coding"][0] == {
        "system": LOINC,
        "code": "101698-9",
        "display": "PTSD PCL-5 score [PCL-5]",
    }


def test_the_phq9_total_is_loinc_44261_6_and_its_severity_band_an_observation(
    chart, everything
) -> None:
    mine = {
        o["id"]: o for o in everything["Observation"] if o["id"].startswith(f"r{chart.phq9.pk}-")
    }
    total = mine[f"r{chart.phq9.pk}-total"]
    assert total["code"]["coding"][0]["system"] == LOINC
    assert total["code"]["coding"][0]["code"] == "44261-6"
    assert total["valueQuantity"]["value"] == 18
    assert mine[f"r{chart.phq9.pk}-severity"]["valueString"] == "moderately severe"


def test_an_incomplete_response_has_no_total_and_its_missing_answer_is_not_sent_as_zero(
    chart, everything
) -> None:
    ids = {o["id"] for o in everything["Observation"]}
    assert f"r{chart.incomplete.pk}-total" not in ids
    assert f"r{chart.incomplete.pk}-cluster-e" not in ids  # item 20 is in cluster E
    assert f"r{chart.incomplete.pk}-cluster-b" in ids
    response = next(
        r for r in everything["QuestionnaireResponse"] if r["id"] == str(chart.incomplete.pk)
    )
    assert response["status"] == "stopped"
    assert [item["linkId"] for item in response["item"]] == [str(n) for n in range(1, 20)]


def test_the_past_week_pcl5_never_gets_the_past_month_loinc_code(chart, everything) -> None:
    for observation in everything["Observation"]:
        if observation["id"].startswith(f"r{chart.incomplete.pk}-"):
            assert observation["code"]["coding"][0]["system"] == AFTERGLOW_CODES


def test_a_voided_response_is_marked_entered_in_error_with_its_observations(
    chart, everything
) -> None:
    response = next(
        r for r in everything["QuestionnaireResponse"] if r["id"] == str(chart.voided.pk)
    )
    assert response["status"] == "entered-in-error"
    total = next(o for o in everything["Observation"] if o["id"] == f"r{chart.voided.pk}-total")
    assert total["status"] == "entered-in-error"
    assert response["meta"]["lastUpdated"] == chart.voided.voided_at.isoformat()


def test_a_questionnaire_response_carries_every_answer_with_its_option(chart, everything) -> None:
    response = next(r for r in everything["QuestionnaireResponse"] if r["id"] == str(chart.pcl5.pk))
    assert [int(i["answer"][0]["valueCoding"]["code"]) for i in response["item"]] == (
        chart.pcl5.answers
    )
    assert response["subject"]["identifier"]["value"] == "AG-000042"
    assert response["authored"] == chart.pcl5.administered_at.isoformat()
    assert response["authored"].endswith("+00:00")  # aware, never a naive time


def test_only_the_signed_dose_is_a_medication_administration(chart, everything) -> None:
    (given,) = everything["MedicationAdministration"]
    chart.dose.refresh_from_db()
    assert given["id"] == str(chart.dose.pk)
    assert given["dosage"]["dose"]["value"] == float(chart.dose.actual_dose_mg)
    minutes = (chart.dose.stopped_at - chart.dose.started_at).total_seconds() / 60
    assert given["dosage"]["rateQuantity"]["value"] == pytest.approx(
        float(chart.dose.actual_dose_mg) / minutes, rel=1e-3
    )
    assert given["effectivePeriod"]["start"] == chart.dose.started_at.isoformat()
    # IV racemic ketamine: no RxNorm code could be verified, so it is Afterglow's own.
    assert given["medicationCodeableConcept"]["coding"][0]["system"] == AFTERGLOW_CODES
    assert given["performer"][0]["actor"]["display"]


def test_sessions_are_encounters_and_procedures_and_a_session_without_dose_is_not_done(
    chart, everything
) -> None:
    encounters = {e["id"] for e in everything["Encounter"]}
    assert encounters == {
        f"dosing-{chart.dose.pk}",
        f"dosing-{chart.not_dosed.pk}",
        f"therapy-{chart.therapy.pk}",
    }
    procedures = {p["id"]: p for p in everything["Procedure"]}
    assert procedures[f"dosing-{chart.not_dosed.pk}"]["status"] == "not-done"
    assert procedures[f"dosing-{chart.dose.pk}"]["status"] == "completed"
    assert procedures[f"therapy-{chart.therapy.pk}"]["status"] == "completed"


def test_the_adverse_event_points_at_its_dose(chart, everything) -> None:
    (event,) = everything["AdverseEvent"]
    assert event["event"]["text"] == "Nausea"
    assert event["suspectEntity"][0]["instance"]["reference"] == (
        f"MedicationAdministration/{chart.dose.pk}"
    )


def test_an_intranasal_dose_is_esketamine_with_its_verified_rxnorm_code() -> None:
    from afterglow.fhir.codes import drug_code

    assert drug_code("esketamine")["coding"][0] == {
        "system": RXNORM,
        "code": "2201623",
        "display": "esketamine Nasal Spray",
    }


def test_diary_counts_are_observations_by_day(chart, everything) -> None:
    diary = {o["id"]: o for o in everything["Observation"] if o["id"].startswith("d")}
    assert diary[f"d{chart.diary.pk}-intrusive-memories"]["valueInteger"] == 3
    assert diary[f"d{chart.diary.pk}-flashbacks"]["valueInteger"] == 1
    assert diary[f"d{chart.diary.pk}-nightmares"]["valueBoolean"] is True
    assert diary[f"d{chart.diary.pk}-peak-distress"]["effectiveDateTime"] == (
        chart.diary.day.isoformat()
    )


def test_the_patient_has_the_clinic_mrn_identifier(chart, everything) -> None:
    (patient,) = everything["Patient"]
    assert patient["identifier"][0]["value"] == "AG-000042"
    assert patient["identifier"][0]["system"] == "urn:afterglow:clinic:home:mrn"
    assert patient["name"][0] == {"use": "official", "family": "Quill", "given": ["Ada"]}


@pytest.mark.parametrize(
    ("channel", "opted_out", "expected"),
    [
        # (system, rank) of every telecom entry; rank 1 = the channel the patient chose.
        ("", False, [("email", None), ("phone", None), ("sms", None)]),
        ("email", False, [("email", 1), ("phone", None), ("sms", None)]),
        ("sms", False, [("email", None), ("phone", None), ("sms", 1)]),
        # Texted STOP: the number takes no texts, so no sms point and nothing ranked.
        ("sms", True, [("email", None), ("phone", None)]),
        ("email", True, [("email", 1), ("phone", None)]),
    ],
)
def test_the_patients_preferred_channel_ranks_first_in_telecom_and_validates(
    chart, channel: str, opted_out: bool, expected: list[tuple[str, int | None]]
) -> None:
    from django.utils import timezone

    from afterglow.patients.models import Patient

    Patient.objects.filter(pk=chart.patient.pk).update(
        email="ada@example.org",
        phone="+15555550123",
        preferred_channel=channel,
        sms_opted_out_at=timezone.now() if opted_out else None,
    )
    (patient,) = by_type(selectors.everything(chart.patient.clinic, chart.patient.pk))["Patient"]
    validate(patient)
    assert [(t["system"], t.get("rank")) for t in patient["telecom"]] == expected
    assert {t["value"] for t in patient["telecom"] if t["system"] != "email"} <= {"+15555550123"}
