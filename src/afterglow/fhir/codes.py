"""Code systems and the codes Afterglow's FHIR resources use (Django-free).

Only codes checked against a published source are put in a LOINC or RxNorm system;
everything else is in Afterglow's own code system (``AFTERGLOW_CODES``), listed in
``docs/fhir.md``. Afterglow names its own systems with URNs under ``urn:afterglow:``
so that no web domain is claimed.

Verified (docs/fhir.md gives the page each was checked on):

- LOINC 44249-1 "PHQ-9 quick depression assessment panel [Reported.PHQ]" (the PHQ-9
  Questionnaire) and 44261-6 "Patient Health Questionnaire 9 item (PHQ-9) total score
  [Reported]" (its total score), both listed on loinc.org's page for 44261-6.
- LOINC 101697-1 "Post traumatic stress disorder checklist - civilian version DSM-5
  [PCL-5]" (panel) and 101698-9 "PTSD PCL-5 score [PCL-5]" (score). Both have the
  time aspect "1 month", so they are used for the past-month PCL-5 only, never for the
  past-week version.
- RxNorm 2201623 "esketamine Nasal Spray" (a Semantic Clinical Drug Form).

Not verified, hence Afterglow codes: racemic ketamine (no RxNorm ingredient code could
be confirmed), PCL-5 cluster scores B-E, the PHQ-9 severity band, the past-week PCL-5,
the diary counts, routes and the session kinds.
"""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

NAMESPACE = "urn:afterglow"
AFTERGLOW_CODES = f"{NAMESPACE}:codes"
QUESTIONNAIRE_RESPONSE_IDENTIFIER = f"{NAMESPACE}:questionnaire-response"

#: LOINC code of each instrument's Questionnaire (panel) and of its total score.
LOINC_PANEL: dict[str, tuple[str, str]] = {
    "phq9": ("44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]"),
    "pcl5": (
        "101697-1",
        "Post traumatic stress disorder checklist - civilian version DSM-5 [PCL-5]",
    ),
}
LOINC_TOTAL: dict[str, tuple[str, str]] = {
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "pcl5": ("101698-9", "PTSD PCL-5 score [PCL-5]"),
}

#: RxNorm codes verified for each drug; a drug missing here gets an Afterglow code.
RXNORM_DRUG: dict[str, tuple[str, str]] = {
    "esketamine": ("2201623", "esketamine Nasal Spray"),
}
DRUG_NAMES = {"ketamine": "ketamine", "esketamine": "esketamine"}


def coding(system: str, code: str, display: str) -> dict[str, Any]:
    return {"system": system, "code": code, "display": display}


def afterglow_coding(code: str, display: str) -> dict[str, Any]:
    return coding(AFTERGLOW_CODES, code, display)


def mrn_system(clinic_slug: str) -> str:
    """The identifier system of one clinic's record numbers."""
    return f"{NAMESPACE}:clinic:{clinic_slug}:mrn"


def questionnaire_url(instrument_code: str) -> str:
    """The canonical URL of an instrument's Questionnaire."""
    return f"{NAMESPACE}:questionnaire:{instrument_code}"


def fhir_id(text: str) -> str:
    """A FHIR id from a catalog code: ``pcl5_past_week`` -> ``pcl5-past-week``."""
    return text.replace("_", "-")


def total_code(instrument_code: str, short_name: str) -> dict[str, Any]:
    """The code of an instrument's total-score Observation: LOINC when verified."""
    if instrument_code in LOINC_TOTAL:
        code, display = LOINC_TOTAL[instrument_code]
        return {"coding": [coding(LOINC, code, display)], "text": f"{short_name} total score"}
    return {
        "coding": [afterglow_coding(f"{instrument_code}-total", f"{short_name} total score")],
        "text": f"{short_name} total score",
    }


def drug_code(drug: str) -> dict[str, Any]:
    name = DRUG_NAMES.get(drug, drug)
    if drug in RXNORM_DRUG:
        code, display = RXNORM_DRUG[drug]
        return {"coding": [coding(RXNORM, code, display)], "text": name}
    return {"coding": [afterglow_coding(f"drug-{drug}", name)], "text": name}


def survey_category() -> list[dict[str, Any]]:
    return [{"coding": [coding(OBSERVATION_CATEGORY, "survey", "Survey")]}]


def score_quantity(value: int | float) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}
