"""Planned session dates for a treatment course and its maintenance sessions.

Django-free: the course service, the plan preview and the tests share it.
Weekdays are numbered as in :meth:`datetime.date.weekday`, 0 = Monday … 6 = Sunday.

The course plan (:func:`plan_dates`)
------------------------------------

1. The first session is on ``start`` if that is a clinic day, else on the next
   clinic day.
2. A weekly pattern of ``sessions_per_week`` clinic weekdays is chosen. It
   contains the first session's weekday and spreads the sessions as evenly as
   the clinic's days allow around the 7-day week. "Evenly" means, in order:
   the smallest longest gap between consecutive sessions, then the smallest
   sum of squared gaps (the gaps always add up to 7), then the earliest second
   session. On Monday–Friday this gives Mon/Wed/Fri for 3 a week from a Monday
   (as in Albott 2018, evidence.md §6), Mon/Thu for 2 a week from a Monday, and
   the same weekday every week for 1 a week.
3. The pattern repeats week after week until ``sessions`` dates are planned.
   So any 7 consecutive days hold at most ``sessions_per_week`` sessions, no
   two sessions share a day, and none falls on a day the clinic does not dose.

Edge cases:

- A start on a weekday with no dosing moves to the next clinic day (Saturday
  -> Monday on Monday–Friday).
- Where the clinic's days cannot be spread evenly from the first weekday, the
  uneven gap is accepted rather than moving the first session (2 a week from a
  Wednesday on Monday–Friday is Wed/Fri: gaps of 2 and 5 days).
- ``sessions_per_week`` larger than the number of clinic days is refused with
  a message saying how to fix it; ``None`` is allowed only for one session.
- Holidays are not known here: move a single session on the course page.

Maintenance (:func:`maintenance_dates`)
---------------------------------------

Sessions every ``every_days`` days counted from ``after`` (the last dose, or
the day before the first maintenance session is wanted): target *i* is
``after + i × every_days``, moved forward to the next clinic day. Targets do
not drift: a session moved from a Saturday to a Monday does not push the next
one. If moving forward would put two sessions on one day (every 1 day across a
weekend), the later one moves to the next free clinic day.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

__all__ = [
    "WEEKDAY_NAMES",
    "maintenance_dates",
    "next_clinic_day",
    "off_schedule_warning",
    "plan_dates",
    "shift_dates",
    "weekly_pattern",
]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY = dt.timedelta(days=1)


def _check_weekdays(weekdays: Sequence[int]) -> tuple[int, ...]:
    days = tuple(sorted(set(weekdays)))
    if not days:
        raise ValueError(
            "The clinic has no dosing days; set them in the clinic settings (e.g. Monday–Friday)."
        )
    if any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days):
        raise ValueError(f"Weekdays must be numbers 0 (Monday) to 6 (Sunday), got {weekdays!r}.")
    return days


def _names(days: Sequence[int]) -> str:
    return ", ".join(WEEKDAY_NAMES[d][:3] for d in sorted(days))


def next_clinic_day(day: dt.date, weekdays: Sequence[int]) -> dt.date:
    """``day`` itself if the clinic doses then, else the next day it does."""
    days = _check_weekdays(weekdays)
    while day.weekday() not in days:
        day += _DAY
    return day


def _gaps(pattern: Sequence[int]) -> tuple[int, ...]:
    """Days from each pattern weekday to the next, starting at the first; they sum to 7."""
    n = len(pattern)
    return tuple((pattern[(i + 1) % n] - pattern[i]) % 7 or 7 for i in range(n))


def weekly_pattern(*, first: int, per_week: int, weekdays: Sequence[int]) -> tuple[int, ...]:
    """The ``per_week`` clinic weekdays, starting with ``first``, in the order they come.

    Chosen as described in the module docstring (smallest longest gap, then the
    smallest sum of squared gaps, then the earliest next session).
    """
    days = _check_weekdays(weekdays)
    if first not in days:
        raise ValueError(f"{WEEKDAY_NAMES[first]} is not one of the clinic's dosing days.")
    if per_week < 1:
        raise ValueError("Plan at least one session a week.")
    if per_week > len(days):
        raise ValueError(
            f"{per_week} sessions a week do not fit the clinic's {len(days)} dosing "
            f"day{'s' if len(days) != 1 else ''} ({_names(days)}): lower the protocol's sessions "
            f"per week to at most {len(days)}, or add dosing days in the clinic settings."
        )
    # Weekdays in the order they follow ``first`` around the week.
    after = sorted((d for d in days if d != first), key=lambda d: (d - first) % 7)
    best: tuple[int, ...] | None = None
    best_key: tuple[int, int, tuple[int, ...]] | None = None
    for others in itertools.combinations(after, per_week - 1):
        pattern = (first, *others)
        gaps = _gaps(pattern)
        key = (max(gaps), sum(g * g for g in gaps), gaps)
        if best_key is None or key < best_key:
            best, best_key = pattern, key
    assert best is not None  # per_week <= len(days), so there is at least one combination
    return best


def plan_dates(
    *, start: dt.date, sessions: int, sessions_per_week: int | None, weekdays: Sequence[int]
) -> list[dt.date]:
    """The dates of a course of ``sessions`` doses, ``sessions_per_week`` a week.

    See the module docstring for the rule and its edge cases.
    """
    if sessions < 1:
        raise ValueError("A course needs at least one session.")
    first = next_clinic_day(start, weekdays)
    if sessions_per_week is None:
        if sessions != 1:
            raise ValueError(
                f"Say how many sessions a week for a course of {sessions}: set the protocol's "
                "sessions per week."
            )
        return [first]
    pattern = weekly_pattern(first=first.weekday(), per_week=sessions_per_week, weekdays=weekdays)
    gaps = itertools.cycle(_gaps(pattern))
    dates = [first]
    while len(dates) < sessions:
        dates.append(dates[-1] + dt.timedelta(days=next(gaps)))
    return dates


def maintenance_dates(
    *, after: dt.date, count: int, every_days: int, weekdays: Sequence[int]
) -> list[dt.date]:
    """``count`` sessions every ``every_days`` days after ``after``, on clinic days.

    Rule in the module docstring. Every date is later than ``after`` and than
    the one before it.
    """
    if count < 1:
        raise ValueError("Plan at least one maintenance session.")
    if every_days < 1:
        raise ValueError("Maintenance sessions need at least 1 day between them.")
    days = _check_weekdays(weekdays)
    dates: list[dt.date] = []
    previous = after
    for i in range(1, count + 1):
        target = max(after + dt.timedelta(days=i * every_days), previous + _DAY)
        previous = next_clinic_day(target, days)
        dates.append(previous)
    return dates


def shift_dates(
    dates: Sequence[dt.date], *, days: int, weekdays: Sequence[int], not_before: dt.date
) -> list[dt.date]:
    """Move ``dates`` (ascending) by ``days``, each onto a clinic day after the one before.

    Used when a paused course resumes: its maintenance sessions follow the course
    by the same number of days. The first date is never earlier than ``not_before``.
    """
    clinic_days = _check_weekdays(weekdays)
    moved: list[dt.date] = []
    floor = not_before
    for day in dates:
        target = max(day + dt.timedelta(days=days), floor)
        floor = next_clinic_day(target, clinic_days)
        moved.append(floor)
        floor += _DAY
    return moved


def off_schedule_warning(*, today: dt.date, planned: dt.date, weekdays: Sequence[int]) -> str:
    """Why starting a dose on ``today`` is off the plan, or "" when it is on it.

    Two checks, both reported: ``today`` is not the session's planned date, and
    ``today`` is not one of the clinic's dosing weekdays. Neither forbids the
    start; the session page asks for a reason and records it with this text.
    """
    problems = []
    if today != planned:
        problems.append(
            f"Today ({today:%a %d %b}) is not this session's planned date ({planned:%a %d %b})."
        )
    if today.weekday() not in weekdays:
        problems.append(f"{WEEKDAY_NAMES[today.weekday()]} is not one of the clinic's dosing days.")
    return " ".join(problems)
