"""Questionnaire and QuestionnaireResponse, built from the instrument catalog (Django-free).

One definition (``instruments/definitions/<code>.json``) drives the Questionnaire, the
mapping of a response's answers to items, and the reading of a POSTed
QuestionnaireResponse back into answers (:func:`answers_from_resource`), which the
service then scores with ``instruments.scoring`` like any other response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from afterglow.fhir.codes import (
    LOINC,
    LOINC_PANEL,
    QUESTIONNAIRE_RESPONSE_IDENTIFIER,
    coding,
    fhir_id,
    questionnaire_url,
)
from afterglow.instruments.catalog import Instrument

INSTRUCTIONS_LINK_ID = "instructions"


class FhirInputError(ValueError):
    """A resource sent to Afterglow cannot be accepted; the message names the problem."""

    def __init__(self, message: str, *, expression: str = "", status: int = 422) -> None:
        super().__init__(message)
        self.expression = expression
        self.status = status


def answer_system(instrument: Instrument) -> str:
    """The code system of one instrument's answer options (code = the option's value)."""
    return f"{questionnaire_url(instrument.code)}:answer"


def questionnaire_version(instrument: Instrument) -> str:
    return instrument.form_version or instrument.version_label


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The Questionnaire of one catalog instrument: items, options with their values."""
    system = answer_system(instrument)
    options = [
        {
            "valueCoding": coding(system, str(option.value), option.label),
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                    "valueDecimal": option.value,
                }
            ],
        }
        for option in instrument.response_options
    ]
    lead = instrument.instructions + (f" {instrument.stem}" if instrument.stem else "")
    items: list[dict[str, Any]] = [
        {"linkId": INSTRUCTIONS_LINK_ID, "type": "display", "text": lead}
    ]
    items += [
        {
            "linkId": str(item.number),
            "prefix": f"{item.number}.",
            "text": item.text,
            "type": "choice",
            "required": False,  # an incomplete response is stored, without a total
            "answerOption": options,
        }
        for item in instrument.items
    ]
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument.code),
        "url": questionnaire_url(instrument.code),
        "version": questionnaire_version(instrument),
        "name": fhir_id(instrument.code).replace("-", "_").upper(),
        "title": f"{instrument.name} ({instrument.version_label})",
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"Time frame: {instrument.time_frame}. Source: {instrument.source}",
        "copyright": f"{instrument.licence} {instrument.attribution}".strip(),
        "item": items,
    }
    if instrument.code in LOINC_PANEL:
        code, display = LOINC_PANEL[instrument.code]
        resource["code"] = [coding(LOINC, code, display)]
    return resource


@dataclass(frozen=True)
class ResponseRow:
    """What a QuestionnaireResponse shows of one stored response."""

    pk: int
    patient_pk: int
    instrument: Instrument
    answers: Sequence[int | None]
    administered_at: dt.datetime
    complete: bool
    voided: bool
    identifier: str  # the value under QUESTIONNAIRE_RESPONSE_IDENTIFIER
    patient_mrn: str
    mrn_system: str
    by_patient: bool
    last_updated: dt.datetime


def questionnaire_response(row: ResponseRow) -> dict[str, Any]:
    instrument = row.instrument
    system = answer_system(instrument)
    items = []
    for item, value in zip(instrument.items, row.answers, strict=False):
        if value is None:
            continue  # never sent as 0: an unanswered item has no answer
        entry = {
            "linkId": str(item.number),
            "text": item.text,
            "answer": [{"valueCoding": coding(system, str(value), instrument.option_label(value))}],
        }
        items.append(entry)
    status = "completed" if row.complete else "stopped"
    if row.voided:
        status = "entered-in-error"
    canonical = f"{questionnaire_url(instrument.code)}|{questionnaire_version(instrument)}"
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(row.pk),
        "meta": {"lastUpdated": row.last_updated.isoformat()},
        "identifier": {"system": QUESTIONNAIRE_RESPONSE_IDENTIFIER, "value": row.identifier},
        "questionnaire": canonical,
        "status": status,
        # The record number too, so a response can be sent to another Afterglow or EHR
        # where the patient has another id but the same MRN.
        "subject": {
            "reference": f"Patient/{row.patient_pk}",
            "identifier": {"system": row.mrn_system, "value": row.patient_mrn},
        },
        "authored": row.administered_at.isoformat(),
        "item": items,
    }
    if row.by_patient:
        resource["source"] = {"reference": f"Patient/{row.patient_pk}"}
    return resource


# --- reading a POSTed QuestionnaireResponse ------------------------------------------------------


