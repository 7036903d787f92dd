"""The diary table (chart's Intrusion diary card and the staff diary page) as display
rows: each day's cells worked out once in Python, so the 56 or more rows render in one
loop without template filters (issue 13 §2: the table with filters cost more than the
rest of a chart together). Runs no queries.

The text is what the template gave before: ``date:"D d M Y"`` for the day, ``{{ n }}``
for counts, ``floatformat:1`` for the 7-day mean, ``yesno:"Yes,No"`` for nightmares and
``truncatechars:120`` for the note. Missing answers stay ``None`` (shown as "—"), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.text import Truncator

from afterglow.core.daytext import day_formatter
from afterglow.diary.selectors import DiaryDay

#: Characters of the note shown in the table (the rest is on the entry).
NOTE_CHARS = 120


@dataclass(frozen=True)
class DiaryLine:
    """One day of the diary table (newest first); ``recorded`` False: a missing day,
    which has only ``day`` and ``mean``."""

    day: str
    mean: str | None  # the 7-day mean to one decimal; None: not enough days
    recorded: bool
    urgent: bool = False
    none_today: bool = False
    counts_not_answered: bool = False
    memories: str | None = None  # None: not answered
    flashbacks: str | None = None
    total: str | None = None  # None: a count not answered
    nightmares: str = ""
    distress: str | None = None
    triggers: str = ""
    note: str = ""


def _count(value: Any) -> str | None:
    return None if value is None else str(localize(value))


def diary_lines(
    days: Sequence[DiaryDay], means: Sequence[tuple[dt.date, float | None]]
) -> list[DiaryLine]:
    """The table's rows, newest first, from the consecutive ``days`` (oldest first) and
    each day's 7-day mean (``figures_diary.diary_means``)."""
    by_day = dict(means)
    day_text = day_formatter(with_weekday=True)
    mean_text: dict[float, str] = {}  # a week's means repeat: format each value once
    lines = []
    for d in reversed(days):
        mean = by_day.get(d.day)
        if mean is not None and mean not in mean_text:
            mean_text[mean] = str(floatformat(mean, 1))
        shown_mean = None if mean is None else mean_text[mean]
        entry = d.entry
        if entry is None:
            lines.append(DiaryLine(day=day_text(d.day), mean=shown_mean, recorded=False))
            continue
        lines.append(
            DiaryLine(
                day=day_text(d.day),
                mean=shown_mean,
                recorded=True,
                urgent=entry.urgent,
                none_today=entry.none_today,
                counts_not_answered=not entry.counts_answered,
                memories=_count(entry.intrusive_memories),
                flashbacks=_count(entry.flashbacks),
                total=_count(d.total),
                nightmares="Yes" if entry.nightmares else "No",
                distress=_count(entry.peak_distress),
                triggers=entry.triggers,
                note=Truncator(entry.note).chars(NOTE_CHARS),
            )
        )
    return lines
