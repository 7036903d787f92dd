"""Reads for the intrusion diary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from afterglow.core.tokens import hash_token
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.rules import total_intrusions
from afterglow.patients.models import Patient


@dataclass(frozen=True)
class DiaryDay:
    """One calendar day of the diary: ``entry`` is None when the day is missing."""

    day: dt.date
    entry: DiaryEntry | None

    @property
    def total(self) -> int | None:
        """Intrusive memories + flashbacks; None for a missing day and for an entry whose
        counts were not answered (an urgent note): missing data, never 0."""
        return total_intrusions(self.entry) if self.entry else None


def link_for_diary_token(token: str) -> DiaryLink | None:
    return (
        DiaryLink.objects.select_related("patient__clinic")
        .filter(token_hash=hash_token(token))
        .first()
    )


def diary_links_for_patient(*, patient: Patient) -> QuerySet[DiaryLink]:
    return DiaryLink.objects.filter(patient=patient).order_by("-created_at")


def diary_link_active(*, patient: Patient) -> DiaryLink | None:
    """The patient's working diary link (there is at most one), newest first."""
    return DiaryLink.objects.filter(patient=patient).usable().order_by("-created_at").first()


def diary_series(*, patient: Patient, start: dt.date, end: dt.date) -> list[DiaryDay]:
    """Every calendar day from ``start`` to ``end`` (inclusive), oldest first, one query.

    Days without an entry are in the list with ``entry=None``: missing, not zero.
    """
    if end < start:
        return []
    entries = {
        e.day: e for e in DiaryEntry.objects.filter(patient=patient, day__gte=start, day__lte=end)
    }
    return [
        DiaryDay(day=start + dt.timedelta(days=n), entry=entries.get(start + dt.timedelta(days=n)))
        for n in range((end - start).days + 1)
    ]