def instrument_code_from_canonical(canonical: Any, known: Sequence[str]) -> str:
    """The catalog code a ``questionnaire`` canonical names, or :class:`FhirInputError`."""
    if not isinstance(canonical, str) or not canonical:
        raise FhirInputError(
            "questionnaire is required: the canonical URL of an Afterglow Questionnaire",
            expression="QuestionnaireResponse.questionnaire",
        )
    url = canonical.split("|", 1)[0]
    for code in known:
        if url == questionnaire_url(code):
            return code
    raise FhirInputError(
        f"unknown questionnaire {url!r}; known: "
        + ", ".join(questionnaire_url(code) for code in known),
        expression="QuestionnaireResponse.questionnaire",
    )


def _answer_value(instrument: Instrument, link_id: str, answer: Any) -> int:
    where = f"QuestionnaireResponse.item[linkId={link_id}].answer"
    if not isinstance(answer, dict):
        raise FhirInputError(f"item {link_id}: an answer must be an object", expression=where)
    if "valueCoding" in answer:
        value_coding = answer["valueCoding"]
        code = value_coding.get("code") if isinstance(value_coding, dict) else None
        system = value_coding.get("system") if isinstance(value_coding, dict) else None
        if system not in (None, answer_system(instrument)):
            raise FhirInputError(
                f"item {link_id}: answer system {system!r} is not {answer_system(instrument)}",
                expression=where,
            )
        raw: Any = code
    elif "valueInteger" in answer:
        raw = answer["valueInteger"]
    else:
        raise FhirInputError(
            f"item {link_id}: answer with valueCoding or valueInteger", expression=where
        )
    value: int | None = None
    if "valueCoding" in answer:  # a code is a string: "2"
        if isinstance(raw, str) and raw.lstrip("-").isdigit() and len(raw) < 6:
            value = int(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):  # an integer is a number: 2
        value = raw
    allowed = instrument.option_values
    if value is None or value not in allowed:
        shown = ", ".join(str(v) for v in allowed)
        raise FhirInputError(
            f"item {link_id}: answer {raw!r} is out of range for {instrument.short_name} "
            f"(allowed: {shown})",
            expression=where,
        )
    return value


def answers_from_resource(instrument: Instrument, resource: dict[str, Any]) -> list[int | None]:
    """The answers in item order (``None`` = not answered) from a QuestionnaireResponse."""
    answers: list[int | None] = [None] * len(instrument.items)
    items = resource.get("item", [])
    if not isinstance(items, list):
        raise FhirInputError("item must be a list", expression="QuestionnaireResponse.item")
    seen: set[str] = set()
    for entry in items:
        if not isinstance(entry, dict) or not isinstance(entry.get("linkId"), str):
            raise FhirInputError(
                "every item needs a linkId", expression="QuestionnaireResponse.item"
            )
        link_id = entry["linkId"]
        if link_id == INSTRUCTIONS_LINK_ID:
            continue
        if not link_id.isdigit() or not 1 <= int(link_id) <= len(instrument.items):
            raise FhirInputError(
                f"unknown linkId {link_id!r} for {instrument.short_name} "
                f"(items 1-{len(instrument.items)})",
                expression="QuestionnaireResponse.item.linkId",
            )
        if link_id in seen:
            raise FhirInputError(
                f"item {link_id} appears more than once",
                expression="QuestionnaireResponse.item.linkId",
            )
        seen.add(link_id)
        answer_list = entry.get("answer", [])
        if not isinstance(answer_list, list) or len(answer_list) > 1:
            raise FhirInputError(
                f"item {link_id}: at most one answer", expression="QuestionnaireResponse.item"
            )
        if answer_list:
            answers[int(link_id) - 1] = _answer_value(instrument, link_id, answer_list[0])
    return answers


def identifier_value(resource: dict[str, Any]) -> str:
    """The identifier value a POST is made idempotent by (required)."""
    identifier = resource.get("identifier")
    value = identifier.get("value") if isinstance(identifier, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise FhirInputError(
            "identifier.value is required (at most 200 characters): a retry with the same "
            "identifier returns the stored response instead of storing it twice",
            expression="QuestionnaireResponse.identifier",
        )
    return value.strip()


def authored_at(resource: dict[str, Any]) -> dt.datetime | None:
    """``authored`` as an aware datetime (``None`` when absent)."""
    raw = resource.get("authored")
    if raw is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FhirInputError(
            f"authored must be a date and time with a time zone, got {raw!r}",
            expression="QuestionnaireResponse.authored",
            status=400,
        )
    return moment
