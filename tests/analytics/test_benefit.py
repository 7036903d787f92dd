"""Who benefits most: subgroup response rates, the exploratory model, protocols compared.

Statistics are checked against statsmodels fitted directly, published Wilson
intervals, and synthetic cohorts whose true effects are known.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.proportion import proportion_confint

from afterglow.analytics.benefit import (
    DISCLAIMER,
    BenefitInputError,
    protocol_comparison,
    response_model,
    response_model_unavailable,
    subgroup_response,
)


def cohort(responders: int, n: int, **columns: object) -> pd.DataFrame:
    response = [True] * responders + [False] * (n - responders)
    return pd.DataFrame({"response": response, **columns})


# --- subgroup_response ----------------------------------------------------------------------------


def test_wilson_intervals_match_newcombes_published_examples() -> None:
    # Newcombe RG, Stat Med 1998;17:857-872, Table I (score method without continuity
    # correction): 81/263 -> 0.2553 to 0.3662; 0/20 -> 0.0000 to 0.1611.
    data = pd.concat([cohort(81, 263, site="a"), cohort(0, 20, site="b")], ignore_index=True)
    a, b = subgroup_response(data, "site", min_n=10)
    assert (a["n"], a["responders"]) == (263, 81)
    assert a["ci95"] == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert b["rate"] == 0 and b["ci95"] == pytest.approx((0.0, 0.1611), abs=5e-5)


def test_subgroup_rates_equal_statsmodels_and_unknown_responses_are_excluded_and_counted() -> None:
    rng = np.random.default_rng(3)
    n = 300
    data = pd.DataFrame(
        {
            "group": rng.choice(["civilian", "veteran"], n),
            "response": pd.array(rng.random(n) < 0.45, dtype="boolean"),
        }
    )
    data.loc[[0, 1, 2], "response"] = pd.NA
    data.loc[[3, 4], "group"] = None
    rows = subgroup_response(data, "group", min_n=2)
    assert [r["label"] for r in rows] == ["civilian", "veteran", "not recorded"]
    for row in rows:
        members = (
            data[data["group"].isna()]
            if row["group"] is None
            else (data[data["group"] == row["group"]])
        )
        known = members["response"].dropna()
        assert row["n"] == len(known)
        assert row["excluded_missing_response"] == members["response"].isna().sum()
        assert row["responders"] == int(known.sum())
        low, high = proportion_confint(int(known.sum()), len(known), method="wilson")
        assert row["ci95"] == pytest.approx((low, high), abs=1e-12)
        assert row["shown"] is True and row["reason"] is None
    assert sum(r["excluded_missing_response"] for r in rows) == 3


def test_a_group_below_min_n_is_hidden_with_a_reason() -> None:
    data = pd.concat([cohort(6, 12, sex="F"), cohort(9, 9, sex="M")], ignore_index=True)
    female, male = subgroup_response(data, "sex", min_n=10)
    assert female["shown"] and female["rate"] == 0.5
    assert male == {
        "group": "M",
        "label": "M",
        "n": 9,
        "excluded_missing_response": 0,
        "responders": None,
        "rate": None,
        "ci95": None,
        "shown": False,
        "reason": "fewer than 10 patients",
    }


def test_nullable_pandas_columns_with_gaps_are_grouped() -> None:
    data = pd.DataFrame(
        {
            "veteran": pd.array([True, True, False, pd.NA], dtype="boolean"),
            "response": pd.array([True, False, pd.NA, True], dtype="boolean"),
        }
    )
    rows = subgroup_response(data, "veteran", min_n=1)
    summary = [(r["group"], r["n"], r["responders"], r["excluded_missing_response"]) for r in rows]
    assert summary == [(False, 0, None, 1), (True, 2, 1, 0), (None, 1, 1, 0)]


def test_response_may_be_one_and_zero_but_not_free_text() -> None:
    data = pd.DataFrame({"response": [1, 0, 1, np.nan], "band": ["a", "a", "a", "a"]})
    (row,) = subgroup_response(data, "band", min_n=1)
    assert (row["n"], row["responders"], row["excluded_missing_response"]) == (3, 2, 1)
    with pytest.raises(BenefitInputError, match=r"^response must be true/false"):
        subgroup_response(pd.DataFrame({"response": ["yes"], "band": ["a"]}), "band", min_n=1)
    with pytest.raises(BenefitInputError, match=r"^sex is not a column"):
        subgroup_response(data, "sex", min_n=1)


# --- response_model -------------------------------------------------------------------------------


def synthetic(n: int, seed: int, *, strong: float) -> pd.DataFrame:
    """Response depends on ``marker`` (log-odds ``strong`` per SD), not on ``noise``; veterans
    respond less (log-odds -1)."""
    rng = np.random.default_rng(seed)
    marker = rng.normal(40, 10, n)
    veteran = rng.choice(["civilian", "veteran"], n, p=[0.6, 0.4])
    eta = strong * (marker - 40) / 10 - 1.0 * (veteran == "veteran") + 0.2
    return pd.DataFrame(
        {
            "marker": marker,
            "noise": rng.normal(0, 1, n),
            "veteran": veteran,
            "response": rng.random(n) < 1 / (1 + np.exp(-eta)),
        }
    )


def test_a_strong_predictor_gives_a_clearly_better_than_chance_auc() -> None:
    data = synthetic(500, seed=1, strong=1.5)
    model = response_model(data, ["marker", "noise", "veteran"], min_n=10)
    assert model is not None
    assert model["exploratory"] is True and model["disclaimer"] == DISCLAIMER
    assert DISCLAIMER == (
        "Exploratory association in this clinic's data; not a treatment recommendation."
    )
    auc = model["auc"]
    assert len(auc["per_fold"]) == 5
    assert auc["mean"] == pytest.approx(np.mean(auc["per_fold"]))
    assert auc["sd"] == pytest.approx(np.std(auc["per_fold"], ddof=1))
    assert auc["mean"] > 0.75 and auc["pooled_out_of_fold"] > 0.75
    ratios = {(r["feature"], r["level"]): r for r in model["odds_ratios"]}
    assert ratios[("marker", None)]["odds_ratio"] > 2  # true OR per SD = e^1.5 ~ 4.5
    veteran = ratios[("veteran", "veteran")]
    assert veteran["reference"] == "civilian"  # the most common level
    assert veteran["odds_ratio"] < 1  # true OR = e^-1 ~ 0.37


def test_odds_ratios_per_sd_agree_with_an_unpenalised_statsmodels_fit() -> None:
    # The mild L2 penalty shrinks slightly; at n=800 the two agree within 5 %.
    data = synthetic(800, seed=2, strong=1.0)
    model = response_model(data, ["marker", "veteran"], min_n=10)
    assert model is not None
    z = data.assign(
        marker_z=(data["marker"] - data["marker"].mean()) / data["marker"].std(ddof=0),
        response=data["response"].astype(int),
    )
    direct = smf.logit("response ~ marker_z + C(veteran)", data=z).fit(disp=0)
    ratios = {(r["feature"], r["level"]): r["odds_ratio"] for r in model["odds_ratios"]}
    assert ratios[("marker", None)] == pytest.approx(math.exp(direct.params["marker_z"]), rel=0.05)
    assert ratios[("veteran", "veteran")] == pytest.approx(
        math.exp(direct.params["C(veteran)[T.veteran]"]), rel=0.05
    )


def test_pure_noise_gives_an_auc_near_one_half() -> None:
    rng = np.random.default_rng(5)
    n = 600
    data = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "response": rng.random(n) < 0.4}
    )
    model = response_model(data, ["a", "b"], min_n=10, seed=1)
    assert model is not None
    assert abs(model["auc"]["mean"] - 0.5) < 0.1
    assert abs(model["auc"]["pooled_out_of_fold"] - 0.5) < 0.1


def test_calibration_bins_account_for_every_patient_and_every_responder() -> None:
    data = synthetic(437, seed=3, strong=1.2)
    data.loc[:6, "marker"] = np.nan  # 7 incomplete patients are left out and counted
    model = response_model(data, ["marker", "veteran"], min_n=10, bins=5)
    assert model is not None
    assert model["n"] == 430 and model["n_excluded_missing"] == 7
    bins = model["calibration"]
    assert len(bins) == 5
    assert sum(b["n"] for b in bins) == model["n"]
    observed = sum(b["observed_rate"] * b["n"] for b in bins)
    assert observed == pytest.approx(model["n_responders"])
    predicted = [b["predicted_mean"] for b in bins]
    assert predicted == sorted(predicted)


def test_a_constant_feature_is_dropped_and_listed() -> None:
    data = synthetic(200, seed=4, strong=1.5).assign(site="one")
    model = response_model(data, ["marker", "site"], min_n=10)
    assert model is not None
    assert model["features"] == ["marker"]
    assert model["dropped_features"] == [
        {"feature": "site", "reason": "the same for every patient"}
    ]


def test_no_model_below_min_n_with_one_class_or_too_few_of_a_class() -> None:
    data = synthetic(60, seed=6, strong=1.0)
    assert response_model(data, ["marker"], min_n=61) is None
    assert response_model_unavailable(data, ["marker"], min_n=61) == (
        "fewer than 61 patients with a known response and every feature"
    )
    everyone = data.assign(response=True)
    assert response_model(everyone, ["marker"], min_n=10) is None
    assert response_model_unavailable(everyone, ["marker"], min_n=10) == "every patient responded"
    few = data.assign(response=[True] * 3 + [False] * 57)
    assert response_model(few, ["marker"], min_n=10) is None
    assert response_model_unavailable(few, ["marker"], min_n=10) == (
        "only 3 responders; 5-fold cross-validation needs at least 5 of each"
    )
    assert response_model_unavailable(data, ["marker"], min_n=10) is None


def test_bad_arguments_are_refused_with_the_field_named() -> None:
    data = synthetic(60, seed=7, strong=1.0)
    with pytest.raises(BenefitInputError, match=r"^features must name"):
        response_model(data, [], min_n=10)
    with pytest.raises(BenefitInputError, match=r"^age is not a column"):
        response_model(data, ["age"], min_n=10)
    with pytest.raises(BenefitInputError, match=r"^folds "):
        response_model(data, ["marker"], min_n=10, folds=1)
    with pytest.raises(BenefitInputError, match=r"^min_n "):
        response_model(data, ["marker"], min_n=0)


# --- protocol_comparison --------------------------------------------------------------------------


def protocols(seed: int = 8) -> pd.DataFrame:
    """Protocol B truly raises the log-odds of response by 1.0 and C lowers it by 0.7 vs A;
    each baseline point lowers it by 0.04. B's patients start more severe, so the raw rates
    understate B's advantage."""
    rng = np.random.default_rng(seed)
    names = rng.choice(["A", "B", "C"], 900, p=[0.5, 0.3, 0.2])
    baseline = rng.normal(50, 8, 900) + np.where(names == "B", 6, 0)
    eta = 0.3 + np.where(names == "B", 1.0, 0) - np.where(names == "C", 0.7, 0)
    eta = eta - 0.04 * (baseline - 50)
    return pd.DataFrame(
        {
            "protocol": names,
            "baseline": baseline,
            "response": rng.random(900) < 1 / (1 + np.exp(-eta)),
        }
    )


