"""Everything the cohort dashboard (and its PDF) shows, from the selectors' data. No Django.

:func:`build_dashboard` applies the filters to the patients, runs the analysis engine
once on the filtered frame (``analyze``, ``weekly_trajectory``, ``km_curve``,
``patient_outcomes``), adds the safety, diary and "who benefits" figures, and hides
every figure or cell that rests on fewer than ``min_n`` patients (the clinic's
``analytics_min_n``), so small groups are neither over-read nor re-identified:

- the whole page below N when the selection has fewer than ``min_n`` patients with a
  baseline; a timepoint, a week, an infusion number or a subgroup below ``min_n``;
- the individual patient lines behind the trajectory: only with ``min_n`` patients,
  and only over the weeks whose mean is shown;
- the durability curve below ``min_n`` responders; safety below ``min_n`` patients.

A hidden figure keeps its ``n`` (how many patients there are is not itself sensitive)
and says :func:`hidden_text` instead of its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from afterglow.analytics.benefit import (
    protocol_comparison,
    response_model,
    response_model_unavailable,
    subgroup_response,
)
from afterglow.analytics.clinic_figures import clinic_figures
from afterglow.analytics.engine import (
    AnalysisConfig,
    add_bands,
    analyze,
    km_curve,
    patient_outcomes,
    weekly_trajectory,
)
from afterglow.analytics.engine.stats import mean_ci, wilson_ci
from afterglow.analytics.evidence import Comparison, caveats_once, comparisons
from afterglow.analytics.safety_figures import Safety, safety_figures
from afterglow.analytics.selectors import CohortData

__all__ = [
    "FILTER_COLUMNS",
    "MODEL_FEATURES",
    "SUBGROUP_COLUMNS",
    "Dashboard",
    "banded",
    "build_dashboard",
    "filter_options",
    "hidden_text",
    "select_patients",
]

#: Patient columns a filter can select on (the form's fields map onto these).
FILTER_COLUMNS = (
    "population",
    "sex",
    "age_band",
    "baseline_severity_band",
    "protocol",
    "route",
    "psychotherapy_in_window",
)
#: Columns whose responder rates are compared ("who benefits most").
SUBGROUP_COLUMNS = (
    "population",
    "sex",
    "age_band",
    "baseline_severity_band",
    "protocol",
    "route",
    "dose_band",
    "psychotherapy_in_window",
)
#: Dose bands of the mean mg/kg (labels as shown). Illustrative, no clinical source: the
#: trials' IV dose is 0.5 mg/kg (evidence.md §4), so 0.5 starts a band of its own width.
DOSE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("<0.5", -math.inf, 0.5),
    ("0.5–0.74", 0.5, 0.75),
    ("0.75–0.99", 0.75, 1.0),
    ("≥1.0", 1.0, math.inf),
)
#: Baseline features of the exploratory response model.
MODEL_FEATURES = [
    "baseline",
    "age",
    "sex",
    "population",
    "protocol",
    "psychotherapy_in_window",
]


def hidden_text(min_n: int) -> str:
    return f"Not shown: fewer than {min_n} patients"


@dataclass(frozen=True)
class Dashboard:
    min_n: int
    config: AnalysisConfig
    n_selected: int  # patients with a signed dose matching the filters
    n_patients: int  # of those, with a baseline PCL-5 (the engine's n_patients)
    n_consented: int  # of those selected, consenting to de-identified research use
    shown: bool  # n_patients >= min_n
    analysis: dict[str, Any] | None  # the engine's JSON, exactly as ``afterglow analyze``
    timepoints: list[dict[str, Any]]
    end_of_course: dict[str, Any]
    trajectory: list[dict[str, Any]]
    lines: list[list[tuple[float, int]]]
    intrusion: list[dict[str, Any]]
    diary: list[dict[str, Any]]
    km: dict[str, Any] | None
    km_reason: str
    safety: Safety
    subgroups: list[dict[str, Any]]
    model: dict[str, Any] | None
    model_reason: str | None
    protocols: dict[str, Any] | None
    comparisons: list[Comparison]
    outcomes: pd.DataFrame = field(repr=False)

    @property
    def hidden(self) -> str:
        return hidden_text(self.min_n)

    @property
    def baseline_mean(self) -> float | None:
        if not self.shown or self.analysis is None:
            return None
        value = self.analysis.get("baseline_mean")
        return None if value is None else float(value)

    @property
    def km_rows(self) -> list[dict[str, Any]]:
        """The Kaplan–Meier curve as table rows (day, survival, low, high)."""
        if self.km is None:
            return []
        km = self.km
        return [
            {"day": day, "survival": s, "low": low, "high": high}
            for day, s, low, high in zip(
                km["timeline"], km["survival"], km["ci_low"], km["ci_high"], strict=True
            )
        ]

    @property
    def evidence(self) -> list[tuple[Comparison, tuple[str, ...]]]:
        """The comparisons, each with the caveats not already given above it."""
        return caveats_once(self.comparisons)

    @property
    def mixed_model(self) -> dict[str, Any] | None:
        if not self.shown or self.analysis is None:
            return None
        block: dict[str, Any] = self.analysis["mixed_model"]
        return block


# --- filters -----------------------------------------------------------------------------------


def banded(data: CohortData) -> CohortData:
    """``data`` with ``age_band`` and ``baseline_severity_band`` on the patients and the
    frame (engine ``add_bands``; severity blank without a baseline)."""
    frame = (
        add_bands(data.frame)
        if len(data.frame)
        else data.frame.assign(
            baseline_severity_band=pd.Series(dtype=object), age_band=pd.Series(dtype=object)
        )
    )
    severity = (
        frame.groupby("patient_id", observed=True)["baseline_severity_band"].first()
        if len(frame)
        else pd.Series(dtype=object)
    )
    patients = add_bands(data.patients.assign(baseline=np.nan)).drop(columns=["baseline"])
    patients["baseline_severity_band"] = patients["patient_id"].map(severity)
    return CohortData(
        patients=patients,
        frame=frame,
        intrusion=data.intrusion,
        diary=data.diary,
        sessions=data.sessions,
        adverse=data.adverse,
        bp_alerts=data.bp_alerts,
        cadss=data.cadss,
    )


def _as_text(values: pd.Series) -> pd.Series:
    """Filter values as text: booleans "yes"/"no", blanks "" (never offered)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "yes", False: "no"}).astype(object)
    return values.astype(object).map(lambda v: "" if pd.isna(v) else str(v))


