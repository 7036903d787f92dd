"""Per-patient outcomes, vectorised over the whole cohort. No Django import.

The rules are those of ``afterglow.outcomes.rules.evaluate``, applied to arrays
(a test checks the two agree on random series). With B the baseline, T a total:

- **baseline**: the observation at or before day 0 nearest to day 0. Patients
  without one are left out of every figure (and counted).
- **follow-ups**: every observation with day > 0 (earlier ones, such as a
  screening PCL-5 before the baseline, are not follow-ups).
- **response**: ``100 · (B - T) >= response_percent · B`` and ``B > 0``, in
  integers (a baseline of 0 cannot fall by 30 %); with
  ``response_requires_reliable`` also ``B - T >= reliable_points``.
- **below cutoff**: ``T < cutoff``; **reliable improvement**: ``B - T >= reliable_points``.
- **first response day**: the first follow-up meeting response; **loss of
  response day**: the first day of the first run of ``loss_confirmations``
  consecutive later follow-ups that no longer meet it (not reset if response
  returns); **possible loss day**: the first day of a shorter run still open at
  the last follow-up (``outcomes.rules.loss_after``); **last day**: the last
  follow-up's day.
- **timepoint d**: the follow-up nearest to day d inside
  ``config.timepoint_window(d)`` (ties to the earlier); none = missing, never 0.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from afterglow.analytics.engine.config import AnalysisConfig, timepoint_window
from afterglow.analytics.engine.frame import Cohort

__all__ = [
    "PatientArrays",
    "first_per_patient",
    "loss_after",
    "match_timepoint",
    "patient_arrays",
    "responds",
]

MISSING = -1  # marks "no value" in the int64 per-patient arrays (days > 0, totals >= 0)


@dataclasses.dataclass(frozen=True)
class PatientArrays:
    """One entry per patient code; ``MISSING`` (-1) where there is no value."""

    baseline: np.ndarray
    has_baseline: np.ndarray  # bool
    first_response_day: np.ndarray
    loss_of_response_day: np.ndarray
    possible_loss_day: np.ndarray
    last_day: np.ndarray  # the last follow-up's day
    response: np.ndarray  # per row (bool): a follow-up meeting the response rule


def first_per_patient(code: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, rows)`` of the first of ``rows`` (sorted positions, ascending) per patient."""
    picked = code[rows]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = picked[1:] != picked[:-1]
    return picked[first], rows[first]


