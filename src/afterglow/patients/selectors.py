"""Reads for the patient list. The chart's reads are ``charts.selectors``."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient

#: The PCL-5 versions counted on the list (past month and past week), by catalog code.
#: Spelled out rather than imported: ``patients`` sits below ``instruments`` and
#: ``charts``; ``tests/charts/test_layers.py`` keeps it equal to ``charts.marks.PCL5_CODES``.
PCL5_CODES = ("pcl5", "pcl5_past_week")


def patient_list(*, clinic: Clinic, text: str = "", status: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.for_clinic(clinic)
    if text:
        patients = patients.search(text)
    if status:
        patients = patients.filter(status=status)
    return patients.annotate(
        # Joins bypass Response.objects, so voided responses are left out here by hand.
        n_pcl5=Count(
            "responses",
            filter=Q(responses__instrument__in=PCL5_CODES, responses__voided_at__isnull=True),
        ),
        last_response_at=Max(
            "responses__administered_at", filter=Q(responses__voided_at__isnull=True)
        ),
    ).order_by("family_name", "given_name", "pk")
