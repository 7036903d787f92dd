"""The PCL-5 part of the synthetic clinic: hidden trajectories and item answers. No Django.

For a person with true baseline total ``b`` the expected PCL-5 total on day ``t``
after the first dose is ``b * (1 - r(t))`` (parameters and sources in
``synthetic_params``):

* responders (probability 0.67 civilian, 0.30 service members): ``r`` rises to a
  reduction ``R`` >= 36% by the end of the two-week course, most of it by day 1
  (24 h effect); after the course it holds, then wanes and crosses the 30% response
  threshold after an exponential time with median 27.5 days, settling at a small
  residual reduction;
* non-responders: a small change of about 2.7 points (g = 0.27), fading afterwards.

Each administration adds normal noise of SD 5.4 (the SEM implied by a reliable change
index of 15 points) and is rounded and clipped to 0-80. The 20 item answers are that
total distributed over the items with the person's own item weights, the intrusion
cluster B losing weight fastest as the total falls, so item answers and total agree.

Assumptions: response is judged on the PCL-5 total (the trials used CAPS-5); noise is
independent between administrations; missed questionnaires and dropout are unrelated
to the outcome (missing completely at random).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass

from afterglow.demo import synthetic_params as p

PCL5_ITEMS = 20
PCL5_MAX_ITEM = 4
_CLUSTER_OF = {item: key for key, items in p.CLUSTER_ITEMS.items() for item in items}
_LAST_DAY = p.SCHEDULE[-1][0]
# Scheduled days someone can stop coming on: during the course (after the first dose's
# 24 h check) and during follow-up.
_COURSE_DAYS = tuple(day for day, *_ in p.SCHEDULE if 1 < day <= p.END_OF_COURSE_DAY)
_FOLLOW_UP_DAYS = tuple(day for day, *_ in p.SCHEDULE if day > p.END_OF_COURSE_DAY)


@dataclass(frozen=True)
class Pcl5Administration:
    day: int  # days after the first dose; 0 = baseline, answered before it
    timepoint: str  # e.g. "week 2 (end of course)"
    source: str  # "staff" or "patient_link" (instruments.models.Source)
    administered_at: dt.datetime  # naive: wall-clock time in the clinic's timezone
    answers: tuple[int | None, ...]  # 20 values 0-4 in item order; None = left blank


@dataclass(frozen=True)
class Trajectory:
    """The hidden truth behind one patient's history, for benchmarks to check estimates against.

    Tests of the shape of the data must not read this: they compute response from the
    answers, as the application does.
    """

    baseline: float  # true PCL-5 total before treatment
    responder: bool
    end_of_course_reduction: float  # fraction of baseline removed at END_OF_COURSE_DAY
    loss_of_response_after_days: float | None  # days after the course; responders only
    residual_reduction: float  # reduction that remains once the response is lost
    dropout_day: int | None  # first scheduled day no longer attended

    def expected_total(self, day: int) -> float:
        """The noise-free PCL-5 total ``day`` days after the first dose."""
        return self.baseline * (1.0 - self.reduction(day))

    def reduction(self, day: int) -> float:
        """Fraction of the baseline total removed on ``day`` (see the module docstring)."""
        if day <= 0:
            return 0.0
        onset = _onset(day)
        end = p.END_OF_COURSE_DAY
        if not self.responder:
            after = min(1.0, max(0, day - end) / (_LAST_DAY - end))
            fading = 1.0 - p.NONRESPONDER_FADE * after
            return self.end_of_course_reduction * onset * fading
        if day <= end:
            return self.end_of_course_reduction * onset
        since, loss = day - end, self.loss_of_response_after_days or math.inf
        threshold, start = p.RESPONSE_REDUCTION, self.end_of_course_reduction
        if since < loss:
            return start - (start - threshold) * (since / loss) ** p.WANING_EXPONENT
        settled = min(1.0, (since - loss) / p.RELAPSE_SETTLE_DAYS)
        return threshold - (threshold - self.residual_reduction) * settled


def wall_clock(rng: random.Random, day: dt.date, first_hour: int, last_hour: int) -> dt.datetime:
    """A time on ``day`` between the hours, on a 5-minute grid."""
    minutes = rng.randrange(first_hour * 60, last_hour * 60, 5)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))


def draw_history(
    rng: random.Random, service: bool, day0: dt.date, today: dt.date
) -> tuple[Trajectory, tuple[Pcl5Administration, ...]]:
    """A hidden trajectory and the PCL-5s it produced before ``today`` (day 0 = ``day0``).

    The first administration is always the screening one (day -7), which passed entry.
    """
    truth, screening_total = _trajectory(rng, service)
    weights = [
        p.ITEM_BASE_SEVERITY.get(item, 1.0)
        * rng.gammavariate(p.ITEM_WEIGHT_SHAPE, 1 / p.ITEM_WEIGHT_SHAPE)
        for item in range(1, PCL5_ITEMS + 1)
    ]
    return truth, _history(rng, truth, screening_total, weights, day0, today)


def care_status(truth: Trajectory, day0: dt.date, today: dt.date) -> str:
    elapsed = (today - day0).days
    if elapsed <= 0:
        return "screening"
    if truth.dropout_day is not None and truth.dropout_day <= elapsed:
        recent = elapsed - truth.dropout_day < p.PAUSED_WINDOW_DAYS
        return "paused" if recent else "discharged"
    if elapsed <= p.END_OF_COURSE_DAY:
        return "active"
    return "follow_up" if elapsed <= p.DISCHARGE_AFTER_DAYS else "discharged"


def _trajectory(rng: random.Random, service: bool) -> tuple[Trajectory, int]:
    """The hidden trajectory and the observed screening total (which must pass entry)."""
    while True:
        baseline = rng.gauss(p.BASELINE_MEAN, p.BASELINE_SD)
        screening = _observe(rng, baseline)
        if baseline <= 80 and screening >= p.ENTRY_MIN_TOTAL:
            break
    chance = p.RESPONDER_PROBABILITY_SERVICE if service else p.RESPONDER_PROBABILITY_CIVILIAN
    responder = rng.random() < chance
    if responder:
        reduction = rng.gauss(p.RESPONDER_REDUCTION_MEAN, p.RESPONDER_REDUCTION_SD)
        reduction = min(p.RESPONDER_REDUCTION_MAX, max(p.RESPONDER_REDUCTION_MIN, reduction))
        loss: float | None = rng.expovariate(p.LOSS_OF_RESPONSE_RATE)
    else:
        change = rng.gauss(p.NONRESPONDER_CHANGE_MEAN, p.NONRESPONDER_CHANGE_SD)
        reduction, loss = change / baseline, None
    residual = rng.uniform(*p.RELAPSE_RESIDUAL_REDUCTION)
    draw, dropout = rng.random(), None
    if draw < p.DROPOUT_DURING_COURSE:
        dropout = rng.choice(_COURSE_DAYS)
    elif draw < p.DROPOUT_DURING_COURSE + p.DROPOUT_DURING_FOLLOW_UP:
        dropout = rng.choice(_FOLLOW_UP_DAYS)
    truth = Trajectory(baseline, responder, reduction, loss, residual, dropout)
    return truth, screening


def _observe(rng: random.Random, expected: float) -> int:
    return min(80, max(0, round(expected + rng.gauss(0.0, p.MEASUREMENT_SD))))


def _onset(day: int) -> float:
    points = p.RESPONSE_ONSET
    for (d0, f0), (d1, f1) in itertools.pairwise(points):
        if day <= d1:
            return f0 + (f1 - f0) * (day - d0) / (d1 - d0)
    return 1.0


def _history(
    rng: random.Random,
    truth: Trajectory,
    screening_total: int,
    weights: list[float],
    day0: dt.date,
    today: dt.date,
) -> tuple[Pcl5Administration, ...]:
    history = []
    for day, label, source, late in p.SCHEDULE:
        if truth.dropout_day is not None and day >= truth.dropout_day:
            break
        missed = (
            p.MISSED_LINK_PROBABILITY if source == "patient_link" else p.MISSED_CLINIC_PROBABILITY
        )
        if day > 0 and rng.random() < missed:
            continue
        actual = day + rng.randint(0, late)
        on = day0 + dt.timedelta(days=actual)
        if on >= today:
            break
        total = screening_total if day < 0 else _observe(rng, truth.expected_total(actual))
        improvement = max(0.0, truth.reduction(actual))
        answers: list[int | None] = list(_items(rng, total, weights, improvement))
        if day > 0 and rng.random() < p.INCOMPLETE_RESPONSE_PROBABILITY:
            answers[rng.randrange(PCL5_ITEMS)] = None
        hours = (8, 12) if source == "staff" else (7, 22)
        history.append(
            Pcl5Administration(actual, label, source, wall_clock(rng, on, *hours), tuple(answers))
        )
    return tuple(history)


def _items(rng: random.Random, total: int, base: list[float], improvement: float) -> list[int]:
    """Spread ``total`` over the 20 items (each 0-4) so that the answers sum to it exactly.

    Item weights are the person's own, each shrunk by CLUSTER_SHIFT x the cluster's
    responsiveness x the fractional improvement, so cluster B gives up most as
    symptoms fall. Expected values are water-filled under the cap of 4, rounded at
    random, and the rounding error is corrected one point at a time.
    """
    weights = [
        w
        * max(
            0.05, 1 - p.CLUSTER_SHIFT * p.CLUSTER_RESPONSIVENESS[_CLUSTER_OF[i + 1]] * improvement
        )
        for i, w in enumerate(base)
    ]
    expected = [0.0] * PCL5_ITEMS
    free, remaining = set(range(PCL5_ITEMS)), float(total)
    while free:
        scale = remaining / sum(weights[i] for i in free)
        full = {i for i in free if weights[i] * scale > PCL5_MAX_ITEM}
        if not full:
            for i in free:
                expected[i] = weights[i] * scale
            break
        for i in full:
            expected[i] = PCL5_MAX_ITEM
        free -= full
        remaining -= PCL5_MAX_ITEM * len(full)
    values = [min(PCL5_MAX_ITEM, int(e) + (rng.random() < e - int(e))) for e in expected]
    indices = range(PCL5_ITEMS)
    while (gap := total - sum(values)) != 0:
        if gap > 0:
            room = [weights[i] if values[i] < PCL5_MAX_ITEM else 0.0 for i in indices]
            values[rng.choices(indices, weights=room)[0]] += 1
        else:
            values[rng.choices(indices, weights=[float(v) for v in values])[0]] -= 1
    return values
