"""The PCL-5 outcome of a patient's latest course, for the chart, from stored rows.

The rules are ``outcomes.rules`` (Django-free) with the clinic's settings. Choices
made here, shown on the chart:

- the course is the most recent one with a dose; day 0 is the calendar day of its
  first dose in the clinic's timezone;
- baseline = the last complete past-month PCL-5 on or before that first dose
  (``rules.baseline_for``); follow-ups = complete past-month PCL-5s after it, so
  baseline and follow-ups share a time frame (past-week versions are charted but
  not compared with a past-month baseline);
- two follow-ups on the same day: the later one counts (the rules take one a day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.instruments.models import Response
from afterglow.outcomes.rules import (
    Followup,
    OutcomeRules,
    TimepointOutcome,
    Trajectory,
    baseline_for,
    evaluate,
)
from afterglow.treatment.models import DosingSession

BASELINE_INSTRUMENT = "pcl5"


@dataclass(frozen=True)
class ChartOutcome:
    rules: OutcomeRules
    first_dose_at: dt.datetime
    baseline: Response
    trajectory: Trajectory
    by_response: dict[int, TimepointOutcome]  # Response pk -> its outcome
    first_response_at: dt.datetime | None
    loss_of_response_at: dt.datetime | None  # confirmed (the first day of the run)
    possible_loss_at: dt.datetime | None  # a trailing run too short to confirm a loss


def clinic_rules(clinic: Clinic) -> OutcomeRules:
    return OutcomeRules(
        cutoff=clinic.pcl5_cutoff,
        response_percent=clinic.outcome_response_percent,
        reliable_points=clinic.outcome_reliable_points,
        loss_confirmations=clinic.loss_confirmations,
        response_requires_reliable=clinic.response_requires_reliable,
    )


def first_dose_of_latest_course(sessions: Sequence[DosingSession]) -> dt.datetime | None:
    """The first dose start of the most recent course that has one (no query)."""
    firsts: dict[int, dt.datetime] = {}
    for session in sessions:
        if session.started_at is None:
            continue
        known = firsts.get(session.course_id)
        if known is None or session.started_at < known:
            firsts[session.course_id] = session.started_at
    return max(firsts.values(), default=None)


def pcl5_outcome(
    *, clinic: Clinic, responses: Sequence[Response], sessions: Sequence[DosingSession]
) -> ChartOutcome | None:
    """The outcome against the latest course's baseline, or None when there is no dose
    or no complete past-month PCL-5 on or before it. Uses rows already loaded."""
    first_dose_at = first_dose_of_latest_course(sessions)
    if first_dose_at is None:
        return None
    past_month = [r for r in responses if r.instrument == BASELINE_INSTRUMENT]
    total = baseline_for(
        ((r.administered_at, r.total, r.complete) for r in past_month), first_dose_at
    )
    if total is None:
        return None
    baseline = max(
        (r for r in past_month if r.complete and r.administered_at <= first_dose_at),
        key=lambda r: (r.administered_at, r.pk),
    )
    tz = clinic.tzinfo
    day0 = timezone.localtime(first_dose_at, tz).date()
    latest_of_day: dict[int, Response] = {}
    for r in sorted(past_month, key=lambda r: (r.administered_at, r.pk)):
        if r.complete and r.total is not None and r.administered_at > first_dose_at:
            latest_of_day[(timezone.localtime(r.administered_at, tz).date() - day0).days] = r
    rules = clinic_rules(clinic)
    followups = [Followup(day, r.total) for day, r in latest_of_day.items() if r.total is not None]
    trajectory = evaluate(total, followups, rules)
    by_day = {point.day: point for point in trajectory.timepoints}
    by_response = {r.pk: by_day[day] for day, r in latest_of_day.items()}

    def when(day: int | None) -> dt.datetime | None:
        return None if day is None else latest_of_day[day].administered_at

    return ChartOutcome(
        rules=rules,
        first_dose_at=first_dose_at,
        baseline=baseline,
        trajectory=trajectory,
        by_response=by_response,
        first_response_at=when(trajectory.first_response_day),
        loss_of_response_at=when(trajectory.loss_of_response_day),
        possible_loss_at=when(trajectory.possible_loss_day),
    )
