"""The post-dose therapy window, hand-worked on a calendar (no Django).

The calendar: Monday 16 March 2026, New York (no daylight-saving change in the weeks
used, except where a test says so). Default window 24-72 h (NCT04560660).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from afterglow.treatment.therapy_window import (
    DoseLink,
    Slot,
    describe_hours,
    in_window,
    nearest_dose,
    suggested_slots,
)

NY = zoneinfo.ZoneInfo("America/New_York")
MON_10 = dt.datetime(2026, 3, 16, 10, 0, tzinfo=NY)
TUE_12 = dt.datetime(2026, 3, 17, 12, 0, tzinfo=NY)
WINDOW = (24, 72)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Wall-clock time in New York; 16 March 2026 is day 0 (a Monday)."""
    date = dt.date(2026, 3, 16) + dt.timedelta(days=day)
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=NY)


def test_a_session_the_next_day_at_noon_is_26_hours_after_the_dose_and_inside() -> None:
    # Monday 10:00 -> Tuesday 12:00 = 24 h + 2 h.
    link = nearest_dose(TUE_12, [(3, MON_10)])

    assert link == DoseLink(
        number=3, hours_after=26.0, next_number=None, hours_before=None, index=0
    )
    assert link.label == "+26 h after session 3"
    assert in_window(link.hours_after, *WINDOW)


def test_23_hours_after_is_outside_and_24_and_72_are_the_inclusive_edges() -> None:
    assert not in_window(nearest_dose(at(1, 9), [(1, MON_10)]).hours_after, *WINDOW)  # 23 h
    assert in_window(nearest_dose(at(1, 10), [(1, MON_10)]).hours_after, *WINDOW)  # 24 h
    assert in_window(nearest_dose(at(3, 10), [(1, MON_10)]).hours_after, *WINDOW)  # 72 h
    assert not in_window(nearest_dose(at(3, 10, 1), [(1, MON_10)]).hours_after, *WINDOW)


def test_the_label_never_contradicts_the_flag_at_the_minute_before_the_window() -> None:
    link = nearest_dose(at(1, 9, 59), [(1, MON_10)])

    assert link.label == "+23 h 59 min after session 1"
    assert not in_window(link.hours_after, *WINDOW)


def test_seconds_are_dropped_so_a_second_early_is_still_the_minute_before() -> None:
    link = nearest_dose(at(1, 10) - dt.timedelta(seconds=1), [(1, MON_10)])

    assert link.hours_after == pytest.approx(23 + 59 / 60)


def test_a_session_before_every_dose_says_so_and_is_never_inside() -> None:
    link = nearest_dose(at(-2, 15), [(1, MON_10), (2, at(2, 10))])

    assert (link.number, link.hours_after) == (None, None)
    assert (link.next_number, link.hours_before) == (1, 43.0)  # Sat 15:00 -> Mon 10:00
    assert link.label == "before the first dose"
    assert not in_window(link.hours_after, *WINDOW)


def test_with_no_dose_at_all_there_is_nothing_to_link_to() -> None:
    link = nearest_dose(TUE_12, [])

    assert link.label == "no dose yet"
    assert not link.has_doses


def test_with_two_doses_the_nearest_preceding_one_counts_not_the_nearest_in_time() -> None:
    # Doses Mon 10:00 (1) and Wed 10:00 (2); a session Wed 09:00 is 1 h before dose 2
    # but is linked to dose 1 (47 h after it), because the link looks backwards only.
    doses = [(2, at(2, 10)), (1, MON_10)]  # any order

    before_second = nearest_dose(at(2, 9), doses)
    after_second = nearest_dose(at(3, 12), doses)

    assert before_second.label == "+47 h after session 1"
    assert (before_second.next_number, before_second.hours_before) == (2, 1.0)
    assert before_second.index == 1  # position in the list as given
    assert after_second.label == "+26 h after session 2"


