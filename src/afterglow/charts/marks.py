"""What the patient chart places on its time axis: plain frozen dataclasses, Django-free.

Times are aware datetimes already in the clinic's timezone; the figures draw their
wall-clock time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

PCL5_CODES = ("pcl5", "pcl5_past_week")
PHQ9_CODE = "phq9"
PCL5_MAX = 80  # PCL-5 total range 0-80


@dataclass(frozen=True)
class ChartPoint:
    """One PCL-5 (past month or past week) on the chart."""

    when: dt.datetime  # aware, already in the clinic's timezone
    total: int | None
    intrusion: int | None
    complete: bool
    missing_items: Sequence[int]
    version: str


@dataclass(frozen=True)
class DoseMark:
    number: int
    when: dt.datetime  # aware, in the clinic's timezone: when the dose started
    dose_mg: Decimal | None
    route: str  # display label, e.g. "Intravenous infusion"


@dataclass(frozen=True)
class TherapyMark:
    when: dt.datetime  # aware, in the clinic's timezone
    modality: str  # display label
    timing: str  # e.g. "+26 h after session 3"
    in_window: bool


@dataclass(frozen=True)
class OutcomeMarks:
    """What ``outcomes.selectors.pcl5_outcome`` found, placed on the time axis."""

    baseline: tuple[dt.datetime, int]
    responses: Sequence[tuple[dt.datetime, int]]  # follow-ups meeting the response rule
    loss_at: dt.datetime | None  # a confirmed loss (the first day of the confirming run)
    label: str  # e.g. "Response (≥30 % below baseline 52)"
    possible_loss_at: dt.datetime | None = None  # a trailing run too short to confirm


@dataclass(frozen=True)
class Phq9Point:
    """One PHQ-9 for the chart and its table."""

    pk: int
    when: dt.datetime  # aware, in the clinic's timezone
    total: int | None  # None when incomplete: never scored from missing answers
    complete: bool
    severity: str  # the catalog's band label of the total; "" when incomplete
    missing_items: Sequence[int]
    alert_item: int  # the item whose answer raises the self-harm alert (9)
    alert_value: int | None  # its answer; None when not answered
    alert_answer: str  # the answer's wording, e.g. "Several days"; "" when not answered
    alerted: bool  # the answer is above the alert threshold (item 9 > 0)
    source: str  # "Staff (name)" or "Patient link"
