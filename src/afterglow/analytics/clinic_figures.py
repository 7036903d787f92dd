"""The clinic's side of "beside the evidence": the engine's figures as ``ClinicFigures``.

No Django import. ``evidence.comparisons`` sets these beside the trials and hides any
figure below the clinic's minimum N itself; this module only picks the numbers:
response and its Wilson CI at the end of the course (all patients, those whose course
had six signed infusions as in Feder 2021, and veterans), the Kaplan–Meier median time
to a confirmed loss of response among responders at the durability timepoint, and the
mean and SD of the change at the end of the course.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from afterglow.analytics.engine import AnalysisConfig
from afterglow.analytics.engine.stats import wilson_ci
from afterglow.analytics.evidence import ClinicFigures

__all__ = ["SIX_INFUSIONS", "clinic_figures"]

#: Feder 2021's course: the "six-infusion course" of the evidence comparison.
SIX_INFUSIONS = 6


def clinic_figures(
    analysis: dict[str, Any] | None,
    outcomes: pd.DataFrame,
    end: dict[str, Any],
    config: AnalysisConfig,
    min_n: int,
) -> ClinicFigures:
    """The clinic's side of the evidence comparisons; the engine's numbers, unrounded."""
    if analysis is None:
        return ClinicFigures(min_n=min_n)
    six = (
        _rate(outcomes[outcomes["infusions"] == SIX_INFUSIONS]) if "infusions" in outcomes else None
    )
    veterans = (
        _rate(outcomes[outcomes["population"] == "veteran"]) if "population" in outcomes else None
    )
    durability = analysis["durability"]
    end_point = analysis["timepoints"].get(str(config.end_of_course_day))
    response = end["response"]
    return ClinicFigures(
        min_n=min_n,
        response_rule=(
            f"a fall of at least {config.response_percent}% in the PCL-5 total from baseline"
        ),
        response_day=config.end_of_course_day,
        response_rate=response["rate"],
        response_ci95=_pair(response["ci95"]),
        response_n=end["n"],
        six_infusion_response_rate=six[0] if six else None,
        six_infusion_response_ci95=six[1] if six else None,
        six_infusion_response_n=six[2] if six else None,
        veteran_response_rate=veterans[0] if veterans else None,
        veteran_response_ci95=veterans[1] if veterans else None,
        veteran_response_n=veterans[2] if veterans else None,
        median_days_to_loss_of_response=durability["median_days_to_loss_of_response"],
        median_days_ci95=_pair(durability["ci95"], infinite_high=True),
        n_responders=durability["n_responders"],
        durability_from_day=durability["from_day"],
        loss_confirmations=config.loss_confirmations,
        mean_change=end_point["mean_change"] if end_point else None,
        sd_change=end_point["mean_change_sd"] if end_point else None,
        n=end_point["n"] if end_point else None,
    )


def _rate(
    outcomes: pd.DataFrame,
) -> tuple[float | None, tuple[float, float] | None, int] | None:
    known = outcomes["response"].dropna()
    n = len(known)
    if n == 0:
        return None
    k = int(known.astype(bool).sum())
    return k / n, _pair(wilson_ci(k, n)), n


def _pair(
    values: Sequence[float | None] | None, *, infinite_high: bool = False
) -> tuple[float, float] | None:
    """A ``(low, high)`` CI, or None; an undefined upper limit of a median is "not reached"
    (``math.inf``) when ``infinite_high``, as ``ClinicFigures`` expects."""
    if values is None or values[0] is None:
        return None
    high = values[1]
    if high is None:
        if not infinite_high:
            return None
        high = math.inf
    return float(values[0]), float(high)
