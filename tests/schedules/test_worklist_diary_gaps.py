"""The worklist's diary gaps are chosen by SQL alone (issue 13 §2); the missed-diary
alert's rule, :func:`afterglow.alerts.rules.diary_gap`, stays the source of truth: on
the boundary days the query lists exactly the patients the rule finds a gap for, with
the rule's count of days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from afterglow.alerts.rules import diary_gap
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.services import diary_link_create
from afterglow.patients.models import Patient
from afterglow.schedules.selectors import worklist
from tests.factories import PatientFactory

NEW_YORK = ZoneInfo("America/New_York")  # the factories' clinic timezone
D = dt.date
LINK_DAY = D(2026, 11, 26)


@pytest.fixture(autouse=True)
def _link_day() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 11, 26, 15, 0, tzinfo=NEW_YORK), tick=False):
        yield


def _patient(clinic, *, link_at: dt.datetime, entries: tuple[dt.date, ...] = ()) -> Patient:
    patient = PatientFactory(clinic=clinic)
    diary_link_create(patient=patient, by=None)
    DiaryLink.objects.filter(patient=patient).update(created_at=link_at)
    for day in entries:
        DiaryEntry.objects.create(
            clinic=clinic, patient=patient, day=day, intrusive_memories=1, flashbacks=0
        )
    return patient


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


def test_the_query_lists_exactly_the_gaps_the_alert_rule_finds(clinic) -> None:
    assert clinic.diary_missed_days_alert == 3
    patients = {
        # No entry: the link's (clinic-local) day anchors the gap.
        "afternoon link": _patient(clinic, link_at=_local(LINK_DAY, 15)),
        # 23:30 in New York is the next day in UTC: still the 26th for the clinic.
        "late-evening link": _patient(clinic, link_at=_local(LINK_DAY, 23, 30)),
        "just after midnight": _patient(clinic, link_at=_local(LINK_DAY + dt.timedelta(1), 0, 5)),
        # The last entry, after the link, anchors the gap.
        "entry after the link": _patient(
            clinic, link_at=_local(LINK_DAY, 9), entries=(D(2026, 11, 24), D(2026, 11, 28))
        ),
        # An entry older than the link (an earlier link) does not start a gap on its own.
        "entry before the link": _patient(
            clinic, link_at=_local(LINK_DAY, 9), entries=(D(2026, 11, 20),)
        ),
    }
    facts = {
        name: (
            max(p.diary_entries.values_list("day", flat=True), default=None),
            p.diary_links.get().created_at.astimezone(NEW_YORK).date(),
        )
        for name, p in patients.items()
    }
    seen_listed = seen_left_out = 0
    for offset in range(0, 8):
        today = LINK_DAY + dt.timedelta(days=offset)
        rows = worklist(clinic=clinic, now=_local(today, 12), show="diary").diary_gaps
        listed = {g.patient_id: g.days_missed for g in rows}
        for name, patient in patients.items():
            last_entry, link_since = facts[name]
            gap = diary_gap(
                last_entry=last_entry, link_since=link_since, today=today, missed_days=3
            )
            expected = None if gap is None else gap.missed
            assert listed.get(patient.pk) == expected, f"{name} on {today}"
            seen_listed += expected is not None
            seen_left_out += expected is None
    # Both sides of the boundary were checked.
    assert seen_listed and seen_left_out


def test_two_days_without_an_entry_are_not_listed_and_three_are(clinic) -> None:
    patient = _patient(clinic, link_at=_local(LINK_DAY, 15))

    def listed(today: dt.date) -> list[int]:
        rows = worklist(clinic=clinic, now=_local(today, 12), show="diary").diary_gaps
        return [g.days_missed for g in rows if g.patient_id == patient.pk]

    assert listed(D(2026, 11, 29)) == []  # 27th and 28th missed: two days
    assert listed(D(2026, 11, 30)) == [3]  # 27th, 28th, 29th: three
    assert worklist(clinic=clinic, now=_local(D(2026, 11, 30), 12)).counts["diary"] == 1
