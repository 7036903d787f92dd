"""Durability of response: Kaplan–Meier time from first response to loss of response.

Among responders (patients whose follow-ups met response at least once; rules in
``patients``), the time is ``loss_of_response_day - first_response_day`` when the
response was lost, else censored at ``last_day - first_response_day`` (the last
follow-up). Estimated with ``lifelines.KaplanMeierFitter`` (product-limit,
Greenwood variance, 95 % exponential-Greenwood "log(-log)" pointwise band, as
lifelines computes it). The median and its 95 % CI come from
``lifelines.utils.median_survival_times`` on the survival curve and on the two
band limits; each is None where the curve never falls to 0.5 (undefined).

Assumptions: censoring (end of follow-up, dropout) is unrelated to the chance of
losing the response, and loss is seen only at a visit (interval-censored times
are taken at the visit day, which overstates durability by up to a visit gap).
No Django import.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from afterglow.analytics.engine.patients import MISSING, PatientArrays

__all__ = ["durations", "km_from_durations"]


def durations(arrays: PatientArrays) -> tuple[np.ndarray, np.ndarray]:
    """``(days, lost)`` for each responder: time from first response, and whether it ended."""
    responder = arrays.has_baseline & (arrays.first_response_day != MISSING)
    first = arrays.first_response_day[responder]
    loss = arrays.loss_of_response_day[responder]
    lost = loss != MISSING
    end = np.where(lost, loss, arrays.last_day[responder])
    return (end - first).astype(np.float64), lost


def km_from_durations(days: np.ndarray, lost: np.ndarray) -> dict[str, object]:
    """The curve and median of :func:`durations` (see the module docstring)."""
    result: dict[str, object] = {
        "n_responders": len(days),
        "n_lost": int(np.count_nonzero(lost)),
        "timeline": [],
        "survival": [],
        "ci_low": [],
        "ci_high": [],
        "median_days_to_loss_of_response": None,
        "ci95": None,
    }
    if len(days) == 0:
        return result
    # Imported on first use: lifelines takes seconds to import, and the CLI's input
    # errors should not wait for it.
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    kmf = KaplanMeierFitter()
    with warnings.catch_warnings():
        # lifelines warns about all-censored data; the None median says it already.
        warnings.simplefilter("ignore")
        kmf.fit(days, event_observed=lost)
    band = kmf.confidence_interval_survival_function_
    result["timeline"] = [float(t) for t in kmf.survival_function_.index]
    result["survival"] = [float(v) for v in kmf.survival_function_.iloc[:, 0]]
    result["ci_low"] = [float(v) for v in band.iloc[:, 0]]
    result["ci_high"] = [float(v) for v in band.iloc[:, 1]]
    result["median_days_to_loss_of_response"] = _finite(kmf.median_survival_time_)
    limits = median_survival_times(band)
    low, high = _finite(limits.iloc[0, 0]), _finite(limits.iloc[0, 1])
    result["ci95"] = [low, high]
    return result


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
