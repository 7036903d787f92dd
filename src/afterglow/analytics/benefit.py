"""Who benefits most: response by subgroup, an exploratory model of response, protocols compared.

Django-free; the dashboard, reports and tests call these functions on a pandas
DataFrame with one row per patient: a ``response`` column (True/False or 1/0,
empty where the end-of-course response is unknown) and covariate columns
(civilian/veteran, sex, age band, baseline severity, protocol, dose, ...).
Patients whose response is unknown are left out and counted, never scored as
non-responders.

Every figure for a group smaller than ``min_n`` (the clinic's
``analytics_min_n``) is hidden, so that small groups are neither over-read nor
re-identified. The model and the protocol comparison are observational and
exploratory: they describe associations in this clinic's data and say so in
their output.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy.special import expit
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

__all__ = [
    "DISCLAIMER",
    "PROTOCOL_DISCLAIMER",
    "RESPONSE",
    "BenefitInputError",
    "protocol_comparison",
    "response_model",
    "response_model_unavailable",
    "subgroup_response",
]

RESPONSE = "response"
DISCLAIMER = "Exploratory association in this clinic's data; not a treatment recommendation."
PROTOCOL_DISCLAIMER = (
    "Observational comparison adjusted only for baseline severity: patients were not "
    "randomised to protocols, so other differences between them may explain the gap. "
    "Not a treatment recommendation."
)
NOT_RECORDED = "not recorded"
_Z95 = 1.959963984540054


class BenefitInputError(ValueError):
    """The outcomes table cannot be analysed; ``field`` names the column or argument."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


# --- responder rates by subgroup -----------------------------------------------------------------


def subgroup_response(outcomes: pd.DataFrame, column: str, *, min_n: int) -> list[dict[str, Any]]:
    """Responders per level of ``column``, with Wilson 95% CIs, hidden below ``min_n``.

    One dict per level, in sorted order, then a ``"not recorded"`` group for
    patients with no value in ``column`` (when there are any)::

        group       the level as found in the data (None for "not recorded")
        label       the level as text
        n           patients with a known response (the denominator)
        excluded_missing_response   patients of the group whose response is unknown
        responders, rate, ci95      None when the group is hidden
        shown, reason               False and "fewer than 10 patients" below min_n

    ``rate`` = responders / n; ``ci95`` is the Wilson score interval
    (statsmodels ``proportion_confint(method="wilson")``), which stays inside
    0–1 and behaves at small n and at rates of 0 or 1.
    """
    _check_min_n(min_n)
    _require_columns(outcomes, [RESPONSE, column])
    response = _response(outcomes)
    values = outcomes[column]
    rows: list[dict[str, Any]] = []
    masks = [(level, values == level) for level in _levels(values)]
    if values.isna().any():
        masks.append((None, values.isna()))
    for level, mask in masks:
        group = response[mask.to_numpy(dtype=bool, na_value=False)]
        known = group.dropna()
        n, responders = len(known), int(known.sum())
        row = {
            "group": level,
            "label": NOT_RECORDED if level is None else str(level),
            "n": n,
            "excluded_missing_response": int(group.isna().sum()),
        }
        row.update(_rate_cells(responders, n, min_n))
        rows.append(row)
    return rows


def _rate_cells(responders: int, n: int, min_n: int) -> dict[str, Any]:
    if n < min_n:
        return {
            "responders": None,
            "rate": None,
            "ci95": None,
            "shown": False,
            "reason": f"fewer than {min_n} patients",
        }
    low, high = proportion_confint(responders, n, alpha=0.05, method="wilson")
    return {
        "responders": responders,
        "rate": responders / n,
        "ci95": (float(low), float(high)),
        "shown": True,
        "reason": None,
    }


# --- an exploratory model of response ------------------------------------------------------------


