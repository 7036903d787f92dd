"""The cohort figures: ``analyze`` (the JSON of ``afterglow analyze``) and its parts.

Every figure is computed from a validated, sorted :class:`~.frame.Cohort` in
vectorised numpy; no Python loop runs per patient. Rules live in ``patients``
(baseline, matching, response), ``durability`` (Kaplan–Meier), ``mixed`` (REML)
and ``stats`` (intervals). No Django import.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from afterglow.analytics.engine.config import AnalysisConfig, AnalysisInputError
from afterglow.analytics.engine.durability import durations, km_from_durations
from afterglow.analytics.engine.frame import Cohort, add_bands, prepare, read_csv
from afterglow.analytics.engine.patients import outcomes_frame, patient_arrays
from afterglow.analytics.engine.stats import clean, mean_ci
from afterglow.analytics.engine.table import by_groups, patient_table, table_figures

__all__ = [
    "DERIVED_COLUMNS",
    "analyze",
    "analyze_csv",
    "km_curve",
    "mixed_model",
    "patient_outcomes",
    "weekly_trajectory",
]

#: The defaults (frozen, so one shared instance is safe as a default argument).
DEFAULT_CONFIG = AnalysisConfig()

#: Columns ``--by`` accepts although they are not in the data: ``add_bands`` makes them.
DERIVED_COLUMNS = ("baseline_severity_band", "age_band")


def analyze(
    df: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG, by: str | None = None
) -> dict[str, Any]:
    """All cohort figures as JSON-ready data (exactly what ``afterglow analyze`` prints).

    Keys: ``n_patients`` (patients with a baseline), ``n_excluded_no_baseline``,
    ``n_observations``, ``baseline_mean``, ``baseline_sd``; ``timepoints`` keyed by
    day as text, each with ``day``, ``window``, ``n``, ``mean_total``,
    ``mean_change``, ``mean_change_sd``, ``ci95`` (t interval of the mean change),
    ``response_rate``, ``response_ci95``, ``below_cutoff_rate``,
    ``below_cutoff_ci95``, ``reliable_improvement_rate``,
    ``reliable_improvement_ci95`` (Wilson intervals); ``durability``
    (``from_day``, ``n_responders`` -- responders at that timepoint --, ``n_lost``,
    ``median_days_to_loss_of_response``, ``ci95``; rules in ``durability``);
    ``mixed_model`` (``slope_per_week``, ``ci95``, ``n_obs`` and more, see
    ``mixed.MixedFit.to_dict``; ``slope_per_week`` None when not estimable); and once,
    at the top, ``config`` (the settings and the matching window of each timepoint).

    With ``by`` (a covariate column, or ``baseline_severity_band``/``age_band``, which
    are derived when absent) the same block, computed on each group's patients alone,
    sits under ``by`` keyed by the group value as text; patients whose value is blank
    are counted in ``n_by_missing``. A value is the patient's first non-blank one in
    day order. Raises ``AnalysisInputError`` for bad data or an unknown ``by`` column.
    """
    if by is not None and by not in df.columns:
        if by not in DERIVED_COLUMNS:
            found = ", ".join(str(c) for c in df.columns)
            raise AnalysisInputError(f"no column {by!r} to group by (columns found: {found})")
        df = add_bands(df)
        if by not in df.columns:
            raise AnalysisInputError(f"{by} needs an 'age' column, which the data does not have")
    cohort = prepare(df)
    table = patient_table(cohort, config)
    result = table_figures(table, config)
    result["config"] = config.to_dict()
    if by is not None:
        result["by_column"] = by
        result["n_by_missing"], result["by"] = by_groups(table, cohort.patient_values(by), config)
    return result  # type: ignore[no-any-return]


def analyze_csv(
    path: str | os.PathLike[str], config: AnalysisConfig = DEFAULT_CONFIG, by: str | None = None
) -> dict[str, Any]:
    """:func:`load_csv` then :func:`analyze`: the code path of ``afterglow analyze``.

    The data are validated once (by ``analyze``), not twice.
    """
    frame = read_csv(path)
    if by is not None and by not in frame.columns and by not in DERIVED_COLUMNS:
        found = ", ".join(str(c) for c in frame.columns)
        raise AnalysisInputError(f"--by column {by!r} is not in the CSV (columns found: {found})")
    return analyze(frame, config, by)


def patient_outcomes(df: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """One row per patient with a baseline, sorted by ``patient_id``.

    Columns: ``patient_id``, ``baseline``, ``end_total`` and ``end_change`` (the
    observation matched to ``config.end_of_course_day``; nullable Int64),
    ``response`` and ``below_cutoff`` there (nullable boolean, NA without an
    observation in the window), ``first_response_day``, ``loss_of_response_day``
    (confirmed), ``possible_loss_day``, ``last_day`` (Int64, NA when the event never
    happened), then every covariate column (the patient's first non-blank value in day
    order). Rules: ``patients``.
    """
    return outcomes_frame(prepare(df), config)


def weekly_trajectory(df: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG) -> list[dict]:
    """Mean PCL-5 total by week since the first dose: ``[{"week", "n", "mean", "ci95"}]``.

    Week 0 is the baseline. A follow-up on day d belongs to week ``(d + 3) // 7``, so
    week w holds days 7w-3 to 7w+3; days 1-3 (the 24-hour checks) fall in no week.
    Each patient counts once per week, with the observation nearest to day 7w
    (earlier on a tie). Only patients with a baseline; weeks with no observation are
    left out. ``ci95`` is the t interval of the mean (None for n = 1).
    """
    cohort = prepare(df)
    return _weekly(cohort, patient_arrays(cohort, config).has_baseline)


def km_curve(df: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Kaplan–Meier durability curve among responders at ``config.durability_from``.

    ``{"n_responders", "n_lost", "timeline" (days since that follow-up), "survival",
    "ci_low", "ci_high", "median_days_to_loss_of_response", "ci95"}``; the median and
    each CI limit are None when undefined.
    """
    cohort = prepare(df)
    km = km_from_durations(*durations(cohort, patient_arrays(cohort, config), config))
    return clean({**km, "from_day": config.durability_from})  # type: ignore[return-value]


