"""Psychotherapy pages: record a session, a patient's sessions, one session."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.reads import audited_read
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import Patient
from afterglow.treatment.access import get_therapy_for
from afterglow.treatment.forms_therapy import TherapySessionForm
from afterglow.treatment.models import TherapyModality, TherapySession
from afterglow.treatment.selectors_therapy import (
    course_therapy_windows,
    latest_course,
    link_therapy,
    patient_doses,
    therapy_rows,
)
from afterglow.treatment.services.therapy import therapy_session_record

#: Psychotherapy notes are for the people giving the treatment; other clinical roles
#: see when a session was held and how it sits against the doses, not what was said.


@staff_required(capability=Capability.THERAPY)
def therapy_new(request: StaffRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.membership, patient_pk)
    clinic, user = patient.clinic, acting_user(request)
    doses = patient_doses(patient=patient)
    # The protocol's paired therapy (prolonged exposure for the KEPE protocol) first.
    paired = doses[-1].course.protocol.post_dose_therapy if doses else ""
    now = timezone.localtime(timezone.now(), clinic.tzinfo).replace(second=0, microsecond=0)
    form = TherapySessionForm(
        request.POST or None,
        clinic=clinic,
        initial={
            "therapist": user.pk,
            "modality": paired if paired in TherapyModality.values else TherapyModality.INTEGRATION,
            "started_at": now,
            "duration_minutes": 60,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = therapy_session_record(patient=patient, by=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            row = link_therapy([session], doses, clinic)[0]
            where = "inside" if row.in_window else "outside"
            messages.success(
                request,
                f"Therapy session recorded: {row.label}, {where} the "
                f"{clinic.therapy_window_start_hours}–{clinic.therapy_window_end_hours} h window.",
            )
            return redirect("therapy:detail", pk=session.pk)
    course = latest_course(patient=patient)
    return render(
        request,
        "treatment/therapy_new.html",
        {
            "patient": patient,
            "form": form,
            "windows": course_therapy_windows(course) if course else None,
        },
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("therapy_sessions", model=Patient, kwarg="patient_pk")
def therapy_list(request: StaffRequest, patient_pk: int) -> HttpResponse:
    membership = request.membership
    patient = get_patient_for(membership, patient_pk)
    rows = therapy_rows(patient=patient)
    return render(
        request,
        "treatment/therapy_list.html",
        {
            "patient": patient,
            "rows": rows,
            "inside": sum(row.in_window for row in rows),
            "can_record": has_capability(membership, Capability.THERAPY),
        },
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("therapy_session", model=TherapySession)
def therapy_detail(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    session = get_therapy_for(membership, pk)
    row = link_therapy([session], patient_doses(patient=session.patient), session.patient.clinic)[0]
    return render(
        request,
        "treatment/therapy_detail.html",
        {
            "patient": session.patient,
            "session": session,
            "row": row,
            "show_notes": has_capability(membership, Capability.THERAPY),
            "can_record": has_capability(membership, Capability.THERAPY),
        },
    )