def response_model(
    outcomes: pd.DataFrame,
    features: list[str],
    *,
    min_n: int,
    folds: int = 5,
    seed: int = 0,
    bins: int = 5,
) -> dict[str, Any] | None:
    """Logistic regression of response on baseline ``features``, cross-validated. Exploratory.

    Model: ``logit P(response) = b0 + sum(b_j x_j)`` fitted by scikit-learn's
    ``LogisticRegression`` with a mild L2 penalty (C = 1); numeric features are
    standardised (so ``exp(b)`` is the odds ratio per SD), categorical ones
    one-hot encoded against their most common level (``exp(b)`` is the odds
    ratio vs that reference). Patients missing the response or any feature are
    left out (complete cases) and counted; a feature with a single value is
    dropped and listed.

    Performance is judged out of sample: stratified ``folds``-fold
    cross-validation (shuffled with ``seed``) gives the AUC per fold, their
    mean and SD (ddof 1), and the AUC of the pooled out-of-fold predictions.
    Calibration: those predictions grouped into ``bins`` quantile bins
    (``sklearn.calibration.calibration_curve``, strategy "quantile"), each with
    its mean predicted probability, observed response rate and n; empty bins
    (tied predictions) are dropped. The odds ratios come from the model refitted
    on every patient; the penalty shrinks them towards 1 and no CIs are given.

    Returns ``None`` when the model cannot be shown -- fewer than ``min_n``
    complete patients, a single outcome class, fewer than ``folds`` patients in
    the smaller class, or no varying feature; :func:`response_model_unavailable`
    gives the reason. The result is labelled ``"exploratory": True`` with
    :data:`DISCLAIMER`.
    """
    prepared = _model_data(outcomes, features, min_n=min_n, folds=folds)
    if isinstance(prepared, str):
        return None
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise BenefitInputError("bins", f"must be a whole number of at least 2, got {bins!r}")
    data, numeric, categorical, dropped, excluded = prepared
    y = data[RESPONSE].to_numpy(dtype=int)
    x = data[numeric + categorical]
    references = {name: _levels_by_frequency(data[name])[0] for name in categorical}
    pipeline = _pipeline(data, numeric, categorical)

    out_of_fold = np.empty(len(y))
    fold_auc: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(x, y):
        fitted = clone(pipeline).fit(x.iloc[train], y[train])
        predicted = fitted.predict_proba(x.iloc[test])[:, 1]
        out_of_fold[test] = predicted
        fold_auc.append(float(roc_auc_score(y[test], predicted)))

    final = clone(pipeline).fit(x, y)
    return {
        "exploratory": True,
        "disclaimer": DISCLAIMER,
        "n": len(y),
        "n_responders": int(y.sum()),
        "n_excluded_missing": excluded,
        "features": numeric + categorical,
        "dropped_features": dropped,
        "model": (
            "logistic regression, L2 penalty (C=1); numeric features standardised, "
            "categorical features one-hot vs their most common level"
        ),
        "folds": folds,
        "seed": seed,
        "auc": {
            "mean": float(np.mean(fold_auc)),
            "sd": float(np.std(fold_auc, ddof=1)),
            "per_fold": fold_auc,
            "pooled_out_of_fold": float(roc_auc_score(y, out_of_fold)),
        },
        "calibration": _calibration(y, out_of_fold, bins),
        "odds_ratios": _odds_ratios(final, data, numeric, categorical, references),
    }


def response_model_unavailable(
    outcomes: pd.DataFrame, features: list[str], *, min_n: int, folds: int = 5
) -> str | None:
    """Why :func:`response_model` returns ``None`` for these data, or ``None`` if it does not."""
    prepared = _model_data(outcomes, features, min_n=min_n, folds=folds)
    return prepared if isinstance(prepared, str) else None


_Prepared = tuple[pd.DataFrame, list[str], list[str], list[dict[str, str]], int]


