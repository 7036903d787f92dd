"""Safety per session for the cohort dashboard: adverse events, blood-pressure alerts and
peak dissociation by infusion number. No Django import.

The rows come aggregated from the database (``analytics.selectors``: one query per
figure, grouped per patient); here they are summed over the selected patients. Every
signed session of those patients counts, of any course. Hidden below ``min_n`` patients
(the whole panel, or one infusion number's mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from afterglow.analytics.engine.stats import mean_ci
from afterglow.analytics.selectors import CohortData

__all__ = ["BP_LABELS", "SEVERITIES", "Safety", "safety_figures"]

SEVERITIES = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class Safety:
    """Safety per signed session of the selected patients (any course)."""

    shown: bool
    n_patients: int
    sessions: int
    adverse: list[dict[str, Any]]  # severity, events, serious, per_100
    adverse_total: int
    bp_alerts: list[dict[str, Any]]  # code, label, alerts, sessions_with, per_session
    cadss: list[dict[str, Any]]  # number, n_patients, sessions, mean, ci95, shown


BP_LABELS = {
    "predose_bp": "Pre-dose BP at or above the reassessment level",
    "bp_pause": "BP during or after the dose at or above the pause level",
}


def safety_figures(data: CohortData, min_n: int) -> Safety:
    """The safety panel of the selected patients (``data`` already filtered)."""
    sessions = int(data.sessions["sessions"].sum()) if len(data.sessions) else 0
    n_patients = int((data.sessions["sessions"] > 0).sum()) if len(data.sessions) else 0
    shown = n_patients >= min_n and sessions > 0

    def per(count: int, scale: int = 1) -> float | None:
        return scale * count / sessions if sessions else None

    adverse: list[dict[str, Any]] = []
    for severity in SEVERITIES:
        rows = data.adverse[data.adverse["severity"] == severity]
        events, serious = int(rows["events"].sum()), int(rows["serious"].sum())
        adverse.append(
            {
                "severity": severity,
                "events": events,
                "serious": serious,
                "per_100": per(events, 100),
            }
        )
    bp = []
    for code, label in BP_LABELS.items():
        rows = data.bp_alerts[data.bp_alerts["code"] == code]
        alerts, with_alert = int(rows["alerts"].sum()), int(rows["sessions"].sum())
        bp.append(
            {
                "code": code,
                "label": label,
                "alerts": alerts,
                "sessions_with": with_alert,
                "per_session": per(alerts),
                "share_of_sessions": per(with_alert),
            }
        )
    cadss = []
    for number, group in data.cadss.groupby("number") if len(data.cadss) else []:
        mean, _, ci = mean_ci(group["peak"].to_numpy(dtype=float))
        n = int(group["patient_id"].nunique())
        cadss.append(
            {
                "number": int(number),
                "n_patients": n,
                "sessions": len(group),
                "mean": mean,
                "ci95": ci,
                "shown": n >= min_n,
            }
        )
    return Safety(
        shown=shown,
        n_patients=n_patients,
        sessions=sessions,
        adverse=adverse,
        adverse_total=sum(row["events"] for row in adverse),
        bp_alerts=bp,
        cadss=cadss,
    )
