"""The diary's pure rules: rolling mean over calendar days, the edit window, the total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from afterglow.diary.rules import editable, rolling_mean, total_intrusions

D = dt.date(2026, 11, 1)  # a Sunday; day n is D + n


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def test_the_mean_is_over_recorded_days_and_needs_four_of_seven() -> None:
    # Days 0..9; days 2 and 5 missing (absent), day 6 a real zero ("none today").
    counts = {0: 4, 1: 2, 3: 6, 4: 1, 6: 0, 7: 3, 8: 5, 9: 2}
    means = dict(rolling_mean([(day(n), c) for n, c in counts.items()]))
    # Worked by hand, window = the 7 calendar days ending on the day:
    # day 0..2: 1, 2, 2 recorded days -> no mean; day 3: {4,2,6} 3 days -> none.
    assert [means[day(n)] for n in range(4)] == [None, None, None, None]
    # day 4: days 0-4 -> 4,2,6,1 (day 2 missing): 13/4
    assert means[day(4)] == pytest.approx(13 / 4)
    # day 5 (missing itself still has a mean): days 0-5 -> 4,2,6,1 = 13/4
    assert means[day(5)] == pytest.approx(13 / 4)
    # day 6: days 0-6 -> 4,2,6,1,0 = 13/5 (the zero counts, the gaps do not)
    assert means[day(6)] == pytest.approx(13 / 5)
    # day 7: days 1-7 -> 2,6,1,0,3 = 12/5
    assert means[day(7)] == pytest.approx(12 / 5)
    # day 8: days 2-8 -> 6,1,0,3,5 = 15/5
    assert means[day(8)] == pytest.approx(3.0)
    # day 9: days 3-9 -> 6,1,0,3,5,2 = 17/6
    assert means[day(9)] == pytest.approx(17 / 6)


def test_every_calendar_day_gets_a_point_even_missing_ones() -> None:
    result = rolling_mean([(day(0), 1), (day(3), 1)])
    assert [d for d, _ in result] == [day(0), day(1), day(2), day(3)]


def test_a_long_gap_breaks_the_line_instead_of_reaching_back() -> None:
    counts = [(day(n), 5) for n in range(7)] + [(day(20), 1), (day(21), 1)]
    means = dict(rolling_mean(counts))
    assert means[day(6)] == 5
    assert means[day(9)] == 5  # days 3-9: days 3, 4, 5, 6 recorded = 4 of 7
    assert means[day(10)] is None  # days 4-10: only 4, 5, 6 recorded
    assert means[day(21)] is None  # days 15-21: only 2 recorded; day 6 is not reached


def test_missing_passed_as_none_is_the_same_as_absent() -> None:
    sparse = rolling_mean([(day(0), 2), (day(2), 4), (day(3), 6), (day(4), 8)])
    explicit = rolling_mean([(day(0), 2), (day(1), None), (day(2), 4), (day(3), 6), (day(4), 8)])
    assert sparse == explicit
    assert dict(sparse)[day(4)] == pytest.approx(5.0)  # (2+4+6+8)/4, not /5


def test_min_days_and_window_are_settings() -> None:
    means = dict(rolling_mean([(day(0), 3), (day(1), 1)], window=2, min_days=1))
    assert means == {day(0): 3, day(1): 2}


def test_bad_input_says_how_to_fix_it() -> None:
    with pytest.raises(ValueError, match="twice"):
        rolling_mean([(day(0), 1), (day(0), 2)])
    with pytest.raises(ValueError, match="negative"):
        rolling_mean([(day(0), -1)])
    with pytest.raises(ValueError, match="min_days"):
        rolling_mean([(day(0), 1)], min_days=8)
    assert rolling_mean([]) == []


TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("offset", "edit_days", "expected"),
    [
        (0, 1, True),  # today
        (-1, 1, True),  # yesterday, until the end of today
        (-2, 1, False),  # the day before yesterday: closed
        (-3, 1, False),
        (1, 1, False),  # tomorrow has not happened
        (0, 0, True),  # edit_days 0: today only
        (-1, 0, False),
        (-3, 3, True),
        (-4, 3, False),
    ],
)
def test_the_edit_window(offset: int, edit_days: int, expected: bool) -> None:
    assert editable(TODAY + dt.timedelta(days=offset), TODAY, edit_days) is expected


@dataclass
class Entry:
    intrusive_memories: int | None
    flashbacks: int | None


def test_total_intrusions_adds_memories_and_flashbacks() -> None:
    assert total_intrusions(Entry(3, 2)) == 5
    assert total_intrusions(Entry(0, 0)) == 0


def test_a_total_with_a_count_not_answered_is_unknown_never_zero() -> None:
    assert total_intrusions(Entry(None, None)) is None
    assert total_intrusions(Entry(4, None)) is None  # not 4: the flashbacks are unknown
    assert total_intrusions(Entry(None, 0)) is None


def test_weekly_and_rolling_means_ignore_days_whose_counts_were_not_answered() -> None:
    # Days 0..6 all have an entry; days 1 and 4 are urgent notes without counts.
    entries = {
        0: Entry(3, 1),  # 4
        1: Entry(None, None),  # not answered
        2: Entry(2, 0),  # 2
        3: Entry(5, 1),  # 6
        4: Entry(None, 2),  # not answered (memories missing)
        5: Entry(0, 0),  # a real 0
        6: Entry(1, 1),  # 2
    }
    means = dict(rolling_mean([(day(n), total_intrusions(e)) for n, e in entries.items()]))
    # By hand, answered days only: day 3 -> 4, 2, 6: three days, no mean yet;
    # day 5 -> 4, 2, 6, 0 = 12 / 4 = 3.0; day 6 -> 4, 2, 6, 0, 2 = 14 / 5 = 2.8.
    # (Counting the two urgent days as 0 would give 12 / 6 = 2.0 and 14 / 7 = 2.0.)
    assert means[day(3)] is None
    assert means[day(4)] is None  # still three answered days
    assert means[day(5)] == pytest.approx(3.0)
    assert means[day(6)] == pytest.approx(2.8)