def _model_data(
    outcomes: pd.DataFrame, features: list[str], *, min_n: int, folds: int
) -> _Prepared | str:
    """The complete cases and the features split by type, or the reason there is no model."""
    _check_min_n(min_n)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise BenefitInputError("folds", f"must be a whole number of at least 2, got {folds!r}")
    if not features:
        raise BenefitInputError("features", "must name at least one column")
    if len(set(features)) != len(features) or RESPONSE in features:
        raise BenefitInputError("features", f"must be distinct columns other than {RESPONSE!r}")
    _require_columns(outcomes, [RESPONSE, *features])

    data = outcomes[features].copy()
    data[RESPONSE] = _response(outcomes)
    complete = data.notna().all(axis=1)
    data = data[complete.to_numpy()].copy()
    data[RESPONSE] = data[RESPONSE].astype(bool)
    n = len(data)
    if n < min_n:
        return f"fewer than {min_n} patients with a known response and every feature"
    responders = int(data[RESPONSE].sum())
    if responders in (0, n):
        return "every patient " + ("responded" if responders else "did not respond")
    smaller = min(responders, n - responders)
    if smaller < folds:
        kind = "responders" if responders == smaller else "non-responders"
        return (
            f"only {smaller} {kind}; {folds}-fold cross-validation needs at least {folds} of each"
        )
    numeric: list[str] = []
    categorical: list[str] = []
    dropped: list[dict[str, str]] = []
    for name in features:
        if data[name].nunique() < 2:
            dropped.append({"feature": name, "reason": "the same for every patient"})
        elif pd.api.types.is_numeric_dtype(data[name]) and not pd.api.types.is_bool_dtype(
            data[name]
        ):
            numeric.append(name)
        else:
            data[name] = data[name].astype(str)
            categorical.append(name)
    if not numeric and not categorical:
        return "no feature varies between patients"
    return data, numeric, categorical, dropped, int((~complete).sum())


def _pipeline(data: pd.DataFrame, numeric: list[str], categorical: list[str]) -> Pipeline:
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(("numeric", StandardScaler(), numeric))
    if categorical:
        levels = [_levels_by_frequency(data[name]) for name in categorical]
        encoder = OneHotEncoder(
            # Categories fixed from every patient, so a level missing from one training
            # fold still gets its column and the folds' models share one layout.
            categories=levels,
            drop=[ordered[0] for ordered in levels],
            sparse_output=False,
        )
        parts.append(("categorical", encoder, categorical))
    return Pipeline(
        [
            ("prepare", ColumnTransformer(parts)),
            ("logistic", LogisticRegression(C=1.0, max_iter=1000)),
        ]
    )


def _calibration(y: np.ndarray, predicted: np.ndarray, bins: int) -> list[dict[str, Any]]:
    observed, mean_predicted = calibration_curve(y, predicted, n_bins=bins, strategy="quantile")
    # calibration_curve returns no counts: the same quantile edges and bin ids give them.
    edges = np.percentile(predicted, np.linspace(0, 100, bins + 1))
    counts = np.bincount(np.searchsorted(edges[1:-1], predicted), minlength=bins)
    counts = counts[counts > 0]
    if len(counts) != len(observed):  # pragma: no cover - only if scikit-learn changes its bins
        raise RuntimeError("calibration bin counts do not match calibration_curve")
    return [
        {"predicted_mean": float(p), "observed_rate": float(o), "n": int(c)}
        for p, o, c in zip(mean_predicted, observed, counts, strict=True)
    ]


def _odds_ratios(
    model: Pipeline,
    data: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    references: dict[str, str],
) -> list[dict[str, Any]]:
    coefficients = iter(model.named_steps["logistic"].coef_[0])
    rows: list[dict[str, Any]] = []
    if numeric:
        scaler = model.named_steps["prepare"].named_transformers_["numeric"]
        for name, sd in zip(numeric, scaler.scale_, strict=True):
            rows.append(
                {
                    "feature": name,
                    "level": None,
                    "reference": None,
                    "per": f"1 SD ({float(sd):.3g})",
                    "sd": float(sd),
                    "odds_ratio": math.exp(next(coefficients)),
                }
            )
    for name in categorical:
        for level in _levels_by_frequency(data[name])[1:]:
            rows.append(
                {
                    "feature": name,
                    "level": level,
                    "reference": references[name],
                    "per": f"{level} vs {references[name]}",
                    "sd": None,
                    "odds_ratio": math.exp(next(coefficients)),
                }
            )
    return rows


