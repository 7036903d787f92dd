"""Patient list and record (demographics). The chart is ``charts.views.chart_page``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.reads import audited_read
from afterglow.patients.access import get_patient_for, patient_page
from afterglow.patients.forms import PatientForm
from afterglow.patients.models import CareStatus, Patient
from afterglow.patients.selectors import patient_list_page
from afterglow.patients.services import patient_create, patient_update


@staff_required(capability=Capability.PATIENT_DETAILS)
@audited_read("patient_list")
def patient_index(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    text = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in CareStatus.values:
        status = ""
    can_chart = has_capability(membership, Capability.CLINICAL_RECORD)
    page = patient_list_page(
        clinic=membership.clinic,
        text=text,
        status=status,
        number=request.GET.get("page"),
        chart_links=can_chart,
    )
    return render(
        request,
        "patients/list.html",
        {
            "page": page,
            "q": text,
            "status": status,
            "statuses": CareStatus.choices,
        },
    )


@staff_required(capability=Capability.PATIENT_DETAILS)
def patient_new(request: StaffRequest) -> HttpResponse:
    membership = request.membership
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
def patient_edit(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    patient = get_patient_for(membership, pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        patient_update(patient=patient, data=form.cleaned_data)
        messages.success(request, "Patient record saved.")
        return redirect(patient_page(membership, patient.pk))
    return render(request, "patients/form.html", {"form": form, "patient": patient})
