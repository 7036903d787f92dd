"""The PHQ-9 each synthetic patient answers before each dose. No Django import.

Answered through a link in the hours before each dose's pre-dose check. The expected total
falls in proportion with the PCL-5 total of the patient's hidden trajectory
(``synthetic_pcl5``), averaged over the questionnaire's two-week time frame, so it falls
in responders. Item 9 (thoughts of self-harm) is above 0 on some of the days the nurse's
pre-dose check recorded passive thoughts (``SyntheticDose.suicide_risk``) and never on
other days, except before a few recent doses chosen so that the alert inbox has current
work (``RECENT_ITEM9_EVERY``). ``synthetic_diary.generate_between_visits`` calls it with
a stream of its own per patient (``"{seed}/phq9/{i}"``).

Parameters follow ``synthetic_params``: **cited**, **derived** or **illustrative** (an
Afterglow assumption: evidence.md has no figure).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from afterglow.demo import synthetic_params as p
from afterglow.demo.synthetic import SyntheticPatient

# Illustrative: evidence.md has no PHQ-9 figures for these trials; depression was an outcome
# (Feder 2014 lower depression, Abdallah 2022 MADRS [§4a]). Baseline mean 15 ("moderately
# severe", Kroenke 2001 bands in the PHQ-9 definition), higher with a higher PCL-5 baseline.
PHQ9_BASELINE_MEAN = 15.0
PHQ9_BASELINE_SD = 4.0
PHQ9_PER_PCL5_POINT = 0.2
PHQ9_BASELINE_RANGE = (5, 27)
PHQ9_NOISE_SD = 2.5  # illustrative administration-to-administration noise
PHQ9_TIME_FRAME_DAYS = 14  # "last 2 weeks" (the definition's time frame)
PHQ9_ITEMS, PHQ9_MAX_ITEM = 9, 3  # item 9 (the last) asks about thoughts of self-harm
# Illustrative: share of the pre-dose checks with passive thoughts whose PHQ-9 item 9 was above
# 0 (self-report and interview disagree; most suicides in one cohort followed "Not at all" on
# item 9, Louzon 2016, cited in the PHQ-9 definition), and of those, the share answering 2.
ITEM9_GIVEN_PASSIVE_CHECK = 0.35
ITEM9_MORE_THAN_HALF_THE_DAYS = 0.2
# Answered through a link 30-180 minutes before the pre-dose check, not before 07:00.
PHQ9_MINUTES_BEFORE_CHECK = (30, 180)
PHQ9_EARLIEST_HOUR = 7
# The item-9 alert is acknowledged by the prescriber 5-30 minutes after the pre-dose check
# (illustrative).
REVIEW_AFTER_CHECK_MINUTES = (5, 30)

# Current work in the alert inbox. Illustrative, like NEW_FLAGGED_EVERY in synthetic_params: so
# that the inbox shows a few open urgent alerts from the last days, whatever the start date. The
# OPEN_RESPONSE_ALERTS most recent item-9 alerts are still open (the others were acknowledged).
# Every RECENT_ITEM9_EVERY-th patient (counted in patient order) with a dose in the RECENT_DAYS
# before the start date answered item 9 = 1 ("several days") before the latest of them: a
# two-week question, so the nurse's check that day may still have found no current thoughts.
OPEN_RESPONSE_ALERTS = 3
RECENT_DAYS = 7
RECENT_ITEM9_EVERY = 3


@dataclass(frozen=True)
class Phq9Administration:
    dose_number: int
    day: int  # days after the first dose
    administered_at: dt.datetime  # naive, clinic wall-clock time
    answers: tuple[int, ...]  # 9 values 0-3 in item order
    reviewed_at: dt.datetime  # when an item-9 alert would be acknowledged

    @property
    def timepoint(self) -> str:
        return f"before dose {self.dose_number}"

    @property
    def total(self) -> int:
        return sum(self.answers)


def dosed_lately(person: SyntheticPatient, today: dt.date) -> int | None:
    """The number of ``person``'s latest dose in the ``RECENT_DAYS`` before ``today``."""
    recent = today - dt.timedelta(days=RECENT_DAYS)
    doses = person.treatment.doses if person.treatment else ()
    lately = [dose.number for dose in doses if dose.started_at.date() >= recent]
    return lately[-1] if lately else None


def draw_phq9(
    rng: random.Random, person: SyntheticPatient, today: dt.date, *, item9_lately: bool = False
) -> tuple[Phq9Administration, ...]:
    """One PHQ-9 before each dose of ``person``'s course (module docstring).

    ``item9_lately``: item 9 is at least 1 before the latest dose in the last
    ``RECENT_DAYS`` before ``today``, if there is one.
    """
    if person.treatment is None:
        return ()
    flagged = dosed_lately(person, today) if item9_lately else None
    truth = person.truth
    mean = PHQ9_BASELINE_MEAN + PHQ9_PER_PCL5_POINT * (truth.baseline - p.BASELINE_MEAN)
    baseline = min(
        PHQ9_BASELINE_RANGE[1],
        max(PHQ9_BASELINE_RANGE[0], rng.gauss(mean, PHQ9_BASELINE_SD)),
    )
    # Items 1-8 share the total as the PCL-5 items do (person weights, gamma with mean 1).
    others = PHQ9_ITEMS - 1
    weights = [
        rng.gammavariate(p.ITEM_WEIGHT_SHAPE, 1 / p.ITEM_WEIGHT_SHAPE) for _ in range(others)
    ]
    given = []
    for dose in person.treatment.doses:
        window = range(dose.day - PHQ9_TIME_FRAME_DAYS + 1, dose.day + 1)
        reduction = sum(truth.reduction(day) for day in window) / PHQ9_TIME_FRAME_DAYS
        expected = baseline * (1.0 - reduction)
        total = min(
            PHQ9_ITEMS * PHQ9_MAX_ITEM, max(0, round(expected + rng.gauss(0.0, PHQ9_NOISE_SD)))
        )
        item9 = 0
        if dose.suicide_risk == "passive" and rng.random() < ITEM9_GIVEN_PASSIVE_CHECK:
            item9 = 2 if rng.random() < ITEM9_MORE_THAN_HALF_THE_DAYS else 1
        if dose.number == flagged:
            item9 = max(item9, 1)
        rest = min(others * PHQ9_MAX_ITEM, max(0, total - item9))
        answers = [*_spread(rng, rest, weights), item9]
        check = dose.predose_checked_at
        answered = check - dt.timedelta(minutes=rng.randrange(*PHQ9_MINUTES_BEFORE_CHECK, 5))
        earliest = dt.datetime.combine(check.date(), dt.time(PHQ9_EARLIEST_HOUR))
        if answered < earliest:
            answered = earliest + dt.timedelta(minutes=rng.randrange(0, 30, 5))
        reviewed = check + dt.timedelta(minutes=rng.randrange(*REVIEW_AFTER_CHECK_MINUTES, 5))
        given.append(Phq9Administration(dose.number, dose.day, answered, tuple(answers), reviewed))
    return tuple(given)


def _spread(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """``total`` points over the items, one at a time by weight, none past the item maximum."""
    values = [0] * len(weights)
    indices = range(len(weights))
    for _ in range(total):
        room = [w if values[i] < PHQ9_MAX_ITEM else 0.0 for i, w in enumerate(weights)]
        values[rng.choices(indices, weights=room)[0]] += 1
    return values
