"""The REML mixed model from sufficient statistics, against statsmodels' MixedLM and the truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from afterglow.analytics.engine import AnalysisConfig, analyze, mixed_model
from afterglow.analytics.engine.mixed import fit_reml, pool
from afterglow.demo.synthetic_registry import generate

TRUE_INTERCEPT = 50.0
TRUE_SLOPE = -3.0  # points per week
TRUE_G = np.array([[64.0, -2.0], [-2.0, 1.5]])  # random intercept / slope covariance
TRUE_SIGMA = 5.0


def linear_cohort(
    n: int, days: list[int], seed: int, keep: float = 1.0, whole: bool = False
) -> pd.DataFrame:
    """y = (50 + b0) + (-3 + b1) t + e, t in weeks, (b0, b1) ~ N(0, TRUE_G), e ~ N(0, 25).

    Each visit is kept with probability ``keep`` (day 0 always), so patients differ in
    how many visits they have; ``whole`` rounds and clips totals to 0-80.
    """
    rng = np.random.default_rng(seed)
    effects = rng.multivariate_normal([0.0, 0.0], TRUE_G, size=n)
    grid = np.array(days)
    kept = rng.random((n, len(grid))) < keep
    kept[:, 0] = True
    patient, visit = np.nonzero(kept)
    t = grid[visit] / 7.0
    y = (
        TRUE_INTERCEPT
        + effects[patient, 0]
        + (TRUE_SLOPE + effects[patient, 1]) * t
        + rng.normal(0.0, TRUE_SIGMA, len(t))
    )
    if whole:
        y = np.clip(np.rint(y), 0, 80).astype(np.int64)
    return pd.DataFrame(
        {"patient_id": [f"p{i:04d}" for i in patient], "day": grid[visit], "pcl5_total": y}
    )


def statsmodels_fit(frame: pd.DataFrame, method: str = "lbfgs"):  # type: ignore[no-untyped-def]
    """MixedLM's REML fit. Its default optimiser (BFGS) stops short of the maximum on the
    unbalanced cohorts below (not converged, REML log-likelihood 2-20 lower than the
    engine's); with L-BFGS it converges to the engine's estimates."""
    data = frame.assign(weeks=frame["day"] / 7.0, total=frame["pcl5_total"].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm("total ~ weeks", data, groups=data["patient_id"], re_formula="~weeks")
        return model.fit(reml=True, method=[method])


def engine_fit(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    codes = pd.factorize(frame["patient_id"])[0]
    fit = fit_reml(pool(codes, frame["day"].to_numpy(), frame["pcl5_total"].to_numpy()))
    assert fit is not None
    return fit


def registry_window(n: int, seed: int) -> pd.DataFrame:
    obs = generate(n, seed=seed).observations
    return obs[(obs["day"] >= 0) & (obs["day"] <= 28)].reset_index(drop=True)


COHORTS = {
    "balanced": lambda: linear_cohort(150, [0, 7, 14, 21, 28], seed=1),
    "unbalanced, missing visits": lambda: linear_cohort(
        200, [0, 1, 2, 4, 7, 9, 11, 14, 21, 28], seed=2, keep=0.45
    ),
    "synthetic registry, days 0-28": lambda: registry_window(250, seed=3),
}


@pytest.mark.parametrize("name", list(COHORTS))
def test_the_fit_matches_statsmodels_mixedlm(name):
    frame = COHORTS[name]()
    reference = statsmodels_fit(frame)

    fit = engine_fit(frame)

    assert reference.converged
    assert [fit.intercept, fit.slope] == pytest.approx(reference.fe_params.tolist(), rel=1e-5)
    assert [fit.intercept_se, fit.slope_se] == pytest.approx(reference.bse_fe.tolist(), rel=1e-3)
    assert fit.residual_var == pytest.approx(reference.scale, rel=1e-4)
    g = np.array(fit.re_cov)
    assert np.allclose(g, reference.cov_re.to_numpy(), rtol=1e-3, atol=1e-4)
    assert -fit.reml_criterion / 2 == pytest.approx(reference.llf, rel=1e-8)
    assert fit.n_obs == len(frame)
    assert fit.converged


def test_unbalanced_cohort_really_has_uneven_visits():
    counts = COHORTS["unbalanced, missing visits"]().groupby("patient_id").size()

    assert counts.min() == 1 and counts.max() >= 8
    assert counts.nunique() >= 6


def test_pooling_by_visit_pattern_does_not_depend_on_row_order():
    frame = COHORTS["unbalanced, missing visits"]()
    shuffled = frame.sample(frac=1.0, random_state=5).reset_index(drop=True)

    assert engine_fit(shuffled).slope == pytest.approx(engine_fit(frame).slope, rel=1e-7)


def test_a_cohort_with_known_parameters_is_recovered_through_analyze():
    frame = linear_cohort(400, [0, 1, 2, 4, 7, 9, 11, 14, 21, 28], seed=4, keep=0.8, whole=True)

    block = analyze(frame, AnalysisConfig(days=(14,)))["mixed_model"]

    low, high = block["ci95"]
    assert low <= TRUE_SLOPE <= high
    low, high = block["intercept_ci95"]
    assert low <= TRUE_INTERCEPT <= high
    # Variance components within 25 % (n = 400; rounding adds 1/12 to the residual variance).
    assert block["residual_sd"] == pytest.approx(TRUE_SIGMA, rel=0.05)
    assert block["random_intercept_sd"] == pytest.approx(8.0, rel=0.25)
    assert block["random_slope_sd"] == pytest.approx(np.sqrt(1.5), rel=0.25)
    assert block["window"] == [0, 28]


def test_the_slope_interval_covers_the_truth_about_95_percent_of_the_time():
    covered = 0
    runs = 100
    for seed in range(runs):
        frame = linear_cohort(60, [0, 2, 7, 14, 21, 28], seed=1000 + seed, keep=0.85)
        fit = engine_fit(frame)
        half = 1.959963984540054 * fit.slope_se
        covered += fit.slope - half <= TRUE_SLOPE <= fit.slope + half
    # Binomial(100, 0.95) has SD 0.022: 0.88-0.99 allows for chance, while an interval
    # that ignored the random slopes or halved the SE would cover far less often.
    assert 0.88 <= covered / runs <= 0.99


def test_only_the_mixed_window_is_used():
    frame = linear_cohort(100, [0, 7, 14, 28, 56, 90], seed=6, whole=True)

    block = mixed_model(frame, AnalysisConfig(mixed_window=(0, 28)))

    assert block["n_obs"] == int((frame["day"] <= 28).sum())


def test_too_little_data_is_not_estimable():
    frame = pd.DataFrame(
        {"patient_id": ["a", "a", "b", "b"], "day": [0, 7, 0, 7], "pcl5_total": [50, 40, 60, 45]}
    )

    block = mixed_model(frame)

    assert block["slope_per_week"] is None
    assert block["ci95"] is None
    assert block["n_obs"] == 4
    assert "not estimable" in block["note"]


def test_no_slope_variance_in_the_truth_still_converges():
    rng = np.random.default_rng(8)
    n = 150
    days = np.tile([0, 7, 14, 21, 28], n)
    patient = np.repeat(np.arange(n), 5)
    y = 50 + rng.normal(0, 8, n)[patient] - 3 * days / 7 + rng.normal(0, 5, len(days))
    frame = pd.DataFrame({"patient_id": patient, "day": days, "pcl5_total": y})

    fit = engine_fit(frame)

    assert fit.converged
    assert fit.slope == pytest.approx(-3.0, abs=4 * fit.slope_se)
    assert np.isfinite(fit.slope_se) and fit.slope_se > 0
