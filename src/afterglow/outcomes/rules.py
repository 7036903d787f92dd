"""Outcome rules for a course of treatment measured with the PCL-5 (total 0-80).

Django-free on purpose: the chart, the ``afterglow outcome`` command and the
tests all call :func:`evaluate`. Every threshold is a clinic setting held in
:class:`OutcomeRules`; the defaults and their sources (evidence.md §1, §2):

- response: a fall of at least 30 % from baseline -- the responder rule of
  Feder A et al., Am J Psychiatry 2021;178(2):193-202 (defined there on the
  CAPS-5, per the Mount Sinai summary; applied here to the PCL-5 total, on which
  it has not been validated). Optionally (``response_requires_reliable``) the
  fall must also be at least the reliable-change points: a stricter rule than
  the trials', off by default.
- loss of response: confirmed by ``loss_confirmations`` consecutive follow-ups
  that no longer meet the response rule (default 2). evidence.md §1: the trials'
  exact loss rule (one failing visit or a confirmed one) is UNCONFIRMED; with a
  PCL-5 measurement error of about 5 points a single failing follow-up is weak
  evidence (a true, stable 40 % reduction shows a false single-visit "loss"
  within 5 follow-ups about half the time, about 15 % when two are required).
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
from collections.abc import Iterable, Sequence

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_LOSS_CONFIRMATIONS",
    "DEFAULT_RELIABLE_POINTS",
    "DEFAULT_RESPONSE_PERCENT",
    "MAX_LOSS_CONFIRMATIONS",
    "PCL5_MAX",
    "VETERAN_RELIABLE_POINTS",
    "Followup",
    "Loss",
    "OutcomeInputError",
    "OutcomeRules",
    "TimepointOutcome",
    "Trajectory",
    "baseline_for",
    "evaluate",
    "loss_after",
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
#: Consecutive failing follow-ups that confirm a loss of response (evidence.md §1; the
#: trials' own rule is UNCONFIRMED). 1 is the single-dip rule of earlier versions.
DEFAULT_LOSS_CONFIRMATIONS = 2
MAX_LOSS_CONFIRMATIONS = 4


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

    ``cutoff`` 0-80, ``response_percent`` 1-100, ``reliable_points`` 1-80,
    ``loss_confirmations`` 1-4; ``response_requires_reliable`` is ``True``/``False``.
    """

    cutoff: int = DEFAULT_CUTOFF
    response_percent: int = DEFAULT_RESPONSE_PERCENT
    reliable_points: int = DEFAULT_RELIABLE_POINTS
    loss_confirmations: int = DEFAULT_LOSS_CONFIRMATIONS
    response_requires_reliable: bool = False

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
        _check_int(
            "loss_confirmations",
            self.loss_confirmations,
            1,
            MAX_LOSS_CONFIRMATIONS,
            "(consecutive follow-ups no longer meeting response that confirm a loss; "
            f"default {DEFAULT_LOSS_CONFIRMATIONS})",
        )
        if not isinstance(self.response_requires_reliable, bool):
            raise OutcomeInputError(
                "response_requires_reliable",
                f"must be true or false, got {_show(self.response_requires_reliable)}",
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
    #: The percent rule is met but the fall is under the reliable-change points: shown
    #: as "response within measurement error" (a response only when the clinic does not
    #: require a reliable fall). Not part of ``to_dict`` (the CLI's output is unchanged).
    within_measurement_error: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, keys in the documented order (the fields' order)."""
        data = dataclasses.asdict(self)
        del data["within_measurement_error"]
        return data


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """A course's follow-ups in day order; days are ``None`` where the event never happened."""

    baseline: int
    latest: TimepointOutcome | None  # the follow-up with the highest day
    timepoints: list[TimepointOutcome]  # every follow-up, in day order
    first_response_day: int | None
    loss_of_response_day: int | None  # the first day of the confirming run
    last_day: int | None
    possible_loss_day: int | None = None  # the first day of a trailing, unconfirmed run
    loss_confirmed_day: int | None = None  # the follow-up that completed the run

    def to_dict(self) -> dict[str, object]:
        """``{"latest", "first_response_day", "loss_of_response_day", "possible_loss_day",
        "last_day"}``."""
        return {
            "latest": None if self.latest is None else self.latest.to_dict(),
            "first_response_day": self.first_response_day,
            "loss_of_response_day": self.loss_of_response_day,
            "possible_loss_day": self.possible_loss_day,
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
        response                100 x (B - T) >= P x B and B > 0, and, only when
                                response_requires_reliable, also B - T >= R
        within_measurement_error  100 x (B - T) >= P x B, B > 0 and B - T < R
        reliable_improvement    B - T >= R
        reliable_deterioration  T - B >= R
        below_cutoff            T < C
        reliable_recovery       reliable_improvement and below_cutoff and B >= C

    Every threshold is inclusive (a fall of exactly 30 %, a change of exactly
    10 points count). ``response`` is decided in exact integer arithmetic, not
    from the rounded ``percent_change``. A baseline of 0 cannot fall by 30 %, so
    it never gives a response and has no percent change.

    Over the follow-ups in day order (input order does not matter), with N
    ``loss_confirmations``: ``first_response_day`` is the first day meeting
    ``response``; ``loss_of_response_day`` is the first day of the first run of N
    consecutive later follow-ups that do not meet it (``loss_confirmed_day`` the
    last day of that run). A loss is not reset if response returns afterwards: it
    records how long the first response lasted. A run still open at the last
    follow-up and shorter than N is a possible loss: ``possible_loss_day`` is its
    first day (never set when a loss is confirmed). N = 1 is the single-dip rule:
    there is then never a possible loss. See :func:`loss_after` and evidence.md §1
    (the trials' exact loss rule is UNCONFIRMED). ``last_day`` and ``latest`` are
    the follow-up with the highest day; with no follow-ups they and every day are
    ``None``.

    Raises ``OutcomeInputError`` when the baseline or a total is not a whole
    number 0-80, a day is not a whole number >= 0, or two follow-ups share a day
    (rejected rather than picking one silently: which counts is the clinic's
    call). Messages number the follow-ups from 1 in input order.
    """
    rules = rules if rules is not None else OutcomeRules()
    _check_int("baseline", baseline, 0, PCL5_MAX, "(a PCL-5 total)")
    ordered = _checked_followups(followups)
    timepoints = [_timepoint(baseline, f.day, f.total, rules) for f in ordered]

    first_response_day = next((p.day for p in timepoints if p.response), None)
    loss = Loss(None, None, None)
    if first_response_day is not None:
        loss = loss_after(
            [(p.day, p.response) for p in timepoints],
            first_response_day,
            rules.loss_confirmations,
        )
    latest = timepoints[-1] if timepoints else None
    return Trajectory(
        baseline=baseline,
        latest=latest,
        timepoints=timepoints,
        first_response_day=first_response_day,
        loss_of_response_day=loss.day,
        last_day=None if latest is None else latest.day,
        possible_loss_day=loss.possible_day,
        loss_confirmed_day=loss.confirmed_day,
    )


@dataclasses.dataclass(frozen=True)
class Loss:
    """Where a response was lost: ``day`` (confirmed; first day of the run),
    ``confirmed_day`` (the run's N-th follow-up) and ``possible_day`` (the first day of
    a trailing run shorter than N; None when a loss is confirmed)."""

    day: int | None
    confirmed_day: int | None
    possible_day: int | None


def loss_after(series: Sequence[tuple[int, bool]], from_day: int, confirmations: int) -> Loss:
    """The loss of a response held on ``from_day``, over ``(day, meets_response)`` in day order.

    Only follow-ups after ``from_day`` count. The loss is the first run of
    ``confirmations`` consecutive follow-ups that do not meet the response rule;
    its day is the run's first day. Once confirmed it stands, whatever follows.
    A run that reaches the last follow-up with fewer than ``confirmations`` is a
    possible loss. A follow-up that meets the rule again ends a run (a dip
    followed by recovery is no loss).
    """
    run_start: int | None = None
    run_length = 0
    for day, meets in series:
        if day <= from_day:
            continue
        if meets:
            run_start, run_length = None, 0
            continue
        if run_start is None:
            run_start = day
        run_length += 1
        if run_length >= confirmations:
            return Loss(run_start, day, None)
    return Loss(None, None, run_start)


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
    percent_met = baseline > 0 and 100 * fall >= rules.response_percent * baseline
    return TimepointOutcome(
        day=day,
        total=total,
        change=total - baseline,
        percent_change=_percent_change(baseline, total),
        response=percent_met and (improved or not rules.response_requires_reliable),
        reliable_improvement=improved,
        reliable_deterioration=-fall >= rules.reliable_points,
        below_cutoff=below,
        reliable_recovery=improved and below and baseline >= rules.cutoff,
        within_measurement_error=percent_met and not improved,
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