def filter_options(patients: pd.DataFrame) -> dict[str, list[str]]:
    """Each filter column's values present in the (banded) patient table, as text, in the
    bands' own order (``<33`` before ``33–49``) or else sorted."""
    options: dict[str, list[str]] = {}
    for column in FILTER_COLUMNS:
        if column not in patients:
            options[column] = []
            continue
        present = set(_as_text(patients[column])) - {""}
        dtype = patients[column].dtype
        order = (
            [str(c) for c in dtype.categories]
            if isinstance(dtype, pd.CategoricalDtype)
            else sorted(present)
        )
        options[column] = [value for value in order if value in present]
    return options


def select_patients(patients: pd.DataFrame, chosen: Mapping[str, str]) -> list[int]:
    """Ids of the patients matching every chosen ``column -> value`` (text, as offered)."""
    keep = np.ones(len(patients), dtype=bool)
    for column, value in chosen.items():
        keep &= (_as_text(patients[column]) == value).to_numpy()
    return [int(pid) for pid in patients.loc[keep, "patient_id"]]


# --- the dashboard ------------------------------------------------------------------------------


def build_dashboard(
    data: CohortData,
    *,
    chosen: Mapping[str, str],
    min_n: int,
    config: AnalysisConfig,
) -> Dashboard:
    """Filter ``data`` (already :func:`banded`) and compute every figure (module docstring).

    BLAS runs single-threaded here: the matrices are tiny (one row per patient), and on
    a small shared server its worker threads only contend; measured on the 120-patient
    demo under load, the response model took 1.8 s with two threads and 0.4 s with one.
    """
    with threadpool_limits(limits=1):
        return _build(data, chosen=chosen, min_n=min_n, config=config)


def _build(
    data: CohortData,
    *,
    chosen: Mapping[str, str],
    min_n: int,
    config: AnalysisConfig,
) -> Dashboard:
    ids = select_patients(data.patients, chosen)
    selected = data.for_patients(ids)
    frame = selected.frame
    analysis = analyze(frame, config) if len(frame) else None
    n_patients = int(analysis["n_patients"]) if analysis else 0
    shown = n_patients >= min_n
    outcomes = _readable(patient_outcomes(frame, config) if analysis else _no_outcomes())
    trajectory = _weekly(weekly_trajectory(frame, config) if analysis else [], min_n)
    km = km_curve(frame, config) if analysis else None
    km_shown = km is not None and km["n_responders"] >= min_n
    end = _end_of_course(outcomes, config, min_n)
    model_features = [f for f in MODEL_FEATURES if f in outcomes.columns]
    return Dashboard(
        min_n=min_n,
        config=config,
        n_selected=len(ids),
        n_patients=n_patients,
        n_consented=(
            int(selected.patients["consent_research"].astype(bool).sum())
            if "consent_research" in selected.patients
            else 0
        ),
        shown=shown,
        analysis=analysis,
        timepoints=_timepoints(analysis, min_n),
        end_of_course=end,
        trajectory=trajectory,
        lines=_lines(frame, outcomes, trajectory) if shown else [],
        intrusion=_intrusion_weeks(selected.intrusion, config, min_n),
        diary=_diary_weeks(selected.diary, min_n),
        km=km if km_shown else None,
        km_reason=_km_reason(km, min_n),
        safety=safety_figures(selected, min_n),
        subgroups=_subgroups(outcomes, min_n) if shown else [],
        model=response_model(outcomes, model_features, min_n=min_n) if shown else None,
        model_reason=(
            response_model_unavailable(outcomes, model_features, min_n=min_n)
            if shown
            else hidden_text(min_n)
        ),
        protocols=(
            protocol_comparison(
                outcomes, protocol_col="protocol", baseline_col="baseline", min_n=min_n
            )
            if shown
            else None
        ),
        comparisons=comparisons(clinic_figures(analysis, outcomes, end, config, min_n)),
        outcomes=outcomes,
    )


