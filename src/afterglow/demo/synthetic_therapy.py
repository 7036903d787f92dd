"""Psychotherapy around the synthetic doses (part of ``synthetic_treatment``). No Django.

* Ketamine-enhanced prolonged exposure (``kepe_weekly``): a PE session 1-4 days after each
  dose, on a clinic day, timed so most fall 24-72 h after it (NCT04560660), then the
  preset's 7 more PE sessions a week apart once the course is complete.
* Other protocols: for some patients, an integration (or CPT, or mindfulness-based)
  session on the clinic day after the first dose and after some later ones, mostly after
  the dose's time of day; a weekend or an early hour puts some outside the window.

No session falls on a dose day, on or after "today", or after the patient stopped coming.
Parameters and sources: ``synthetic_params`` ("Treatment: psychotherapy").
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from afterglow.demo import synthetic_params as p
from afterglow.demo.synthetic_pcl5 import wall_clock
from afterglow.treatment import schedule
from afterglow.treatment.presets import ProtocolPreset

if TYPE_CHECKING:
    from afterglow.demo.synthetic_treatment import SyntheticDose


@dataclass(frozen=True)
class SyntheticTherapy:
    modality: str  # treatment.models.TherapyModality value
    started_at: dt.datetime
    duration_minutes: int
    notes: str


_NOTES = {
    "prolonged_exposure": (
        "Imaginal exposure to the index trauma, 45 min; SUDS peaked at 80 and fell to 40.",
        "Processed the hot spots from last week's recording; in-vivo homework reviewed.",
        "Revisited the memory in the present tense; less avoidance than last session.",
        "In-vivo hierarchy: completed the supermarket item; next step agreed.",
    ),
    "integration": (
        "Talked through the imagery from the infusion and linked it to the trauma memory.",
        "Integration: patient noticed more distance from the intrusive memories since the dose.",
        "Reviewed sleep and nightmares since the dose; grounding practice agreed.",
        "Felt a sense of calm after the infusion; explored what it would take to hold onto it.",
    ),
    "cpt": (
        "Impact statement read aloud; worked on a stuck point about blame.",
        "Challenging-questions worksheet on safety beliefs.",
    ),
    "mindfulness": (
        "Body scan and breathing practice; noticed urges to avoid without acting on them.",
        "Mindfulness of the trauma reminder for 10 min with low distress.",
    ),
}


def draw_therapy(
    rng: random.Random,
    preset: ProtocolPreset,
    doses: Sequence[SyntheticDose],
    planned: Sequence[dt.date],
    day0: dt.date,
    today: dt.date,
    dropout_day: int | None,
) -> list[SyntheticTherapy]:
    last_day = today - dt.timedelta(days=1)
    if dropout_day is not None:
        last_day = min(last_day, day0 + dt.timedelta(days=dropout_day - 1))
    dose_days = set(planned)
    sessions: list[SyntheticTherapy] = []

    def add(modality: str, at: dt.datetime, minutes: int) -> None:
        if at.date() <= last_day and at.date() not in dose_days:
            sessions.append(SyntheticTherapy(modality, at, minutes, rng.choice(_NOTES[modality])))

    pe = preset.post_dose_therapy
    if pe is not None and pe.type == "prolonged_exposure":
        for dose in doses:
            after = rng.choices(list(p.PE_DAY_WEIGHTS), weights=list(p.PE_DAY_WEIGHTS.values()))[0]
            day = schedule.next_clinic_day(
                dose.started_at.date() + dt.timedelta(days=after), p.CLINIC_WEEKDAYS
            )
            add(pe.type, _office_time(rng, day, dose.started_at, after), p.PE_MINUTES)
        if doses and len(doses) == len(planned):
            last_pe = sessions[-1].started_at.date() if sessions else doses[-1].started_at.date()
            for i in range(1, pe.sessions_after_course + 1):
                day = last_pe + dt.timedelta(days=i * p.PE_AFTER_COURSE_EVERY_DAYS)
                add(pe.type, wall_clock(rng, day, *p.THERAPY_HOURS), p.PE_MINUTES)
        return sessions
    if rng.random() >= p.THERAPY_PATIENT_SHARE:
        return sessions
    weights = p.THERAPY_MODALITY_WEIGHTS
    modality = rng.choices(list(weights), weights=list(weights.values()))[0]
    for dose in doses:
        if dose.number > 1 and rng.random() >= p.THERAPY_AFTER_DOSE_PROBABILITY:
            continue
        day = schedule.next_clinic_day(
            dose.started_at.date() + dt.timedelta(days=1), p.CLINIC_WEEKDAYS
        )
        first, last = p.THERAPY_HOURS
        if rng.random() < p.THERAPY_AFTER_DOSE_TIME_SHARE:
            first = min(last - 1, dose.started_at.hour + 1)
        add(modality, wall_clock(rng, day, first, last), p.THERAPY_MINUTES[modality])
    return sessions


def _office_time(
    rng: random.Random, day: dt.date, dose_at: dt.datetime, days_after: int
) -> dt.datetime:
    """A PE session time: after the dose's time of day on day +1 (so >= 24 h), before it on
    day +3 (so <= 72 h), any office hour otherwise."""
    first, last = p.THERAPY_HOURS
    moved = (day - dose_at.date()).days != days_after  # pushed past a weekend: any hour
    if days_after == 1 and not moved:
        first = min(last - 1, dose_at.hour + 1)
    elif days_after == 3 and not moved:
        last = max(first + 1, dose_at.hour)
    return wall_clock(rng, day, first, last)