def test_protocol_comparison_recovers_the_simulated_effects() -> None:
    result = protocol_comparison(protocols(), min_n=10)
    assert result["reference"] == "A"  # the largest group
    groups = {g["label"]: g for g in result["groups"]}
    assert groups["A"]["odds_ratio"] == 1.0
    assert groups["B"]["odds_ratio_ci95"][0] > 1  # B better than A, CI clear of 1
    assert groups["C"]["odds_ratio_ci95"][1] < 1  # C worse than A
    assert result["baseline_odds_ratio_per_point"]["odds_ratio"] < 1
    assert result["exploratory"] is True and "not randomised" in result["disclaimer"]


def test_protocol_comparison_equals_a_direct_statsmodels_fit() -> None:
    data = protocols()
    result = protocol_comparison(data, min_n=10)
    direct = smf.logit(
        "response ~ C(protocol, Treatment(reference='A')) + baseline",
        data=data.assign(response=data["response"].astype(int)),
    ).fit(disp=0)
    intervals = direct.conf_int()
    mean_baseline = data["baseline"].mean()
    assert result["baseline_mean"] == pytest.approx(mean_baseline)
    for group in result["groups"]:
        label = group["label"]
        if label != "A":
            name = f"C(protocol, Treatment(reference='A'))[T.{label}]"
            assert group["odds_ratio"] == pytest.approx(math.exp(direct.params[name]), rel=1e-6)
            assert group["odds_ratio_ci95"] == pytest.approx(
                tuple(np.exp(intervals.loc[name])), rel=1e-6
            )
        at_mean = pd.DataFrame({"protocol": [label], "baseline": [mean_baseline]})
        assert group["adjusted_probability"] == pytest.approx(
            float(direct.predict(at_mean).iloc[0]), rel=1e-6
        )
        low, high = group["adjusted_ci95"]
        assert low < group["adjusted_probability"] < high
        members = data[data["protocol"] == label]
        wilson = proportion_confint(int(members["response"].sum()), len(members), method="wilson")
        assert group["ci95"] == pytest.approx(wilson, abs=1e-12)
        assert group["rate"] == pytest.approx(members["response"].mean())


