"""Patients (read) and the PCL-5 outcome of a patient's latest course."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router

from afterglow.accounts.capabilities import Capability
from afterglow.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate, require_aware
from afterglow.api.reads import audit_api_read
from afterglow.api.schemas import OutcomeOut, PatientOut, PatientPage
from afterglow.api.security import member
from afterglow.instruments.models import Response
from afterglow.outcomes.selectors import BASELINE_INSTRUMENT, clinic_rules, pcl5_outcome
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession

router = Router(tags=["patients"])


@router.get("/patients", response=PatientPage, summary="List patients")
def list_patients(
    request: HttpRequest,
    updated_since: dt.datetime | None = Query(
        None, description="Only patients whose record changed at or after this time."
    ),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """The clinic's patients, oldest change first (sync with `updated_since`).

    Needs the `patient_details` capability.
    """
    membership = member(request, Capability.PATIENT_DETAILS)
    rows = Patient.objects.for_clinic(membership.clinic)
    since = require_aware("updated_since", updated_since)
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    items, next_cursor = paginate(
        rows, resource="patients", key="updated_at", cursor=cursor, limit=limit
    )
    audit_api_read(request, membership, "patient_list", note=f"rows={len(items)}")
    return {"items": items, "next_cursor": next_cursor}


@router.get("/patients/{patient_id}", response=PatientOut, summary="Read a patient")
def read_patient(request: HttpRequest, patient_id: int) -> Patient:
    """One patient of the clinic (404 for any other). Needs `patient_details`."""
    membership = member(request, Capability.PATIENT_DETAILS)
    patient = get_patient_for(membership, patient_id)
    audit_api_read(request, membership, "patient", patient=patient, object_id=patient.pk)
    return patient


@router.get(
    "/patients/{patient_id}/outcome", response=OutcomeOut, summary="A patient's PCL-5 outcome"
)
def read_outcome(request: HttpRequest, patient_id: int) -> dict[str, object]:
    """The outcome of the patient's latest course with the clinic's rules, as on the chart.

    `outcome` is exactly the JSON `afterglow outcome pcl5` prints for the course (baseline
    = the last complete past-month PCL-5 on or before the first dose; days from the first
    dose in the clinic's time zone). Needs `clinical_record`.
    """
    membership = member(request, Capability.CLINICAL_RECORD)
    patient = get_patient_for(membership, patient_id)
    audit_api_read(request, membership, "outcome", patient=patient, object_id=patient.pk)
    responses = list(
        Response.objects.filter(patient=patient, instrument=BASELINE_INSTRUMENT).order_by(
            "administered_at", "pk"
        )
    )
    sessions = list(
        DosingSession.objects.filter(patient=patient, started_at__isnull=False).only(
            "pk", "course_id", "started_at"
        )
    )
    clinic = membership.clinic
    rules = clinic_rules(clinic)
    outcome = pcl5_outcome(clinic=clinic, responses=responses, sessions=sessions)
    result: dict[str, object] = {
        "patient_id": patient.pk,
        "instrument": BASELINE_INSTRUMENT,
        "rules": dataclasses.asdict(rules),
        "available": outcome is not None,
        "reason": None,
        "first_dose_at": None,
        "baseline_response_id": None,
        "baseline": None,
        "outcome": None,
    }
    if outcome is None:
        result["reason"] = (
            "No dose yet."
            if not sessions
            else "No complete PCL-5 on or before the first dose of the latest course."
        )
        return result
    result.update(
        first_dose_at=outcome.first_dose_at,
        baseline_response_id=outcome.baseline.pk,
        baseline=outcome.trajectory.baseline,
        outcome=outcome.trajectory.to_dict(),
    )
    return result
