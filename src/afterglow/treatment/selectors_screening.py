"""Reads for the pre-treatment screening."""

from __future__ import annotations

import datetime as dt

from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.treatment.models import Screening

__all__ = ["BASELINE_INSTRUMENT", "latest_baseline_pcl5", "latest_screening"]

#: The baseline PCL-5 is the standard, past-month version (evidence.md §1).
BASELINE_INSTRUMENT = "pcl5"


def latest_baseline_pcl5(*, patient: Patient, before: dt.datetime | None = None) -> Response | None:
    """The patient's latest complete past-month PCL-5 taken no later than ``before``."""
    responses = Response.objects.filter(
        patient=patient, instrument=BASELINE_INSTRUMENT, complete=True
    )
    if before is not None:
        responses = responses.filter(administered_at__lte=before)
    return responses.order_by("-administered_at", "-pk").first()


def latest_screening(*, patient: Patient) -> Screening | None:
    """The patient's latest screening (the one a new course starts on), or None."""
    return (
        Screening.objects.filter(patient=patient)
        .select_related("patient__clinic", "decided_by")
        .order_by("-assessed_at", "-pk")
        .first()
    )
