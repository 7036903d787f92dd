"""``core.daytext.day_formatter`` gives the ``date:"d M Y"`` filter's text."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.template import Context, Template
from django.utils import timezone, translation

from afterglow.core.daytext import day_formatter

FILTER = Template('{{ value|date:"d M Y" }}')
FILTER_TIME = Template('{{ value|date:"d M Y H:i" }}')


def date_filter(value: dt.date | dt.datetime, _fmt: str) -> str:
    """What the template filter gives (it localizes aware datetimes first)."""
    return FILTER.render(Context({"value": value}))


def test_every_month_matches_the_date_filter() -> None:
    day = day_formatter()
    for month in range(1, 13):
        value = dt.date(2026, month, 3)
        assert day(value) == date_filter(value, "d M Y")
    assert day(dt.date(2026, 5, 31)) == "31 May 2026"
    assert day(None) == ""


def test_aware_datetimes_in_the_active_timezone() -> None:
    # 23:30 UTC on 31 December is already 1 January in Auckland (UTC+13 in summer).
    value = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        day = day_formatter()
        assert day(value) == "01 Jan 2026" == date_filter(value, "d M Y")
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert day_formatter()(value) == "31 Dec 2025" == date_filter(value, "d M Y")


def test_with_time_matches_the_date_filter() -> None:
    value = dt.datetime(2026, 3, 9, 7, 5, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        text = day_formatter(with_time=True)(value)
        assert text == "09 Mar 2026 07:05"
        assert text == FILTER_TIME.render(Context({"value": value}))
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kolkata")):  # UTC+05:30
        assert day_formatter(with_time=True)(value) == "09 Mar 2026 12:35"


def test_without_the_year_matches_the_date_filter() -> None:
    # The worklist's "d M H:i": 23:30 UTC on 31 December is 1 January in Auckland.
    value = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    short = Template('{{ value|date:"d M H:i" }}')
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Auckland")):
        text = day_formatter(with_time=True, with_year=False)(value)
        assert text == "01 Jan 12:30" == short.render(Context({"value": value}))
    assert day_formatter(with_year=False)(dt.date(2026, 7, 4)) == "04 Jul"


def test_the_month_names_follow_the_active_language() -> None:
    # The names are looked up once per language, not once for the first one asked.
    value = dt.date(2026, 5, 3)
    with translation.override("de"):
        german = day_formatter()(value)
        assert german == date_filter(value, "d M Y") == "03 Mai 2026"
    assert day_formatter()(value) == "03 May 2026" == date_filter(value, "d M Y")


def test_with_weekday_matches_the_date_filter() -> None:
    week = Template('{{ value|date:"D d M Y" }}')
    day = day_formatter(with_weekday=True)
    for offset in range(7):  # every weekday, across a month and a year end
        value = dt.date(2025, 12, 29) + dt.timedelta(days=offset)
        assert day(value) == week.render(Context({"value": value}))
    assert day(dt.date(2026, 12, 7)) == "Mon 07 Dec 2026"
    with translation.override("de"):
        assert day_formatter(with_weekday=True)(dt.date(2026, 12, 7)) == "Mo 07 Dez 2026"
