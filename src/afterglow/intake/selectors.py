"""Reads for the triage queue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from afterglow.accounts.models import Clinic
from afterglow.core.daytext import day_formatter
from afterglow.core.links import pk_links
from afterglow.intake.models import IntakeSubmission, Status

OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.SCREENING)


def intake_queue(
    *, clinic: Clinic, status: str = "open", text: str = ""
) -> QuerySet[IntakeSubmission]:
    """Submissions for the queue: ``open`` (new, contacted, screening), one status, or ``all``."""
    queue = IntakeSubmission.objects.for_clinic(clinic).in_queue().select_related("patient")
    if status == "open":
        queue = queue.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        queue = queue.filter(status=status)
    for word in text.split():
        queue = queue.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return queue.order_by("-created_at", "-pk")


def intake_status_counts(*, clinic: Clinic) -> dict[str, int]:
    rows = (
        IntakeSubmission.objects.for_clinic(clinic)
        .in_queue()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    counts["open"] = sum(counts.get(s, 0) for s in OPEN_STATUSES)
    counts["all"] = sum(v for k, v in counts.items() if k != "open")
    return counts


def queue_rows(
    submissions: Iterable[IntakeSubmission], *, can_chart: bool
) -> list[IntakeSubmission]:
    """The queue page's submissions as display rows (issue 13 §2): each gets ``received``
    (its ``created_at`` as ``date:"d M Y H:i"`` gives it, worked out once per page),
    ``status_label``, ``detail_url``, and
    ``patient_url`` with ``patient_link`` (the chart for those who may open it, else the
    record; "" before enrolment) or ``enrol_url``."""
    received = day_formatter(with_time=True)
    detail, enrol = pk_links("intake:detail"), pk_links("intake:enrol")
    patient_page = pk_links("patients:chart" if can_chart else "patients:edit")
    link_text = "Open chart" if can_chart else "Open record"
    labels = dict(Status.choices)
    rows = list(submissions)
    for s in rows:
        s.received = received(s.created_at)  # type: ignore[attr-defined]
        s.status_label = labels.get(s.status, s.status)  # type: ignore[attr-defined]
        s.detail_url = detail(s.pk)  # type: ignore[attr-defined]
        s.enrol_url = enrol(s.pk)  # type: ignore[attr-defined]
        s.patient_url = patient_page(s.patient_id) if s.patient_id else ""  # type: ignore[attr-defined]
        s.patient_link = link_text  # type: ignore[attr-defined]
    return rows
