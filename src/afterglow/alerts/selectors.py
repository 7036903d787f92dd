"""Reads for the alert inbox: each costs a fixed number of queries, whatever the rows."""

from __future__ import annotations

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import Alert, AlertQuerySet, Urgency

_RELATED = ("patient", "response", "diary_entry", "acknowledged_by")


def alerts_open(*, clinic: Clinic) -> AlertQuerySet:
    """Open alerts of the clinic, urgent first, newest first: one query."""
    return (
        Alert.objects.for_clinic(clinic)
        .open()
        .select_related(*_RELATED)
        .order_by("-urgency", "-created_at", "-pk")  # "urgent" sorts after "routine"
    )


def alerts_acknowledged(*, clinic: Clinic, limit: int = 100) -> AlertQuerySet:
    """The clinic's most recently acknowledged alerts: one query."""
    return (
        Alert.objects.for_clinic(clinic)
        .acknowledged()
        .select_related(*_RELATED)
        .order_by("-acknowledged_at", "-pk")[:limit]
    )


def open_urgent_alert_count(*, clinic: Clinic) -> int:
    """How many urgent alerts of the clinic nobody has acknowledged: one query."""
    return Alert.objects.for_clinic(clinic).open().filter(urgency=Urgency.URGENT).count()
