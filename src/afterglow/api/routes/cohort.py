"""Cohort analysis (the ``afterglow analyze`` JSON for the clinic) and the trials catalog."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router

from afterglow.accounts.capabilities import Capability
from afterglow.analytics.engine import analyze
from afterglow.analytics.evidence import load_trials
from afterglow.analytics.selectors import clinic_config, cohort_data
from afterglow.api.cohort_rules import hide_small_groups
from afterglow.api.reads import audit_api_read
from afterglow.api.schemas import CohortAnalysisOut
from afterglow.api.security import member

router = Router(tags=["analytics"])

#: What the cohort can be split by: the frame's covariates and the two derived bands.
GroupBy = Literal[
    "population",
    "sex",
    "protocol",
    "route",
    "psychotherapy_in_window",
    "baseline_severity_band",
    "age_band",
]


@router.get("/analysis/cohort", response=CohortAnalysisOut, summary="Cohort PCL-5 outcomes")
def cohort_analysis(
    request: HttpRequest, by: GroupBy | None = Query(None, description="Split by this covariate.")
) -> dict[str, Any]:
    """`afterglow analyze` run on the clinic's cohort (the dashboard's frame and the clinic's
    outcome rules): the same keys and numbers. Every figure resting on fewer patients than
    the clinic's `analytics_min_n` is hidden: the whole analysis below it, and each
    timepoint, durability block and `by` group below it (replaced by
    `{"shown": false, "reason": ...}`). De-identified aggregates; needs `analytics`.
    """
    membership = member(request, Capability.ANALYTICS)
    clinic = membership.clinic
    audit_api_read(request, membership, "cohort_analysis", note=f"by={by or ''}")
    frame = cohort_data(clinic=clinic).frame
    min_n = clinic.analytics_min_n
    n_patients = int(frame["patient_id"].nunique()) if len(frame) else 0
    if n_patients < min_n:
        return {
            "min_n": min_n,
            "shown": False,
            "reason": f"fewer than {min_n} treated patients with PCL-5 data",
            "analysis": None,
        }
    analysis = analyze(frame, clinic_config(clinic), by)
    if analysis["n_patients"] < min_n:
        return {
            "min_n": min_n,
            "shown": False,
            "reason": f"fewer than {min_n} patients with a baseline",
            "analysis": None,
        }
    shown = hide_small_groups(analysis, min_n)
    return {"min_n": min_n, "shown": True, "reason": None, "analysis": shown}


@router.get("/trials", response=dict[str, Any], summary="The published trials catalog")
def trials(request: HttpRequest) -> dict[str, Any]:
    """The trials and meta-analyses the dashboard compares the clinic with (evidence.md §4):
    the shipped `trials.json`, checked by the same loader. No patient data."""
    member(request, Capability.ACCOUNT)
    load_trials()  # refuses a malformed file with the entry and field at fault
    text = (resources.files("afterglow.analytics") / "data" / "trials.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]