def test_a_later_dose_ends_the_earlier_doses_window() -> None:
    # 50 h after dose 1 but 2 h after dose 2: the afterglow of dose 1 is over.
    link = nearest_dose(at(2, 12), [(1, MON_10), (2, at(2, 10))])

    assert link.label == "+2 h after session 2"
    assert not in_window(link.hours_after, *WINDOW)


def test_a_session_at_the_minute_of_a_dose_follows_that_dose() -> None:
    assert nearest_dose(MON_10, [(1, MON_10)]).label == "+0 min after session 1"


def test_suggested_slots_run_from_24_to_72_hours_cut_at_the_next_dose() -> None:
    # Mon/Wed/Fri 10:00 (Albott 2018 rhythm): each window ends when the next dose starts.
    doses = [(1, MON_10), (2, at(2, 10)), (3, at(4, 10))]

    slots = suggested_slots(doses, *WINDOW)

    assert slots == [
        Slot(1, at(1, 10), at(2, 10)),
        Slot(2, at(3, 10), at(4, 10)),
        Slot(3, at(5, 10), at(7, 10)),  # the last one keeps its full 72 h
    ]


def test_weekly_doses_keep_the_full_window() -> None:
    slots = suggested_slots([(1, MON_10), (2, at(7, 10))], *WINDOW)

    assert slots[0] == Slot(1, at(1, 10), at(3, 10))


def test_hours_are_elapsed_time_across_the_daylight_saving_change() -> None:
    # Clocks go forward at 02:00 on Sunday 8 March 2026 in New York: Saturday 10:00 EST to
    # Sunday 12:00 EDT is 26 h on the wall clock but 25 h elapsed.
    saturday_10 = dt.datetime(2026, 3, 7, 10, tzinfo=NY)
    sunday_12 = dt.datetime(2026, 3, 8, 12, tzinfo=NY)

    assert nearest_dose(sunday_12, [(1, saturday_10)]).label == "+25 h after session 1"
    slot = suggested_slots([(1, saturday_10)], *WINDOW)[0]
    assert slot.window_start == dt.datetime(2026, 3, 8, 11, tzinfo=NY)  # 24 h later: 11:00 EDT
    assert slot.window_start.tzinfo is NY


def test_a_window_swallowed_by_the_next_dose_is_left_out() -> None:
    # Daily doses with a window from 24 h: the next dose starts exactly when it would open.
    assert suggested_slots([(1, MON_10), (2, at(1, 10))], *WINDOW) == [
        Slot(2, at(2, 10), at(4, 10))
    ]


def test_slots_agree_with_the_link_rule() -> None:
    doses = [(1, MON_10), (2, at(2, 10)), (3, at(4, 10))]
    for slot in suggested_slots(doses, *WINDOW):
        inside = nearest_dose(slot.window_start + dt.timedelta(hours=1), doses)
        assert inside.number == slot.dose_number
        assert in_window(inside.hours_after, *WINDOW)


@pytest.mark.parametrize(("start", "end"), [(72, 24), (24, 24), (-1, 10)])
def test_a_backwards_window_is_refused_with_a_fix(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="clinic's therapy window settings"):
        in_window(30, start, end)
    with pytest.raises(ValueError, match="clinic's therapy window settings"):
        suggested_slots([(1, MON_10)], start, end)


def test_a_clinic_window_setting_changes_the_answer() -> None:
    link = nearest_dose(TUE_12, [(3, MON_10)])  # +26 h

    assert in_window(link.hours_after, 24, 72)
    assert not in_window(link.hours_after, 0, 24)  # e.g. a clinic doing same-day integration


@pytest.mark.parametrize(
    ("hours", "text"),
    [(0, "0 min"), (0.5, "30 min"), (26, "26 h"), (26.25, "26 h 15 min"), (96, "96 h"),
     (97, "4 d 1 h"), (168, "7 d")],
)  # fmt: skip
def test_durations_read_naturally(hours: float, text: str) -> None:
    assert describe_hours(hours) == text


def test_mixing_aware_and_naive_times_is_an_error_not_a_guess() -> None:
    with pytest.raises(TypeError):
        nearest_dose(TUE_12.replace(tzinfo=None), [(1, MON_10)])
