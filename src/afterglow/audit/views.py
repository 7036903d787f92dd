"""The audit log pages: the clinic's log (admins) and one patient's access history.

These pages sit above ``accounts`` and ``patients`` (they use the staff gate and the
patient access helper); the model and ``audit_record`` below them import neither.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from afterglow.accounts.access import StaffRequest, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.audit.forms import AuditFilterForm
from afterglow.audit.models import AuditEvent
from afterglow.audit.reads import audited_read
from afterglow.audit.selectors import events_matching
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import Patient

PAGE_SIZE = 50


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _patients_by_id(events: list[AuditEvent], clinic_id: int) -> dict[int, Patient]:
    """The patients named on one page of events: one query, whatever the page holds."""
    ids = {e.patient_id for e in events if e.patient_id is not None}
    if not ids:
        return {}
    rows = Patient.objects.filter(clinic_id=clinic_id, pk__in=ids).only("pk", "mrn")
    return {p.pk: p for p in rows}


def _page(request: HttpRequest, events: Any, clinic_id: int) -> dict[str, Any]:
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    patients = _patients_by_id(rows, clinic_id)
    return {
        "page": page,
        "rows": [(event, patients.get(event.patient_id or 0)) for event in rows],
    }


@staff_required(capability=Capability.AUDIT_LOG)
@audited_read("audit_log")
def audit_log(request: StaffRequest) -> HttpResponse:
    """Who read or changed what in this clinic, newest first, with filters."""
    clinic = request.membership.clinic
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.none()
    if form.is_bound and not form.is_valid():
        pass  # the form shows what is wrong; no half-filtered list is shown
    else:
        data = form.cleaned_data if form.is_bound else {}
        patient_ids = None
        if data.get("patient"):
            patient_ids = list(
                Patient.objects.filter(clinic=clinic, mrn=data["patient"].strip()).values_list(
                    "pk", flat=True
                )
            )
        events = events_matching(
            clinic_id=clinic.pk,
            patient_ids=patient_ids,
            username=(data.get("user") or "").strip(),
            action=data.get("action") or "",
            since=_local_midnight(data["date_from"]) if data.get("date_from") else None,
            until=_local_midnight(data["date_to"] + dt.timedelta(days=1))
            if data.get("date_to")
            else None,
        )
    return render(request, "audit/log.html", {"form": form, **_page(request, events, clinic.pk)})


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("access_log", model=Patient, kwarg="patient_pk")
def patient_access(request: StaffRequest, patient_pk: int) -> HttpResponse:
    """Who viewed or changed this patient's record."""
    membership = request.membership
    patient = get_patient_for(membership, patient_pk)
    events = events_matching(clinic_id=membership.clinic_id, patient_ids=[patient.pk])
    return render(
        request,
        "audit/patient.html",
        {"patient": patient, **_page(request, events, membership.clinic_id)},
    )
