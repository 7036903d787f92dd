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
    """Baseline 50; 30 meets response (40 % fall), 40 does not (20 %), 45 neither.

    Times from first response: P1 2 (lost), P2 3 (lost), P3 3 (censored), P4 5 (lost),
    P5 8 (censored); P6 never responds and is not in the curve.
    """
    rows = [
        ("P1", 0, 50), ("P1", 1, 30), ("P1", 3, 40), ("P1", 5, 30),  # loss not reset
        ("P2", 0, 50), ("P2", 1, 30), ("P2", 4, 40),
        ("P3", 0, 50), ("P3", 1, 30), ("P3", 4, 30),
        ("P4", 0, 50), ("P4", 2, 30), ("P4", 7, 40),
        ("P5", 0, 50), ("P5", 2, 30), ("P5", 10, 30),
        ("P6", 0, 50), ("P6", 1, 45),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"])


def test_kaplan_meier_matches_a_hand_computation():
    curve = km_curve(responder_cohort())

    # Product-limit by hand: at risk / events at each time
    #   t=2: 5 at risk, 1 lost -> S = 4/5 = 0.8
    #   t=3: 4 at risk, 1 lost (P3 censored at 3 stays at risk) -> 0.8 * 3/4 = 0.6
    #   t=5: 2 at risk, 1 lost -> 0.6 * 1/2 = 0.3;  t=8: censored -> 0.3
    survival = dict(zip(curve["timeline"], curve["survival"], strict=True))
    assert curve["n_responders"] == 5
    assert curve["n_lost"] == 3
    assert survival[2.0] == pytest.approx(0.8)
    assert survival[3.0] == pytest.approx(0.6)
    assert survival[5.0] == pytest.approx(0.3)
    assert survival[8.0] == pytest.approx(0.3)
    # The median is the first time S <= 0.5.
    assert curve["median_days_to_loss_of_response"] == 5.0


def test_kaplan_meier_matches_lifelines_on_the_same_durations():
    curve = km_curve(responder_cohort())

    kmf = KaplanMeierFitter().fit([2, 3, 3, 5, 8], event_observed=[1, 1, 0, 1, 0])
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

    assert durability["n_responders"] == 5
    assert durability["median_days_to_loss_of_response"] == 5.0


def test_an_undefined_median_is_null():
    rows = [("a", 0, 50), ("a", 1, 30), ("a", 9, 30), ("b", 0, 50), ("b", 2, 20)]
    curve = km_curve(pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"]))

    assert curve["n_lost"] == 0
    assert curve["median_days_to_loss_of_response"] is None
    assert curve["ci95"] == [None, None]


def test_no_responders_gives_an_empty_curve():
    rows = [("a", 0, 50), ("a", 1, 45)]
    curve = km_curve(pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"]))

    assert curve["n_responders"] == 0
    assert curve["timeline"] == []
    assert curve["median_days_to_loss_of_response"] is None
