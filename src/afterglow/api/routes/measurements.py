"""Questionnaire responses (list, read, create with scoring) and diary entries (list, create)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from afterglow.accounts.capabilities import Capability
from afterglow.accounts.models import Membership
from afterglow.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate, require_aware
from afterglow.api.problems import ProblemError
from afterglow.api.reads import audit_api_read
from afterglow.api.schemas import (
    DiaryEntryIn,
    DiaryEntryOut,
    DiaryEntryPage,
    InstrumentOut,
    ResponseIn,
    ResponseOut,
    ResponsePage,
)
from afterglow.api.security import WriteToken, member
from afterglow.diary.models import DiaryEntry
from afterglow.diary.services import diary_entry_record
from afterglow.instruments.access import get_response_for
from afterglow.instruments.catalog import all_instruments
from afterglow.instruments.models import Response, Source
from afterglow.instruments.services import response_record
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import Patient

router = Router(tags=["measurements"])


def _patient_filter(membership: Membership, patient_id: int | None) -> Patient | None:
    return None if patient_id is None else get_patient_for(membership, patient_id)


@router.get("/instruments", response=list[InstrumentOut], summary="List instruments")
def list_instruments(request: HttpRequest) -> list[dict[str, object]]:
    """The questionnaires the catalog defines (no patient data), for building answers."""
    member(request, Capability.INSTRUMENT_CATALOG)
    return [
        {
            "code": i.code,
            "title": i.title,
            "items": len(i.items),
            "option_values": list(i.option_values),
            "version": i.version_label,
        }
        for i in all_instruments()
    ]


@router.get("/responses", response=ResponsePage, summary="List questionnaire responses")
def list_responses(
    request: HttpRequest,
    patient_id: int | None = Query(None, ge=1),
    instrument: str | None = Query(None, max_length=40),
    created_since: dt.datetime | None = Query(None, description="Stored at or after this time."),
    include_voided: bool = Query(False, description="Also responses voided as entered in error."),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """Responses of the clinic, oldest stored first. Needs `clinical_record`."""
    membership = member(request, Capability.CLINICAL_RECORD)
    patient = _patient_filter(membership, patient_id)
    manager = Response.all_objects if include_voided else Response.objects
    rows = manager.filter(clinic=membership.clinic)
    if patient is not None:
        rows = rows.filter(patient=patient)
    if instrument:
        rows = rows.filter(instrument=instrument)
    since = require_aware("created_since", created_since)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    items, next_cursor = paginate(
        rows, resource="responses", key="created_at", cursor=cursor, limit=limit
    )
    audit_api_read(request, membership, "response_list", patient=patient, note=f"rows={len(items)}")
    return {"items": items, "next_cursor": next_cursor}


@router.get("/responses/{response_id}", response=ResponseOut, summary="Read a response")
def read_response(request: HttpRequest, response_id: int) -> Response:
    """One response (voided ones too, with `voided_at`). Needs `clinical_record`."""
    membership = member(request, Capability.CLINICAL_RECORD)
    response = get_response_for(membership, response_id)
    audit_api_read(
        request, membership, "response", patient=response.patient_id, object_id=response.pk
    )
    return response


@router.post(
    "/responses",
    response={201: ResponseOut},
    auth=WriteToken(),
    summary="Store and score a questionnaire response",
)
def create_response(request: HttpRequest, payload: ResponseIn) -> Status[Response]:
    """Score the answers through the catalog with the clinic's cutoff and store them, as the
    staff entry page does: alerts (e.g. PHQ-9 item 9) are raised and the write is audited.

    A skipped item (null) stores an incomplete response without a total. Unknown
    instruments, a wrong number of answers and values that are not response options are
    refused with 422 and nothing is stored. Needs a write token and `record_answers`.
    """
    membership = member(request, Capability.RECORD_ANSWERS)
    patient = get_patient_for(membership, payload.patient_id)
    administered_at = require_aware("administered_at", payload.administered_at)
    if administered_at is not None:
        if administered_at > timezone.now():
            raise ProblemError(422, "administered_at is in the future; send when it was answered.")
        administered_at = administered_at.astimezone(dt.UTC)  # stored and shown in UTC
    response = response_record(
        patient=patient,
        instrument_code=payload.instrument,
        answers=payload.answers,
        source=Source.STAFF,
        by=membership.user,
        administered_at=administered_at,
        timepoint=payload.timepoint,
    )
    return Status(201, response)


@router.get("/diary-entries", response=DiaryEntryPage, summary="List diary entries")
def list_diary_entries(
    request: HttpRequest,
    patient_id: int | None = Query(None, ge=1),
    updated_since: dt.datetime | None = Query(None, description="Changed at or after this time."),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """Daily intrusion diary entries, oldest change first. A day without an entry is missing
    data, never zero. Needs `clinical_record`."""
    membership = member(request, Capability.CLINICAL_RECORD)
    patient = _patient_filter(membership, patient_id)
    rows = DiaryEntry.objects.for_clinic(membership.clinic)
    if patient is not None:
        rows = rows.filter(patient=patient)
    since = require_aware("updated_since", updated_since)
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    items, next_cursor = paginate(
        rows, resource="diary", key="updated_at", cursor=cursor, limit=limit
    )
    audit_api_read(request, membership, "diary_list", patient=patient, note=f"rows={len(items)}")
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/diary-entries",
    response={200: DiaryEntryOut, 201: DiaryEntryOut},
    auth=WriteToken(),
    summary="Record a day's diary entry",
)
def create_diary_entry(request: HttpRequest, payload: DiaryEntryIn) -> Status[DiaryEntry]:
    """Store the day's entry for the patient (201), or replace that day's entry (200).

    The patient's diary rules apply: the day is in the clinic's time zone, not in the
    future and within the clinic's edit window; both counts are needed unless the entry
    is urgent or `none_today`; an urgent entry raises its alert. Needs a write token and
    `record_answers`.
    """
    membership = member(request, Capability.RECORD_ANSWERS)
    patient = get_patient_for(membership, payload.patient_id)
    entry, created = diary_entry_record(
        patient=patient, by=membership.user, **payload.dict(exclude={"patient_id"})
    )
    return Status(201 if created else 200, entry)
