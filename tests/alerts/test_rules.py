"""The Django-free rules of the routine alerts: which PCL-5 trajectory raises what, and
when a run of missed diary days becomes a gap."""

from __future__ import annotations

import datetime as dt

import pytest

from afterglow.alerts.rules import (
    DETERIORATION_CODE,
    LOSS_OF_RESPONSE_CODE,
    diary_gap,
    diary_gap_wording,
    outcome_alerts,
)
from afterglow.outcomes.rules import Followup, OutcomeRules, evaluate

RULES = OutcomeRules()  # response 30 %, reliable 10 points, cutoff 33


def alerts_for(baseline: int, series: list[tuple[int, int]], rules: OutcomeRules = RULES):
    return outcome_alerts(evaluate(baseline, [Followup(d, t) for d, t in series], rules), rules)


def test_a_rise_of_twelve_points_over_baseline_40_is_a_reliable_deterioration() -> None:
    (alert,) = alerts_for(40, [(7, 45), (14, 52)])
    assert (alert.code, alert.day) == (DETERIORATION_CODE, 14)
    assert alert.message.startswith(
        "PCL-5 52, 12 points above baseline 40 — reliable deterioration (≥10)."
    )
    assert "NCPTSD" in alert.message  # the rule's source


@pytest.mark.parametrize(("latest", "raised"), [(49, False), (50, True)])
def test_deterioration_needs_the_full_reliable_change_inclusive(latest, raised) -> None:
    codes = [a.code for a in alerts_for(40, [(7, latest)])]
    assert codes == ([DETERIORATION_CODE] if raised else [])


def test_only_the_latest_follow_up_counts_for_deterioration() -> None:
    # Day 7 was 12 points worse, day 14 is back to 41 (+1): nothing to raise now.
    assert alerts_for(40, [(7, 52), (14, 41)]) == []


def test_the_clinics_reliable_points_decide() -> None:
    veterans = OutcomeRules(reliable_points=15)
    assert alerts_for(40, [(7, 52)], veterans) == []
    (alert,) = alerts_for(40, [(7, 55)], veterans)
    assert "(≥15)" in alert.message


def test_loss_of_response_is_raised_only_when_confirmed_on_the_confirming_follow_up() -> None:
    # Hand-worked, baseline 50, response = at least 30 % below (35 or less):
    # day 1: 34 (-32 %) response; day 14: 30 (-40 %) response; day 28: 38 (-24 %) fails:
    # one failing follow-up is only a possible loss (2 confirm by default): no alert.
    assert alerts_for(50, [(1, 34), (14, 30), (28, 38)]) == []
    # day 35: 40 (-20 %) fails too: the loss is confirmed, dated day 28, raised on day 35.
    (alert,) = alerts_for(50, [(1, 34), (14, 30), (28, 38), (35, 40)])
    assert (alert.code, alert.day) == (LOSS_OF_RESPONSE_CODE, 35)
    assert (
        alert.label == "Loss of response on the PCL-5 (from day 28 of the course, confirmed day 35)"
    )
    assert alert.message.startswith(
        "PCL-5 40, 20.0 % below baseline 50 — no longer a response (≥30 % below baseline) at "
        "2 consecutive follow-ups (days 28–35); response first met on day 1."
    )
    assert "evidence.md §1" in alert.message
    assert "Feder" not in alert.message.split("Rule:")[1].split("response:")[0]


def test_a_dip_followed_by_recovery_raises_nothing() -> None:
    assert alerts_for(50, [(1, 34), (14, 38), (28, 30), (35, 38)]) == []


def test_with_one_confirmation_the_first_dip_is_the_loss_as_before() -> None:
    single = OutcomeRules(loss_confirmations=1)
    (alert,) = alerts_for(50, [(1, 34), (14, 30), (28, 38)], single)
    assert (alert.code, alert.day) == (LOSS_OF_RESPONSE_CODE, 28)
    assert "at 1 consecutive follow-up (day 28)" in alert.message


def test_a_loss_that_is_also_a_deterioration_raises_both() -> None:
    # Response on day 1, then +10 on day 14 and +12 on day 21: loss confirmed on day 21.
    alerts = alerts_for(40, [(1, 20), (14, 50), (21, 52)])
    assert [(a.code, a.day) for a in alerts] == [
        (DETERIORATION_CODE, 21),
        (LOSS_OF_RESPONSE_CODE, 21),
    ]
    assert "12 points above baseline 40" in alerts[1].message


def test_no_follow_up_or_no_response_raises_nothing() -> None:
    assert alerts_for(50, []) == []
    assert alerts_for(50, [(7, 40), (14, 45)]) == []  # never a response, never +10


D = dt.date


@pytest.mark.parametrize(
    ("today", "missed"),
    [(D(2026, 12, 4), None), (D(2026, 12, 5), 3), (D(2026, 12, 9), 7)],
)
def test_a_gap_opens_after_three_whole_days_without_an_entry(today, missed) -> None:
    # Last entry on 1 Dec: on the 4th only the 2nd and 3rd are over (today is not).
    gap = diary_gap(
        last_entry=D(2026, 12, 1), link_since=D(2026, 11, 1), today=today, missed_days=3
    )
    if missed is None:
        assert gap is None
    else:
        assert gap is not None and (gap.since, gap.missed) == (D(2026, 12, 2), missed)


def test_without_entries_the_gap_counts_from_the_day_the_link_was_created() -> None:
    gap = diary_gap(
        last_entry=None, link_since=D(2026, 11, 26), today=D(2026, 11, 30), missed_days=3
    )
    assert gap is not None and gap.since == D(2026, 11, 27)
    assert (
        diary_gap(last_entry=None, link_since=D(2026, 11, 26), today=D(2026, 11, 29), missed_days=3)
        is None
    )


def test_an_entry_older_than_the_working_link_does_not_start_a_gap_early() -> None:
    # Entries stopped on 1 Oct when the old link expired; a new link came on 1 Dec.
    kwargs = {"last_entry": D(2026, 10, 1), "link_since": D(2026, 12, 1), "missed_days": 3}
    assert diary_gap(today=D(2026, 12, 2), **kwargs) is None
    gap = diary_gap(today=D(2026, 12, 5), **kwargs)
    assert gap is not None and gap.since == D(2026, 12, 2)
    label, message = diary_gap_wording(gap, 3)
    assert label == "No diary entry for 3 days (since 02 Dec 2026)"
    assert message.startswith("No entry since the diary link was sent on 01 Dec 2026.")


def test_the_wording_names_the_last_entry_and_the_setting() -> None:
    gap = diary_gap(
        last_entry=D(2026, 12, 1), link_since=D(2026, 11, 1), today=D(2026, 12, 6), missed_days=4
    )
    assert gap is not None
    label, message = diary_gap_wording(gap, 4)
    assert label == "No diary entry for 4 days (since 02 Dec 2026)"
    assert message.startswith("Last entry 01 Dec 2026. The clinic raises this after 4 whole days")
    assert "Missing days are missing, not zero" in message


def test_a_setting_below_one_day_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        diary_gap(last_entry=None, link_since=D(2026, 1, 1), today=D(2026, 2, 1), missed_days=0)
