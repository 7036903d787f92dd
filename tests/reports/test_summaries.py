"""The report's plain-language outcome and the diary's weekly means (Django-free)."""

from __future__ import annotations

import datetime as dt

import pytest

from afterglow.outcomes.rules import Followup, OutcomeRules, evaluate
from afterglow.reports.summaries import WeekMean, outcome_sentences, weekly_means

END = dt.date(2026, 3, 15)  # a Sunday; weeks run Mon 9 – Sun 15, Mon 2 – Sun 8, …


def day(n: int) -> dt.date:
    return END - dt.timedelta(days=n)


def test_a_week_mean_counts_recorded_days_only_and_needs_four_of_them() -> None:
    days = [
        # Last week: 4 recorded days (one of them a real "none today" 0) and a missing day.
        (day(0), 6),
        (day(1), 0),
        (day(2), None),
        (day(3), 3),
        (day(6), 3),
        # The week before: 3 recorded days — too few for a mean.
        (day(7), 10),
        (day(8), 10),
        (day(13), 10),
    ]
    assert weekly_means(days, end=END, weeks=3) == [
        WeekMean(dt.date(2026, 3, 2), dt.date(2026, 3, 8), 3, None),
        WeekMean(dt.date(2026, 3, 9), dt.date(2026, 3, 15), 4, 3.0),  # (6+0+3+3)/4, not /7
    ]


def test_empty_weeks_before_the_first_entry_are_dropped_later_ones_kept() -> None:
    weeks = weekly_means([(day(14), 1)], end=END, weeks=4)
    assert [(w.start, w.recorded_days, w.mean) for w in weeks] == [
        (dt.date(2026, 2, 23), 1, None),
        (dt.date(2026, 3, 2), 0, None),
        (dt.date(2026, 3, 9), 0, None),
    ]
    assert weekly_means([], end=END, weeks=4) == []


@pytest.mark.parametrize("weeks, min_days", [(0, 4), (2, 0), (2, 8)])
def test_weekly_means_refuses_impossible_settings(weeks: int, min_days: int) -> None:
    with pytest.raises(ValueError):
        weekly_means([(END, 1)], end=END, weeks=weeks, min_days=min_days)


def sentences(baseline: int, followups: list[tuple[int, int]], **rules: int) -> list[str]:
    outcome_rules = OutcomeRules(**rules)
    trajectory = evaluate(baseline, [Followup(d, t) for d, t in followups], outcome_rules)
    latest = trajectory.latest
    return outcome_sentences(
        baseline=baseline,
        baseline_on=dt.date(2026, 3, 1),
        first_dose_on=dt.date(2026, 3, 2),
        latest=latest,
        latest_on=None if latest is None else dt.date(2026, 3, 2) + dt.timedelta(latest.day),
        first_response_day=trajectory.first_response_day,
        loss_of_response_day=trajectory.loss_of_response_day,
        possible_loss_day=trajectory.possible_loss_day,
        rules=outcome_rules,
    )


def test_a_responder_below_the_cutoff_reads_as_a_reliable_recovery() -> None:
    # 50 → 30: −20 points, −40.0 %: response, reliable improvement, below 33, recovery.
    assert sentences(50, [(1, 34), (14, 30)]) == [
        "Baseline PCL-5 50 on 1 Mar 2026 (first dose of the latest course on 2 Mar 2026).",
        "Latest PCL-5 30 on 16 Mar 2026 (day 14): down 20 points, -40.0% from baseline.",
        "Meets the clinic's response criterion (at least 30% below baseline).",
        "It is a reliable improvement (at least 10 points lower), below the probable-PTSD "
        "cutoff of 33 and a reliable recovery.",
        "Response was first met on day 1 and not lost since.",
    ]


def test_loss_of_response_and_reliable_deterioration_are_said_plainly() -> None:
    # 40 → 26 (−35 %, response on day 1) → 45 on day 21 and 52 (+12, +30.0 %) on day 28: two
    # failing follow-ups confirm a loss from day 21; day 28 is a reliable deterioration.
    assert sentences(40, [(1, 26), (21, 45), (28, 52)]) == [
        "Baseline PCL-5 40 on 1 Mar 2026 (first dose of the latest course on 2 Mar 2026).",
        "Latest PCL-5 52 on 30 Mar 2026 (day 28): up 12 points, +30.0% from baseline.",
        "Does not meet the clinic's response criterion (at least 30% below baseline).",
        "It is at or above the probable-PTSD cutoff of 33.",
        "Reliable deterioration: at least 10 points above baseline.",
        "Response was first met on day 1 and lost from day 21 (confirmed by 2 consecutive "
        "follow-ups).",
    ]


def test_a_single_failing_follow_up_is_a_possible_loss_to_confirm() -> None:
    # 40 → 26 (−35 %, response on day 1) → 52 on day 28: one failing follow-up only.
    assert sentences(40, [(1, 26), (28, 52)])[-1] == (
        "Response was first met on day 1 and shows a possible loss of response from day 28 — "
        "confirm at the next measurement."
    )


def test_a_percent_response_under_the_reliable_points_is_within_measurement_error() -> None:
    # 20 → 13: −35 % meets the 30 % rule, but 7 points is under 10.
    lines = sentences(20, [(14, 13)])
    assert lines[2] == "Meets the clinic's response criterion (at least 30% below baseline)."
    assert lines[3] == "The fall is under 10 points: a response within measurement error."


def test_the_clinics_rules_are_the_ones_quoted() -> None:
    # 50 → 31: −38 %: no response at 50 %, reliable at 15 points, below a cutoff of 35.
    lines = sentences(50, [(7, 31)], response_percent=50, reliable_points=15, cutoff=35)
    assert (
        lines[2] == "Does not meet the clinic's response criterion (at least 50% below baseline)."
    )
    assert lines[3] == (
        "It is a reliable improvement (at least 15 points lower), below the probable-PTSD "
        "cutoff of 35 and a reliable recovery."
    )


def test_no_follow_up_yet_and_a_one_point_change() -> None:
    assert (
        sentences(50, [])[1] == "No past-month PCL-5 has been completed since the first dose yet."
    )
    assert "down 1 point, -2.0% from baseline" in sentences(50, [(3, 49)])[1]
    assert "unchanged, +0.0% from baseline" in sentences(50, [(3, 50)])[1]


def test_a_weekly_mean_ignores_days_whose_counts_were_not_answered() -> None:
    end = dt.date(2026, 11, 7)
    start = end - dt.timedelta(days=6)
    # Seven written days; days 2 and 5 are urgent notes without counts (None totals).
    totals = [4, None, 2, 6, None, 0, 3]
    days = [(start + dt.timedelta(days=n), t) for n, t in enumerate(totals)]
    (week,) = weekly_means(days, end=end, weeks=1)
    # By hand: 4 + 2 + 6 + 0 + 3 = 15 over 5 answered days = 3.0 (not 15 / 7).
    assert (week.recorded_days, week.mean) == (5, pytest.approx(3.0))
    # Four unanswered days leave three answered ones: too few for a mean.
    (thin,) = weekly_means(
        [
            (start + dt.timedelta(days=n), t)
            for n, t in enumerate([4, None, None, 6, None, None, 3])
        ],
        end=end,
        weeks=1,
    )
    assert (thin.recorded_days, thin.mean) == (3, None)
