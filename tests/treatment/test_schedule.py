"""The course plan and maintenance dates: hand-worked calendars, then properties.

Calendar used below (December 2026):

    Mo Tu We Th Fr Sa Su
    30  1  2  3  4  5  6      (30 = 30 November)
     7  8  9 10 11 12 13
    14 15 16 17 18 19 20
    21 22 23 24 25 26 27
    28 29 30 31  1  2  3      (1 = 1 January 2027)
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterglow.treatment.schedule import (
    maintenance_dates,
    next_clinic_day,
    plan_dates,
    shift_dates,
    weekly_pattern,
)

MON_FRI = (0, 1, 2, 3, 4)
TUE_THU = (1, 3)


def d(day: int, month: int = 12, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def test_the_calendar_above_is_right() -> None:
    assert d(2).strftime("%A") == "Wednesday"
    assert d(30, 11).strftime("%A") == "Monday"


# --- hand-worked plans --------------------------------------------------------------------------


def test_six_sessions_three_a_week_from_a_wednesday_fall_wed_fri_mon() -> None:
    # Feder 2021's rhythm from Wed 2 Dec: the Mon/Wed/Fri pattern, entered on Wednesday.
    assert plan_dates(start=d(2), sessions=6, sessions_per_week=3, weekdays=MON_FRI) == [
        d(2),  # Wed
        d(4),  # Fri
        d(7),  # Mon
        d(9),  # Wed
        d(11),  # Fri
        d(14),  # Mon
    ]


def test_six_sessions_three_a_week_from_a_monday_are_mon_wed_fri_as_in_albott() -> None:
    assert plan_dates(start=d(30, 11), sessions=6, sessions_per_week=3, weekdays=MON_FRI) == [
        d(30, 11),
        d(2),
        d(4),
        d(7),
        d(9),
        d(11),
    ]


def test_eight_sessions_twice_a_week_from_a_monday_are_mon_thu() -> None:
    # Abdallah 2022's rhythm: 8 infusions twice weekly over 4 weeks.
    assert plan_dates(start=d(30, 11), sessions=8, sessions_per_week=2, weekdays=MON_FRI) == [
        d(30, 11),  # Mon
        d(3),  # Thu
        d(7),  # Mon
        d(10),  # Thu
        d(14),
        d(17),
        d(21),
        d(24),
    ]


def test_twice_a_week_from_a_wednesday_accepts_the_uneven_week() -> None:
    # No Mon–Fri pair containing Wednesday is 3/4 days apart: Wed/Fri (2 and 5 days) and
    # Wed/Mon (5 and 2) tie, and the earlier second session wins.
    assert plan_dates(start=d(2), sessions=8, sessions_per_week=2, weekdays=MON_FRI) == [
        d(2),
        d(4),
        d(9),
        d(11),
        d(16),
        d(18),
        d(23),
        d(25),
    ]


def test_once_a_week_keeps_the_first_weekday() -> None:
    # Shiroma's weekly infusions.
    assert plan_dates(start=d(3), sessions=3, sessions_per_week=1, weekdays=MON_FRI) == [
        d(3),
        d(10),
        d(17),
    ]


def test_a_saturday_start_moves_to_monday() -> None:
    assert plan_dates(start=d(5), sessions=6, sessions_per_week=3, weekdays=MON_FRI) == [
        d(7),
        d(9),
        d(11),
        d(14),
        d(16),
        d(18),
    ]


def test_a_clinic_dosing_tuesday_and_thursday_only() -> None:
    # Start Wed 2 Dec -> first clinic day Thu 3; then Tue/Thu.
    assert plan_dates(start=d(2), sessions=4, sessions_per_week=2, weekdays=TUE_THU) == [
        d(3),
        d(8),
        d(10),
        d(15),
    ]
    assert plan_dates(start=d(2), sessions=3, sessions_per_week=1, weekdays=TUE_THU) == [
        d(3),
        d(10),
        d(17),
    ]


def test_a_plan_crosses_the_new_year() -> None:
    assert plan_dates(start=d(28), sessions=6, sessions_per_week=3, weekdays=MON_FRI) == [
        d(28),
        d(30),
        d(1, 1, 2027),
        d(4, 1, 2027),
        d(6, 1, 2027),
        d(8, 1, 2027),
    ]


def test_a_single_session_needs_no_rhythm() -> None:
    assert plan_dates(start=d(6), sessions=1, sessions_per_week=None, weekdays=MON_FRI) == [d(7)]


def test_more_sessions_a_week_than_clinic_days_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"do not fit the clinic's 2 dosing days \(Tue, Thu\)"):
        plan_dates(start=d(2), sessions=6, sessions_per_week=3, weekdays=TUE_THU)
    with pytest.raises(ValueError, match="at most 2, or add dosing days"):
        plan_dates(start=d(2), sessions=6, sessions_per_week=3, weekdays=TUE_THU)


def test_several_sessions_without_a_weekly_rhythm_are_refused() -> None:
    with pytest.raises(ValueError, match="sessions per week"):
        plan_dates(start=d(2), sessions=6, sessions_per_week=None, weekdays=MON_FRI)


def test_no_sessions_or_no_dosing_days_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one session"):
        plan_dates(start=d(2), sessions=0, sessions_per_week=3, weekdays=MON_FRI)
    with pytest.raises(ValueError, match="no dosing days"):
        plan_dates(start=d(2), sessions=2, sessions_per_week=1, weekdays=())
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        plan_dates(start=d(2), sessions=2, sessions_per_week=1, weekdays=(7,))


def test_weekly_patterns_on_monday_to_friday() -> None:
    assert weekly_pattern(first=0, per_week=3, weekdays=MON_FRI) == (0, 2, 4)
    assert weekly_pattern(first=0, per_week=2, weekdays=MON_FRI) == (0, 3)
    assert weekly_pattern(first=1, per_week=2, weekdays=MON_FRI) == (1, 4)
    assert weekly_pattern(first=4, per_week=1, weekdays=MON_FRI) == (4,)
    assert weekly_pattern(first=0, per_week=5, weekdays=MON_FRI) == MON_FRI


# --- maintenance ----------------------------------------------------------------------------


def test_maintenance_every_two_weeks_after_the_last_dose() -> None:
    assert maintenance_dates(after=d(14), count=3, every_days=14, weekdays=MON_FRI) == [
        d(28),
        d(11, 1, 2027),
        d(25, 1, 2027),
    ]


def test_maintenance_moved_off_a_weekend_does_not_drift() -> None:
    # Targets: Thu 24 Dec, Sun 3 Jan (-> Mon 4 Jan), Wed 13 Jan (not Thu 14).
    assert maintenance_dates(after=d(14), count=3, every_days=10, weekdays=MON_FRI) == [
        d(24),
        d(4, 1, 2027),
        d(13, 1, 2027),
    ]


def test_daily_maintenance_across_a_weekend_never_doubles_up() -> None:
    assert maintenance_dates(after=d(4), count=3, every_days=1, weekdays=MON_FRI) == [
        d(7),
        d(8),
        d(9),
    ]


def test_maintenance_input_checks() -> None:
    with pytest.raises(ValueError, match="at least one"):
        maintenance_dates(after=d(4), count=0, every_days=7, weekdays=MON_FRI)
    with pytest.raises(ValueError, match="at least 1 day"):
        maintenance_dates(after=d(4), count=2, every_days=0, weekdays=MON_FRI)


def test_shifting_dates_keeps_them_on_clinic_days_and_in_order() -> None:
    assert shift_dates([d(7), d(8)], days=5, weekdays=MON_FRI, not_before=d(1)) == [
        d(14),  # Sat 12 -> Mon 14
        d(15),  # Sun 13 -> after Mon 14
    ]


# --- properties -----------------------------------------------------------------------------

weekday_sets = st.sets(st.integers(0, 6), min_size=1).map(lambda s: tuple(sorted(s)))
starts = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))


@st.composite
def plans(draw: st.DrawFn) -> tuple[dt.date, int, int, tuple[int, ...]]:
    weekdays = draw(weekday_sets)
    per_week = draw(st.integers(1, len(weekdays)))
    return draw(starts), draw(st.integers(1, 40)), per_week, weekdays


@given(plans())
@settings(max_examples=300, deadline=None)
def test_plan_properties(plan: tuple[dt.date, int, int, tuple[int, ...]]) -> None:
    start, sessions, per_week, weekdays = plan
    dates = plan_dates(
        start=start, sessions=sessions, sessions_per_week=per_week, weekdays=weekdays
    )
    assert len(dates) == sessions
    # The first session is the first clinic day on or after the start.
    assert dates[0] == next_clinic_day(start, weekdays)
    assert start <= dates[0] < start + dt.timedelta(days=7)
    # Only clinic days, never two on a day, always moving forward.
    assert all(day.weekday() in weekdays for day in dates)
    assert all(b > a for a, b in itertools.pairwise(dates))
    # Exactly per_week sessions in every week counted from any session.
    for i, day in enumerate(dates):
        window = [x for x in dates if day <= x < day + dt.timedelta(days=7)]
        assert len(window) <= per_week
        if i + per_week <= len(dates) - 1:
            assert len(window) == per_week
            assert dates[i + per_week] - day == dt.timedelta(days=7)


@given(starts, st.integers(1, 7), st.integers(1, 30))
@settings(max_examples=100, deadline=None)
def test_with_every_day_open_the_gaps_differ_by_at_most_one_day(
    start: dt.date, per_week: int, sessions: int
) -> None:
    dates = plan_dates(
        start=start, sessions=sessions, sessions_per_week=per_week, weekdays=range(7)
    )
    gaps = {(b - a).days for a, b in itertools.pairwise(dates)}
    assert not gaps or max(gaps) - min(gaps) <= 1


@given(weekday_sets, starts)
def test_too_many_sessions_a_week_always_explains_the_fix(
    weekdays: tuple[int, ...], start: dt.date
) -> None:
    with pytest.raises(ValueError, match="add dosing days in the clinic settings"):
        plan_dates(start=start, sessions=4, sessions_per_week=len(weekdays) + 1, weekdays=weekdays)


@given(weekday_sets, starts, st.integers(1, 20), st.integers(1, 60))
@settings(max_examples=200, deadline=None)
def test_maintenance_properties(
    weekdays: tuple[int, ...], after: dt.date, count: int, every: int
) -> None:
    dates = maintenance_dates(after=after, count=count, every_days=every, weekdays=weekdays)
    assert len(dates) == count
    assert dates[0] > after
    assert all(day.weekday() in weekdays for day in dates)
    assert all(b > a for a, b in itertools.pairwise(dates))
    for i, day in enumerate(dates, start=1):
        target = after + dt.timedelta(days=i * every)
        assert day >= target
        if every >= 7:  # room for each to move to its own clinic day: no knock-on delay
            assert day < target + dt.timedelta(days=7)


# --- starting a session off the plan -------------------------------------------------------------


def test_a_start_on_the_planned_clinic_day_is_on_the_plan() -> None:
    from afterglow.treatment.schedule import off_schedule_warning

    wednesday = dt.date(2026, 12, 2)
    assert off_schedule_warning(today=wednesday, planned=wednesday, weekdays=(0, 2, 4)) == ""


def test_a_start_off_the_plan_says_what_is_off() -> None:
    from afterglow.treatment.schedule import off_schedule_warning

    wednesday, thursday, saturday = (dt.date(2026, 12, d) for d in (2, 3, 5))
    assert off_schedule_warning(today=thursday, planned=wednesday, weekdays=range(5)) == (
        "Today (Thu 03 Dec) is not this session's planned date (Wed 02 Dec)."
    )
    # Planned on a Saturday by hand (a moved session) and started then: only the weekday.
    assert off_schedule_warning(today=saturday, planned=saturday, weekdays=range(5)) == (
        "Saturday is not one of the clinic's dosing days."
    )
    both = off_schedule_warning(today=saturday, planned=wednesday, weekdays=range(5))
    assert both.startswith("Today (Sat 05 Dec)") and both.endswith("dosing days.")
