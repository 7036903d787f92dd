"""One row per patient: what every cohort figure needs, reduced from the observations.

Both readers end here: the in-memory one (``frame.prepare`` of a DataFrame, reduced by
:func:`patient_table`) and the registry-scale one (``scan``: DuckDB reduces CSV or
Parquet rows with SQL aggregates, ``scan_reduce``). Every per-patient value depends on
that patient's rows alone, so a group's figures (``--by``) are the figures of the
table's subset. The figures themselves
(:func:`table_figures`) are computed from the table only. No Django import.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from afterglow.analytics.engine.config import AnalysisConfig, timepoint_window
from afterglow.analytics.engine.durability import km_from_durations, patient_durations
from afterglow.analytics.engine.frame import Cohort
from afterglow.analytics.engine.mixed import (
    MixedFit,
    PatientSums,
    fit_reml,
    patient_sums,
    pool_sums,
)
from afterglow.analytics.engine.patients import MISSING, match_timepoint, patient_arrays, responds
from afterglow.analytics.engine.stats import clean, mean_ci, rate_ci

__all__ = ["PatientTable", "by_groups", "patient_table", "table_figures"]

NOT_ESTIMABLE = "not estimable: needs at least 3 patients, 4 observations and 2 days"


@dataclasses.dataclass(frozen=True)
class PatientTable:
    """Per-patient arrays in patient order (``MISSING`` = -1 where there is no value).

    ``timepoints[d]`` is the total matched to timepoint d; ``responder``, ``duration``
    and ``lost`` describe durability from ``config.durability_from``; ``sums`` holds the
    mixed-window sums; ``covariate`` (float, NaN when blank) the ``--covariate`` column.
    """

    baseline: np.ndarray
    has_baseline: np.ndarray
    n_rows: np.ndarray
    timepoints: dict[int, np.ndarray]
    responder: np.ndarray
    duration: np.ndarray
    lost: np.ndarray
    sums: PatientSums
    covariate: np.ndarray | None = None

    @property
    def n_patients(self) -> int:
        return len(self.baseline)

    def subset(self, keep: np.ndarray) -> PatientTable:
        return PatientTable(
            baseline=self.baseline[keep],
            has_baseline=self.has_baseline[keep],
            n_rows=self.n_rows[keep],
            timepoints={d: v[keep] for d, v in self.timepoints.items()},
            responder=self.responder[keep],
            duration=self.duration[keep],
            lost=self.lost[keep],
            sums=self.sums.subset(keep),
            covariate=None if self.covariate is None else self.covariate[keep],
        )

    def with_covariate(self, values: np.ndarray | None) -> PatientTable:
        return dataclasses.replace(self, covariate=values)


def patient_table(cohort: Cohort, config: AnalysisConfig) -> PatientTable:
    """Reduce a sorted :class:`Cohort` to its :class:`PatientTable` (rules in ``patients``)."""
    arrays = patient_arrays(cohort, config)
    has_baseline = arrays.has_baseline
    # Compact types: the registry-scale reader keeps tables of millions of patients.
    timepoints = {
        day: match_timepoint(cohort, has_baseline, day)[0].astype(np.int16) for day in config.days
    }
    responder, duration, lost = patient_durations(cohort, arrays, config)
    low, high = config.mixed_window
    rows = (cohort.day >= low) & (cohort.day <= high) & has_baseline[cohort.code]
    sums = patient_sums(cohort.code[rows], cohort.day[rows], cohort.total[rows], cohort.n_patients)
    return PatientTable(
        baseline=arrays.baseline.astype(np.int16),
        has_baseline=has_baseline,
        n_rows=np.diff(cohort.bounds).astype(np.int32),
        timepoints=timepoints,
        responder=responder,
        duration=duration.astype(np.float32),
        lost=lost,
        sums=sums,
    )


def table_figures(table: PatientTable, config: AnalysisConfig) -> dict[str, Any]:
    """The cohort block of ``analyze`` (keys documented there) from a patient table."""
    has_baseline = table.has_baseline
    baseline = table.baseline.astype(np.int64)
    baseline_mean, baseline_sd, _ = mean_ci(baseline[has_baseline].astype(np.float64))
    timepoints = {
        str(day): _timepoint(baseline, table.timepoints[day].astype(np.int64), day, config)
        for day in config.days
    }
    responder = table.responder
    km = km_from_durations(table.duration[responder].astype(np.float64), table.lost[responder])
    durability = {
        "from_day": config.durability_from,
        **{
            key: km[key]
            for key in ("n_responders", "n_lost", "median_days_to_loss_of_response", "ci95")
        },
    }
    block = {
        "n_patients": int(np.count_nonzero(has_baseline)),
        "n_excluded_no_baseline": int(np.count_nonzero(~has_baseline)),
        "n_observations": int(np.sum(table.n_rows[has_baseline], dtype=np.int64)),
        "baseline_mean": baseline_mean,
        "baseline_sd": baseline_sd,
        "timepoints": timepoints,
        "durability": durability,
        "mixed_model": _mixed(table, config),
    }
    return clean(block)  # type: ignore[return-value]


def by_groups(
    table: PatientTable, values: pd.Series, config: AnalysisConfig
) -> tuple[int, dict[str, Any]]:
    """``(n_by_missing, {group: block})`` for per-patient group ``values`` (table order).

    Keys are the values as text (whole floats without ".0"), in the categories' order
    for a categorical, else sorted (numbers as numbers); a blank value is counted
    (among patients with a baseline), never grouped.
    """
    blank = values.isna().to_numpy()
    n_missing = int(np.count_nonzero(blank & table.has_baseline))
    keys = values.map(_group_key, na_action="ignore")
    key_array = keys.to_numpy()
    groups: dict[str, Any] = {}
    for key in _ordered_keys(values, keys):
        keep = (key_array == key) & ~blank
        groups[key] = table_figures(table.subset(keep), config)
    return n_missing, groups


# --- internals --------------------------------------------------------------------------------


def _timepoint(
    baseline: np.ndarray, total: np.ndarray, day: int, config: AnalysisConfig
) -> dict[str, Any]:
    seen = total != MISSING
    b, t = baseline[seen], total[seen]
    mean_change, sd, ci = mean_ci((t - b).astype(np.float64))
    mean_total, _, _ = mean_ci(t.astype(np.float64))
    response_rate, response_ci = rate_ci(responds(b, t, config))
    below_rate, below_ci = rate_ci(t < config.cutoff)
    reliable_rate, reliable_ci = rate_ci(b - t >= config.reliable_points)
    return {
        "day": day,
        "window": list(timepoint_window(day)),
        "n": int(np.count_nonzero(seen)),
        "mean_total": mean_total,
        "mean_change": mean_change,
        "mean_change_sd": sd,
        "ci95": ci,
        "response_rate": response_rate,
        "response_ci95": response_ci,
        "below_cutoff_rate": below_rate,
        "below_cutoff_ci95": below_ci,
        "reliable_improvement_rate": reliable_rate,
        "reliable_improvement_ci95": reliable_ci,
    }


def _mixed(table: PatientTable, config: AnalysisConfig) -> dict[str, Any]:
    low, high = config.mixed_window
    sums = table.sums
    n_obs = int(np.sum(sums.n))
    if table.covariate is not None:
        from afterglow.analytics.engine.mixed_covariate import covariate_block

        return covariate_block(sums, table.covariate, config)
    fit: MixedFit | None = None
    if n_obs:
        fit = fit_reml(pool_sums(sums))
    if fit is None:
        return {"slope_per_week": None, "ci95": None, "n_obs": n_obs, "note": NOT_ESTIMABLE}
    return clean({**fit.to_dict(), "window": [low, high]})  # type: ignore[return-value]


def _group_key(value: object) -> str:
    """A group value as JSON key text: whole floats without ".0", others as ``str``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _ordered_keys(values: pd.Series, keys: pd.Series) -> list[str]:
    """Group keys in the categories' order for categoricals, else sorted (numbers as numbers)."""
    present = set(keys.dropna())
    if isinstance(values.dtype, pd.CategoricalDtype):
        ordered = [_group_key(c) for c in values.dtype.categories]
        return [k for k in ordered if k in present]
    distinct = values.dropna().unique()
    try:
        ordered_values = sorted(distinct)
    except TypeError:
        ordered_values = sorted(distinct, key=str)
    seen: list[str] = []
    for value in ordered_values:
        key = _group_key(value)
        if key not in seen:
            seen.append(key)
    return seen
