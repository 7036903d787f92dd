"""Durability of response: Kaplan–Meier time to loss of response, measured like the trials.

Feder 2021's median time to loss of response counts among responders at the end
of the course, from that assessment (evidence.md §2). Here, with D
``config.durability_from`` (default 14): the responders are the patients whose
follow-up matched to timepoint D (``patients.match_timepoint``, the same
nearest-in-window rule as every timepoint) meets the response rule; each one's
time runs from that follow-up's day to the confirmed loss after it (the first day
of the first run of ``config.loss_confirmations`` consecutive later follow-ups no
longer meeting response, ``patients.loss_after``), or is censored at the
patient's last follow-up. Estimated with ``lifelines.KaplanMeierFitter`` (product-limit,
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

from afterglow.analytics.engine.config import AnalysisConfig
from afterglow.analytics.engine.frame import Cohort
from afterglow.analytics.engine.patients import (
    MISSING,
    PatientArrays,
    loss_after,
    match_timepoint,
    responds,
)

__all__ = ["durations", "km_from_durations", "patient_durations"]


def durations(
    cohort: Cohort, arrays: PatientArrays, config: AnalysisConfig
) -> tuple[np.ndarray, np.ndarray]:
    """``(days, lost)`` for each responder at ``config.durability_from`` (module docstring)."""
    responder, days, lost = patient_durations(cohort, arrays, config)
    return days[responder], lost[responder]


def patient_durations(
    cohort: Cohort, arrays: PatientArrays, config: AnalysisConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(responder, days, lost)`` per patient; ``days`` and ``lost`` count for responders."""
    total, matched_day = match_timepoint(cohort, arrays.has_baseline, config.durability_from)
    seen = total != MISSING
    responder = seen & responds(arrays.baseline, total, config)
    start = np.where(responder, matched_day, MISSING)
    followup = (cohort.day > 0) & arrays.has_baseline[cohort.code]
    loss, _ = loss_after(cohort, followup, arrays.response, start, config.loss_confirmations)
    lost = responder & (loss != MISSING)
    end = np.where(lost, loss, arrays.last_day)
    days = np.where(responder, end - start, 0).astype(np.float64)
    return responder, days, lost


def km_from_durations(days: np.ndarray, lost: np.ndarray) -> dict[str, object]:
    """The curve and median of :func:`durations` (see the module docstring)."""
    result: dict[str, object] = {
        "n_responders": len(days),  # responders at the durability timepoint
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
