"""Per-patient outcomes and timepoint figures, checked by hand and against ``outcomes.rules``."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from afterglow.analytics.engine import (
    AnalysisConfig,
    analyze,
    patient_outcomes,
    weekly_trajectory,
)
from afterglow.demo.synthetic_registry import generate
from afterglow.outcomes.rules import Followup, evaluate


def observations(rows: list[tuple[str, int, int]], **covariates: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"])
    for name, values in covariates.items():
        frame[name] = values
    return frame


# A cohort worked by hand for day 14 (window 10-18):
#   A 50 -> 30 on day 14: change -20, response (40 %), below 33, reliable
#   B 40 -> 28 on day 13: change -12, response at exactly 30 % (1200 >= 1200), below, reliable
#   C 60 -> 45 on day 16: change -15, 25 % (no response), not below, reliable
#   D 33 -> 33 on day 18: change 0, no response, 33 is not below 33, not reliable
#   E  0 ->  0 on day 14: change 0, no response (a baseline of 0 cannot fall 30 %), below
#   G 45 (day -2; screening 70 on day -10) -> 20 on day 19: outside the window, not counted
#   H 50 -> 35 on day 12 and 40 on day 16: both 2 days away, the earlier counts:
#        change -15, response (1500 >= 1500), not below, reliable
#   F first seen on day 2: no baseline, excluded
HAND = [
    ("A", 0, 50), ("A", 14, 30),
    ("B", 0, 40), ("B", 13, 28),
    ("C", 0, 60), ("C", 16, 45),
    ("D", 0, 33), ("D", 18, 33),
    ("E", 0, 0), ("E", 14, 0),
    ("F", 2, 40), ("F", 14, 20),
    ("G", -10, 70), ("G", -2, 45), ("G", 19, 20),
    ("H", 0, 50), ("H", 12, 35), ("H", 16, 40),
]  # fmt: skip


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927) score interval, written out independently of statsmodels."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_a_hand_worked_cohort_through_analyze():
    result = analyze(observations(HAND), AnalysisConfig(days=(14,)))

    assert result["n_patients"] == 7
    assert result["n_excluded_no_baseline"] == 1
    assert result["baseline_mean"] == pytest.approx((50 + 40 + 60 + 33 + 0 + 45 + 50) / 7)
    day14 = result["timepoints"]["14"]
    assert day14["window"] == [10, 18]
    assert day14["n"] == 6
    changes = np.array([-20, -12, -15, 0, 0, -15], dtype=float)
    assert day14["mean_change"] == pytest.approx(changes.mean())
    half = scipy_stats.t.ppf(0.975, 5) * changes.std(ddof=1) / math.sqrt(6)
    assert day14["ci95"] == pytest.approx([changes.mean() - half, changes.mean() + half])
    assert day14["response_rate"] == pytest.approx(3 / 6)
    assert day14["response_ci95"] == pytest.approx(wilson(3, 6))
    assert day14["below_cutoff_rate"] == pytest.approx(3 / 6)
    assert day14["below_cutoff_ci95"] == pytest.approx(wilson(3, 6))
    assert day14["reliable_improvement_rate"] == pytest.approx(4 / 6)


def test_thresholds_follow_the_config():
    result = analyze(observations(HAND), AnalysisConfig(days=(14,), cutoff=34, response_percent=25))

    day14 = result["timepoints"]["14"]
    assert day14["below_cutoff_rate"] == pytest.approx(4 / 6)  # D's 33 is now below 34
    assert day14["response_rate"] == pytest.approx(4 / 6)  # C's 25 % now counts


def test_a_timepoint_without_observations_has_n_0_and_no_figures():
    day90 = analyze(observations(HAND), AnalysisConfig(days=(90,)))["timepoints"]["90"]

    assert day90["n"] == 0
    assert day90["mean_change"] is None
    assert day90["ci95"] is None
    assert day90["response_rate"] is None
    assert day90["response_ci95"] is None


def test_patient_outcomes_has_one_row_per_patient_with_a_baseline():
    rows = [*HAND, ("B", 28, 35), ("A", 21, 40)]
    sex = ["F"] * len(rows)
    outcomes = patient_outcomes(observations(rows, sex=sex), AnalysisConfig())

    assert outcomes["patient_id"].tolist() == ["A", "B", "C", "D", "E", "G", "H"]
    a = outcomes.set_index("patient_id").loc["A"]
    assert (a["baseline"], a["end_total"], a["end_change"]) == (50, 30, -20)
    assert bool(a["response"]) and bool(a["below_cutoff"])
    assert a["first_response_day"] == 14
    # 40 on day 21 is a 20 % fall, the last follow-up: one failing follow-up is only a
    # possible loss (two confirm a loss by default); with one confirmation it is the loss.
    assert pd.isna(a["loss_of_response_day"])
    assert a["possible_loss_day"] == 21
    assert a["last_day"] == 21
    single = patient_outcomes(observations(rows, sex=sex), AnalysisConfig(loss_confirmations=1))
    a1 = single.set_index("patient_id").loc["A"]
    assert a1["loss_of_response_day"] == 21 and pd.isna(a1["possible_loss_day"])
    assert a["sex"] == "F"
    g = outcomes.set_index("patient_id").loc["G"]
    assert g["baseline"] == 45
    assert pd.isna(g["end_total"]) and pd.isna(g["response"])  # nothing in days 10-18
    assert g["first_response_day"] == 19  # 20 is a 56 % fall
    assert str(outcomes["response"].dtype) == "boolean"
    assert str(outcomes["first_response_day"].dtype) == "Int64"
    e = outcomes.set_index("patient_id").loc["E"]
    assert not bool(e["response"]) and pd.isna(e["first_response_day"])


patients_strategy = st.lists(
    st.tuples(
        st.integers(0, 80),
        st.dictionaries(st.integers(1, 120), st.integers(0, 80), max_size=12),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(
    patients=patients_strategy,
    percent=st.integers(1, 100),
    points=st.integers(1, 30),
    confirmations=st.integers(1, 4),
    strict=st.booleans(),
)
def test_first_response_and_loss_agree_with_outcomes_rules(
    patients, percent, points, confirmations, strict
):
    rows = []
    for number, (baseline, followups) in enumerate(patients):
        rows.append((f"p{number:02d}", 0, baseline))
        rows.extend((f"p{number:02d}", day, total) for day, total in followups.items())
    config = AnalysisConfig(
        response_percent=percent,
        reliable_points=points,
        loss_confirmations=confirmations,
        response_requires_reliable=strict,
    )

    outcomes = patient_outcomes(observations(rows), config).set_index("patient_id")

    rules = config.rules
    assert (rules.loss_confirmations, rules.response_requires_reliable) == (confirmations, strict)
    for number, (baseline, followups) in enumerate(patients):
        expected = evaluate(baseline, [Followup(d, t) for d, t in followups.items()], rules)
        got = outcomes.loc[f"p{number:02d}"]
        assert _none(got["first_response_day"]) == expected.first_response_day
        assert _none(got["loss_of_response_day"]) == expected.loss_of_response_day
        assert _none(got["possible_loss_day"]) == expected.possible_loss_day
        assert _none(got["last_day"]) == expected.last_day
        # Response at the end of the course is the rule applied to the matched follow-up.
        if not pd.isna(got["end_total"]):
            point = evaluate(baseline, [Followup(14, int(got["end_total"]))], rules).latest
            assert point is not None
            assert bool(got["response"]) == point.response
            assert bool(got["below_cutoff"]) == point.below_cutoff


def _none(value: object) -> object:
    return None if pd.isna(value) else int(value)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return generate(600, seed=7).observations


def test_by_groups_carry_the_same_figures_as_each_subset_alone(registry):
    result = analyze(registry, by="trauma_context")

    assert result["by_column"] == "trauma_context"
    assert list(result["by"]) == ["civilian", "military", "both"]  # category order
    assert sum(g["n_patients"] for g in result["by"].values()) == result["n_patients"]
    for value, block in result["by"].items():
        alone = analyze(registry[registry["trauma_context"] == value])
        alone.pop("config")
        assert block == alone


def test_by_a_derived_band_and_numeric_keys_are_text(registry):
    dosed = registry.assign(
        dose=np.where(registry["trauma_context"] == "civilian", 0.5, 1.0),
        age_group=np.where(registry["age"] < 40, 30, 40),
    )

    by_band = analyze(dosed, AnalysisConfig(days=(14,)), by="baseline_severity_band")
    by_dose = analyze(dosed, AnalysisConfig(days=(14,)), by="dose")
    by_age = analyze(dosed, AnalysisConfig(days=(14,)), by="age_group")

    assert set(by_band["by"]) <= {"<33", "33–49", "50–80"}
    assert sum(g["n_patients"] for g in by_band["by"].values()) == by_band["n_patients"]
    assert list(by_dose["by"]) == ["0.5", "1"]  # whole floats without ".0", in number order
    assert list(by_age["by"]) == ["30", "40"]


def test_patients_with_a_blank_group_value_are_counted_not_grouped():
    frame = observations(HAND, sex=["F", "F", "M", "M", None, None, "F", "F", "M", "M", "F", "F",
                                    "F", "F", "F", None, None, None])  # fmt: skip

    result = analyze(frame, AnalysisConfig(days=(14,)), by="sex")

    assert result["n_by_missing"] == 2  # C and H
    assert sum(g["n_patients"] for g in result["by"].values()) == 5
    assert result["by"]["F"]["n_excluded_no_baseline"] == 1  # patient F


def test_analyze_output_is_plain_json(registry):
    result = analyze(registry, by="sex")

    def walk(value: object) -> None:
        assert type(value) in (dict, list, str, int, float, bool, type(None)), type(value)
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, float):
            assert math.isfinite(value)

    walk(result)
    json.dumps(result, allow_nan=False)
    for key in ("n_patients", "baseline_mean", "timepoints", "durability", "mixed_model"):
        assert key in result
    for block in result["timepoints"].values():
        for key in ("n", "mean_change", "ci95", "response_rate", "response_ci95"):
            assert key in block
        assert "below_cutoff_rate" in block
    assert {"n_responders", "median_days_to_loss_of_response", "ci95"} <= set(result["durability"])
    assert {"slope_per_week", "ci95", "n_obs"} <= set(result["mixed_model"])


def test_weekly_trajectory_takes_the_nearest_observation_per_patient_and_week():
    rows = [
        ("a", 0, 50), ("a", 1, 10), ("a", 5, 44), ("a", 7, 40), ("a", 10, 38), ("a", 14, 30),
        ("b", -3, 60), ("b", 8, 50), ("b", 6, 52), ("b", 15, 41),
        ("c", 0, 30), ("c", 11, 20),
        ("d", 4, 70),  # no baseline: never counted
    ]  # fmt: skip

    weeks = weekly_trajectory(observations(rows))

    assert [w["week"] for w in weeks] == [0, 1, 2]
    assert weeks[0]["n"] == 3 and weeks[0]["mean"] == pytest.approx((50 + 60 + 30) / 3)
    # week 1 = days 4-10: a's day 7 (40), b's days 6 and 8 tie, the earlier (52) counts.
    assert weeks[1]["n"] == 2 and weeks[1]["mean"] == pytest.approx((40 + 52) / 2)
    # week 2 = days 11-17: a 30 (day 14), b 41 (day 15), c 20 (day 11).
    values = np.array([30, 41, 20], dtype=float)
    half = scipy_stats.t.ppf(0.975, 2) * values.std(ddof=1) / math.sqrt(3)
    assert weeks[2]["n"] == 3
    assert weeks[2]["ci95"] == pytest.approx([values.mean() - half, values.mean() + half])


def test_known_response_probability_is_recovered_within_its_wilson_interval():
    # Baseline 50 for all; day-14 totals uniform on 20..49, so response (total <= 35)
    # has probability 16/30 and below cutoff (total <= 32) 13/30.
    rng = np.random.default_rng(11)
    n = 2000
    ids = [f"p{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "patient_id": ids * 2,
            "day": [0] * n + [14] * n,
            "pcl5_total": [50] * n + list(rng.integers(20, 50, n)),
        }
    )

    day14 = analyze(frame, AnalysisConfig(days=(14,)))["timepoints"]["14"]

    low, high = day14["response_ci95"]
    assert low <= 16 / 30 <= high
    low, high = day14["below_cutoff_ci95"]
    assert low <= 13 / 30 <= high
