"""Measurement schedules as data, and the occurrences one gives for one course.

No Django import: the services, the demo and the tests share these rules.

A schedule definition (``definitions/<name>.json``) is a list of items. Each item asks
for one instrument (a catalog code such as ``pcl5``, ``pcl5_past_week``, ``phq9``, or
``diary``) relative to an *anchor* of the course:

``course_start``
    the course's start date (its first planned dose day);
``first_dose`` / ``last_dose``
    the first and the last dose of the course proper (maintenance doses excluded);
``dose``
    every dose, course and maintenance: the item occurs once per dose, keyed by the
    session number.

An anchor is the dose's real start time once it is recorded and its planned date until
then. A date has no time, so a date anchor stands for ``send_hour`` (09:00 by default)
in the clinic's timezone.

Offsets and times:

- ``{"days": d}`` alone is calendar arithmetic: the anchor's local date plus ``d`` days,
  at ``send_hour`` local time ("the day after the last dose" is 09:00 that day, whatever
  time the dose was given). Daylight-saving changes do not shift the hour.
- ``{"hours": h}`` (with or without days) is elapsed time from the anchor: "24 h after
  the first dose" is 24 hours after the recorded start, or 09:00 the next day while
  the dose is only planned.
- ``repeat: {"every_days", "count", "first_n"}`` repeats the item ``count`` times,
  ``every_days`` apart, numbering the occurrences from ``first_n`` (default 1).
- ``closes_before: <anchor>`` ends the occurrence's window at that anchor ("before dose
  3" closes when dose 3 starts; while the dose is only planned, at the end of its day).
  ``"dose"`` means the item's own dose. An item whose closing anchor does not exist
  (no dose planned at all) does not occur.
- ``window_hours`` ends the window that many hours after the due time instead.
  Without either, the caller applies the clinic's link lifetime.
- ``daily_until: {"anchor", "days"}`` (diary only) makes the item one *period* of
  daily entries from its due date to the anchor's date plus ``days``.
- ``skip_if_within: {"key", "hours"}`` drops the item when the occurrence with that key
  is due less than ``hours`` away (a one-day course would otherwise ask for the PCL-5
  twice on the same morning).

Keys are stable: an occurrence's key depends on the item and its number only (``{n}``
in the key: the repetition number, or the session number for ``dose`` items), never
on the date. ``pcl5@first_dose+24h``, ``phq9@dose:3`` and ``pcl5@after_course:w2`` name
the same invitation however often the course is re-anchored, so moving a dose moves
its invitations instead of duplicating them.

Definitions are checked when loaded (``schedules.definition``); a mistake raises
:class:`ScheduleDefinitionError` naming the file, the item and the field, e.g.
``default.json: items[2].anchor: 'first' is not one of course_start, first_dose, dose,
last_dose``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from afterglow.schedules.definition import (
    ANCHORS,
    DIARY,
    Definition,
    Item,
    Offset,
    ScheduleDefinitionError,
    definition_data,
    load_definition,
    parse_definition,
)

__all__ = [
    "ANCHORS",
    "DIARY",
    "Anchors",
    "Definition",
    "Dose",
    "Item",
    "Occurrence",
    "ScheduleDefinitionError",
    "definition_data",
    "load_definition",
    "occurrences",
    "parse_definition",
]

_UTC = dt.UTC


# --- anchors and occurrences ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dose:
    """A dose of the course: ``at`` is its recorded start (aware) or its planned date."""

    number: int
    at: dt.date | dt.datetime
    course: bool = True  # False for a maintenance dose

    def __post_init__(self) -> None:
        if isinstance(self.at, dt.datetime) and self.at.tzinfo is None:
            raise ValueError(f"dose {self.number}: a recorded time must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Anchors:
    course_start: dt.date
    doses: tuple[Dose, ...] = ()

    def resolve(self, name: str) -> dt.date | dt.datetime | None:
        """The anchor ``name`` (not "dose": that one is per dose), or None when absent."""
        course = sorted((d for d in self.doses if d.course), key=lambda d: d.number)
        if name == "course_start":
            return self.course_start
        if name == "first_dose":
            return course[0].at if course else None
        if name == "last_dose":
            return course[-1].at if course else None
        raise ValueError(f"{name!r} is not a single anchor")


@dataclass(frozen=True, slots=True)
class Occurrence:
    key: str
    item_key: str
    instrument: str
    label: str
    anchor: str
    due_at: dt.datetime
    #: End of the window; None = the caller's default (the clinic's link lifetime).
    closes_at: dt.datetime | None
    #: For a daily item: its first and last day (local dates).
    period: tuple[dt.date, dt.date] | None = None

    @property
    def daily(self) -> bool:
        return self.period is not None


def _local_date(at: dt.date | dt.datetime, tz: ZoneInfo) -> dt.date:
    return at.astimezone(tz).date() if isinstance(at, dt.datetime) else at


def _at_hour(day: dt.date, hour: int, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


def _anchor_time(at: dt.date | dt.datetime, send_hour: int, tz: ZoneInfo) -> dt.datetime:
    return at.astimezone(tz) if isinstance(at, dt.datetime) else _at_hour(at, send_hour, tz)


def _shift(at: dt.date | dt.datetime, offset: Offset, send_hour: int, tz: ZoneInfo) -> dt.datetime:
    if offset.hours == 0:
        return _at_hour(_local_date(at, tz) + dt.timedelta(days=offset.days), send_hour, tz)
    # Elapsed time: count in UTC so "24 h" stays 24 h across a daylight-saving change.
    start = _anchor_time(at, send_hour, tz).astimezone(_UTC)
    return (start + dt.timedelta(days=offset.days, hours=offset.hours)).astimezone(tz)


def _closing(at: dt.date | dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A recorded dose closes at its start; a planned date at the end of that day."""
    if isinstance(at, dt.datetime):
        return at.astimezone(tz)
    return _at_hour(at + dt.timedelta(days=1), 0, tz)


