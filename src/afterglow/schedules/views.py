"""Staff pages for measurement invitations: the worklist, send now, cancel."""

from __future__ import annotations

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
from afterglow.schedules.access import get_invitation_for
from afterglow.schedules.delivery import delivery_provider_status
from afterglow.schedules.forms import CancelForm
from afterglow.schedules.models import Invitation
from afterglow.schedules.selectors import worklist
from afterglow.schedules.services import invitation_cancel, invitation_send_now

#: Clinical staff and intake coordinators (who often chase questionnaires) work the list.


def _card(invitation: Invitation) -> str:
    return reverse("patients:chart", args=[invitation.patient_id]) + "#measurements"


@staff_required(capability=Capability.MEASUREMENTS)
def worklist_page(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request, "schedules/worklist.html", {"worklist": worklist(clinic=membership.clinic)}
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
    return redirect(_card(invitation))


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
        {"invitation": invitation, "patient": invitation.patient, "form": form},
    )


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's delivery-status callback for a text (public: Twilio signs each request).

    The signature (X-Twilio-Signature, HMAC of the full address and the form with the
    auth token) is checked against the address in ``AFTERGLOW_BASE_URL``, which is the
    one Twilio was given; anything unsigned or wrongly signed is refused with 403.
    """
    url = f"{settings.AFTERGLOW_BASE_URL}{request.path}"
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    if not settings.TWILIO_AUTH_TOKEN or not validator.validate(url, request.POST, signature):
        return HttpResponseForbidden("bad signature")
    delivery_provider_status(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    # 204 even for a message we do not know (sent by another system on the same
    # account): there is nothing for Twilio to retry.
    return HttpResponse(status=204)
