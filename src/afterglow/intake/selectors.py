"""Reads for the triage queue."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from afterglow.accounts.models import Clinic
from afterglow.core.daytext import day_formatter
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


def with_received_text(submissions: Iterable[IntakeSubmission]) -> list[IntakeSubmission]:
    """The queue page's submissions, each with ``received``: its ``created_at`` as
    ``date:"d M Y H:i"`` gives it, worked out once per page (issue 13 §2, round 3)."""
    received = day_formatter(with_time=True)
    rows = list(submissions)
    for submission in rows:
        submission.received = received(submission.created_at)  # type: ignore[attr-defined]
    return rows
