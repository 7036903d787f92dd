"""The research imaging page: imaging change beside symptom change, for the clinic."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from afterglow.accounts.access import require_membership, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.audit.reads import audited_read
from afterglow.imaging.research import imaging_research


@staff_required(capability=Capability.ANALYTICS)
@audited_read("imaging_research")
def research(request: HttpRequest) -> HttpResponse:
    clinic = require_membership(request).clinic
    page = imaging_research(clinic=clinic)
    rows = [
        {
            "association": a,
            "imaging_label": page.labels[a.imaging],
            "symptom_label": page.labels[a.symptom],
        }
        for a in page.associations
    ]
    return render(
        request,
        "imaging/research.html",
        {"page": page, "rows": rows, "figures": page.figures},
    )
