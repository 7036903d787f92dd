"""Outcome rules for a course of treatment measured with the PCL-5 (total 0-80).

Django-free on purpose: the chart, the ``afterglow outcome`` command and the
tests all call :func:`evaluate`. Every threshold is a clinic setting held in
:class:`OutcomeRules`; the defaults and their sources (evidence.md §1, §2):

- response: a fall of at least 30 % from baseline -- the responder rule of
  Feder A et al., Am J Psychiatry 2021;178(2):193-202 (defined there on the
  CAPS-5, per the Mount Sinai summary; applied here to the PCL-5 total).
- reliable improvement / deterioration: a change of at least 10 points -- NCPTSD
  "Using the PCL-5" (5-10 points reliable, 10-20 clinically meaningful; values
  borrowed from the DSM-IV PCL). For veterans Marx BP et al., Psychol Assess
  2022;34(2):197-203 found a reliable change index of 15 (sample 1) and 18
  (sample 2) points: ``VETERAN_RELIABLE_POINTS`` offers 15 as the alternative.
- cutoff: 33, the top of the 31-33 range for probable PTSD (NCPTSD; Bovin MJ et
  al. 2016; Forkus SR et al. 2023). Marx 2022's endpoint "PCL-5 <= 28" is
  cutoff 29 here, since "below cutoff" means total < cutoff.

Every comparison is made on whole numbers, never on a rounded percentage, so
no float edge case can move a patient across a threshold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_RELIABLE_POINTS",
    "DEFAULT_RESPONSE_PERCENT",
    "PCL5_MAX",
    "VETERAN_RELIABLE_POINTS",
    "Followup",
    "OutcomeInputError",
    "OutcomeRules",
    "TimepointOutcome",
    "Trajectory",
    "baseline_for",
    "evaluate",
]

PCL5_MAX = 80
#: Response = a fall of at least this percentage from baseline (Feder 2021).
DEFAULT_RESPONSE_PERCENT = 30
#: Reliable change in points (NCPTSD guidance: >= 10 is clinically meaningful).
DEFAULT_RELIABLE_POINTS = 10
#: Reliable change in veterans (Marx 2022: 15 in sample 1, 18 in sample 2).
VETERAN_RELIABLE_POINTS = 15
#: Probable PTSD at or above this total (31-33 recommended; NCPTSD, Forkus 2023).
DEFAULT_CUTOFF = 33


class OutcomeInputError(ValueError):
    """An input cannot be evaluated; ``field`` names it and ``reason`` says how to fix it.

    ``str(error)`` is ``"<field> <reason>"``, e.g. ``"cutoff must be a whole
    number from 0 to 80 (default 33), got 81"``; a CLI shows ``reason`` after
    its own name for the field.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class OutcomeRules:
    """The clinic's thresholds; each is a whole number (``True``/``False`` are refused).

    ``cutoff`` 0-80, ``response_percent`` 1-100, ``reliable_points`` 1-80.
    """

    cutoff: int = DEFAULT_CUTOFF
    response_percent: int = DEFAULT_RESPONSE_PERCENT
    reliable_points: int = DEFAULT_RELIABLE_POINTS

    def __post_init__(self) -> None:
        _check_int("cutoff", self.cutoff, 0, PCL5_MAX, f"(default {DEFAULT_CUTOFF})")
        _check_int(
            "response_percent",
            self.response_percent,
            1,
            100,
            f"(a percentage fall from baseline; default {DEFAULT_RESPONSE_PERCENT})",
        )
        _check_int(
            "reliable_points",
            self.reliable_points,
            1,
            PCL5_MAX,
            f"(default {DEFAULT_RELIABLE_POINTS}; {VETERAN_RELIABLE_POINTS} for veterans)",
        )


@dataclasses.dataclass(frozen=True)
class Followup:
    """One PCL-5 total after baseline; ``day`` counts from the first dose (day 0)."""

    day: int
    total: int


