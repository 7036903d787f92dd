"""The public intake form and the staff triage queue."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.accounts.selectors import public_intake_clinic
from afterglow.audit.reads import audited_read
from afterglow.core.client import client_address
from afterglow.intake.access import get_submission_for
from afterglow.intake.forms import EnrolForm, IntakeForm, StatusForm
from afterglow.intake.models import IntakeSubmission, Status
from afterglow.intake.selectors import intake_queue, intake_status_counts, queue_rows
from afterglow.intake.services import (
    RateLimited,
    client_hash,
    intake_enrol,
    intake_set_status,
    intake_submit,
)
from afterglow.patients.access import patient_page

logger = logging.getLogger(__name__)

SUCCESS_MESSAGE = "Thank you! Your submission has been received!"
FAILURE_MESSAGE = "Oops! Something went wrong while submitting the form."
# The thank-you page shows only right after a stored submission. The proof travels in a
# signed, short-lived cookie set on the redirect, not in the session: saving a session
# is a second database write, which can fail (a locked SQLite database) after the
# submission was stored, and then the person would see an error and submit again.
THANKS_COOKIE = "intake_thanks"
THANKS_SALT = "afterglow.intake.thanks"
THANKS_MAX_AGE = 600
RATE_LIMIT_MESSAGE = (
    "We have received several forms from your connection in the last hour. "
    "Please try again later, or call the clinic."
)


def start(request: HttpRequest, slug: str = "") -> HttpResponse:
    """The public home page: "Start your journey"."""
    clinic = public_intake_clinic(slug or settings.AFTERGLOW_PUBLIC_CLINIC)
    if clinic is None:
        if slug:
            raise Http404("No such clinic")
        return render(request, "intake/not_configured.html", status=503)
    form = IntakeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            submission, _created = intake_submit(
                clinic=clinic,
                data=form.cleaned_data,
                submission_key=form.cleaned_data["submission_key"],
                client=client_hash(client_address(request)),
                is_bot=form.is_bot,
            )
        except RateLimited:
            error = RATE_LIMIT_MESSAGE
        except DatabaseError:
            # Outside the person's control (database down, locked, refusing the
            # write). Log it, keep every typed value, and never claim success.
            logger.exception("Intake submission could not be stored for clinic %s", clinic.slug)
            error = FAILURE_MESSAGE
        else:
            # Post/redirect/get: the thank-you page shows only right after a stored
            # submission (the signed cookie), so reloading or bookmarking it never
            # claims a new one. Nothing more is written here.
            response = (
                redirect("intake:thanks_clinic", slug=clinic.slug)
                if slug
                else redirect("intake:thanks")
            )
            response.set_signed_cookie(
                THANKS_COOKIE,
                str(submission.submission_key),
                salt=THANKS_SALT,
                max_age=THANKS_MAX_AGE,
                httponly=True,
                secure=request.is_secure(),
                samesite="Lax",
            )
            return response
    return render(
        request,
        "intake/start.html",
        {"form": form, "public_clinic": clinic, "error": error, "failed": error == FAILURE_MESSAGE},
        status=503 if error == FAILURE_MESSAGE else 200,
    )


def thanks(request: HttpRequest, slug: str = "") -> HttpResponse:
    """Success, from the signed proof of a stored submission; reads and writes nothing.

    The cookie is used once: this response deletes it, so a reload goes back to the form.
    """
    stored = request.get_signed_cookie(
        THANKS_COOKIE, default=None, salt=THANKS_SALT, max_age=THANKS_MAX_AGE
    )
    if not stored:
        return redirect("intake:start_clinic", slug=slug) if slug else redirect("intake:start")
    try:
        clinic = public_intake_clinic(slug or settings.AFTERGLOW_PUBLIC_CLINIC)
    except DatabaseError:
        clinic = None  # the page names the clinic when it can; success stands regardless
    response = render(
        request, "intake/thanks.html", {"public_clinic": clinic, "message": SUCCESS_MESSAGE}
    )
    response.delete_cookie(THANKS_COOKIE, samesite="Lax")
    return response


@staff_required(capability=Capability.INTAKE)
@audited_read("intake_queue")
def queue(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    status = request.GET.get("status", "open")
    text = request.GET.get("q", "").strip()
    counts = intake_status_counts(clinic=membership.clinic)
    paginator = Paginator(intake_queue(clinic=membership.clinic, status=status, text=text), 25)
    if not text and status in counts:  # counted already: the paginator need not ask again
        paginator.count = counts[status]  # type: ignore[misc]
    page = paginator.get_page(request.GET.get("page"))
    can_chart = has_capability(membership, Capability.CLINICAL_RECORD)
    page.object_list = queue_rows(page.object_list, can_chart=can_chart)  # type: ignore[assignment]
    tabs = (
        [("open", "Open", counts.get("open", 0))]
        + [(s.value, s.label, counts.get(s.value, 0)) for s in Status if s != Status.SPAM]
        + [("all", "All", counts.get("all", 0))]
    )
    return render(
        request,
        "intake/queue.html",
        {
            "page": page,
            "status": status,
            "tabs": tabs,
            "q": text,
        },
    )


@staff_required(capability=Capability.INTAKE)
@audited_read("intake_submission", model=IntakeSubmission)
def detail(request: StaffRequest, pk: int) -> HttpResponse:
    submission = get_submission_for(request.membership, pk)
    return render(
        request,
        "intake/detail.html",
        {
            "submission": submission,
            "status_form": StatusForm(initial={"status": submission.status}),
            "enrol_form": EnrolForm(),
        },
    )


@require_POST
@staff_required(capability=Capability.INTAKE)
def set_status(request: StaffRequest, pk: int) -> HttpResponse:
    submission = get_submission_for(request.membership, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            intake_set_status(
                submission=submission,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                by=acting_user(request),
            )
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Status set to {submission.get_status_display()}.")
        return redirect("intake:detail", pk=pk)
    return render(
        request,
        "intake/detail.html",
        {"submission": submission, "status_form": form, "enrol_form": EnrolForm()},
        status=400,
    )


@require_POST
@staff_required(capability=Capability.INTAKE)
def enrol(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    submission = get_submission_for(membership, pk)
    form = EnrolForm(request.POST)  # no silent default: each answer is chosen (issue 14 §5)
    if not form.is_valid():
        return render(
            request,
            "intake/detail.html",
            {"submission": submission, "status_form": StatusForm(), "enrol_form": form},
            status=400,
        )
    already = submission.patient_id is not None
    patient = intake_enrol(submission=submission, by=acting_user(request), **form.cleaned_data)
    messages.success(
        request,
        f"{patient.full_name} was already enrolled."
        if already
        else f"{patient.full_name} enrolled as {patient.mrn}.",
    )
    return redirect(patient_page(membership, patient.pk))
