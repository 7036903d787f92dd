"""Intervals and Kaplan–Meier durability against published and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from afterglow.analytics.engine import AnalysisConfig, analyze, km_curve
from afterglow.analytics.engine.stats import mean_ci, wilson_ci


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval: (2np + z² ± z√(z² + 4np(1-p))) / (2(n + z²))."""
    z = 1.959963984540054
    p = k / n
    root = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    return (2 * n * p + z * z - root) / (2 * (n + z * z)), (2 * n * p + z * z + root) / (
        2 * (n + z * z)
    )


@pytest.mark.parametrize(
    ("k", "n", "published"),
    [
        # Newcombe RG. Stat Med 1998;17:857-872, Table II, method 3 (score, no continuity
        # correction), rounded to 4 decimals in the paper.
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_matches_newcombes_worked_examples(k, n, published):
    low, high = wilson_ci(k, n)  # type: ignore[misc]

    assert (low, high) == pytest.approx(published, abs=5e-5)
    assert (low, high) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)


def test_wilson_and_t_intervals_are_undefined_without_data():
    assert wilson_ci(0, 0) is None
    assert mean_ci(np.array([])) == (None, None, None)
    assert mean_ci(np.array([4.0])) == (4.0, None, None)


def responder_cohort() -> pd.DataFrame:
    """Baseline 50; 30 meets response (40 % fall), 40 and 45 do not (20 %, 10 %).

    Durability from day 14 (window 10-18), a loss confirmed by 2 consecutive failing
    follow-ups and dated from the first of them; times from the day-14 follow-up:

    - P1 14: 30, 21: 40, 28: 40            loss on 21: 7 (lost)
    - P2 13: 30, 20: 40, 27: 30 (recovers), 34: 40, 41: 45
                                            loss on 34: 34 - 13 = 21 (lost)
    - P3 14: 30, 28: 30, 42: 40            one failing at the end (possible): censored 28
    - P4 15: 30, 22: 40, 29: 45            loss on 22: 7 (lost)
    - P5 14: 30, 35: 30                    censored 21
    - P6 3: 30, 7: 40, 10: 40, 14: 30, 21: 30, 28: 40, 35: 40
         (its first response, day 3, was lost on day 7; the clock starts at day 14)
                                            loss on 28: 14 (lost)
    - P7 14: 40, 21: 30                    not a responder at day 14: not in the curve
    - P8 7: 30, 20: 30                     nothing in days 10-18: not in the curve
    - P9 14: 30, 42: 30                    censored 28
    """
    rows = [
        ("P1", 0, 50), ("P1", 14, 30), ("P1", 21, 40), ("P1", 28, 40),
        ("P2", 0, 50), ("P2", 13, 30), ("P2", 20, 40), ("P2", 27, 30), ("P2", 34, 40),
        ("P2", 41, 45),
        ("P3", 0, 50), ("P3", 14, 30), ("P3", 28, 30), ("P3", 42, 40),
        ("P4", 0, 50), ("P4", 15, 30), ("P4", 22, 40), ("P4", 29, 45),
        ("P5", 0, 50), ("P5", 14, 30), ("P5", 35, 30),
        ("P6", 0, 50), ("P6", 3, 30), ("P6", 7, 40), ("P6", 10, 40), ("P6", 14, 30),
        ("P6", 21, 30), ("P6", 28, 40), ("P6", 35, 40),
        ("P7", 0, 50), ("P7", 14, 40), ("P7", 21, 30),
        ("P8", 0, 50), ("P8", 7, 30), ("P8", 20, 30),
        ("P9", 0, 50), ("P9", 14, 30), ("P9", 42, 30),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"])


HAND_DURATIONS = [7, 21, 28, 7, 21, 14, 28]
HAND_LOST = [1, 1, 0, 1, 0, 1, 0]


def test_kaplan_meier_matches_a_hand_computation():
    curve = km_curve(responder_cohort())

    # Product-limit by hand: at risk / events at each time
    #   t=7:  7 at risk, 2 lost -> S = 5/7
    #   t=14: 5 at risk, 1 lost -> 5/7 * 4/5 = 4/7
    #   t=21: 4 at risk, 1 lost (P5 censored at 21 stays at risk) -> 4/7 * 3/4 = 3/7
    #   t=28: two censored -> 3/7
    survival = dict(zip(curve["timeline"], curve["survival"], strict=True))
    assert curve["from_day"] == 14
    assert curve["n_responders"] == 7
    assert curve["n_lost"] == 4
    assert survival[7.0] == pytest.approx(5 / 7)
    assert survival[14.0] == pytest.approx(4 / 7)
    assert survival[21.0] == pytest.approx(3 / 7)
    assert survival[28.0] == pytest.approx(3 / 7)
    # The median is the first time S <= 0.5.
    assert curve["median_days_to_loss_of_response"] == 21.0


def test_one_confirmation_is_the_single_dip_rule_on_the_same_clock():
    curve = km_curve(responder_cohort(), AnalysisConfig(loss_confirmations=1))

    # P2 is lost at its first dip (20 - 13 = 7), P3 at its last follow-up (42 - 14 = 28).
    kmf = KaplanMeierFitter().fit([7, 7, 28, 7, 21, 14, 28], event_observed=[1, 1, 1, 1, 0, 1, 0])
    assert curve["n_lost"] == 5
    assert curve["survival"] == pytest.approx(kmf.survival_function_.iloc[:, 0].tolist())


def test_durability_from_another_day_follows_that_timepoints_responders():
    # From day 28 (window 21-35): P1 28: 40 (no); P2 27: 30 (yes; loss 34: 7, lost); P3 28: 30
    # (yes; one failing at 42: censored 14); P4 29: 45 (no); P5 35: 30, its only follow-up in
    # the window (yes; censored 0); P6 28: 40 (no); P7 21: 30 (yes; censored 0); P8 none.
    curve = km_curve(responder_cohort(), AnalysisConfig(durability_from=28))

    assert curve["from_day"] == 28
    assert curve["n_responders"] == 4
    assert curve["n_lost"] == 1


def test_kaplan_meier_matches_lifelines_on_the_same_durations():
    curve = km_curve(responder_cohort())

    kmf = KaplanMeierFitter().fit(HAND_DURATIONS, event_observed=HAND_LOST)
    assert curve["timeline"] == kmf.survival_function_.index.tolist()
    assert curve["survival"] == pytest.approx(kmf.survival_function_.iloc[:, 0].tolist())
    band = kmf.confidence_interval_survival_function_
    assert curve["ci_low"] == pytest.approx(band.iloc[:, 0].tolist())
    assert curve["ci_high"] == pytest.approx(band.iloc[:, 1].tolist())
    limits = median_survival_times(band)
    expected = [float(limits.iloc[0, 0]), float(limits.iloc[0, 1])]
    assert curve["ci95"] == [v if math.isfinite(v) else None for v in expected]


def test_durability_in_analyze_is_the_same_curves_median():
    durability = analyze(responder_cohort(), AnalysisConfig(days=(1,)))["durability"]

    assert durability["from_day"] == 14
    assert durability["n_responders"] == 7
    assert durability["median_days_to_loss_of_response"] == 21.0


def test_an_undefined_median_is_null():
    rows = [("a", 0, 50), ("a", 14, 30), ("a", 21, 30), ("b", 0, 50), ("b", 12, 20)]
    curve = km_curve(pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"]))

    assert curve["n_responders"] == 2
    assert curve["n_lost"] == 0
    assert curve["median_days_to_loss_of_response"] is None
    assert curve["ci95"] == [None, None]


def test_no_responders_gives_an_empty_curve():
    rows = [("a", 0, 50), ("a", 1, 45)]
    curve = km_curve(pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"]))

    assert curve["n_responders"] == 0
    assert curve["timeline"] == []
    assert curve["median_days_to_loss_of_response"] is None