def responds(baseline: np.ndarray, total: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    """``outcomes.rules`` response, elementwise in integer arithmetic."""
    fall = baseline - total
    met = (baseline > 0) & (100 * fall >= config.response_percent * baseline)
    if config.response_requires_reliable:
        met &= fall >= config.reliable_points
    return met  # type: ignore[no-any-return]


def loss_after(
    cohort: Cohort,
    followup: np.ndarray,
    response: np.ndarray,
    from_day: np.ndarray,
    confirmations: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(loss_day, possible_loss_day)`` per patient; ``outcomes.rules.loss_after`` vectorised.

    ``followup`` and ``response`` are per row; ``from_day`` per patient (``MISSING``:
    the patient is not followed). Over each patient's follow-ups after ``from_day``
    (rows are sorted by day within a patient, so they end the patient's block), a run
    is a stretch of consecutive rows not meeting response; the loss is the first
    day of the first run of at least ``confirmations`` rows, the possible loss the
    first day of a shorter run that reaches the last row (only without a loss).
    """
    n = cohort.n_patients
    code, day = cohort.code, cohort.day
    row_from = from_day[code]
    rows = np.flatnonzero(followup & (row_from != MISSING) & (day > row_from))
    loss = np.full(n, MISSING, dtype=np.int64)
    possible = np.full(n, MISSING, dtype=np.int64)
    if len(rows) == 0:
        return loss, possible
    fail = ~response[rows]
    patient = code[rows]
    new_patient = np.ones(len(rows), dtype=bool)
    new_patient[1:] = patient[1:] != patient[:-1]
    previous_fail = np.zeros(len(rows), dtype=bool)
    previous_fail[1:] = fail[:-1]
    starts = fail & (new_patient | ~previous_fail)
    run_of_row = np.cumsum(starts) - 1  # the run a failing row belongs to
    run_length = np.bincount(run_of_row[fail], minlength=int(starts.sum()))
    start_pos = np.flatnonzero(starts)
    confirmed = run_length >= confirmations
    codes, first_runs = first_per_patient(patient[start_pos], np.flatnonzero(confirmed))
    loss[codes] = day[rows[start_pos[first_runs]]]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = patient[1:] != patient[:-1]
    open_end = last & fail
    open_end &= loss[patient] == MISSING
    possible[patient[open_end]] = day[rows[start_pos[run_of_row[open_end]]]]
    return loss, possible


def patient_arrays(cohort: Cohort, config: AnalysisConfig) -> PatientArrays:
    """Baseline, first response, loss of response and last follow-up of every patient."""
    n = cohort.n_patients
    code, day, total = cohort.code, cohort.day, cohort.total
    # Rows are sorted by day within a patient, so the baseline is the last row with day <= 0.
    n_before = np.bincount(code[day <= 0], minlength=n)
    has_baseline = n_before > 0
    baseline_row = cohort.bounds[:-1] + n_before - 1
    baseline = np.where(has_baseline, total[np.maximum(baseline_row, 0)], MISSING)

    row_baseline = baseline[code]
    followup = (day > 0) & has_baseline[code]
    response = followup & responds(row_baseline, total, config)

    first_response = np.full(n, MISSING, dtype=np.int64)
    codes, rows = first_per_patient(code, np.flatnonzero(response))
    first_response[codes] = day[rows]
    loss, possible = loss_after(
        cohort, followup, response, first_response, config.loss_confirmations
    )

    last_row = cohort.bounds[1:] - 1
    last_day = np.where(has_baseline & (day[last_row] > 0), day[last_row], MISSING)
    return PatientArrays(
        baseline=baseline,
        has_baseline=has_baseline,
        first_response_day=first_response,
        loss_of_response_day=loss,
        possible_loss_day=possible,
        last_day=last_day,
        response=response,
    )


def match_timepoint(
    cohort: Cohort, has_baseline: np.ndarray, target: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(total, day)`` per patient of the follow-up standing for day ``target``; -1 if none."""
    low, high = timepoint_window(target)
    day = cohort.day
    rows = np.flatnonzero((day >= low) & (day <= high) & has_baseline[cohort.code])
    total = np.full(cohort.n_patients, MISSING, dtype=np.int64)
    matched_day = np.full(cohort.n_patients, MISSING, dtype=np.int64)
    if len(rows) == 0:
        return total, matched_day
    # Rows are sorted by patient, then day: each patient's candidates are one run. One key
    # orders them by distance, then day (unique: one total per patient and day), and the
    # run's minimum is the match -- linear, no sort.
    candidate = day[rows].astype(np.int64)
    key = np.abs(candidate - target) * (high - low + 1) + (candidate - low)
    code = cohort.code[rows]
    starts = np.flatnonzero(np.concatenate([[True], code[1:] != code[:-1]]))
    lowest = np.minimum.reduceat(key, starts)
    sizes = np.diff(np.append(starts, len(rows)))
    chosen = rows[key == np.repeat(lowest, sizes)]
    codes = cohort.code[chosen]
    total[codes] = cohort.total[chosen]
    matched_day[codes] = day[chosen]
    return total, matched_day


def outcomes_frame(cohort: Cohort, config: AnalysisConfig) -> pd.DataFrame:
    """The :func:`afterglow.analytics.engine.patient_outcomes` frame of a prepared cohort."""
    arrays = patient_arrays(cohort, config)
    keep = arrays.has_baseline
    end_total, _ = match_timepoint(cohort, keep, config.end_of_course_day)
    seen = end_total != MISSING
    baseline = arrays.baseline
    frame = pd.DataFrame(
        {
            "patient_id": cohort.ids.to_numpy(),
            "baseline": baseline,
            "end_total": _nullable_int(end_total, seen),
            "end_change": _nullable_int(end_total - baseline, seen),
            "response": _nullable_bool(responds(baseline, end_total, config), seen),
            "below_cutoff": _nullable_bool(end_total < config.cutoff, seen),
            "first_response_day": _nullable_int(arrays.first_response_day),
            "loss_of_response_day": _nullable_int(arrays.loss_of_response_day),
            "possible_loss_day": _nullable_int(arrays.possible_loss_day),
            "last_day": _nullable_int(arrays.last_day),
        }
    )
    for column in cohort.covariates:
        frame[column] = cohort.patient_values(column).to_numpy()
    return frame[keep].reset_index(drop=True)


def _nullable_int(values: np.ndarray, present: np.ndarray | None = None) -> pd.Series:
    present = values != MISSING if present is None else present
    return pd.Series(pd.arrays.IntegerArray(values.astype(np.int64), ~present))


def _nullable_bool(values: np.ndarray, present: np.ndarray) -> pd.Series:
    return pd.Series(pd.arrays.BooleanArray(values.astype(bool), ~present))
