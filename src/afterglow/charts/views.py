"""The patient chart and the staff diary page: both read :func:`selectors.patient_chart`."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from afterglow.accounts.access import StaffRequest, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.accounts.models import Membership
from afterglow.audit.reads import audited_read
from afterglow.charts.context import diary_context, pcl5_context, phq9_context
from afterglow.charts.selectors import patient_chart
from afterglow.charts.tables import (
    course_lines,
    event_lines,
    imaging_lines,
    screening_lines,
    session_lines,
    therapy_lines,
)
from afterglow.diary.selectors import diary_links_for_patient
from afterglow.instruments.catalog import all_instruments
from afterglow.instruments.selectors import links_for_patient
from afterglow.intake.models import IntakeSubmission
from afterglow.intake.rules import SAFETY_FIELDS
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import Patient
from afterglow.schedules.selectors import measurements_for_patient

#: Weeks shown on the staff diary page unless ?weeks= says otherwise.
STAFF_WEEKS = 12


#: What the Record card shows of the intake: its date and its safety flags.
INTAKE_SHOWN = frozenset({"id", "patient", "created_at", *SAFETY_FIELDS})
INTAKE_UNSHOWN = tuple(
    f"intake__{field.name}"
    for field in IntakeSubmission._meta.concrete_fields
    if field.name not in INTAKE_SHOWN
)


def _chart_patient(membership: Membership, pk: int) -> Patient:
    # The intake (Record card) comes with the patient: one query less than its own.
    return get_patient_for(membership, pk, related=("intake",), defer=INTAKE_UNSHOWN)


@staff_required(capability=Capability.CLINICAL_RECORD)
# The audit decorator reads the patient for its event and hands it to the view.
@audited_read("chart", load=_chart_patient)
def chart_page(request: StaffRequest, pk: int, *, obj: Patient) -> HttpResponse:
    membership, patient = request.membership, obj
    imaging = has_capability(membership, Capability.IMAGING)
    chart = patient_chart(
        patient=patient,
        today=timezone.localdate(timezone=patient.clinic.tzinfo),
        with_imaging=imaging,
    )
    scores = pcl5_context(chart, show_imaging=imaging)
    return render(
        request,
        "charts/chart.html",
        {
            "patient": patient,
            "chart": chart,
            "today": chart.today,
            "treatment": chart.treatment,
            "event_lines": event_lines(chart.treatment.events),
            "session_lines": session_lines(chart.treatment.sessions),
            "course_lines": course_lines(chart.treatment.courses),
            "screening_lines": screening_lines(chart.treatment.screenings),
            "therapy_lines": therapy_lines(chart.treatment.therapy),
            **scores,
            "imaging_lines": imaging_lines(scores["imaging_sessions"]),
            **phq9_context(chart),
            **diary_context(chart),
            # What the "Recent links" list shows (its state: used, revoked or expiry).
            "links": list(
                links_for_patient(patient=patient).only(
                    "patient", "instrument", "created_at", "expires_at", "used_at", "revoked_at"
                )[:10]
            ),
            "instruments": all_instruments(),
            "intake": getattr(patient, "intake", None),
            "can_screen": has_capability(membership, Capability.SCREENING),
            "can_start_course": has_capability(membership, Capability.COURSES),
            "can_record_therapy": has_capability(membership, Capability.THERAPY),
            "diary_links": list(diary_links_for_patient(patient=patient)[:5]),
            "measurements": measurements_for_patient(
                patient=patient, courses=chart.treatment.courses
            ),
        },
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("diary", kwarg="patient_pk", load=get_patient_for)
def diary_page(request: StaffRequest, patient_pk: int, *, obj: Patient) -> HttpResponse:
    patient = obj
    try:
        weeks = min(max(int(request.GET.get("weeks", STAFF_WEEKS)), 1), 104)
    except ValueError:
        weeks = STAFF_WEEKS
    chart = patient_chart(
        patient=patient,
        today=timezone.localdate(timezone=patient.clinic.tzinfo),
        diary_weeks=weeks,
    )
    return render(
        request,
        "charts/diary.html",
        {
            "patient": patient,
            "chart": chart,
            "weeks": weeks,
            **diary_context(chart),
            "links": list(diary_links_for_patient(patient=patient)[:10]),
        },
    )
