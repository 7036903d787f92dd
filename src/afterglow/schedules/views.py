"""Staff pages for measurement invitations: the worklist, send now, cancel."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.audit.reads import audited_read
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import ContactChannel, Patient
from afterglow.patients.services import patient_sms_opt_change, patient_update
from afterglow.schedules.access import get_invitation_for
from afterglow.schedules.channels import opt_change
from afterglow.schedules.delivery import delivery_provider_status
from afterglow.schedules.forms import CancelForm
from afterglow.schedules.models import Invitation
from afterglow.schedules.selectors import (
    invitation_deliveries,
    measurements_for_patient,
    status_badge,
    worklist,
)
from afterglow.schedules.services import (
    invitation_cancel,
    invitation_send_again,
    invitation_send_now,
)

logger = logging.getLogger(__name__)

#: Clinical staff and intake coordinators (who often chase questionnaires) work the list.


def _card(invitation: Invitation) -> str:
    return reverse("patients:chart", args=[invitation.patient_id]) + "#measurements"


@staff_required(capability=Capability.MEASUREMENTS)
@audited_read("worklist")
def worklist_page(request: StaffRequest) -> HttpResponse:
    """``?show=due|overdue|expired|diary&page=n``: one section, paged; otherwise each
    section's first rows. Unknown values fall back to every section, page 1."""
    rows = worklist(
        clinic=request.membership.clinic,
        show=request.GET.get("show", "all"),
        page=request.GET.get("page"),
    )
    return render(request, "schedules/worklist.html", {"worklist": rows, "page": rows.page})


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("invitation_messages", model=Invitation)
def deliveries_page(request: StaffRequest, pk: int) -> HttpResponse:
    """An invitation's messages, loaded when its row on the chart's Measurements card is
    opened (htmx: the list only), or as a small page without JavaScript."""
    invitation = get_invitation_for(request.membership, pk)
    htmx = getattr(request, "htmx", False)
    template = "schedules/_delivery_list.html" if htmx else "schedules/deliveries.html"
    return render(
        request,
        template,
        {
            "invitation": invitation,
            "patient": invitation.patient,
            "rows": invitation_deliveries(invitation=invitation),
        },
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("measurements_closed", model=Patient, kwarg="patient_pk")
def closed_page(request: StaffRequest, patient_pk: int) -> HttpResponse:
    """The answered, expired and cancelled invitations of the chart's Measurements card,
    loaded when its closed list is opened (htmx: the table only), or as a small page
    without JavaScript (issue 13 §2)."""
    patient = get_patient_for(request.membership, patient_pk)
    htmx = getattr(request, "htmx", False)
    return render(
        request,
        "schedules/_measurements_closed.html" if htmx else "schedules/measurements_closed.html",
        {
            "patient": patient,
            "measurements": measurements_for_patient(patient=patient, closed=True),
        },
    )


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def send_now(request: StaffRequest, pk: int) -> HttpResponse:
    invitation = get_invitation_for(request.membership, pk)
    try:
        invitation_send_now(invitation=invitation, by=acting_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{invitation.label}” is queued and goes out with the worker's next run."
        )
    if request.POST.get("back") == "worklist":
        return redirect(reverse("schedules:worklist") + f"#worklist-{invitation.pk}")
    return redirect(_card(invitation))


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def send_again(request: StaffRequest, pk: int) -> HttpResponse:
    """From the worklist: the next reminder now, after a message that did not go out."""
    invitation = get_invitation_for(request.membership, pk)
    try:
        invitation_send_again(invitation=invitation, by=acting_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{invitation.label}” goes out again with the worker's next run."
        )
    return redirect(reverse("schedules:worklist") + f"#worklist-{invitation.pk}")


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def switch_channel(request: StaffRequest, pk: int) -> HttpResponse:
    """From the worklist: the patient's messages go by the other channel from now on
    (their ``preferred_channel``, audited as a change to the record)."""
    invitation = get_invitation_for(request.membership, pk)
    patient = invitation.patient
    to_sms = patient.preferred_channel != ContactChannel.SMS
    if to_sms and (not patient.phone or patient.sms_opted_out_at is not None):
        messages.error(
            request,
            "Text messages cannot be used: the patient opted out of texts (STOP)"
            if patient.phone
            else "Text messages cannot be used: the record has no phone number.",
        )
    elif not to_sms and not patient.email:
        messages.error(request, "Email cannot be used: the record has no email address.")
    else:
        new = ContactChannel.SMS if to_sms else ContactChannel.EMAIL
        patient_update(patient=patient, data={"preferred_channel": new})
        messages.success(
            request,
            f"Messages to {patient.full_name} now go by {new.label.lower()}; "
            "the next message uses it.",
        )
    return redirect(reverse("schedules:worklist") + f"#worklist-{invitation.pk}")


@staff_required(capability=Capability.MEASUREMENTS)
def cancel(request: StaffRequest, pk: int) -> HttpResponse:
    invitation = get_invitation_for(request.membership, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_cancel(
                invitation=invitation, by=acting_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"“{invitation.label}” cancelled.")
            return redirect(_card(invitation))
    return render(
        request,
        "schedules/cancel.html",
        {
            "invitation": invitation,
            "patient": invitation.patient,
            "badge": status_badge(invitation),
            "form": form,
        },
    )


def _signed_by_twilio(request: HttpRequest) -> bool:
    url = f"{settings.AFTERGLOW_BASE_URL}{request.path}"
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return bool(settings.TWILIO_AUTH_TOKEN) and validator.validate(url, request.POST, signature)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's delivery-status callback for a text (public: Twilio signs each request).

    The signature (X-Twilio-Signature, HMAC of the full address and the form with the
    auth token) is checked against the address in ``AFTERGLOW_BASE_URL``, which is the
    one Twilio was given; anything unsigned or wrongly signed is refused with 403.
    """
    if not _signed_by_twilio(request):
        return HttpResponseForbidden("bad signature")
    delivery_provider_status(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    # 204 even for a message we do not know (sent by another system on the same
    # account): there is nothing for Twilio to retry.
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A text a patient sent to the clinic's number (public: Twilio signs each request).

    STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT records that the sender opted out of
    texts; START or UNSTOP that they opted back in. Anything else is ignored: nobody
    reads this number (the reply Twilio sends for STOP/START is Twilio's own). The body
    and the number are never logged. Unsigned or wrongly signed: 403.
    """
    if not _signed_by_twilio(request):
        return HttpResponseForbidden("bad signature")
    change = opt_change(request.POST.get("Body", ""))
    sender = request.POST.get("From", "")
    if change is not None and sender:
        changed = patient_sms_opt_change(sender=sender, opted_out=change)
        logger.info("Inbound text: %s opt-%s", len(changed), "out" if change else "in")
    # An empty TwiML answer: no reply from us (Twilio answers STOP/START itself).
    return HttpResponse("<Response></Response>", content_type="text/xml")
