"""The settings of one analysis and the error every bad input raises. No Django import.

The outcome rules (cutoff, response percent, reliable points, loss confirmations,
whether response requires a reliable fall) are those of
``afterglow.outcomes.rules`` and are checked by its ``OutcomeRules``, so the
engine and ``afterglow outcome`` refuse the same values with the same reasons.
"""

from __future__ import annotations

import dataclasses

from afterglow.outcomes.rules import (
    DEFAULT_CUTOFF,
    DEFAULT_LOSS_CONFIRMATIONS,
    DEFAULT_RELIABLE_POINTS,
    DEFAULT_RESPONSE_PERCENT,
    OutcomeInputError,
    OutcomeRules,
)

__all__ = [
    "DEFAULT_DAYS",
    "AnalysisConfig",
    "AnalysisInputError",
    "timepoint_window",
]

#: 24 hours, end of a two-week course (Feder 2021), 4 weeks, 90 days (Yale NCT02727998).
DEFAULT_DAYS: tuple[int, ...] = (1, 14, 28, 90)


class AnalysisInputError(ValueError):
    """The data or a setting cannot be analysed; ``str()`` is one line saying how to fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(" ".join(reason.split()))


def timepoint_window(day: int) -> tuple[int, int]:
    """The days (inclusive) whose observations may stand for timepoint ``day``.

    Half-width ``w = max(1, round(day / 4))`` with halves rounded up, computed in
    integers as ``max(1, (day + 2) // 4)``; the window is ``[max(1, day - w), day + w]``
    so it never reaches the baseline (day 0). Days 1, 14, 28, 90 give 1-2, 10-18,
    21-35 and 67-113. Within the window the observation nearest to ``day`` counts;
    of two equally near, the earlier.
    """
    half = max(1, (day + 2) // 4)
    return max(1, day - half), day + half


@dataclasses.dataclass(frozen=True)
class AnalysisConfig:
    """What to compute; every value is checked on construction (``AnalysisInputError``).

    - ``days``: follow-up timepoints (days after the first dose, each >= 1, no repeats),
      reported in increasing order; each matched by :func:`timepoint_window`.
    - ``cutoff``, ``response_percent``, ``reliable_points``: the outcome rules of
      ``afterglow.outcomes.rules`` (defaults 33, 30 %, 10 points, sources there).
    - ``mixed_window``: first and last day (inclusive) of the observations the mixed
      model uses; default 0-28, the course and the following fortnight.
    - ``end_of_course_day``: the timepoint of "response at the end of the course"
      in :func:`patient_outcomes` (default 14, the end of Feder 2021's two-week course).
    - ``loss_confirmations`` (1-4, default 2) and ``response_requires_reliable``
      (default False): the loss and response rules of ``afterglow.outcomes.rules``.
    - ``durability_from``: the timepoint whose responders durability follows, timed
      from that observation's day (default 14: Feder 2021 counted among responders at
      the end of the two-week course, from that assessment; evidence.md §2).
    """

    days: tuple[int, ...] = DEFAULT_DAYS
    cutoff: int = DEFAULT_CUTOFF
    response_percent: int = DEFAULT_RESPONSE_PERCENT
    reliable_points: int = DEFAULT_RELIABLE_POINTS
    mixed_window: tuple[int, int] = (0, 28)
    end_of_course_day: int = 14
    loss_confirmations: int = DEFAULT_LOSS_CONFIRMATIONS
    response_requires_reliable: bool = False
    durability_from: int = 14

    def __post_init__(self) -> None:
        days = tuple(self.days)
        if not days:
            raise AnalysisInputError("days must list at least one timepoint, e.g. 1,14,28,90")
        for day in days:
            if isinstance(day, bool) or not isinstance(day, int) or day < 1:
                raise AnalysisInputError(
                    f"days must be whole numbers of at least 1 (days after the first dose), "
                    f"got {day!r}"
                )
        if len(set(days)) != len(days):
            raise AnalysisInputError(f"days lists a timepoint twice: {list(days)}")
        object.__setattr__(self, "days", tuple(sorted(days)))
        try:
            _ = self.rules  # constructing the rules checks them
        except OutcomeInputError as exc:
            raise AnalysisInputError(str(exc)) from None
        window = tuple(self.mixed_window)
        if (
            len(window) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in window)
            or window[0] >= window[1]
        ):
            raise AnalysisInputError(
                "mixed_window must be two whole numbers, first below last, "
                f"got {self.mixed_window!r}"
            )
        object.__setattr__(self, "mixed_window", window)
        end = self.end_of_course_day
        if isinstance(end, bool) or not isinstance(end, int) or end < 1:
            raise AnalysisInputError(f"end_of_course_day must be a whole number >= 1, got {end!r}")
        start = self.durability_from
        if isinstance(start, bool) or not isinstance(start, int) or start < 1:
            raise AnalysisInputError(
                f"durability_from must be a whole number of at least 1 (a day after the first "
                f"dose), got {start!r}"
            )

    @property
    def rules(self) -> OutcomeRules:
        """The same thresholds as an ``OutcomeRules`` (for ``outcomes.rules.evaluate``)."""
        return OutcomeRules(
            cutoff=self.cutoff,
            response_percent=self.response_percent,
            reliable_points=self.reliable_points,
            loss_confirmations=self.loss_confirmations,
            response_requires_reliable=self.response_requires_reliable,
        )

    @property
    def durability_window(self) -> tuple[int, int]:
        """The days whose follow-up may stand for the durability timepoint."""
        return timepoint_window(self.durability_from)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, with the matching window of every timepoint."""
        return {
            "days": list(self.days),
            "windows": {str(d): list(timepoint_window(d)) for d in self.days},
            "cutoff": self.cutoff,
            "response_percent": self.response_percent,
            "reliable_points": self.reliable_points,
            "mixed_window": list(self.mixed_window),
            "end_of_course_day": self.end_of_course_day,
            "loss_confirmations": self.loss_confirmations,
            "response_requires_reliable": self.response_requires_reliable,
            "durability_from": self.durability_from,
            "durability_window": list(self.durability_window),
        }
