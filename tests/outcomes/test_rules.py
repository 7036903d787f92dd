"""PCL-5 outcome rules, checked against hand-worked series and independent reference rules.

Expected values are worked out by hand from the rules in the issue (evidence.md
§1, §2), not computed with the code under test. With B the baseline, T a
follow-up total: response = a fall of at least 30 % (100·(B − T) ≥ 30·B);
reliable improvement = B − T ≥ 10, deterioration = T − B ≥ 10; below cutoff =
T < 33; reliable recovery = reliable improvement and below cutoff and B ≥ 33;
loss of response = the first day of the first run of N (default 2) consecutive
follow-ups after the first response that fail it (issue 9 §1); a shorter run at
the end of the series is a possible loss.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterglow.outcomes.rules import (
    DEFAULT_CUTOFF,
    DEFAULT_RELIABLE_POINTS,
    DEFAULT_RESPONSE_PERCENT,
    VETERAN_RELIABLE_POINTS,
    Followup,
    OutcomeInputError,
    OutcomeRules,
    TimepointOutcome,
    Trajectory,
    baseline_for,
    evaluate,
)


def followups(*pairs: tuple[int, int]) -> list[Followup]:
    return [Followup(day=day, total=total) for day, total in pairs]


def only(baseline: int, total: int, rules: OutcomeRules | None = None) -> TimepointOutcome:
    """The outcome of a single follow-up on day 7."""
    latest = evaluate(baseline, followups((7, total)), rules).latest
    assert latest is not None
    return latest


# --- defaults and their sources -------------------------------------------------------------------


def test_the_defaults_are_the_cited_clinic_settings() -> None:
    assert DEFAULT_RESPONSE_PERCENT == 30  # Feder 2021 responder rule
    assert DEFAULT_RELIABLE_POINTS == 10  # NCPTSD: >= 10 clinically meaningful
    assert VETERAN_RELIABLE_POINTS == 15  # Marx 2022, sample 1
    assert DEFAULT_CUTOFF == 33  # top of the 31-33 range
    assert OutcomeRules() == OutcomeRules(
        cutoff=33,
        response_percent=30,
        reliable_points=10,
        loss_confirmations=2,  # evidence.md §1: the trials' rule is UNCONFIRMED
        response_requires_reliable=False,  # the trial-comparable rule
    )


# --- the hand-worked course -----------------------------------------------------------------------

# Baseline 50, defaults (P 30 %, R 10, cutoff 33):
#   day  1: 34  change -16  -32.0 %  response (1600 >= 1500)  reliable improvement (16 >= 10)
#                                    34 is not < 33: not below cutoff, no recovery
#   day 14: 30  change -20  -40.0 %  response, reliable improvement, below cutoff (30 < 33),
#                                    baseline 50 >= 33: reliable recovery
#   day 28: 38  change -12  -24.0 %  no response (1200 < 1500): a dip;
#                                    still reliable improvement (12 >= 10), not below cutoff
#   day 56: 30  change -20  -40.0 %  response again
# Default rule (2 consecutive to confirm): the dip on day 28 is followed by recovery, so there
# is no loss and no possible loss. With loss_confirmations=1 (the old rule) day 28 is the loss,
# and it stays on day 28 when response returns on day 56.
# first response day 1, last day 56, latest = day 56.
COURSE = followups((1, 34), (14, 30), (28, 38), (56, 30))


def point(day: int, total: int, change: int, percent: float, **flags: bool) -> TimepointOutcome:
    defaults = dict.fromkeys(
        (
            "response",
            "reliable_improvement",
            "reliable_deterioration",
            "below_cutoff",
            "reliable_recovery",
        ),
        False,
    )
    return TimepointOutcome(day, total, change, percent, **{**defaults, **flags})


def test_the_hand_worked_course_gives_response_recovery_and_with_one_confirmation_loss_on_28() -> (
    None
):
    trajectory = evaluate(50, COURSE, OutcomeRules(loss_confirmations=1))

    day_14 = point(
        14,
        30,
        -20,
        -40.0,
        response=True,
        reliable_improvement=True,
        below_cutoff=True,
        reliable_recovery=True,
    )
    day_56 = point(
        56,
        30,
        -20,
        -40.0,
        response=True,
        reliable_improvement=True,
        below_cutoff=True,
        reliable_recovery=True,
    )
    assert trajectory == Trajectory(
        baseline=50,
        latest=day_56,
        timepoints=[
            point(1, 34, -16, -32.0, response=True, reliable_improvement=True),
            day_14,
            point(28, 38, -12, -24.0, reliable_improvement=True),
            day_56,
        ],
        first_response_day=1,
        loss_of_response_day=28,
        last_day=56,
        loss_confirmed_day=28,
    )


def test_a_dip_followed_by_recovery_is_no_loss_by_default() -> None:
    trajectory = evaluate(50, COURSE)

    assert trajectory.first_response_day == 1
    assert (trajectory.loss_of_response_day, trajectory.possible_loss_day) == (None, None)
    assert [p.response for p in trajectory.timepoints] == [True, True, False, True]


def test_two_consecutive_failing_follow_ups_confirm_a_loss_dated_from_the_first() -> None:
    # Baseline 50: day 7 30 (-40 %, response); day 14 38 (-24 %), day 21 31 (-38 %, response:
    # ends that run), day 28 40 (-20 %), day 35 36 (-28 %): two in a row, loss on day 28,
    # confirmed on day 35; day 42 25 (-50 %) responds again but the loss stands.
    series = followups((7, 30), (14, 38), (21, 31), (28, 40), (35, 36), (42, 25))
    trajectory = evaluate(50, series)

    assert trajectory.first_response_day == 7
    assert (trajectory.loss_of_response_day, trajectory.loss_confirmed_day) == (28, 35)
    assert trajectory.possible_loss_day is None
    assert trajectory.to_dict()["loss_of_response_day"] == 28
    # With three needed, 28-35 is too short and day 42 ends it: no loss at all.
    three = evaluate(50, series, OutcomeRules(loss_confirmations=3))
    assert (three.loss_of_response_day, three.possible_loss_day) == (None, None)
    # With one, the first dip (day 14) is the loss.
    assert evaluate(50, series, OutcomeRules(loss_confirmations=1)).loss_of_response_day == 14


def test_a_failing_run_at_the_end_shorter_than_the_setting_is_a_possible_loss() -> None:
    # Baseline 50: day 7 30 (response), day 14 38 (-24 %): the series ends inside the run.
    trajectory = evaluate(50, followups((7, 30), (14, 38)))

    assert (trajectory.loss_of_response_day, trajectory.possible_loss_day) == (None, 14)
    assert trajectory.to_dict()["possible_loss_day"] == 14
    # Three needed, two failing at the end (14, 21): still only possible, from day 14.
    longer = evaluate(
        50, followups((7, 30), (14, 38), (21, 40)), OutcomeRules(loss_confirmations=3)
    )
    assert (longer.loss_of_response_day, longer.possible_loss_day) == (None, 14)
    # One needed: never a possible loss, the dip is the loss.
    single = evaluate(50, followups((7, 30), (14, 38)), OutcomeRules(loss_confirmations=1))
    assert (single.loss_of_response_day, single.possible_loss_day) == (14, None)


def test_response_requires_reliable_adds_the_points_rule_and_flags_measurement_error() -> None:
    # Baseline 20 -> 13: 100 x 7 = 700 >= 30 x 20 = 600 (-35 %), but 7 points < 10.
    loose = only(20, 13)
    strict = only(20, 13, OutcomeRules(response_requires_reliable=True))
    assert (loose.response, loose.within_measurement_error) == (True, True)
    assert (strict.response, strict.within_measurement_error) == (False, True)
    # 50 -> 35: -30 % and 15 points: a response either way, not within measurement error.
    both = only(50, 35, OutcomeRules(response_requires_reliable=True))
    assert (both.response, both.within_measurement_error) == (True, False)
    # The flag is not in the JSON output (the CLI's keys are unchanged).
    assert "within_measurement_error" not in loose.to_dict()


def test_bad_loss_settings_are_refused_with_the_range() -> None:
    for bad in (0, 5, True, "2"):
        with pytest.raises(OutcomeInputError, match="loss_confirmations must be a whole number"):
            OutcomeRules(loss_confirmations=bad)  # type: ignore[arg-type]
    with pytest.raises(OutcomeInputError, match="response_requires_reliable must be true"):
        OutcomeRules(response_requires_reliable=1)  # type: ignore[arg-type]


def test_follow_ups_are_taken_in_day_order_whatever_order_they_come_in() -> None:
    shuffled = [COURSE[2], COURSE[3], COURSE[0], COURSE[1]]

    assert evaluate(50, shuffled) == evaluate(50, COURSE)


def test_the_result_reads_as_the_documented_json_keys_in_order() -> None:
    result = evaluate(50, COURSE).to_dict()

    assert list(result) == [
        "latest",
        "first_response_day",
        "loss_of_response_day",
        "possible_loss_day",
        "last_day",
    ]
    assert result["latest"] == {
        "day": 56,
        "total": 30,
        "change": -20,
        "percent_change": -40.0,
        "response": True,
        "reliable_improvement": True,
        "reliable_deterioration": False,
        "below_cutoff": True,
        "reliable_recovery": True,
    }
    assert list(result["latest"]) == [
        "day",
        "total",
        "change",
        "percent_change",
        "response",
        "reliable_improvement",
        "reliable_deterioration",
        "below_cutoff",
        "reliable_recovery",
    ]


def test_a_course_without_follow_ups_has_no_latest_and_no_days() -> None:
    assert evaluate(50, []) == Trajectory(50, None, [], None, None, None)
    assert evaluate(50, []).to_dict() == {
        "latest": None,
        "first_response_day": None,
        "loss_of_response_day": None,
        "possible_loss_day": None,
        "last_day": None,
    }


def test_a_patient_who_never_responds_has_no_response_or_loss_day() -> None:
    # 50 -> 40 (-20 %), 50 -> 36 (-28 %): no response, so nothing can be lost.
    trajectory = evaluate(50, followups((7, 40), (14, 36)))

    assert (trajectory.first_response_day, trajectory.loss_of_response_day) == (None, None)
    assert trajectory.last_day == 14


def test_a_response_kept_to_the_last_follow_up_is_never_lost() -> None:
    # 50 -> 40 (-20 %), then 30 (-40 %) and 35 (-30 % exactly): response from day 14 on.
    trajectory = evaluate(50, followups((7, 40), (14, 30), (21, 35)))

    assert (trajectory.first_response_day, trajectory.loss_of_response_day) == (14, None)


# --- boundaries -----------------------------------------------------------------------------------


def test_a_fall_of_exactly_30_percent_is_a_response() -> None:
    # 40 -> 28: 12 / 40 = 30 % exactly; 100 * 12 = 1200 >= 30 * 40 = 1200.
    outcome = only(40, 28)

    assert (outcome.change, outcome.percent_change, outcome.response) == (-12, -30.0, True)


def test_a_fall_just_short_of_30_percent_is_not_a_response() -> None:
    # 67 -> 47: 20 / 67 = 29.85 %, shown as -29.9; 100 * 20 = 2000 < 30 * 67 = 2010.
    # 40 -> 29: 11 / 40 = 27.5 %.
    assert (only(67, 47).percent_change, only(67, 47).response) == (-29.9, False)
    assert only(40, 29).response is False


def test_a_change_of_exactly_10_points_is_reliable_and_9_is_not() -> None:
    assert only(40, 30).reliable_improvement is True  # 40 - 30 = 10
    assert only(40, 31).reliable_improvement is False  # 9
    assert only(40, 50).reliable_deterioration is True  # 50 - 40 = 10
    assert only(40, 49).reliable_deterioration is False  # 9
    assert only(40, 50).reliable_improvement is False
    assert only(40, 30).reliable_deterioration is False


def test_below_cutoff_means_strictly_under_the_cutoff() -> None:
    assert only(50, 32).below_cutoff is True
    assert only(50, 33).below_cutoff is False
    assert only(50, 28, OutcomeRules(cutoff=29)).below_cutoff is True  # Marx 2022: <= 28
    assert only(50, 29, OutcomeRules(cutoff=29)).below_cutoff is False


def test_a_baseline_below_the_cutoff_never_gives_reliable_recovery() -> None:
    # 32 -> 12: response (-62.5 %), reliable improvement (20), below cutoff, but 32 < 33.
    outcome = only(32, 12)

    assert (outcome.response, outcome.reliable_improvement, outcome.below_cutoff) == (
        True,
        True,
        True,
    )
    assert outcome.reliable_recovery is False


def test_a_baseline_exactly_at_the_cutoff_can_recover() -> None:
    # 33 -> 23: improvement 10, 23 < 33, baseline 33 >= 33.
    assert only(33, 23).reliable_recovery is True
    assert only(33, 24).reliable_recovery is False  # improvement 9


def test_a_baseline_of_zero_has_no_percent_change_and_never_responds() -> None:
    # A total of 0 cannot fall by 30 %; a rise to 12 is still a reliable deterioration.
    trajectory = evaluate(0, followups((7, 0), (14, 12)))

    day_7, day_14 = trajectory.timepoints
    assert (day_7.percent_change, day_7.response, day_7.change) == (None, False, 0)
    assert (day_14.percent_change, day_14.response) == (None, False)
    assert (day_14.change, day_14.reliable_deterioration) == (12, True)
    assert trajectory.first_response_day is None


def test_percent_change_rounds_halves_away_from_zero() -> None:
    # 80 -> 79: -1/80 = -1.25 % -> -1.3 (round() would give -1.2); 16 -> 17: +6.25 % -> +6.3.
    assert only(80, 79).percent_change == -1.3
    assert only(16, 15).percent_change == -6.3
    assert only(16, 17).percent_change == 6.3
    assert only(3, 2).percent_change == -33.3  # -33.33...
    assert only(3, 1).percent_change == -66.7  # -66.66...
    assert only(50, 50).percent_change == 0.0


def test_veterans_rules_need_15_points_for_reliable_change() -> None:
    marx = OutcomeRules(reliable_points=VETERAN_RELIABLE_POINTS)
    # 50 -> 36: improvement 14 is reliable at 10 (NCPTSD) but not at 15 (Marx 2022).
    assert only(50, 36).reliable_improvement is True
    assert only(50, 36, marx).reliable_improvement is False
    assert only(50, 35, marx).reliable_improvement is True
    # 50 -> 30 meets every rule; 50 -> 32 with cutoff 29 is reliable but not recovered.
    assert only(50, 30, marx).reliable_recovery is True
    assert only(50, 32, OutcomeRules(cutoff=29, reliable_points=15)).reliable_recovery is False


def test_a_clinic_response_percent_moves_the_first_response() -> None:
    # At 40 %, day 1 (-32 %) is no longer a response; day 14 (-40 %) is, day 28 loses it
    # (with one confirmation; by default the dip on day 28 is followed by recovery).
    trajectory = evaluate(50, COURSE, OutcomeRules(response_percent=40, loss_confirmations=1))

    assert (trajectory.first_response_day, trajectory.loss_of_response_day) == (14, 28)


# --- input checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"cutoff": 81}, "cutoff must be a whole number from 0 to 80 (default 33), got 81"),
        ({"cutoff": -1}, "cutoff must be a whole number from 0 to 80"),
        ({"cutoff": 33.0}, "cutoff must be a whole number from 0 to 80 (default 33), got 33.0"),
        ({"cutoff": True}, "got true"),
        ({"response_percent": 0}, "response_percent must be a whole number from 1 to 100"),
        ({"response_percent": 101}, "response_percent must be a whole number from 1 to 100"),
        ({"reliable_points": 0}, "reliable_points must be a whole number from 1 to 80"),
        ({"reliable_points": 81}, "(default 10; 15 for veterans), got 81"),
    ],
)
def test_rules_outside_their_range_are_refused_saying_what_is_allowed(
    rules: dict[str, object], message: str
) -> None:
    with pytest.raises(OutcomeInputError) as caught:
        OutcomeRules(**rules)  # type: ignore[arg-type]

    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)
    assert caught.value.field == next(iter(rules))


@pytest.mark.parametrize(
    ("baseline", "series", "message"),
    [
        (81, [], "baseline must be a whole number from 0 to 80 (a PCL-5 total), got 81"),
        (-1, [], "baseline must be a whole number from 0 to 80"),
        (True, [], "baseline must be a whole number from 0 to 80 (a PCL-5 total), got true"),
        (50.0, [], "got 50.0"),
        (50, [(7, 81)], "follow-up 1 total must be a whole number from 0 to 80"),
        (50, [(7, 30), (14, -1)], "follow-up 2 total must be a whole number from 0 to 80"),
        (50, [(7, "30")], 'follow-up 1 total must be a whole number from 0 to 80 (a PCL-5 total), '
         'got "30"'),
        (50, [(-1, 30)], "follow-up 1 day must be a whole number of at least 0"),
        (50, [(1.5, 30)], "follow-up 1 day must be a whole number of at least 0"),
        (50, [(False, 30)], "got false"),
        (50, [(None, 30)], "got null"),
        (
            50,
            [(7, 30), (14, 28), (7, 31)],
            "follow-up 3 is on day 7 like follow-up 1; give one PCL-5 per day",
        ),
    ],
)  # fmt: skip
def test_bad_totals_days_and_duplicate_days_are_refused_naming_the_follow_up(
    baseline: object, series: list[tuple[object, object]], message: str
) -> None:
    items = [Followup(day=day, total=total) for day, total in series]  # type: ignore[arg-type]

    with pytest.raises(OutcomeInputError) as caught:
        evaluate(baseline, items)  # type: ignore[arg-type]

    assert message in str(caught.value)


# --- properties -----------------------------------------------------------------------------------

totals = st.integers(0, 80)
courses = st.lists(st.tuples(st.integers(0, 400), totals), unique_by=lambda p: p[0], max_size=12)
clinic_rules = st.builds(
    OutcomeRules,
    cutoff=st.integers(0, 80),
    response_percent=st.integers(1, 100),
    reliable_points=st.integers(1, 80),
    loss_confirmations=st.integers(1, 4),
    response_requires_reliable=st.booleans(),
)


def reference_percent(baseline: int, total: int) -> float:
    """Independent rounding: Decimal, ROUND_HALF_UP (which rounds halves away from zero)."""
    exact = Decimal(100 * (total - baseline)) / Decimal(baseline)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@given(totals, courses, clinic_rules)
@settings(max_examples=300, deadline=None)
def test_every_timepoint_follows_the_definitions(
    baseline: int, series: list[tuple[int, int]], rules: OutcomeRules
) -> None:
    trajectory = evaluate(baseline, followups(*series), rules)

    for p in trajectory.timepoints:
        assert p.change == p.total - baseline
        fall = Fraction(baseline - p.total, baseline) if baseline else None
        percent_met = fall is not None and fall >= Fraction(rules.response_percent, 100)
        reliable = baseline - p.total >= rules.reliable_points
        assert p.response == (percent_met and (reliable or not rules.response_requires_reliable))
        assert p.within_measurement_error == (percent_met and not reliable)
        if p.response:
            assert p.total < baseline
        assert p.percent_change == (reference_percent(baseline, p.total) if baseline else None)
        assert p.reliable_improvement == (baseline - p.total >= rules.reliable_points)
        assert p.reliable_deterioration == (p.total - baseline >= rules.reliable_points)
        assert not (p.reliable_improvement and p.reliable_deterioration)
        assert p.below_cutoff == (p.total < rules.cutoff)
        assert p.reliable_recovery == (
            p.reliable_improvement and p.below_cutoff and baseline >= rules.cutoff
        )
    if trajectory.latest is not None:
        assert trajectory.latest.change == trajectory.latest.total - baseline
        assert trajectory.latest.day == trajectory.last_day == max(day for day, _ in series)
    else:
        assert series == []


@given(totals, courses, clinic_rules)
@settings(max_examples=300, deadline=None)
def test_loss_of_response_comes_after_the_first_response(
    baseline: int, series: list[tuple[int, int]], rules: OutcomeRules
) -> None:
    trajectory = evaluate(baseline, followups(*series), rules)
    by_day = {p.day: p for p in trajectory.timepoints}

    first, loss = trajectory.first_response_day, trajectory.loss_of_response_day
    possible = trajectory.possible_loss_day
    if first is not None:
        assert by_day[first].response
        assert not any(p.response for day, p in by_day.items() if day < first)
        # Independent reference: the follow-ups after the first response as a string of
        # R (meets response) and F (does not); a loss is the first "F" * N, a possible loss
        # a shorter trailing run of F.
        after = [day for day in sorted(by_day) if day > first]
        text = "".join("R" if by_day[day].response else "F" for day in after)
        n = rules.loss_confirmations
        at = text.find("F" * n)
        assert loss == (after[at] if at >= 0 else None)
        trailing = len(text) - len(text.rstrip("F"))
        expected_possible = after[len(text) - trailing] if at < 0 and trailing else None
        assert possible == expected_possible
        if loss is not None:
            assert loss > first and not by_day[loss].response
            assert trajectory.loss_confirmed_day == after[at + n - 1]
    else:
        assert loss is None and possible is None
    assert loss is None or possible is None


@given(totals, courses, clinic_rules, st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_results_do_not_depend_on_input_order(
    baseline: int, series: list[tuple[int, int]], rules: OutcomeRules, rng: object
) -> None:
    shuffled = list(series)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]

    assert evaluate(baseline, followups(*shuffled), rules) == evaluate(
        baseline, followups(*series), rules
    )


def test_the_shown_percentage_never_contradicts_the_default_response_flag() -> None:
    # Every baseline 1-80 and total 0-80: response <=> shown percent_change <= -30.0.
    for baseline in range(1, 81):
        for total in range(81):
            outcome = only(baseline, total)
            assert outcome.percent_change is not None
            assert outcome.response == (outcome.percent_change <= -30.0), (baseline, total)


# --- baseline_for ---------------------------------------------------------------------------------

UTC = dt.UTC
FIRST_DOSE = dt.datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def test_the_baseline_is_the_last_complete_pcl5_on_or_before_the_first_dose() -> None:
    responses = [
        (at(4), 20, True),  # after the first dose: follow-up, not baseline
        (at(1), 52, True),
        (at(2, 18), None, False),  # incomplete: never counts
        (at(2, 8), 48, True),  # the last complete one before the dose
        (at(2, 20), 44, False),  # incomplete with a partial total: still never counts
    ]

    assert baseline_for(responses, FIRST_DOSE) == 48


def test_a_pcl5_taken_the_same_day_counts_if_it_was_before_the_dose() -> None:
    assert baseline_for([(at(1), 52, True), (at(3, 8), 47, True)], FIRST_DOSE) == 47
    assert baseline_for([(at(1), 52, True), (at(3, 9), 46, True)], FIRST_DOSE) == 46  # at dose
    assert baseline_for([(at(1), 52, True), (at(3, 9, 1), 45, True)], FIRST_DOSE) == 52


def test_with_dates_the_day_of_the_first_dose_counts() -> None:
    first_dose_day = dt.date(2025, 3, 3)

    assert baseline_for([(at(1), 52, True), (at(3, 17), 47, True)], first_dose_day) == 47
    assert baseline_for([(dt.date(2025, 3, 3), 47, True)], FIRST_DOSE) == 47
    assert baseline_for([(dt.date(2025, 3, 4), 47, True)], first_dose_day) is None


def test_datetimes_in_other_time_zones_are_compared_as_instants() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    before = dt.datetime(2025, 3, 3, 10, 30, tzinfo=plus_two)  # 08:30 UTC
    after = dt.datetime(2025, 3, 3, 11, 30, tzinfo=plus_two)  # 09:30 UTC

    assert baseline_for([(before, 40, True)], FIRST_DOSE) == 40
    assert baseline_for([(after, 40, True)], FIRST_DOSE) is None


def test_without_a_complete_pcl5_before_the_dose_there_is_no_baseline() -> None:
    assert baseline_for([], FIRST_DOSE) is None
    assert baseline_for([(at(1), None, False), (at(5), 30, True)], FIRST_DOSE) is None


def test_of_two_at_the_same_moment_the_one_given_last_wins() -> None:
    assert baseline_for([(at(2), 40, True), (at(2), 41, True)], FIRST_DOSE) == 41


@pytest.mark.parametrize(
    ("responses", "first_dose", "message"),
    [
        ([], dt.datetime(2025, 3, 3, 9), "first_dose_at must be timezone-aware"),
        ([(dt.datetime(2025, 3, 2), 40, True)], FIRST_DOSE, "response 1 administered_at must"),
        ([(at(2), None, True)], FIRST_DOSE, "response 1 total must be a whole number from 0 to 80"),
        ([(at(1), 40, True), (at(2), 81, True)], FIRST_DOSE, "response 2 total must be"),
        ([("2025-03-02", 40, True)], FIRST_DOSE, "must be a date or a datetime"),
    ],
)
def test_bad_baseline_input_is_refused_saying_how_to_fix_it(
    responses: list[tuple[object, object, bool]], first_dose: object, message: str
) -> None:
    with pytest.raises(OutcomeInputError, match=message):
        baseline_for(responses, first_dose)  # type: ignore[arg-type]
