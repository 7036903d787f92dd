"""Patient list, record and chart."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from afterglow.accounts.access import acting_user, require_membership, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.reads import audited_read
from afterglow.diary.charts import diary_chart_context
from afterglow.diary.selectors import diary_links_for_patient, diary_series
from afterglow.instruments.catalog import all_instruments
from afterglow.instruments.models import Response
from afterglow.instruments.selectors import links_for_patient
from afterglow.outcomes.selectors import ChartOutcome, pcl5_outcome
from afterglow.patients.access import get_patient_for, patient_page
from afterglow.patients.charts import ChartPoint, OutcomeMarks, pcl5_figure, phq9_chart_context
from afterglow.patients.forms import PatientForm
from afterglow.patients.models import CareStatus, Patient
from afterglow.patients.selectors import (
    chart_treatment,
    patient_list_page,
    pcl5_points,
    pcl5_responses,
    phq9_points,
)
from afterglow.patients.services import patient_create, patient_update
from afterglow.schedules.selectors import measurements_for_patient

#: Weeks of intrusion diary on the patient chart (the diary page shows more).
CHART_DIARY_WEEKS = 8


@staff_required(capability=Capability.PATIENT_DETAILS)
@audited_read("patient_list")
def patient_index(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    text = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in CareStatus.values:
        status = ""
    page = patient_list_page(
        clinic=membership.clinic, text=text, status=status, number=request.GET.get("page")
    )
    return render(
        request,
        "patients/list.html",
        {
            "page": page,
            "q": text,
            "status": status,
            "statuses": CareStatus.choices,
            "can_chart": has_capability(membership, Capability.CLINICAL_RECORD),
        },
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("chart", model=Patient)
def patient_chart(request: HttpRequest, pk: int) -> HttpResponse:
    membership = require_membership(request)
    patient = get_patient_for(membership, pk)
    clinic = patient.clinic
    responses = pcl5_responses(patient=patient)
    points = pcl5_points(responses=responses, clinic=clinic)
    treatment = chart_treatment(patient=patient)
    outcome = pcl5_outcome(clinic=clinic, responses=responses, sessions=treatment.sessions)
    # Plotly's own JSON encoder handles its types; json_script then embeds it safely.
    figure = (
        json.loads(
            pcl5_figure(
                points,
                cutoff=clinic.pcl5_cutoff,
                doses=treatment.dose_marks,
                therapy=treatment.therapy_marks,
                window=(clinic.therapy_window_start_hours, clinic.therapy_window_end_hours),
                outcome=_outcome_marks(outcome, responses, points),
            ).to_json()
        )
        if any(p.complete for p in points)
        else None
    )
    today = timezone.localdate(timezone=clinic.tzinfo)
    # Two queries (entries, links) however many diary days there are.
    diary_days = diary_series(
        patient=patient, start=today - dt.timedelta(days=7 * CHART_DIARY_WEEKS - 1), end=today
    )
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "rows": [
                (r, p, outcome.by_response.get(r.pk) if outcome else None)
                for r, p in zip(responses, points, strict=True)
            ][::-1],
            "outcome": outcome,
            "figure": figure,
            "links": list(links_for_patient(patient=patient).select_related("response")[:10]),
            "instruments": all_instruments(),
            "intake": getattr(patient, "intake", None),
            "today": today,
            "treatment": treatment,
            "can_screen": has_capability(membership, Capability.SCREENING),
            "can_start_course": has_capability(membership, Capability.COURSES),
            "can_record_therapy": has_capability(membership, Capability.THERAPY),
            **diary_chart_context(diary_days, doses=treatment.dose_marks, pcl5=points),
            "diary_links": list(diary_links_for_patient(patient=patient)[:5]),
            "diary_weeks": CHART_DIARY_WEEKS,
            "measurements": measurements_for_patient(patient=patient),
            **phq9_chart_context(phq9_points(patient=patient), doses=treatment.dose_marks),
        },
    )


def _outcome_marks(
    outcome: ChartOutcome | None, responses: list[Response], points: list[ChartPoint]
) -> OutcomeMarks | None:
    if outcome is None:
        return None
    at = {r.pk: p for r, p in zip(responses, points, strict=True)}
    baseline = at[outcome.baseline.pk]
    met = [
        (at[pk].when, state.total) for pk, state in outcome.by_response.items() if state.response
    ]
    tz = responses[0].clinic.tzinfo
    loss, possible = outcome.loss_of_response_at, outcome.possible_loss_at
    return OutcomeMarks(
        baseline=(baseline.when, outcome.trajectory.baseline),
        responses=met,
        loss_at=timezone.localtime(loss, tz) if loss else None,
        possible_loss_at=timezone.localtime(possible, tz) if possible else None,
        label=(
            f"Response (≥{outcome.rules.response_percent} % below baseline "
            f"{outcome.trajectory.baseline})"
        ),
    )


@staff_required(capability=Capability.PATIENT_DETAILS)
def patient_new(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = patient_create(
            clinic=membership.clinic, by=acting_user(request), **form.cleaned_data
        )
        messages.success(request, f"{patient.full_name} added as {patient.mrn}.")
        return redirect(patient_page(membership, patient.pk))
    return render(request, "patients/form.html", {"form": form, "patient": None})


@staff_required(capability=Capability.PATIENT_DETAILS)
@audited_read("patient_details", model=Patient)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = require_membership(request)
    patient = get_patient_for(membership, pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        patient_update(patient=patient, data=form.cleaned_data)
        messages.success(request, "Patient record saved.")
        return redirect(patient_page(membership, patient.pk))
    return render(request, "patients/form.html", {"form": form, "patient": patient})
