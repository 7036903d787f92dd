"""HTTP answers for PDF reports: the download itself, and the 503 page without Pango."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from afterglow.reports.pdf import PANGO_HINT, PdfUnavailable


def pdf_response(pdf: bytes, *, filename: str) -> HttpResponse:
    """A PDF download that no browser or proxy keeps: it holds health information."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "no-store"
    return response


def pdf_unavailable(request: HttpRequest, error: PdfUnavailable) -> HttpResponse:
    """503 with the install command: the server lacks a library, nothing is wrong with
    the request, and the rest of Afterglow still works."""
    response = render(
        request, "reports/unavailable.html", {"error": error, "hint": PANGO_HINT}, status=503
    )
    response["Retry-After"] = "3600"
    return response
