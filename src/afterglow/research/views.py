"""The dashboard's research export download (a zip of ``afterglow export research``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from afterglow.accounts.access import StaffRequest, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.research.services import ExportRefused, research_export_zip

#: The recipient name of downloads from the dashboard: their pseudonyms are stable between
#: downloads, and differ from those of any CLI export made for a named recipient.
DASHBOARD_RECIPIENT = "dashboard download"


@staff_required(capability=Capability.ANALYTICS)
def export_zip(request: StaffRequest) -> HttpResponse:
    """Stream the research export as a zip; the service writes the audit event."""
    membership = request.membership
    try:
        name, payload = research_export_zip(
            clinic=membership.clinic, recipient=DASHBOARD_RECIPIENT, by=membership.user
        )
    except ExportRefused as exc:
        return render(request, "research/export_refused.html", {"reason": str(exc)}, status=409)
    response = HttpResponse(payload, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response
