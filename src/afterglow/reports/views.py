"""PDF report downloads."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from afterglow.accounts.access import StaffRequest, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.audit.reads import audited_read
from afterglow.patients.access import get_patient_for
from afterglow.patients.models import Patient
from afterglow.reports.http import pdf_response, pdf_unavailable
from afterglow.reports.patient_report import patient_report
from afterglow.reports.pdf import PdfUnavailable, print_context, render_pdf


@staff_required(capability=Capability.PATIENT_REPORT)
@audited_read("patient_report_pdf", model=Patient)
def patient_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    patient = get_patient_for(membership, pk)
    now = timezone.now()
    report = patient_report(patient=patient, now=now)
    user = membership.user
    context = {
        "report": report,
        **print_context(
            clinic=patient.clinic,
            title=f"Progress report — {patient.mrn}",
            now=now,
            prepared_by=f"{user.get_full_name() or user.get_username()} "
            f"({membership.get_role_display()})",
        ),
    }
    try:
        pdf = render_pdf(template="reports/patient.html", context=context, tz=patient.clinic.tzinfo)
    except PdfUnavailable as error:
        return pdf_unavailable(request, error)
    return pdf_response(pdf, filename=report.filename)
