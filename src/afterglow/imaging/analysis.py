"""Does imaging change track symptom change? Pre→post tables and their associations.
No Django: the research imaging page builds the inputs from the clinic's database and
the same functions run on an exported table (tests compare them with scipy).

Per patient (rows come from :func:`change_table`):

- **Imaging change** = post − pre of each measure: ``pre`` is the patient's last value
  from a session on or before day 0 (the first signed dose's day), ``post`` the first
  value from a session after it. Connectivity changes are in Fisher z (differences of r
  are not on an interval scale); reactivity in percent signal change.
- **Symptom change** = follow-up − baseline, matched to the post scan: the baseline is
  the last PCL-5 on or before day 0 (the dashboard's and the chart's baseline); the
  follow-up is the PCL-5 nearest the post scan's day within ±:data:`MATCH_DAYS` days
  (the later one on a tie). The same for cluster B (items 1–5). Diary intrusions per
  week: the week before the first dose (week −1) against the week holding the post
  scan's day, or the nearest recorded week within ±2 weeks. A change that cannot be
  matched is missing, never zero.
- **Responder**: the matched PCL-5 fell by at least the clinic's response percent.

Associations: Pearson r of imaging change against symptom change, with a percentile
bootstrap 95 % CI (:func:`scipy.stats.bootstrap`, paired resampling of patients,
``n_resamples`` and ``seed`` stated), and the least-squares fit line. Pairs below the
clinic's minimum N are not shown (the caller hides them and says so).

Evidence (evidence.md §5) is small-sample (n≈20–27) and mixed in direction; these are
research summaries of an observational clinic sample, not a diagnostic for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "IMAGING_CHANGES",
    "MATCH_DAYS",
    "SYMPTOM_CHANGES",
    "Association",
    "associations",
    "change_table",
    "group_means",
]

#: A follow-up PCL-5 is matched to the post scan within this many days either side.
MATCH_DAYS = 14
#: Diary weeks are matched to the post scan within this many weeks either side.
MATCH_WEEKS = 2

#: (column, label) of the imaging changes and symptom changes the page relates.
IMAGING_CHANGES = (
    ("reactivity_change", "Change in amygdala reactivity (% signal change)"),
    ("connectivity_change", "Change in amygdala–hippocampus connectivity (Fisher z)"),
)
SYMPTOM_CHANGES = (
    ("pcl5_change", "Change in PCL-5 total"),
    ("cluster_b_change", "Change in PCL-5 intrusions (cluster B)"),
    ("diary_change", "Change in diary intrusions per week"),
)
TABLE_COLUMNS = (
    "patient_id",
    "pre_day",
    "post_day",
    "reactivity_change",
    "connectivity_change",
    "pcl5_change",
    "cluster_b_change",
    "diary_change",
    "responder",
)

_MEASURE = {
    "reactivity_change": "amygdala_reactivity",
    "connectivity_change": "amygdala_hippocampus_z",
}


def _pre_post(rows: pd.DataFrame, column: str) -> tuple[float, float, int, int] | None:
    known = rows[rows[column].notna()]
    pre = known[known["days_from_first_dose"] <= 0]
    post = known[known["days_from_first_dose"] > 0]
    if pre.empty or post.empty:
        return None
    last_pre = pre.iloc[-1]
    first_post = post.iloc[0]
    return (
        float(last_pre[column]),
        float(first_post[column]),
        int(last_pre["days_from_first_dose"]),
        int(first_post["days_from_first_dose"]),
    )


def _matched_change(series: pd.DataFrame, value: str, post_day: int) -> float | None:
    """follow-up − baseline, the follow-up nearest ``post_day`` (see module docstring)."""
    baseline = series[series["day"] <= 0]
    followups = series[(series["day"] > 0) & ((series["day"] - post_day).abs() <= MATCH_DAYS)]
    if baseline.empty or followups.empty:
        return None
    distance = (followups["day"] - post_day).abs()
    nearest = followups[distance == distance.min()].iloc[-1]
    return float(nearest[value]) - float(baseline.iloc[-1][value])


def _diary_change(weeks: pd.DataFrame, post_day: int) -> float | None:
    before = weeks[weeks["week"] == -1]
    target = post_day // 7
    after = weeks[(weeks["week"] >= 0) & ((weeks["week"] - target).abs() <= MATCH_WEEKS)]
    if before.empty or after.empty:
        return None
    distance = (after["week"] - target).abs()
    nearest = after[distance == distance.min()].iloc[-1]
    return float(nearest["intrusions_per_week"]) - float(before.iloc[0]["intrusions_per_week"])


def _pcl5_baseline(series: pd.DataFrame) -> float | None:
    baseline = series[series["day"] <= 0]
    return None if baseline.empty else float(baseline.iloc[-1]["pcl5_total"])


def change_table(
    *,
    sessions: pd.DataFrame,
    pcl5: pd.DataFrame,
    intrusion: pd.DataFrame,
    diary: pd.DataFrame,
    response_percent: float,
) -> pd.DataFrame:
    """One row per patient with a pre and a post value of at least one measure.

    ``sessions``: ``patient_id, days_from_first_dose, amygdala_reactivity,
    amygdala_hippocampus_z``; ``pcl5``: ``patient_id, day, pcl5_total``;
    ``intrusion``: ``patient_id, day, intrusion``; ``diary``: ``patient_id, week,
    intrusions_per_week``."""
    sessions = sessions[sessions["days_from_first_dose"].notna()].sort_values(
        ["patient_id", "days_from_first_dose"], kind="stable"
    )
    pcl5 = pcl5.sort_values(["patient_id", "day"], kind="stable")
    intrusion = intrusion.sort_values(["patient_id", "day"], kind="stable")
    pcl5_by = dict(tuple(pcl5.groupby("patient_id")))
    intrusion_by = dict(tuple(intrusion.groupby("patient_id")))
    diary_by = dict(tuple(diary.groupby("patient_id")))
    empty_series = pd.DataFrame(columns=["day", "pcl5_total", "intrusion"])
    empty_weeks = pd.DataFrame(columns=["week", "intrusions_per_week"])
    rows = []
    for patient_id, rows_of in sessions.groupby("patient_id", sort=True):
        pairs = {name: _pre_post(rows_of, measure) for name, measure in _MEASURE.items()}
        found = [pair for pair in pairs.values() if pair is not None]
        if not found:
            continue
        pre_day = min(pair[2] for pair in found)
        post_day = min(pair[3] for pair in found)
        series = pcl5_by.get(patient_id, empty_series)
        pcl5_change = _matched_change(series, "pcl5_total", post_day)
        baseline = _pcl5_baseline(series)
        responder = None
        if pcl5_change is not None and baseline:
            responder = -pcl5_change / baseline * 100 >= response_percent
        rows.append(
            {
                "patient_id": patient_id,
                "pre_day": pre_day,
                "post_day": post_day,
                **{
                    name: (pair[1] - pair[0]) if pair is not None else np.nan
                    for name, pair in pairs.items()
                },
                "pcl5_change": np.nan if pcl5_change is None else pcl5_change,
                "cluster_b_change": _or_nan(
                    _matched_change(
                        intrusion_by.get(patient_id, empty_series), "intrusion", post_day
                    )
                ),
                "diary_change": _or_nan(
                    _diary_change(diary_by.get(patient_id, empty_weeks), post_day)
                ),
                "responder": responder,
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else value


@dataclass(frozen=True)
class Association:
    imaging: str
    symptom: str
    n: int
    r: float | None
    ci_low: float | None
    ci_high: float | None
    slope: float | None
    intercept: float | None
    shown: bool  # False below the minimum N: numbers withheld

    @property
    def key(self) -> str:
        return f"{self.imaging}__{self.symptom}"


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    x = x - x.mean()
    y = y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denominator) if denominator else float("nan")


def associations(
    table: pd.DataFrame,
    *,
    min_n: int,
    n_resamples: int = 2000,
    seed: int = 20231,
) -> list[Association]:
    """Every imaging change × symptom change pair (module docstring)."""
    from scipy.stats import bootstrap

    out = []
    for imaging, _label in IMAGING_CHANGES:
        for symptom, _symptom_label in SYMPTOM_CHANGES:
            pairs = table[[imaging, symptom]].dropna()
            n = len(pairs)
            x = pairs[imaging].to_numpy(dtype=float)
            y = pairs[symptom].to_numpy(dtype=float)
            if n < max(min_n, 3) or np.ptp(x) == 0 or np.ptp(y) == 0:
                out.append(Association(imaging, symptom, n, None, None, None, None, None, False))
                continue
            r = _pearson(x, y)
            slope, intercept = np.polyfit(x, y, 1)
            ci = bootstrap(
                (x, y),
                lambda a, b: _pearson(np.asarray(a), np.asarray(b)),
                paired=True,
                vectorized=False,
                n_resamples=n_resamples,
                confidence_level=0.95,
                method="percentile",
                rng=np.random.default_rng(seed),
            ).confidence_interval
            out.append(
                Association(
                    imaging,
                    symptom,
                    n,
                    r,
                    max(-1.0, float(ci.low)),  # rounding can step past ±1
                    min(1.0, float(ci.high)),
                    float(slope),
                    float(intercept),
                    True,
                )
            )
    return out


def group_means(table: pd.DataFrame, *, min_n: int) -> list[dict[str, object]]:
    """Mean imaging change in responders and non-responders (each group ≥ min N)."""
    out: list[dict[str, object]] = []
    for imaging, label in IMAGING_CHANGES:
        for responder, name in ((True, "Responders"), (False, "Non-responders")):
            values = table.loc[table["responder"] == responder, imaging].dropna()
            n = len(values)
            shown = n >= min_n and n > 0
            out.append(
                {
                    "imaging": imaging,
                    "label": label,
                    "group": name,
                    "n": n,
                    "mean": float(values.mean()) if shown else None,
                    "sd": float(values.std(ddof=1)) if shown and n > 1 else None,
                    "shown": shown,
                }
            )
    return out


def labels(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)
