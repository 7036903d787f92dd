"""Protocols (the clinic's and the shipped presets) and treatment courses with their plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.reads import audited_read
from afterglow.patients.access import get_patient_for
from afterglow.treatment import schedule
from afterglow.treatment.access import get_course_for, get_protocol_for
from afterglow.treatment.forms_courses import (
    CourseForm,
    MaintenanceForm,
    PlannedSessionForm,
    ProtocolForm,
    ReasonForm,
    ResumeForm,
)
from afterglow.treatment.models import Course, PlannedSession, Protocol
from afterglow.treatment.presets import UnknownPreset
from afterglow.treatment.selectors_courses import (
    course_plan,
    course_preview,
    open_course_count,
    open_course_for,
    presets_with_adoption,
    protocols_for_clinic,
)
from afterglow.treatment.selectors_screening import latest_screening
from afterglow.treatment.selectors_therapy import course_therapy_windows
from afterglow.treatment.services.courses import (
    course_add_maintenance,
    course_end_early,
    course_pause,
    course_resume,
    course_start,
    planned_session_plan,
    screening_problem,
)
from afterglow.treatment.services.protocols import protocol_from_preset, protocol_save

logger = logging.getLogger(__name__)

NOT_SAVED = "Nothing was saved: the database did not accept the change. Please try again."


# --- protocols -----------------------------------------------------------------------------------


@staff_required(capability=Capability.PROTOCOLS_VIEW)
def protocol_list(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    protocols = list(protocols_for_clinic(clinic=membership.clinic))
    return render(
        request,
        "treatment/protocol_list.html",
        {
            "protocols": protocols,
            "presets": presets_with_adoption(protocols=protocols),
            "can_edit": has_capability(membership, Capability.PROTOCOLS_EDIT),
        },
    )


def _protocol_form(
    request: StaffRequest, form: ProtocolForm, protocol: Protocol | None
) -> HttpResponse:
    membership = request.membership
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = protocol_save(
                    clinic=membership.clinic, data=form.service_data(), protocol=protocol
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except DatabaseError:
                logger.exception("Protocol could not be stored for clinic %s", membership.clinic_id)
                form.add_error(None, NOT_SAVED)
                status = 503
            else:
                messages.success(request, f"Protocol “{saved.name}” saved.")
                return redirect("courses:protocols")
    return render(
        request,
        "treatment/protocol_form.html",
        {
            "form": form,
            "protocol": protocol,
            "open_courses": open_course_count(protocol=protocol) if protocol else 0,
        },
        status=status,
    )


@staff_required(capability=Capability.PROTOCOLS_EDIT)
def protocol_new(request: StaffRequest) -> HttpResponse:
    return _protocol_form(request, ProtocolForm(request.POST or None), None)


@staff_required(capability=Capability.PROTOCOLS_EDIT)
def protocol_edit(request: StaffRequest, pk: int) -> HttpResponse:
    protocol = get_protocol_for(request.membership, pk)
    return _protocol_form(request, ProtocolForm(request.POST or None, instance=protocol), protocol)


@require_POST
@staff_required(capability=Capability.PROTOCOLS_EDIT)
def protocol_adopt(request: StaffRequest, code: str) -> HttpResponse:
    membership = request.membership
    try:
        protocol = protocol_from_preset(clinic=membership.clinic, code=code)
    except UnknownPreset:
        raise Http404("No such preset") from None
    messages.success(request, f"“{protocol.name}” is in this clinic's protocols.")
    return redirect("courses:protocols")


# --- courses -------------------------------------------------------------------------------------


@staff_required(capability=Capability.COURSES)
def course_new(request: StaffRequest, patient_pk: int) -> HttpResponse:
    membership = request.membership
    patient = get_patient_for(membership, patient_pk)
    clinic = patient.clinic
    today = timezone.localdate()
    screening = latest_screening(patient=patient)
    form = CourseForm(
        request.POST or None,
        clinic=clinic,
        initial={"start_date": schedule.next_clinic_day(today, clinic.weekdays)},
    )
    preview: list = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if "preview" in request.POST:
                try:
                    preview = course_preview(
                        protocol=data["protocol"], start_date=data["start_date"], clinic=clinic
                    )
                    status = 200
                except ValueError as exc:
                    form.add_error("start_date", str(exc))
            else:
                try:
                    course = course_start(
                        patient=patient,
                        protocol=data["protocol"],
                        start_date=data["start_date"],
                        by=acting_user(request),
                        screening=screening,
                        start_time=data["start_time"],
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                except DatabaseError:
                    logger.exception("Course could not be stored for patient %s", patient.pk)
                    form.add_error(None, NOT_SAVED)
                    status = 503
                else:
                    messages.success(request, f"Course started: {course.protocol.name}.")
                    return redirect("courses:detail", pk=course.pk)
    return render(
        request,
        "treatment/course_form.html",
        {
            "form": form,
            "patient": patient,
            "screening": screening,
            "screening_problem": screening_problem(screening),
            "open_course": open_course_for(patient=patient),
            "preview": [(day, schedule.WEEKDAY_NAMES[day.weekday()]) for day in preview],
            "clinic_days": ", ".join(schedule.WEEKDAY_NAMES[d] for d in clinic.weekdays),
        },
        status=status,
    )


def _course_page(
    request: StaffRequest,
    course: Course,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = request.membership
    clinic = course.patient.clinic
    plan = course_plan(course=course, today=timezone.localdate())
    context = {
        "pause_form": ReasonForm(prefix="pause"),
        "end_form": ReasonForm(prefix="end"),
        "resume_form": ResumeForm(),
        "maintenance_form": MaintenanceForm(),
        **(bound or {}),
    }
    # A refused action shows its reason at the top of the page, whichever form it came from
    # (the form itself may not be on the page, e.g. "pause" on a course ended meanwhile).
    action_errors = [error for form in (bound or {}).values() for error in form.non_field_errors()]
    return render(
        request,
        "treatment/course_detail.html",
        {
            "course": course,
            "patient": course.patient,
            "plan": plan,
            "therapy_windows": course_therapy_windows(course),
            "can_manage": has_capability(membership, Capability.COURSES),
            "action_errors": action_errors,
            "can_dose": has_capability(membership, Capability.DOSING) and course.status == "active",
            "clinic_days": ", ".join(schedule.WEEKDAY_NAMES[d][:3] for d in clinic.weekdays),
            **context,
        },
        status=status,
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("course", model=Course)
def course_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _course_page(request, get_course_for(request.membership, pk))


def _course_action(
    request: StaffRequest,
    pk: int,
    form: forms.Form,
    key: str,
    act: Callable[[Course, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """Validate ``form`` and run ``act``: back to the plan, or the plan page with the errors."""
    course = get_course_for(request.membership, pk)
    if form.is_valid():
        try:
            act(course, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        except DatabaseError:
            logger.exception("Course %s could not be changed", pk)
            form.add_error(None, NOT_SAVED)
            return _course_page(request, course, {key: form}, status=503)
        else:
            messages.success(request, done)
            return redirect("courses:detail", pk=pk)
    return _course_page(request, course, {key: form}, status=400)


@require_POST
@staff_required(capability=Capability.COURSES)
def course_pause_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _course_action(
        request,
        pk,
        ReasonForm(request.POST, prefix="pause"),
        "pause_form",
        lambda course, data: course_pause(
            course=course, by=acting_user(request), reason=data["reason"]
        ),
        "Course paused.",
    )


@require_POST
@staff_required(capability=Capability.COURSES)
def course_resume_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _course_action(
        request,
        pk,
        ResumeForm(request.POST),
        "resume_form",
        lambda course, data: course_resume(
            course=course, by=acting_user(request), restart_date=data["restart_date"]
        ),
        "Course resumed.",
    )


@require_POST
@staff_required(capability=Capability.COURSES)
def course_end_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _course_action(
        request,
        pk,
        ReasonForm(request.POST, prefix="end"),
        "end_form",
        lambda course, data: course_end_early(
            course=course, by=acting_user(request), reason=data["reason"]
        ),
        "Course ended early; the remaining sessions are cancelled.",
    )


@require_POST
@staff_required(capability=Capability.COURSES)
def course_maintenance_view(request: StaffRequest, pk: int) -> HttpResponse:
    return _course_action(
        request,
        pk,
        MaintenanceForm(request.POST),
        "maintenance_form",
        lambda course, data: course_add_maintenance(course=course, by=acting_user(request), **data),
        "Maintenance sessions added to the plan.",
    )


@staff_required(capability=Capability.COURSES)
@audited_read("course", model=Course)
def planned_session_edit(request: StaffRequest, pk: int, number: int) -> HttpResponse:
    """Move one session still to come and/or set its start time (what was typed stays on error)."""
    course = get_course_for(request.membership, pk)
    planned = (
        PlannedSession.objects.filter(course=course, number=number)
        .select_related("session")
        .first()
    )
    if planned is None:
        raise Http404("No such session in this course.")
    form = PlannedSessionForm(
        request.POST or None,
        initial={"planned_date": planned.planned_date, "planned_time": planned.planned_time},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                planned_session_plan(
                    planned=planned,
                    by=acting_user(request),
                    planned_date=form.cleaned_data["planned_date"],
                    planned_time=form.cleaned_data["planned_time"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except DatabaseError:
                logger.exception("Planned session %s could not be changed", planned.pk)
                form.add_error(None, NOT_SAVED)
                status = 503
            else:
                messages.success(request, f"Session {number} planned.")
                return redirect("courses:detail", pk=course.pk)
    clinic = course.patient.clinic
    return render(
        request,
        "treatment/planned_session_form.html",
        {
            "form": form,
            "course": course,
            "patient": course.patient,
            "planned": planned,
            "is_open": getattr(planned, "session", None) is None and not planned.cancelled,
            "clinic_days": ", ".join(schedule.WEEKDAY_NAMES[d] for d in clinic.weekdays),
        },
        status=status,
    )
