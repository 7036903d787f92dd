"""Reads for the alert inbox: each costs a fixed number of queries, whatever the rows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import Alert, AlertQuerySet, Urgency

_RELATED = ("patient", "response", "diary_entry", "acknowledged_by")

#: Inbox filters: which alerts (open or acknowledged) and how urgent.
STATUSES = ("open", "acknowledged")
URGENCIES = ("all", Urgency.URGENT.value, Urgency.ROUTINE.value)
#: Alerts per inbox page.
INBOX_PAGE_SIZE = 50


def alerts_inbox(*, clinic: Clinic, status: str = "open", urgency: str = "all") -> AlertQuerySet:
    """The clinic's alerts for one inbox tab: one query per page (plus the paginator's count).

    Open alerts: urgent first, then newest first, so an urgent one is never on a later
    page than a routine one. Acknowledged alerts: most recently acknowledged first.
    ``status`` is one of ``STATUSES``, ``urgency`` one of ``URGENCIES``.
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {', '.join(URGENCIES)}, got {urgency!r}")
    alerts = Alert.objects.for_clinic(clinic).select_related(*_RELATED)
    if urgency != "all":
        alerts = alerts.filter(urgency=urgency)
    if status == "open":
        # "urgent" sorts after "routine" as text: descending puts urgent first.
        return alerts.open().order_by("-urgency", "-created_at", "-pk")
    return alerts.acknowledged().order_by("-acknowledged_at", "-pk")


def alerts_open(*, clinic: Clinic) -> AlertQuerySet:
    """Open alerts of the clinic, urgent first, newest first: one query."""
    return alerts_inbox(clinic=clinic, status="open")


@dataclass(frozen=True)
class OpenCounts:
    urgent: int
    routine: int

    @property
    def total(self) -> int:
        return self.urgent + self.routine


def open_alert_counts(*, clinic: Clinic) -> OpenCounts:
    """How many open urgent and routine alerts the clinic has: one query."""
    counts = (
        Alert.objects.for_clinic(clinic)
        .open()
        .aggregate(
            urgent=Count("pk", filter=Q(urgency=Urgency.URGENT)),
            routine=Count("pk", filter=Q(urgency=Urgency.ROUTINE)),
        )
    )
    return OpenCounts(urgent=counts["urgent"], routine=counts["routine"])


def open_urgent_alert_count(*, clinic: Clinic) -> int:
    """How many urgent alerts of the clinic nobody has acknowledged: one query."""
    return Alert.objects.for_clinic(clinic).open().urgent().count()
