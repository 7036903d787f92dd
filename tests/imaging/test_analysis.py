"""``afterglow.imaging.analysis``: the pre→post table follows its stated matching rules and
the associations equal scipy's on the same exported table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from afterglow.imaging.analysis import associations, change_table, group_means


def sessions(*rows: tuple[int, int, float | None, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "patient_id",
            "days_from_first_dose",
            "amygdala_reactivity",
            "amygdala_hippocampus_z",
        ],
    )


def test_changes_are_post_minus_pre_matched_to_the_post_scan():
    table = change_table(
        sessions=sessions(
            (1, -7, 0.9, 0.5), (1, -2, 0.8, 0.45), (1, 21, 0.5, 0.2), (1, 60, 0.1, 0.0)
        ),
        pcl5=pd.DataFrame(
            {"patient_id": 1, "day": [-10, -1, 7, 20, 35], "pcl5_total": [55, 50, 40, 30, 20]}
        ),
        intrusion=pd.DataFrame({"patient_id": 1, "day": [-1, 20], "intrusion": [15, 9]}),
        diary=pd.DataFrame(
            {"patient_id": 1, "week": [-1, 2, 3], "intrusions_per_week": [14.0, 9.0, 7.0]}
        ),
        response_percent=30,
    )
    row = table.iloc[0]
    # Last pre session (day -2) and first post session (day 21).
    assert row["reactivity_change"] == pytest.approx(0.5 - 0.8)
    assert row["connectivity_change"] == pytest.approx(0.2 - 0.45)
    # Baseline day -1 (50); nearest follow-up to day 21 within 14 days is day 20 (30).
    assert row["pcl5_change"] == -20
    assert row["cluster_b_change"] == -6
    # Week -1 against week 3 (day 21 // 7), the nearest recorded week.
    assert row["diary_change"] == pytest.approx(7.0 - 14.0)
    assert bool(row["responder"]) is True  # 40 % fall ≥ 30 %


def test_unmatched_changes_are_missing_never_zero():
    table = change_table(
        sessions=sessions((1, -2, 0.8, None), (1, 40, 0.5, None), (2, 10, 0.3, 0.1)),
        pcl5=pd.DataFrame({"patient_id": [1], "day": [-1], "pcl5_total": [50]}),
        intrusion=pd.DataFrame(columns=["patient_id", "day", "intrusion"]),
        diary=pd.DataFrame(columns=["patient_id", "week", "intrusions_per_week"]),
        response_percent=30,
    )
    assert list(table["patient_id"]) == [1]  # patient 2 has no pre session
    row = table.iloc[0]
    assert math.isnan(row["connectivity_change"])
    assert math.isnan(row["pcl5_change"]) and row["responder"] is None
    assert math.isnan(row["diary_change"])


def exported_table(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pcl5 = rng.normal(-15, 10, n)
    return pd.DataFrame(
        {
            "patient_id": range(n),
            "reactivity_change": 0.01 * pcl5 + rng.normal(0, 0.1, n),
            "connectivity_change": 0.008 * pcl5 + rng.normal(0, 0.1, n),
            "pcl5_change": pcl5,
            "cluster_b_change": pcl5 / 4 + rng.normal(0, 1, n),
            "diary_change": np.where(np.arange(n) % 5 == 0, np.nan, pcl5 / 3),
            "responder": pcl5 < -15,
        }
    )


def test_associations_equal_scipy_on_the_same_exported_table():
    table = exported_table(40)
    found = {a.key: a for a in associations(table, min_n=10, n_resamples=999, seed=7)}
    for key, a in found.items():
        imaging, symptom = key.split("__")
        pairs = table[[imaging, symptom]].dropna()
        x, y = pairs[imaging].to_numpy(), pairs[symptom].to_numpy()
        assert a.n == len(pairs) and a.shown
        assert a.r == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
        fit = stats.linregress(x, y)
        assert (a.slope, a.intercept) == (
            pytest.approx(fit.slope, abs=1e-9),
            pytest.approx(fit.intercept, abs=1e-9),
        )
        reference = stats.bootstrap(
            (x, y),
            lambda a_, b_: stats.pearsonr(a_, b_).statistic,
            paired=True,
            vectorized=False,
            n_resamples=999,
            method="percentile",
            rng=np.random.default_rng(7),
        ).confidence_interval
        assert (a.ci_low, a.ci_high) == (
            pytest.approx(reference.low, abs=1e-9),
            pytest.approx(reference.high, abs=1e-9),
        )
        assert a.ci_low < a.r < a.ci_high


def test_pairs_below_the_minimum_n_are_withheld():
    table = exported_table(8)
    found = associations(table, min_n=10, n_resamples=99)
    assert all(not a.shown and a.r is None for a in found)
    means = group_means(table, min_n=10)
    assert all(not m["shown"] and m["mean"] is None for m in means)


def test_group_means_split_responders_from_non_responders():
    table = exported_table(60)
    means = {(m["imaging"], m["group"]): m for m in group_means(table, min_n=5)}
    responders = table[table["responder"]]
    got = means[("reactivity_change", "Responders")]
    assert got["n"] == len(responders)
    assert got["mean"] == pytest.approx(responders["reactivity_change"].mean())
