"""The staff alert inbox and acknowledging an alert."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.alerts.access import get_alert_for
from afterglow.alerts.selectors import (
    INBOX_PAGE_SIZE,
    STATUSES,
    URGENCIES,
    alerts_inbox,
    inbox_rows,
    open_alert_counts,
)
from afterglow.alerts.services import alert_acknowledge
from afterglow.alerts.templatetags.alerts_nav import OPEN_COUNTS_KEY
from afterglow.audit.reads import audited_read
from afterglow.core.acknowledge import AlreadyAcknowledged


@staff_required(capability=Capability.ALERTS)
@audited_read("alert_inbox")
def inbox(request: StaffRequest) -> HttpResponse:
    """``?tab=open|acknowledged&urgency=all|urgent|routine&page=n``; unknown values fall
    back to the defaults (open, all)."""
    membership = request.membership
    tab = request.GET.get("tab", "open")
    tab = tab if tab in STATUSES else "open"
    urgency = request.GET.get("urgency", "all")
    urgency = urgency if urgency in URGENCIES else "all"
    alerts = alerts_inbox(clinic=membership.clinic, status=tab, urgency=urgency)
    counts = open_alert_counts(clinic=membership.clinic)
    paginator = Paginator(alerts, INBOX_PAGE_SIZE)
    if tab == "open":  # counted already: the paginator need not ask again
        paginator.count = {  # type: ignore[misc]
            "all": counts.total,
            "urgent": counts.urgent,
            "routine": counts.routine,
        }[urgency]
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/inbox.html",
        {
            "tab": tab,
            "urgency": urgency,
            "urgencies": URGENCIES,
            "page": page,
            "alerts": inbox_rows(page.object_list),
            "counts": counts,
            OPEN_COUNTS_KEY: counts,  # the navigation's count, without asking again
        },
    )


@staff_required(capability=Capability.ALERTS)
@require_POST
def acknowledge(request: StaffRequest, pk: int) -> HttpResponse:
    alert = get_alert_for(request.membership, pk)
    try:
        alert_acknowledge(
            alert=alert, by=acting_user(request), note=request.POST.get("note", "")[:2000]
        )
    except AlreadyAcknowledged:
        messages.info(request, f"Someone already acknowledged the alert for {alert.patient.mrn}.")
    else:
        messages.success(request, f"Alert for {alert.patient.mrn} acknowledged.")
    return redirect(reverse("alerts:inbox") + _back_to(request))


def _back_to(request: HttpRequest) -> str:
    """The query of the inbox tab the acknowledgement was made from (checked values only)."""
    query: dict[str, str] = {}
    if (urgency := request.POST.get("urgency", "all")) in URGENCIES and urgency != "all":
        query["urgency"] = urgency
    if (page := request.POST.get("page", "")).isdigit() and page != "1":
        query["page"] = page
    return f"?{urlencode(query)}" if query else ""