def _readable(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcomes with yes/no for true/false covariates and ``dose_band`` from ``mg_per_kg``,
    so subgroup and model tables read "yes", not "True"."""
    out = outcomes.copy()
    if "psychotherapy_in_window" in out:
        out["psychotherapy_in_window"] = _as_text(out["psychotherapy_in_window"].astype(bool))
    if "mg_per_kg" in out:
        edges = [DOSE_BANDS[0][1]] + [high for _, _, high in DOSE_BANDS]
        out["dose_band"] = pd.cut(
            pd.to_numeric(out["mg_per_kg"], errors="coerce").round(2),
            edges,
            labels=[label for label, _, _ in DOSE_BANDS],
            right=False,
            ordered=True,
        )
    return out


def _no_outcomes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series(dtype="int64"),
            "baseline": pd.Series(dtype="int64"),
            "response": pd.Series(dtype="boolean"),
            "below_cutoff": pd.Series(dtype="boolean"),
        }
    )


def _timepoints(analysis: dict[str, Any] | None, min_n: int) -> list[dict[str, Any]]:
    if analysis is None:
        return []
    rows = []
    for key, point in analysis["timepoints"].items():
        rows.append({**point, "key": key, "shown": point["n"] >= min_n})
    return rows


def _end_of_course(outcomes: pd.DataFrame, config: AnalysisConfig, min_n: int) -> dict[str, Any]:
    """Response and remission (below cutoff) at the end of the course, with Wilson CIs."""
    known = outcomes.dropna(subset=["response"]) if len(outcomes) else outcomes
    n = len(known)
    result: dict[str, Any] = {"day": config.end_of_course_day, "n": n, "shown": n >= min_n}
    for name in ("response", "below_cutoff"):
        k = int(known[name].astype(bool).sum()) if n else 0
        result[name] = {
            "count": k,
            "rate": k / n if n else None,
            "ci95": wilson_ci(k, n),
        }
    return result


def _weekly(weeks: Iterable[dict[str, Any]], min_n: int) -> list[dict[str, Any]]:
    return [{**week, "shown": week["n"] >= min_n} for week in weeks]


def _lines(
    frame: pd.DataFrame, outcomes: pd.DataFrame, weeks: list[dict[str, Any]]
) -> list[list[tuple[float, int]]]:
    """Each patient's baseline (at week 0) and follow-ups (day / 7), over the shown weeks.

    Week ``w`` of the trajectory holds days ``7w - 3`` to ``7w + 3`` (engine), so the
    lines stop where the last shown week's mean stops; patients are in random-free but
    anonymous order (by internal id, never shown)."""
    shown = [w["week"] for w in weeks if w["shown"]]
    if not shown or outcomes.empty:
        return []
    last_day = 7 * max(shown) + 3
    follow = frame[(frame["day"] >= 1) & (frame["day"] <= last_day)]
    by_patient = {
        int(pid): list(zip(rows["day"], rows["pcl5_total"], strict=True))
        for pid, rows in follow.groupby("patient_id")
    }
    lines = []
    for pid, baseline in zip(outcomes["patient_id"], outcomes["baseline"], strict=True):
        points = [(0.0, int(baseline))]
        points += [(round(day / 7, 3), int(total)) for day, total in by_patient.get(int(pid), [])]
        lines.append(points)
    return lines


def _intrusion_weeks(
    intrusion: pd.DataFrame, config: AnalysisConfig, min_n: int
) -> list[dict[str, Any]]:
    """Mean PCL-5 cluster B (0-20) by week, binned exactly as the total's trajectory."""
    if intrusion.empty:
        return []
    as_total = intrusion.rename(columns={"intrusion": "pcl5_total"})
    return _weekly(weekly_trajectory(as_total, config), min_n)


def _diary_weeks(diary: pd.DataFrame, min_n: int) -> list[dict[str, Any]]:
    """Mean diary intrusions per week (patients with 4+ recorded days that week)."""
    rows = []
    for week, group in diary.groupby("week") if len(diary) else []:
        values = group["intrusions_per_week"].to_numpy(dtype=float)
        mean, _, ci = mean_ci(values)
        n = len(values)
        rows.append({"week": int(week), "n": n, "mean": mean, "ci95": ci, "shown": n >= min_n})
    return rows


def _km_reason(km: dict[str, Any] | None, min_n: int) -> str:
    if km is None:
        return "No PCL-5 data for this selection."
    if km["n_responders"] < min_n:
        return f"Not shown: fewer than {min_n} responders"
    return ""


# --- who benefits ----------------------------------------------------------------------------


def _subgroups(outcomes: pd.DataFrame, min_n: int) -> list[dict[str, Any]]:
    tables = []
    for column in SUBGROUP_COLUMNS:
        if column not in outcomes.columns:
            continue
        tables.append({"column": column, "rows": subgroup_response(outcomes, column, min_n=min_n)})
    return tables
