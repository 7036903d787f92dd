"""The research imaging page's content: the clinic's pre→post table, its associations
and the published effects, as plain data and plain-dict Plotly figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from afterglow.accounts.models import Clinic
from afterglow.analytics.selectors import cohort_data
from afterglow.imaging.analysis import (
    IMAGING_CHANGES,
    SYMPTOM_CHANGES,
    Association,
    associations,
    change_table,
    group_means,
)
from afterglow.imaging.evidence import PUBLISHED, PublishedEffect
from afterglow.imaging.selectors import imaging_frames

POINT_COLOUR = "#1f4e79"
FIT_COLOUR = "#b45309"
FONT = {"family": "system-ui, sans-serif", "size": 13}


@dataclass(frozen=True)
class ImagingResearch:
    table: pd.DataFrame
    associations: list[Association]
    group_means: list[dict[str, Any]]
    published: tuple[PublishedEffect, ...]
    min_n: int
    figures: dict[str, dict[str, Any]]
    labels: dict[str, str]

    @property
    def n_patients(self) -> int:
        return len(self.table)


def _scatter(table: pd.DataFrame, a: Association, labels: dict[str, str]) -> dict[str, Any]:
    pairs = table[[a.imaging, a.symptom]].dropna()
    x = [round(float(v), 4) for v in pairs[a.imaging]]
    y = [round(float(v), 2) for v in pairs[a.symptom]]
    assert a.slope is not None and a.intercept is not None
    low, high = min(x), max(x)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": x,
                "y": y,
                "name": "Patients",
                "marker": {"color": POINT_COLOUR, "size": 8},
                "hovertemplate": "imaging %{x}<br>symptoms %{y}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": [low, high],
                "y": [a.intercept + a.slope * low, a.intercept + a.slope * high],
                "name": "Least-squares line",
                "line": {"color": FIT_COLOUR, "dash": "dash"},
                "hoverinfo": "skip",
            },
        ],
        "layout": {
            "height": 320,
            "margin": {"l": 60, "r": 16, "t": 16, "b": 56},
            "font": FONT,
            "showlegend": False,
            "xaxis": {"title": {"text": labels[a.imaging]}, "zeroline": True},
            "yaxis": {"title": {"text": labels[a.symptom]}, "zeroline": True},
        },
    }


#: Per-patient imaging changes added to the dashboard's de-identified cohort CSV, so
#: ``afterglow analyze --covariate`` and ``--by`` (with ``--bins``) can use them.
IMAGING_EXPORT_COLUMNS = ("reactivity_change", "connectivity_change")


def with_imaging_changes(*, clinic: Clinic, data: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the cohort's long frame) with each patient's imaging changes repeated on
    every row (blank for a patient without a pre and a post scan); unchanged when the
    clinic has no imaging. ``data`` is the dashboard's ``CohortData`` (no query for it)."""
    table = change_table(
        sessions=imaging_frames(clinic=clinic),
        pcl5=data.frame[["patient_id", "day", "pcl5_total"]],
        intrusion=data.intrusion,
        diary=data.diary,
        response_percent=float(clinic.outcome_response_percent),
    )
    if table.empty:
        return frame
    changes = table[["patient_id", *IMAGING_EXPORT_COLUMNS]].astype(
        {"patient_id": frame["patient_id"].dtype}
    )
    return frame.merge(changes, on="patient_id", how="left")


def imaging_research(*, clinic: Clinic) -> ImagingResearch:
    data = cohort_data(clinic=clinic)
    table = change_table(
        sessions=imaging_frames(clinic=clinic),
        pcl5=data.frame[["patient_id", "day", "pcl5_total"]],
        intrusion=data.intrusion,
        diary=data.diary,
        response_percent=float(clinic.outcome_response_percent),
    )
    min_n = clinic.analytics_min_n
    found = associations(table, min_n=min_n)
    labels = dict(IMAGING_CHANGES) | dict(SYMPTOM_CHANGES)
    figures = {f"figure-{a.key}": _scatter(table, a, labels) for a in found if a.shown}
    return ImagingResearch(
        table=table,
        associations=found,
        group_means=group_means(table, min_n=min_n),
        published=PUBLISHED,
        min_n=min_n,
        figures=figures,
        labels=labels,
    )
