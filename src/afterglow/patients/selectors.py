"""Reads for the patient list. The chart's reads are ``charts.selectors``."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient

#: The PCL-5 versions counted on the list (past month and past week), by catalog code.
#: Spelled out rather than imported: ``patients`` sits below ``instruments`` and
#: ``charts``; ``tests/charts/test_layers.py`` keeps it equal to ``charts.marks.PCL5_CODES``.
PCL5_CODES = ("pcl5", "pcl5_past_week")

ORDER = ("family_name", "given_name", "pk")


def patient_list_page(
    *,
    clinic: Clinic,
    text: str = "",
    status: str = "",
    number: str | int | None = 1,
    per_page: int = 25,
) -> Page[Patient]:
    """One page of :func:`patient_list`, in three queries whatever the clinic's size: the
    count, the page's patients (by name, on the patients table alone), and their PCL-5
    counts and last answers for those patients only. Counting every patient's responses
    before taking 25 grew with the clinic (a 10,000-patient clinic: every response read
    for each page)."""
    page = Paginator(_patients(clinic=clinic, text=text, status=status).order_by(*ORDER), per_page)
    current = page.get_page(number)
    ids = [patient.pk for patient in current.object_list]
    counted = {p.pk: p for p in _with_pcl5_counts(Patient.objects.filter(pk__in=ids))}
    current.object_list = [counted[pk] for pk in ids]
    return current


def _patients(*, clinic: Clinic, text: str, status: str) -> QuerySet[Patient]:
    patients = Patient.objects.for_clinic(clinic)
    if text:
        patients = patients.search(text)
    if status:
        patients = patients.filter(status=status)
    return patients


def patient_list(*, clinic: Clinic, text: str = "", status: str = "") -> QuerySet[Patient]:
    return _with_pcl5_counts(_patients(clinic=clinic, text=text, status=status)).order_by(*ORDER)


def _with_pcl5_counts(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    return patients.annotate(
        # Joins bypass Response.objects, so voided responses are left out here by hand.
        n_pcl5=Count(
            "responses",
            filter=Q(responses__instrument__in=PCL5_CODES, responses__voided_at__isnull=True),
        ),
        last_response_at=Max(
            "responses__administered_at", filter=Q(responses__voided_at__isnull=True)
        ),
    )