# --- protocols compared ---------------------------------------------------------------------------


def protocol_comparison(
    outcomes: pd.DataFrame,
    *,
    protocol_col: str = "protocol",
    baseline_col: str = "baseline",
    min_n: int,
) -> dict[str, Any]:
    """Response by protocol, raw and adjusted for baseline severity. Observational.

    Patients with a known response, protocol and numeric baseline are used
    (the rest are counted in ``n_excluded_missing``). Each protocol's raw rate
    and Wilson 95% CI are given as in :func:`subgroup_response`; protocols with
    fewer than ``min_n`` patients are hidden and left out of the model, and so
    is a protocol where every patient (or none) responded, since its odds ratio
    cannot be estimated. The remaining protocols enter a statsmodels maximum-
    likelihood logistic regression::

        logit P(response) = b0 + b_p [protocol = p] + b_base * baseline

    with the largest protocol as the reference. ``odds_ratio`` = exp(b_p) with
    its Wald 95% CI; ``adjusted_probability`` = expit(b0 + b_p + b_base * m) at
    the model cohort's mean baseline m, with a Wald CI on the logit scale
    (x'b ± 1.96 √(x'Vx)). Assumes a linear effect of baseline on the log-odds,
    the same in every protocol. ``model_reason`` says why there is no model
    (fewer than two protocols to compare, no convergence).
    """
    _check_min_n(min_n)
    _require_columns(outcomes, [RESPONSE, protocol_col, baseline_col])
    baseline = outcomes[baseline_col]
    if not pd.api.types.is_numeric_dtype(baseline) or pd.api.types.is_bool_dtype(baseline):
        raise BenefitInputError(baseline_col, "must hold numbers (the baseline total)")
    data = pd.DataFrame(
        {
            RESPONSE: _response(outcomes),
            "protocol": outcomes[protocol_col],
            "baseline": baseline.astype(float),
        }
    )
    complete = data.notna().all(axis=1).to_numpy()
    data = data[complete].copy()
    data[RESPONSE] = data[RESPONSE].astype(bool)

    groups = subgroup_response(data, "protocol", min_n=min_n)
    for row in groups:
        in_group = data["protocol"] == row["group"]
        row["baseline_mean"] = (
            float(data.loc[in_group, "baseline"].mean()) if row["shown"] else None
        )
        row.update(
            in_model=False,
            odds_ratio=None,
            odds_ratio_ci95=None,
            adjusted_probability=None,
            adjusted_ci95=None,
        )
        if row["shown"] and row["responders"] in (0, row["n"]):
            row["reason"] = (
                "every patient responded" if row["responders"] else "no patient responded"
            )
            row["reason"] += "; left out of the adjusted model"
    usable = [r for r in groups if r["shown"] and 0 < r["responders"] < r["n"]]
    usable.sort(key=lambda r: -r["n"])  # stable: equal sizes keep their sorted order
    result: dict[str, Any] = {
        "exploratory": True,
        "disclaimer": PROTOCOL_DISCLAIMER,
        "formula": "response ~ C(protocol) + baseline",
        "n": 0,
        "n_excluded_missing": int((~complete).sum()),
        "reference": None,
        "baseline_mean": None,
        "baseline_odds_ratio_per_point": None,
        "groups": groups,
        "model_reason": None,
    }
    if len(usable) < 2:
        result["model_reason"] = (
            f"fewer than two protocols with at least {min_n} patients and both outcomes"
        )
        return result

    labels = [row["label"] for row in usable]
    model_data = data[data["protocol"].isin([row["group"] for row in usable])].copy()
    model_data["protocol"] = pd.Categorical(model_data["protocol"].astype(str), categories=labels)
    model_data[RESPONSE] = model_data[RESPONSE].astype(int)
    fit = _fit_logit(model_data)
    if isinstance(fit, str):
        result["model_reason"] = fit
        return result
    params, covariance = fit.params, fit.cov_params()
    mean_baseline = float(model_data["baseline"].mean())
    names = ["Intercept", *(f"C(protocol)[T.{label}]" for label in labels[1:]), "baseline"]
    for row in usable:
        x = pd.Series(0.0, index=names)
        x["Intercept"], x["baseline"] = 1.0, mean_baseline
        if row["label"] != labels[0]:
            name = f"C(protocol)[T.{row['label']}]"
            x[name] = 1.0
            row["odds_ratio"], row["odds_ratio_ci95"] = _wald_odds_ratio(fit, name)
        else:
            row["odds_ratio"] = 1.0
        eta = float(x @ params[names])
        half = _Z95 * math.sqrt(float(x @ covariance.loc[names, names] @ x))
        row["adjusted_probability"] = float(expit(eta))
        row["adjusted_ci95"] = (float(expit(eta - half)), float(expit(eta + half)))
        row["in_model"] = True
    result.update(
        n=len(model_data),
        reference=labels[0],
        baseline_mean=mean_baseline,
        baseline_odds_ratio_per_point=dict(
            zip(("odds_ratio", "ci95"), _wald_odds_ratio(fit, "baseline"), strict=True)
        ),
    )
    return result