def mixed_model(df: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """The ``mixed_model`` block of :func:`analyze` (formula and assumptions in ``mixed``)."""
    return table_figures(patient_table(prepare(df), config), config)["mixed_model"]  # type: ignore[no-any-return]


# --- internals --------------------------------------------------------------------------------


def _weekly(cohort: Cohort, has_baseline: np.ndarray) -> list[dict]:
    code, day, total = cohort.code, cohort.day, cohort.total
    weeks: dict[int, np.ndarray] = {}
    before = np.bincount(code[day <= 0], minlength=cohort.n_patients)
    baseline_rows = (cohort.bounds[:-1] + before - 1)[has_baseline]
    weeks[0] = total[baseline_rows]
    rows = np.flatnonzero((day >= 4) & has_baseline[code])
    week = (day[rows] + 3) // 7
    distance = np.abs(day[rows] - 7 * week)
    order = np.lexsort((day[rows], distance, week, code[rows]))
    rows, week = rows[order], week[order]
    # First row of each (patient, week): the keys are sorted, so compare neighbours.
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (code[rows][1:] != code[rows][:-1]) | (week[1:] != week[:-1])
    rows, week = rows[first], week[first]
    by_week = np.argsort(week, kind="stable")
    rows, week = rows[by_week], week[by_week]
    if len(week):
        cuts = np.flatnonzero(np.diff(week)) + 1
        starts = np.concatenate([[0], cuts])
        for values, w in zip(np.split(total[rows], cuts), week[starts], strict=True):
            weeks[int(w)] = values
    out = []
    for w in sorted(weeks):
        values = weeks[w].astype(np.float64)
        if len(values) == 0:
            continue
        mean, _, ci = mean_ci(values)
        out.append({"week": w, "n": len(values), "mean": mean, "ci95": ci})
    return clean(out)  # type: ignore[return-value]
