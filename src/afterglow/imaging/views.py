"""The research imaging page: imaging change beside symptom change, for the clinic."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from afterglow.accounts.access import StaffRequest, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.audit.reads import audited_read
from afterglow.imaging.forms import UploadForm
from afterglow.imaging.research import imaging_research
from afterglow.imaging.upload import UploadRefused, imaging_upload_measure


@staff_required(capability=Capability.ANALYTICS)
@audited_read("imaging_research")
def research(request: StaffRequest) -> HttpResponse:
    clinic = request.membership.clinic
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


@staff_required(capability=Capability.IMAGING)
def upload(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    form = UploadForm(request.POST or None, request.FILES or None)
    session = None
    if request.method == "POST" and form.is_valid():
        try:
            session = imaging_upload_measure(
                clinic=membership.clinic, by=request.user, data=form.cleaned_data
            )
        except UploadRefused as refused:
            form.add_error(refused.field, str(refused))
    status = 400 if request.method == "POST" and session is None else 200
    return render(
        request,
        "imaging/upload.html",
        {
            "form": form,
            "session": session,
            "files_note": request.method == "POST" and session is None,
        },
        status=status,
    )