@dataclasses.dataclass(frozen=True)
class TimepointOutcome:
    """The outcome at one follow-up, compared with baseline."""

    day: int
    total: int
    change: int  # total - baseline; negative = fewer symptoms
    percent_change: float | None  # None when baseline is 0
    response: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    below_cutoff: bool
    reliable_recovery: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, keys in the documented order (the fields' order)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """A course's follow-ups in day order; days are ``None`` where the event never happened."""

    baseline: int
    latest: TimepointOutcome | None  # the follow-up with the highest day
    timepoints: list[TimepointOutcome]  # every follow-up, in day order
    first_response_day: int | None
    loss_of_response_day: int | None
    last_day: int | None

    def to_dict(self) -> dict[str, object]:
        """``{"latest", "first_response_day", "loss_of_response_day", "last_day"}``."""
        return {
            "latest": None if self.latest is None else self.latest.to_dict(),
            "first_response_day": self.first_response_day,
            "loss_of_response_day": self.loss_of_response_day,
            "last_day": self.last_day,
        }


def evaluate(
    baseline: int, followups: Iterable[Followup], rules: OutcomeRules | None = None
) -> Trajectory:
    """Compare each follow-up PCL-5 total with the baseline total.

    With B the baseline, T a follow-up total, P ``response_percent``, R
    ``reliable_points`` and C ``cutoff`` (all whole numbers)::

        change                  T - B                  (negative = improvement)
        percent_change          (T - B) / B x 100, rounded to 1 decimal, halves
                                away from zero; None when B = 0
        response                100 x (B - T) >= P x B and B > 0
        reliable_improvement    B - T >= R
        reliable_deterioration  T - B >= R
        below_cutoff            T < C
        reliable_recovery       reliable_improvement and below_cutoff and B >= C

    Every threshold is inclusive (a fall of exactly 30 %, a change of exactly
    10 points count). ``response`` is decided in exact integer arithmetic, not
    from the rounded ``percent_change``. A baseline of 0 cannot fall by 30 %, so
    it never gives a response and has no percent change.

    Over the follow-ups in day order (input order does not matter):
    ``first_response_day`` is the first day meeting ``response``;
    ``loss_of_response_day`` is the first later follow-up that does not meet it.
    A loss is not reset if response returns afterwards: it records how long the
    first response lasted (time to loss of response, Feder 2021). ``last_day``
    and ``latest`` are the follow-up with the highest day; with no follow-ups
    they and every day are ``None``.

    Raises ``OutcomeInputError`` when the baseline or a total is not a whole
    number 0-80, a day is not a whole number >= 0, or two follow-ups share a day
    (rejected rather than picking one silently: which counts is the clinic's
    call). Messages number the follow-ups from 1 in input order.
    """
    rules = rules if rules is not None else OutcomeRules()
    _check_int("baseline", baseline, 0, PCL5_MAX, "(a PCL-5 total)")
    ordered = _checked_followups(followups)
    timepoints = [_timepoint(baseline, f.day, f.total, rules) for f in ordered]

    first_response_day: int | None = None
    loss_day: int | None = None
    for point in timepoints:
        if first_response_day is None:
            if point.response:
                first_response_day = point.day
        elif not point.response:
            loss_day = point.day
            break
    latest = timepoints[-1] if timepoints else None
    return Trajectory(
        baseline=baseline,
        latest=latest,
        timepoints=timepoints,
        first_response_day=first_response_day,
        loss_of_response_day=loss_day,
        last_day=None if latest is None else latest.day,
    )


def baseline_for(
    responses: Iterable[tuple[dt.date, int | None, bool]], first_dose_at: dt.date
) -> int | None:
    """The baseline total: the last complete PCL-5 on or before the first dose of the course.

    ``responses`` holds ``(administered_at, total, complete)`` for the patient's
    past-month PCL-5s, in any order; ``administered_at`` and ``first_dose_at``
    are each a timezone-aware ``datetime`` or a ``date``.

    - Incomplete responses never count, whatever their total.
    - Two datetimes are compared as instants: a PCL-5 taken after the first
      dose started (even the same day) is not a baseline. When either side is
      a ``date``, calendar days are compared (the datetime's own date, so pass
      it in the clinic's timezone) and a PCL-5 on the day of the dose counts.
    - Of several at the same latest moment, the one given last wins.

    Returns ``None`` when no complete PCL-5 qualifies. Raises
    ``OutcomeInputError`` for a naive datetime, or a complete response whose
    total is not a whole number 0-80.
    """
    _check_moment("first_dose_at", first_dose_at)
    best: tuple[dt.date, int] | None = None
    for number, (when, total, complete) in enumerate(responses, start=1):
        if not complete:
            continue
        _check_moment(f"response {number} administered_at", when)
        value = _check_int(f"response {number} total", total, 0, PCL5_MAX, "(a complete PCL-5)")
        if not _before(first_dose_at, when) and (best is None or not _before(when, best[0])):
            best = (when, value)
    return None if best is None else best[1]


def _timepoint(baseline: int, day: int, total: int, rules: OutcomeRules) -> TimepointOutcome:
    fall = baseline - total
    improved = fall >= rules.reliable_points
    below = total < rules.cutoff
    return TimepointOutcome(
        day=day,
        total=total,
        change=total - baseline,
        percent_change=_percent_change(baseline, total),
        response=baseline > 0 and 100 * fall >= rules.response_percent * baseline,
        reliable_improvement=improved,
        reliable_deterioration=-fall >= rules.reliable_points,
        below_cutoff=below,
        reliable_recovery=improved and below and baseline >= rules.cutoff,
    )


def _percent_change(baseline: int, total: int) -> float | None:
    """(total - baseline) / baseline x 100 to 0.1, halves away from zero, exactly."""
    if baseline == 0:
        return None
    tenths = 1000 * (total - baseline)  # percent x 10, before dividing by baseline
    quotient, remainder = divmod(abs(tenths), baseline)
    if 2 * remainder >= baseline:
        quotient += 1
    return (quotient if tenths >= 0 else -quotient) / 10


def _checked_followups(followups: Iterable[Followup]) -> list[Followup]:
    seen: dict[int, int] = {}  # day -> follow-up number
    checked: list[Followup] = []
    for number, followup in enumerate(followups, start=1):
        name = f"follow-up {number}"
        _check_int(f"{name} day", followup.day, 0, None, "(days since the first dose, day 0)")
        _check_int(f"{name} total", followup.total, 0, PCL5_MAX, "(a PCL-5 total)")
        if followup.day in seen:
            raise OutcomeInputError(
                name,
                f"is on day {followup.day} like follow-up {seen[followup.day]}; "
                "give one PCL-5 per day (remove one or correct its day)",
            )
        seen[followup.day] = number
        checked.append(followup)
    return sorted(checked, key=lambda f: f.day)


def _check_int(field: str, value: object, low: int, high: int | None, note: str) -> int:
    """``value`` if it is a whole number from ``low`` to ``high`` (no limit if None)."""
    # bool is a subclass of int in Python; True must not be read as 1.
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise OutcomeInputError(field, f"must be a whole number {span} {note}, got {_show(value)}")
    return value


def _check_moment(field: str, value: object) -> None:
    if not isinstance(value, dt.date):
        raise OutcomeInputError(field, f"must be a date or a datetime, got {value!r}")
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        raise OutcomeInputError(
            field, f"must be timezone-aware (e.g. django.utils.timezone.now()), got {value}"
        )


def _before(a: dt.date, b: dt.date) -> bool:
    """``a`` strictly before ``b``: instants for two datetimes, else calendar days."""
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a < b
    return _day(a) < _day(b)


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _show(value: object) -> str:
    """Show a bad value as it would appear in JSON input (true, "2", 1.5)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
