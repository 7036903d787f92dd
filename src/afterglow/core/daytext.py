"""``{{ value|date:"d M Y" }}`` (and ``"d M Y H:i"``, ``"d M H:i"``) for many rows at once
(issue 13 §2, rounds 3–4).

Django's ``date`` filter looks up the month's name through ``gettext`` on every call, which
on a list of dozens of rows costs milliseconds. :func:`day_formatter` looks up the twelve
month abbreviations once per language (through Django's own ``date_format``; kept for
the process, so a page may ask for a formatter per table) and gives a function that
formats each date the same way: the same text the filter gave, in the active timezone
for aware datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

from django.utils import timezone, translation
from django.utils.formats import date_format


@lru_cache(maxsize=32)
def _months(language: str | None) -> tuple[str, ...]:
    """``""`` then the twelve month abbreviations of ``date:"M"`` in ``language``."""
    return ("", *(date_format(dt.date(2000, month, 1), "M") for month in range(1, 13)))


@lru_cache(maxsize=32)
def _weekdays(language: str | None) -> tuple[str, ...]:
    """The weekday abbreviations of ``date:"D"`` in ``language``, Monday first."""
    return tuple(date_format(dt.date(2000, 1, 3 + day), "D") for day in range(7))  # a Monday


def day_formatter(
    *, with_time: bool = False, with_weekday: bool = False, with_year: bool = True
) -> Callable[[dt.date | dt.datetime | None], str]:
    """A function giving ``value|date:"d M Y"`` ("" for ``None``), for the current
    request's language and timezone; ``value|date:"d M Y H:i"`` with ``with_time`` (for
    datetimes), ``value|date:"D d M Y"`` with ``with_weekday``; without ``with_year``,
    ``"d M"`` and ``"d M H:i"``."""
    language = translation.get_language()
    months = _months(language)
    weekdays = _weekdays(language) if with_weekday else ()
    zone = timezone.get_current_timezone()

    def day(value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = value.astimezone(zone)
        text = f"{value.day:02d} {months[value.month]}"
        if with_year:
            text += f" {value.year:04d}"
        if weekdays:
            text = f"{weekdays[value.weekday()]} {text}"
        if with_time and isinstance(value, dt.datetime):
            text += f" {value.hour:02d}:{value.minute:02d}"
        return text

    return day