def _fit_logit(data: pd.DataFrame) -> Any:
    """The fitted statsmodels Logit, or the reason it could not be estimated."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = smf.logit(f"{RESPONSE} ~ C(protocol) + baseline", data=data).fit(disp=0)
        except (PerfectSeparationError, PerfectSeparationWarning):
            return "baseline separates responders from non-responders perfectly; no model"
        except (ConvergenceWarning, np.linalg.LinAlgError):
            return "the adjusted model did not converge"
    if not fit.mle_retvals.get("converged", True):
        return "the adjusted model did not converge"
    return fit


def _wald_odds_ratio(fit: Any, name: str) -> tuple[float, tuple[float, float]]:
    low, high = fit.conf_int(alpha=0.05).loc[name]
    return math.exp(fit.params[name]), (math.exp(low), math.exp(high))


# --- shared checks -------------------------------------------------------------------------------


def _check_min_n(min_n: int) -> None:
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise BenefitInputError("min_n", f"must be a whole number of at least 1, got {min_n!r}")


def _require_columns(outcomes: pd.DataFrame, columns: list[str]) -> None:
    if not isinstance(outcomes, pd.DataFrame):
        raise BenefitInputError("outcomes", "must be a pandas DataFrame, one row per patient")
    for column in columns:
        if column not in outcomes.columns:
            known = ", ".join(map(str, outcomes.columns)) or "none"
            raise BenefitInputError(column, f"is not a column of the outcomes (columns: {known})")


def _response(outcomes: pd.DataFrame) -> pd.Series:
    """The response column as a nullable boolean; anything but true/false/1/0/empty is refused."""
    raw = outcomes[RESPONSE]
    missing = raw.isna().to_numpy()
    present = raw[~missing]
    valid = present.map(
        lambda v: (
            isinstance(v, bool | np.bool_)
            or (isinstance(v, int | float | np.integer | np.floating) and v in (0, 1))
        )
    )
    if not valid.all():
        bad = present[~valid.to_numpy()].iloc[0]
        raise BenefitInputError(
            RESPONSE, f"must be true/false (or 1/0), empty when unknown; got {bad!r}"
        )
    result = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    result[~missing] = present.astype(bool).to_numpy()
    return result


def _levels(values: pd.Series) -> list[Any]:
    """The distinct non-missing values, sorted (as text if they cannot be compared)."""
    distinct = [v.item() if isinstance(v, np.generic) else v for v in values.dropna().unique()]
    try:
        return sorted(distinct)
    except TypeError:
        return sorted(distinct, key=str)


def _levels_by_frequency(values: pd.Series) -> list[str]:
    """Levels as text, most common first (the reference); ties in text order."""
    counts = values.astype(str).value_counts()
    return sorted(counts.index, key=lambda level: (-counts[level], level))
