"""Pre-treatment screening: record it, show its flags, record the prescriber's decision."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.reads import audited_read
from afterglow.patients.access import get_patient_for
from afterglow.treatment import eligibility
from afterglow.treatment.access import get_screening_for
from afterglow.treatment.forms_screening import DecisionForm, ScreeningForm
from afterglow.treatment.models import Decision, Screening
from afterglow.treatment.services.screening import (
    screening_decide,
    screening_flags,
    screening_record,
)

logger = logging.getLogger(__name__)

NOT_SAVED = "Nothing was saved: the database did not accept the change. Please try again."


@staff_required(capability=Capability.SCREENING)
def screening_new(request: StaffRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.membership, patient_pk)
    form = ScreeningForm(request.POST or None, patient=patient)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                screening = screening_record(
                    patient=patient, by=acting_user(request), **form.service_arguments()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except DatabaseError:
                logger.exception("Screening could not be stored for patient %s", patient.pk)
                form.add_error(None, NOT_SAVED)
                status = 503
            else:
                messages.success(
                    request, "Screening recorded; it awaits the prescriber's decision."
                )
                return redirect("screening:detail", pk=screening.pk)
    return render(
        request, "treatment/screening_form.html", {"form": form, "patient": patient}, status=status
    )


def _detail(
    request: StaffRequest, screening: Screening, form: DecisionForm | None, status: int = 200
) -> HttpResponse:
    membership = request.membership
    flags = screening_flags(screening)
    absolute = [f for f in flags if f.is_absolute]
    can_decide = (
        has_capability(membership, Capability.DECIDE) and screening.decision == Decision.PENDING
    )
    if can_decide and form is None:
        form = DecisionForm(absolute=absolute)
    return render(
        request,
        "treatment/screening_detail.html",
        {
            "screening": screening,
            "patient": screening.patient,
            "flags": flags,
            "absolute": absolute,
            "relative": [f for f in flags if not f.is_absolute],
            "answers": [
                {
                    "item": item,
                    "answer": screening.answers.get(item.code, ""),
                    "label": eligibility.ANSWER_LABELS.get(
                        screening.answers.get(item.code, ""), "Not asked"
                    ),
                }
                for item in eligibility.CHECKLIST
            ],
            "form": form if can_decide else None,
            "can_start_course": has_capability(membership, Capability.COURSES)
            and screening.decision == Decision.ELIGIBLE,
        },
        status=status,
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("screening", model=Screening)
def screening_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _detail(request, get_screening_for(request.membership, pk), None)


@require_POST
@staff_required(capability=Capability.DECIDE)
def screening_decide_view(request: StaffRequest, pk: int) -> HttpResponse:
    screening = get_screening_for(request.membership, pk)
    absolute = [f for f in screening_flags(screening) if f.is_absolute]
    form = DecisionForm(request.POST, absolute=absolute)
    if form.is_valid():
        try:
            screening_decide(
                screening=screening, by=acting_user(request), **form.service_arguments()
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                # Already decided (perhaps by a colleague a moment ago): show the stored one.
                messages.error(request, " ".join(exc.messages))
                return redirect("screening:detail", pk=pk)
            form.add_error(None, exc)
        except DatabaseError:
            logger.exception("Decision could not be stored for screening %s", pk)
            form.add_error(None, NOT_SAVED)
            return _detail(request, screening, form, status=503)
        else:
            decided = screening.get_decision_display().lower()
            messages.success(request, f"Decision recorded: {decided}.")
            return redirect("screening:detail", pk=pk)
    return _detail(request, screening, form, status=400)
