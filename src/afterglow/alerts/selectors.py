"""Reads for the alert inbox: each costs a fixed number of queries, whatever the rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db.models import Count, Q
from django.template.defaultfilters import linebreaksbr

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import Alert, AlertQuerySet, Urgency
from afterglow.core.daytext import day_formatter
from afterglow.core.links import pk_links

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


def inbox_rows(alerts: Iterable[Alert]) -> list[Alert]:
    """The inbox page's alerts as display rows (issue 13 §2): each gets ``raised`` and
    ``acknowledged`` (``date:"d M Y H:i"``, clinic time), ``patient_name``,
    ``chart_url``, ``source_url`` and ``source_text`` (the response, else the diary),
    ``response_voided``, ``diary_note`` (the diary note with its line breaks, escaped),
    ``acknowledged_by_name`` ("a former user" once the account is gone) and
    ``acknowledge_url``, worked out once per page."""
    when = day_formatter(with_time=True)
    chart, diary = pk_links("patients:chart"), pk_links("diary:patient")
    response, acknowledge = pk_links("instruments:response_detail"), pk_links("alerts:acknowledge")
    rows = list(alerts)
    for a in rows:
        by = a.acknowledged_by
        a.raised = when(a.created_at)  # type: ignore[attr-defined]
        a.acknowledged = when(a.acknowledged_at)  # type: ignore[attr-defined]
        a.acknowledged_by_name = (  # type: ignore[attr-defined]
            (by.get_full_name() or by.username) if by is not None else ""
        ) or "a former user"
        a.patient_name = a.patient.full_name  # type: ignore[attr-defined]
        a.chart_url = chart(a.patient_id)  # type: ignore[attr-defined]
        a.source_text = a.get_source_kind_display()  # type: ignore[attr-defined]
        a.source_url = (  # type: ignore[attr-defined]
            response(a.response_id) if a.response_id else diary(a.patient_id)
        )
        a.response_voided = bool(a.response_id and a.response.voided_at)  # type: ignore[union-attr,attr-defined]
        note = a.diary_entry.note if a.diary_entry_id else ""  # type: ignore[union-attr]
        a.diary_note = linebreaksbr(note, autoescape=True) if note else ""  # type: ignore[attr-defined]
        a.acknowledge_url = acknowledge(a.pk)  # type: ignore[attr-defined]
    return rows


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


@cache
def _open_urgent() -> AlertQuerySet:
    # Built once per process, never evaluated itself: every staff page's navigation
    # counts these, and building the query cost more than answering it (issue 13 §2).
    return Alert.objects.open().urgent()


def open_urgent_alert_count(*, clinic: Clinic) -> int:
    """How many urgent alerts of the clinic nobody has acknowledged: one query."""
    return _open_urgent().for_clinic(clinic).count()