def test_small_and_one_sided_protocols_are_left_out_of_the_model() -> None:
    data = pd.concat(
        [
            protocols(),
            pd.DataFrame({"protocol": "D", "baseline": [50.0] * 6, "response": [True] * 6}),
            pd.DataFrame({"protocol": "E", "baseline": [50.0] * 12, "response": [True] * 12}),
            pd.DataFrame({"protocol": ["A"], "baseline": [np.nan], "response": [True]}),
        ],
        ignore_index=True,
    )
    result = protocol_comparison(data, min_n=10)
    groups = {g["label"]: g for g in result["groups"]}
    assert groups["D"]["shown"] is False and groups["D"]["reason"] == "fewer than 10 patients"
    assert groups["D"]["rate"] is None and groups["D"]["odds_ratio"] is None
    assert groups["E"]["shown"] is True and groups["E"]["rate"] == 1.0
    assert (
        groups["E"]["in_model"] is False
        and "left out of the adjusted model" in (groups["E"]["reason"])
    )
    assert result["n"] == 900 and result["n_excluded_missing"] == 1
    assert all(groups[label]["in_model"] for label in "ABC")


def test_no_adjusted_model_with_a_single_comparable_protocol() -> None:
    data = protocols()
    only_a = data[data["protocol"] != "C"].assign(
        protocol=lambda d: d["protocol"].where(d["protocol"] == "A", "B")
    )
    only_a = only_a[(only_a["protocol"] == "A") | (only_a.index < only_a.index[0] + 5)]
    result = protocol_comparison(only_a, min_n=10)
    assert result["reference"] is None
    assert result["model_reason"] == (
        "fewer than two protocols with at least 10 patients and both outcomes"
    )
    assert any(g["shown"] and g["ci95"] is not None for g in result["groups"])


def test_a_non_numeric_baseline_is_refused() -> None:
    data = protocols().assign(baseline="severe")
    with pytest.raises(BenefitInputError, match=r"^baseline must hold numbers"):
        protocol_comparison(data, min_n=10)
