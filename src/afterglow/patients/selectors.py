"""Reads for the patient list. The chart's reads are ``charts.selectors``."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet

from afterglow.accounts.models import Clinic
from afterglow.core.choices import choice_labels
from afterglow.core.daytext import day_formatter
from afterglow.core.links import pk_links
from afterglow.patients.models import CareStatus, Patient, TraumaContext, VeteranStatus

#: The PCL-5 versions counted on the list (past month and past week), by catalog code.
#: Spelled out rather than imported: ``patients`` sits below ``instruments`` and
#: ``charts``; ``tests/charts/test_layers.py`` keeps it equal to ``charts.marks.PCL5_CODES``.
PCL5_CODES = ("pcl5", "pcl5_past_week")

ORDER = ("family_name", "given_name", "pk")


@dataclass(frozen=True)
class PatientRow:
    """One row of the patient list, its text worked out once (issue 13 §2, round 3)."""

    pk: int
    url: str
    mrn: str
    name: str
    born: str
    trauma_context: str
    veteran: bool
    status: str
    status_label: str
    n_pcl5: int
    last_answered: str


def patient_list_page(
    *,
    clinic: Clinic,
    text: str = "",
    status: str = "",
    number: str | int | None = 1,
    per_page: int = 25,
    chart_links: bool = True,
) -> Page[PatientRow]:
    """One page of :func:`patient_list` as display rows, in three queries whatever the
    clinic's size: the count, the page's patients (by name, on the patients table alone),
    and the PCL-5 counts and last answers of those patients only (two numbers each, no
    second copy of their rows). Counting every patient's responses before taking 25 grew
    with the clinic (a 10,000-patient clinic: every response read for each page).

    Each row links to the chart, or to the patient's details when ``chart_links`` is
    false (a role without the clinical record)."""
    page = Paginator(_patients(clinic=clinic, text=text, status=status).order_by(*ORDER), per_page)
    current = page.get_page(number)
    patients = list(current.object_list)
    counts = {
        row["pk"]: (row["n_pcl5"], row["last_response_at"])
        for row in _with_pcl5_counts(
            Patient.objects.filter(pk__in=[p.pk for p in patients])
        ).values("pk", "n_pcl5", "last_response_at")  # type: ignore[misc]  # annotated names
    }
    url = pk_links("patients:chart" if chart_links else "patients:edit")
    day = day_formatter()
    contexts, statuses = choice_labels(TraumaContext), choice_labels(CareStatus)
    rows = []
    for p in patients:
        n_pcl5, last = counts.get(p.pk, (0, None))
        rows.append(
            PatientRow(
                pk=p.pk,
                url=url(p.pk),
                mrn=p.mrn,
                name=f"{p.family_name}, {p.given_name}",
                born=day(p.date_of_birth),
                trauma_context=contexts[p.trauma_context],
                veteran=p.veteran_status == VeteranStatus.VETERAN,
                status=p.status,
                status_label=statuses[p.status],
                n_pcl5=n_pcl5,
                last_answered=day(last) or "—",
            )
        )
    current.object_list = rows  # type: ignore[assignment]
    return current  # type: ignore[return-value]


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
