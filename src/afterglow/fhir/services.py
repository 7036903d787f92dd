"""Writes through FHIR: a QuestionnaireResponse stored as an Afterglow response."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.fhir.models import ResponseIdentifier
from afterglow.fhir.questionnaires import (
    FhirInputError,
    answers_from_resource,
    authored_at,
    identifier_value,
    instrument_code_from_canonical,
)
from afterglow.instruments.catalog import all_instruments, get_instrument
from afterglow.instruments.models import Response, Source
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient

#: How far in the future ``authored`` may be (clock skew between systems).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Stored:
    response: Response
    created: bool  # False: a retry with an identifier already stored


def _patient(clinic: Clinic, subject: Any) -> Patient:
    """The subject: ``Patient/<id>`` of this clinic, else the record number in ``identifier``."""
    if not isinstance(subject, dict):
        raise FhirInputError(
            "subject is required: a reference to the Patient",
            expression="QuestionnaireResponse.subject",
        )
    reference = subject.get("reference")
    identifier = subject.get("identifier")
    mrn = identifier.get("value") if isinstance(identifier, dict) else None
    patient = None
    if isinstance(reference, str) and reference.startswith("Patient/"):
        pk = reference.removeprefix("Patient/")
        if pk.isdigit() and len(pk) < 12:
            patient = Patient.objects.filter(clinic=clinic, pk=int(pk)).first()
    if patient is not None:
        if isinstance(mrn, str) and mrn != patient.mrn:
            raise FhirInputError(
                f"subject {reference} has another record number than {mrn!r}",
                expression="QuestionnaireResponse.subject",
            )
        return patient
    if isinstance(mrn, str) and mrn:
        patient = Patient.objects.filter(clinic=clinic, mrn=mrn).first()
        if patient is not None:
            return patient
    shown = reference if isinstance(reference, str) else f"record number {mrn!r}"
    raise FhirInputError(
        f"subject {shown} is not a patient of this clinic",
        expression="QuestionnaireResponse.subject",
    )


def _existing(clinic: Clinic, value: str) -> Response | None:
    stored = (
        ResponseIdentifier.objects.filter(clinic=clinic, value=value)
        .select_related("response")
        .first()
    )
    if stored is not None:
        return stored.response
    # A response made in Afterglow is exported with "<clinic slug>-<id>" (selectors).
    slug, _, pk = value.rpartition("-")
    if slug == clinic.slug and pk.isdigit() and len(pk) < 12:
        return Response.all_objects.filter(clinic=clinic, pk=int(pk)).first()
    return None


def questionnaire_response_create(*, clinic: Clinic, by: User | None, resource: Any) -> Stored:
    """Score and store a QuestionnaireResponse, or return the one stored under its identifier.

    The answers are read with the instrument's own definition and scored by
    ``response_record`` (with the clinic's cutoff, its alerts and its audit event),
    exactly as a response entered on the staff page. Raises :class:`FhirInputError`
    naming the problem: unknown questionnaire, out-of-range answer, unknown linkId,
    missing identifier or subject, ``entered-in-error`` status, ``authored`` in the future.
    """
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        raise FhirInputError(
            "the body must be a QuestionnaireResponse resource", expression="resourceType"
        )
    value = identifier_value(resource)
    existing = _existing(clinic, value)
    if existing is not None:
        return Stored(existing, created=False)
    code = instrument_code_from_canonical(
        resource.get("questionnaire"), [i.code for i in all_instruments()]
    )
    instrument = get_instrument(code)
    if resource.get("status") not in ("completed", "in-progress", "stopped", "amended"):
        raise FhirInputError(
            f"status {resource.get('status')!r} cannot be stored; send completed, "
            "in-progress, stopped or amended",
            expression="QuestionnaireResponse.status",
        )
    answers = answers_from_resource(instrument, resource)
    patient = _patient(clinic, resource.get("subject"))
    administered = authored_at(resource)
    if administered is not None and administered > timezone.now() + FUTURE_TOLERANCE:
        raise FhirInputError(
            "authored is in the future", expression="QuestionnaireResponse.authored"
        )
    try:
        with transaction.atomic():
            response = response_record(
                patient=patient,
                instrument_code=instrument.code,
                answers=answers,
                source=Source.STAFF,
                by=by,
                administered_at=administered,
            )
            ResponseIdentifier.objects.create(clinic=clinic, value=value, response=response)
    except IntegrityError:
        # The same identifier stored by a concurrent request: that one is the response.
        again = _existing(clinic, value)
        if again is None:
            raise
        return Stored(again, created=False)
    return Stored(response, created=True)
