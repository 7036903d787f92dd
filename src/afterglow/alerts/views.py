"""The staff alert inbox and acknowledging an alert."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from afterglow.accounts.access import acting_user, require_membership, staff_required
from afterglow.alerts.access import get_alert_for
from afterglow.alerts.selectors import alerts_acknowledged, alerts_open
from afterglow.alerts.services import ALERT_ROLES, AlreadyAcknowledged, alert_acknowledge

TABS = ("open", "acknowledged")


@staff_required(ALERT_ROLES)
def inbox(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    tab = request.GET.get("tab", "open")
    if tab not in TABS:
        tab = "open"
    rows = (
        alerts_open(clinic=membership.clinic)
        if tab == "open"
        else alerts_acknowledged(clinic=membership.clinic)
    )
    return render(request, "alerts/inbox.html", {"tab": tab, "alerts": list(rows)})


@staff_required(ALERT_ROLES)
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_alert_for(require_membership(request), pk)
    try:
        alert_acknowledge(
            alert=alert, by=acting_user(request), note=request.POST.get("note", "")[:2000]
        )
    except AlreadyAcknowledged:
        messages.info(request, f"Someone already acknowledged the alert for {alert.patient.mrn}.")
    else:
        messages.success(request, f"Alert for {alert.patient.mrn} acknowledged.")
    return redirect("alerts:inbox")