def _numbered(template: str, n: int | None) -> str:
    return template if n is None else template.replace("{n}", str(n))


def _item_occurrences(
    item: Item, definition: Definition, anchors: Anchors, tz: ZoneInfo
) -> list[Occurrence]:
    hour = definition.send_hour
    targets: list[tuple[int | None, dt.date | dt.datetime]]
    if item.anchor == "dose":
        targets = [(d.number, d.at) for d in sorted(anchors.doses, key=lambda d: d.number)]
    else:
        at = anchors.resolve(item.anchor)
        targets = [] if at is None else [(None, at)]
    found: list[Occurrence] = []
    for number, at in targets:
        closes: dt.datetime | None = None
        if item.closes_before is not None:
            before = at if item.closes_before == "dose" else anchors.resolve(item.closes_before)
            if before is None:
                continue
            closes = _closing(before, tz)
        if item.daily_until is not None:
            until = anchors.resolve(item.daily_until.anchor)
            if until is None:
                continue
            first = _local_date(at, tz) + dt.timedelta(days=item.offset.days)
            last = _local_date(until, tz) + dt.timedelta(days=item.daily_until.days)
            if last < first:
                continue
            found.append(
                Occurrence(
                    key=item.key,
                    item_key=item.key,
                    instrument=item.instrument,
                    label=item.label,
                    anchor=item.anchor,
                    due_at=_at_hour(first, hour, tz),
                    closes_at=_at_hour(last + dt.timedelta(days=1), 0, tz),
                    period=(first, last),
                )
            )
            continue
        repeats: list[tuple[int | None, Offset]]
        if item.repeat is not None:
            repeats = [
                (
                    item.repeat.first_n + i,
                    Offset(item.offset.days + i * item.repeat.every_days, item.offset.hours),
                )
                for i in range(item.repeat.count)
            ]
        else:
            repeats = [(number, item.offset)]
        for n, offset in repeats:
            due = _shift(at, offset, hour, tz)
            window_end = (
                due + dt.timedelta(hours=item.window_hours) if item.window_hours else closes
            )
            found.append(
                Occurrence(
                    key=_numbered(item.key, n),
                    item_key=item.key,
                    instrument=item.instrument,
                    label=_numbered(item.label, n),
                    anchor=item.anchor,
                    due_at=due,
                    closes_at=window_end,
                )
            )
    return found


def occurrences(definition: Definition, anchors: Anchors, tz: ZoneInfo) -> list[Occurrence]:
    """Every occurrence of ``definition`` for a course with these ``anchors``, by due time.

    Pure and deterministic: the same anchors give the same keys and times, so callers
    compare the result with what is stored and move, add or cancel accordingly.
    """
    found: list[Occurrence] = []
    for item in definition.items:
        found += _item_occurrences(item, definition, anchors, tz)
    due_by_key = {o.key: o.due_at for o in found}
    rules = {item.key: item.skip_if_within for item in definition.items}
    kept = []
    for occurrence in found:
        rule = rules[occurrence.item_key]
        other = due_by_key.get(rule.key) if rule else None
        if rule and other and abs(occurrence.due_at - other) < dt.timedelta(hours=rule.hours):
            continue
        kept.append(occurrence)
    return sorted(kept, key=lambda o: (o.due_at, o.key))
