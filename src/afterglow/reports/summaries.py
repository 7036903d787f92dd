"""Plain-language summaries for a report and the diary's weekly means. No Django import.

The outcome words come from ``outcomes.rules`` (its :class:`TimepointOutcome` flags);
nothing here decides a response, a reliable change or a cutoff again. The weekly
diary mean follows ``diary.rules``: a missing day is left out, never counted as 0,
and a week needs ``MIN_DAYS`` recorded days before it has a mean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from afterglow.diary.rules import MIN_DAYS, WINDOW_DAYS
from afterglow.outcomes.rules import OutcomeRules, TimepointOutcome


@dataclass(frozen=True)
class WeekMean:
    """Intrusions per recorded day over the 7 days ``start`` … ``end``."""

    start: dt.date
    end: dt.date
    recorded_days: int
    mean: float | None  # None: fewer than ``min_days`` recorded days


def weekly_means(
    days: Sequence[tuple[dt.date, int | None]],
    *,
    end: dt.date,
    weeks: int,
    min_days: int = MIN_DAYS,
) -> list[WeekMean]:
    """Consecutive 7-day weeks ending on ``end``, oldest first, from the first week
    with any entry (earlier empty weeks are dropped; later ones are kept, as gaps).

    ``days`` holds ``(day, count)`` with ``count`` None for a day without an entry
    or with its counts not answered (an urgent note, ``diary.rules.total_intrusions``);
    days absent from ``days`` are missing too. A week's mean is the mean count of
    its recorded days, and only when at least ``min_days`` of them were recorded
    (same rule as the diary's rolling mean, ``diary.rules.rolling_mean``).
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}.")
    if not 1 <= min_days <= WINDOW_DAYS:
        raise ValueError(f"min_days must be between 1 and {WINDOW_DAYS}, got {min_days}.")
    counts = {day: count for day, count in days if count is not None}
    result: list[WeekMean] = []
    for back in range(weeks - 1, -1, -1):
        week_end = end - dt.timedelta(days=WINDOW_DAYS * back)
        week_start = week_end - dt.timedelta(days=WINDOW_DAYS - 1)
        recorded = [
            counts[day]
            for offset in range(WINDOW_DAYS)
            if (day := week_start + dt.timedelta(days=offset)) in counts
        ]
        if not result and not recorded:
            continue
        mean = sum(recorded) / len(recorded) if len(recorded) >= min_days else None
        result.append(WeekMean(week_start, week_end, len(recorded), mean))
    return result


def outcome_sentences(
    *,
    baseline: int,
    baseline_on: dt.date,
    first_dose_on: dt.date,
    latest: TimepointOutcome | None,
    latest_on: dt.date | None,
    first_response_day: int | None,
    loss_of_response_day: int | None,
    rules: OutcomeRules,
    possible_loss_day: int | None = None,
) -> list[str]:
    """A referring clinician's reading of the latest course's PCL-5 outcome.

    Every verdict is one of ``latest``'s flags, computed by ``outcomes.rules``.
    """
    lines = [
        f"Baseline PCL-5 {baseline} on {_date(baseline_on)} "
        f"(first dose of the latest course on {_date(first_dose_on)})."
    ]
    if latest is None or latest_on is None:
        lines.append("No past-month PCL-5 has been completed since the first dose yet.")
        return lines
    points = abs(latest.change)
    direction = "down" if latest.change < 0 else "up" if latest.change > 0 else "unchanged"
    change = f"{direction} {points} point{'s' if points != 1 else ''}" if points else direction
    percent = "" if latest.percent_change is None else f", {latest.percent_change:+.1f}%"
    lines.append(
        f"Latest PCL-5 {latest.total} on {_date(latest_on)} (day {latest.day}): "
        f"{change}{percent} from baseline."
    )
    criterion = (
        f"the clinic's response criterion (at least {rules.response_percent}% below baseline)"
    )
    lines.append(f"{'Meets' if latest.response else 'Does not meet'} {criterion}.")
    if latest.within_measurement_error:
        lines.append(
            f"The fall is under {rules.reliable_points} points: a response within measurement "
            "error."
        )
    met = []
    if latest.reliable_improvement:
        met.append(f"a reliable improvement (at least {rules.reliable_points} points lower)")
    met.append(
        f"{'below' if latest.below_cutoff else 'at or above'} the probable-PTSD cutoff of "
        f"{rules.cutoff}"
    )
    if latest.reliable_recovery:
        met.append("a reliable recovery")
    lines.append("It is " + _join(met) + ".")
    if latest.reliable_deterioration:
        lines.append(
            f"Reliable deterioration: at least {rules.reliable_points} points above baseline."
        )
    if first_response_day is not None:
        n = rules.loss_confirmations
        if loss_of_response_day is not None:
            when = (
                f"lost from day {loss_of_response_day} (confirmed by {n} consecutive "
                f"follow-up{'s' if n != 1 else ''})"
            )
        elif possible_loss_day is not None:
            when = (
                f"shows a possible loss of response from day {possible_loss_day} — "
                "confirm at the next measurement"
            )
        else:
            when = "not lost since"
        lines.append(f"Response was first met on day {first_response_day} and {when}.")
    return lines


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"
