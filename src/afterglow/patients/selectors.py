"""Reads for the patient list and chart."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response
from afterglow.patients.charts import PCL5_CODES, ChartPoint
from afterglow.patients.models import Patient


def patient_list(*, clinic: Clinic, text: str = "", status: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.for_clinic(clinic)
    if text:
        patients = patients.search(text)
    if status:
        patients = patients.filter(status=status)
    return patients.annotate(
        n_pcl5=Count("responses", filter=Q(responses__instrument__in=PCL5_CODES)),
        last_response_at=Max("responses__administered_at"),
    ).order_by("family_name", "given_name", "pk")


def pcl5_points(*, responses: list[Response], clinic: Clinic) -> list[ChartPoint]:
    versions = {code: get_instrument(code).version_label for code in PCL5_CODES}
    return [
        ChartPoint(
            when=timezone.localtime(r.administered_at, clinic.tzinfo),
            total=r.total,
            intrusion=(r.subscales or {}).get("B"),
            complete=r.complete,
            missing_items=r.missing_items,
            version=versions.get(r.instrument, r.instrument),
        )
        for r in responses
    ]


def pcl5_responses(*, patient: Patient) -> list[Response]:
    """Every PCL-5 (past month and past week) for the chart, oldest first, one query."""
    return list(
        Response.objects.filter(patient=patient, instrument__in=PCL5_CODES)
        .select_related("entered_by")
        .order_by("administered_at", "pk")
    )
