"""Diary arithmetic: the 7-day rolling mean, the edit window, a day's intrusion total.

No Django import: the chart, the CLI and the tests use the same functions.

Missing is not zero (evidence.md §7, design.md "Safety of the clinical content"): a
day without an entry is unknown, while a "none today" entry is a recorded 0. An
urgent entry whose counts were not answered is unknown too: it is a written day
(the patient reached out), but its count is missing data. Every function here keeps
that difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

#: Days in the rolling window: intrusion diaries are reported per week (evidence.md §7).
WINDOW_DAYS = 7
#: Recorded days a window needs before it has a mean (see :func:`rolling_mean`).
MIN_DAYS = 4


class HasCounts(Protocol):
    @property
    def intrusive_memories(self) -> int | None: ...
    @property
    def flashbacks(self) -> int | None: ...


def total_intrusions(entry: HasCounts) -> int | None:
    """Intrusive memories plus flashbacks: the count the diary trials report per day.

    A flashback is an intrusive memory with a here-and-now quality, so both count as
    intrusions; they are still stored, shown and plotted apart.

    None when either count was not answered (an urgent note saved without counts):
    the day's total is unknown, so it is left out of every mean, never taken as 0
    and never taken as the one count that was given.
    """
    if entry.intrusive_memories is None or entry.flashbacks is None:
        return None
    return entry.intrusive_memories + entry.flashbacks


def rolling_mean(
    days: Sequence[tuple[dt.date, float | None]],
    window: int = WINDOW_DAYS,
    min_days: int = MIN_DAYS,
) -> list[tuple[dt.date, float | None]]:
    """Trailing mean over calendar days, one point per day from the first to the last day.

    For each calendar day ``d`` the window is ``d - window + 1`` … ``d``. Its mean is
    the mean of the days in it that have a count, and only when at least ``min_days``
    of them do; otherwise the day has no mean (``None``), and the line has a gap.

    Why:

    - *Calendar days*, not "the last 7 entries": a week with three entries is not a
      week, and a gap must not pull days from further back into the window.
    - *Missing days are left out*, never counted as 0: dividing by 7 would make a
      patient who forgot to write look better (intrusions fall) without anything
      having changed.
    - *At least 4 of 7 days* (more than half the week) before a mean is shown: one or
      two entries would pose as a weekly level, and the few days people remember to
      write on are more likely the bad ones. 4 is a documented default, not a
      published threshold; pass ``min_days`` to change it.
    - *Trailing*, not centred: the mean on a day uses only what was known that day,
      so the last point does not change when tomorrow's entry arrives.

    ``days`` may be unsorted and sparse (days absent from it are missing); a date given
    twice is an error, as are ``window < 1`` and ``min_days`` outside 1…``window``.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 day, got {window}.")
    if not 1 <= min_days <= window:
        raise ValueError(f"min_days must be between 1 and window ({window}), got {min_days}.")
    counts: dict[dt.date, float | None] = {}
    for day, count in days:
        if day in counts:
            raise ValueError(f"{day.isoformat()} is given twice; pass one count per day.")
        if count is not None and count < 0:
            raise ValueError(f"{day.isoformat()} has a negative count ({count}).")
        counts[day] = count
    if not counts:
        return []
    first, last = min(counts), max(counts)
    result: list[tuple[dt.date, float | None]] = []
    day = first
    while day <= last:
        recorded = [
            count
            for offset in range(window)
            if (count := counts.get(day - dt.timedelta(days=offset))) is not None
        ]
        result.append((day, sum(recorded) / len(recorded) if len(recorded) >= min_days else None))
        day += dt.timedelta(days=1)
    return result


def editable(day: dt.date, today: dt.date, edit_days: int) -> bool:
    """Whether the patient may still write or change ``day``'s entry.

    Today and up to ``edit_days`` days before it (the clinic's ``diary_edit_days``,
    default 1: a day can be changed until the end of the next day). A future day never:
    it has not happened yet. ``today`` is the clinic's local date.
    """
    if edit_days < 0:
        raise ValueError(f"edit_days cannot be negative, got {edit_days}.")
    return today - dt.timedelta(days=edit_days) <= day <= today
