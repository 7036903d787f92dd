"""The treatment part of the synthetic clinic: screening, course, doses and therapy. No Django.

For each enrolled patient the generator draws, from the patient's own random stream
(``"{seed}/treatment/{i}"``, so the PCL-5 histories are untouched):

* a **screening** on the day of the screening PCL-5 (day -7), checklist all "no",
  resting BP, heart rate, weight and height, decided eligible the same day;
* a **protocol** from the shipped presets (mostly Feder 2021's six infusions; some
  Abdallah 2022, ketamine-enhanced prolonged exposure, esketamine);
* the **planned dates** from ``treatment.schedule.plan_dates`` (the same function the
  course service uses), the first on day 0 of the PCL-5 history;
* a signed **dosing session** for every planned date before "today" and before the
  patient stopped coming, each with its weight, the dose from ``treatment.dosing``,
  vitals every 10-15 min whose BP rises to a peak near 40 min, CADSS ratings that
  peak at 40 min and lessen over repeated infusions, MOAA/S for esketamine, side
  effects, a few adverse events (none serious), discharge and signature;
* **therapy sessions**: prolonged exposure 24-72 h after ketamine-enhanced PE doses
  (then 7 more), integration (or CPT or mindfulness) on the clinic day after some
  other doses; some fall outside the window.

Every parameter, with its source, is in ``synthetic_params`` (section "Treatment"); the
therapy sessions are drawn in ``synthetic_therapy``.
Times are naive wall-clock times in the clinic's timezone, as in ``synthetic_pcl5``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from afterglow.demo import synthetic_params as p
from afterglow.demo.synthetic_pcl5 import Pcl5Administration, wall_clock
from afterglow.demo.synthetic_therapy import SyntheticTherapy, draw_therapy
from afterglow.treatment import dosing, schedule
from afterglow.treatment.eligibility import CHECKLIST, NO
from afterglow.treatment.presets import ProtocolPreset, get_preset
from afterglow.treatment.safety import minimum_observation_minutes

__all__ = [
    "SyntheticAdverseEvent",
    "SyntheticDose",
    "SyntheticScreening",
    "SyntheticTherapy",
    "SyntheticTreatment",
    "SyntheticVitals",
    "draw_treatment",
]

ESKETAMINE = "intranasal"
_MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SyntheticScreening:
    assessed_at: dt.datetime
    decided_at: dt.datetime
    answers: dict[str, str]  # eligibility.CHECKLIST code -> "no"
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    weight_kg: Decimal
    height_cm: int


@dataclass(frozen=True)
class SyntheticVitals:
    """One vitals row; fits ``treatment.safety.Reading``."""

    minute: int
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    respiratory_rate: int


@dataclass(frozen=True)
class SyntheticAdverseEvent:
    description: str
    severity: str  # "mild" or "moderate"; never serious (Feder 2021)
    action: str  # treatment.models.sessions.AdverseAction value
    onset_minute: int | None
    medication: str


@dataclass(frozen=True)
class SyntheticDose:
    number: int
    day: int  # days after day 0
    route: str
    weight_kg: Decimal
    dose_mg: Decimal
    concentration_mg_per_ml: Decimal | None
    lot_number: str
    pregnancy_test: str
    suicide_risk: str
    predose_checked_at: dt.datetime
    started_at: dt.datetime
    stopped_at: dt.datetime
    discharged_at: dt.datetime
    signed_at: dt.datetime
    vitals: tuple[SyntheticVitals, ...]
    cadss: tuple[tuple[int, int], ...]  # (minute, CADSS total)
    moaas: tuple[tuple[int, int], ...]  # (minute, MOAA/S); esketamine only
    side_effects: tuple[tuple[str, str], ...]  # (code, severity)
    adverse_events: tuple[SyntheticAdverseEvent, ...]
    surge: bool

    @property
    def stop_minute(self) -> int:
        return int((self.stopped_at - self.started_at) / _MINUTE)

    def phase(self, minute: int) -> str:
        """As the session service places a reading: pre, during (to the stop), post."""
        if minute < 0:
            return "pre"
        return "during" if minute <= self.stop_minute else "post"


@dataclass(frozen=True)
class SyntheticTreatment:
    protocol_code: str
    screening: SyntheticScreening
    planned_dates: tuple[dt.date, ...]
    doses: tuple[SyntheticDose, ...]
    therapy: tuple[SyntheticTherapy, ...]
    course_status: str  # "active", "paused", "completed" or "ended_early"
    status_reason: str
    status_changed_at: dt.datetime | None


@dataclass(frozen=True)
class _Person:
    """What stays the same across one patient's sessions."""

    systolic: float
    diastolic: float
    heart_rate: float
    weight_kg: float
    escalate_esketamine: bool


def draw_treatment(
    rng: random.Random,
    *,
    sex: str,
    service: bool,
    high_blood_pressure: bool,
    day0: dt.date,
    today: dt.date,
    pcl5: Sequence[Pcl5Administration],
    dropout_day: int | None,
    care_status: str,
) -> SyntheticTreatment:
    """Screening, course, doses and therapy for one enrolled patient (module docstring).

    ``pcl5`` is the patient's history (its first entry is the screening PCL-5 on day
    -7); a dose on a day with an in-clinic PCL-5 starts after it. ``dropout_day`` is
    the first scheduled day the patient no longer attended: no dose or therapy from
    then on.
    """
    body = "other" if sex not in ("male", "female") else sex
    person = _person(rng, body, high_blood_pressure)
    screening = _screening(rng, person, body, pcl5[0].administered_at)
    weights = p.PROTOCOL_WEIGHTS_SERVICE if service else p.PROTOCOL_WEIGHTS_CIVILIAN
    code = rng.choices(list(weights), weights=list(weights.values()))[0]
    preset = get_preset(code)
    planned = schedule.plan_dates(
        start=day0,
        sessions=preset.sessions,
        sessions_per_week=preset.sessions_per_week,
        weekdays=p.CLINIC_WEEKDAYS,
    )
    clinic_visits = {
        g.administered_at.date(): g.administered_at for g in pcl5 if g.source == "staff"
    }
    doses: list[SyntheticDose] = []
    for number, day in enumerate(planned, start=1):
        offset = (day - day0).days
        if day >= today or (dropout_day is not None and offset >= dropout_day):
            break
        doses.append(
            _dose(rng, preset, person, number, day, offset, clinic_visits.get(day), sex == "female")
        )
    therapy = draw_therapy(rng, preset, doses, planned, day0, today, dropout_day)
    status, reason, changed = _course_status(
        rng, doses, planned, day0, today, dropout_day, care_status
    )
    return SyntheticTreatment(
        protocol_code=code,
        screening=screening,
        planned_dates=tuple(planned),
        doses=tuple(doses),
        therapy=tuple(therapy),
        course_status=status,
        status_reason=reason,
        status_changed_at=changed,
    )


# --- the person and the screening ---------------------------------------------------------------


def _normal(rng: random.Random, mean: float, sd: float, low: float, high: float) -> float:
    return min(high, max(low, rng.gauss(mean, sd)))


def _person(rng: random.Random, body: str, high_blood_pressure: bool) -> _Person:
    shift = p.HYPERTENSION_SHIFT if high_blood_pressure else (0.0, 0.0)
    return _Person(
        systolic=_normal(rng, p.SYSTOLIC_MEAN + shift[0], p.SYSTOLIC_SD, 98, 150),
        diastolic=_normal(rng, p.DIASTOLIC_MEAN + shift[1], p.DIASTOLIC_SD, 58, 92),
        heart_rate=_normal(rng, p.HEART_RATE_MEAN, p.HEART_RATE_SD, 50, 100),
        weight_kg=_normal(rng, *p.WEIGHT_KG[body], *p.WEIGHT_KG_RANGE),
        escalate_esketamine=rng.random() < p.ESKETAMINE_ESCALATE_PROBABILITY,
    )


def _screening(
    rng: random.Random, person: _Person, body: str, pcl5_at: dt.datetime
) -> SyntheticScreening:
    assessed = pcl5_at + dt.timedelta(minutes=rng.randrange(20, 60, 5))
    return SyntheticScreening(
        assessed_at=assessed,
        decided_at=assessed + dt.timedelta(minutes=rng.randrange(60, 360, 5)),
        answers={item.code: NO for item in CHECKLIST},
        systolic=round(person.systolic + rng.gauss(0, p.SESSION_BP_SD[0])),
        diastolic=round(person.diastolic + rng.gauss(0, p.SESSION_BP_SD[1])),
        heart_rate=round(person.heart_rate + rng.gauss(0, 4)),
        spo2=rng.choice((97, 98, 98, 99)),
        weight_kg=Decimal(str(round(person.weight_kg, 1))),
        height_cm=round(_normal(rng, *p.HEIGHT_CM[body], 145, 205)),
    )


# --- one dose ------------------------------------------------------------------------------------


def _dose(
    rng: random.Random,
    preset: ProtocolPreset,
    person: _Person,
    number: int,
    day: dt.date,
    offset: int,
    pcl5_at: dt.datetime | None,
    female: bool,
) -> SyntheticDose:
    esketamine = preset.route == ESKETAMINE
    start = wall_clock(rng, day, *p.DOSE_START_HOURS)
    if pcl5_at is not None and start < pcl5_at + dt.timedelta(minutes=30):
        late = pcl5_at + dt.timedelta(minutes=30)
        start = late + dt.timedelta(minutes=(-late.minute) % 5)  # the next 5-minute mark
    weight = Decimal(str(round(person.weight_kg + rng.gauss(0, p.SESSION_WEIGHT_SD_KG), 1)))
    if esketamine:
        mg = 84 if number > 1 and person.escalate_esketamine else preset.fixed_dose_mg or 56
        dose_mg = Decimal(dosing.fixed_dose(dose_mg=mg).dose_mg)
        concentration = None
        # Devices 5 min apart (label practice; illustrative, not in evidence.md).
        stop = start + dt.timedelta(minutes=5 * (int(dose_mg) // dosing.ESKETAMINE_DEVICE_MG - 1))
    else:
        assert preset.dose_mg_per_kg is not None and preset.infusion_minutes is not None
        concentration = Decimal(p.CLINIC_CONCENTRATION_MG_PER_ML)
        plan = dosing.weight_based_dose(
            weight_kg=weight,
            mg_per_kg=preset.dose_mg_per_kg,
            minutes=preset.infusion_minutes,
            concentration_mg_per_ml=concentration,
        )
        dose_mg = plan.dose_mg
        stop = start + dt.timedelta(minutes=preset.infusion_minutes + rng.randint(0, 2))
    observation = minimum_observation_minutes(
        route=preset.route,
        clinic_minutes=p.CLINIC_OBSERVATION_MINUTES,
        protocol_minutes=preset.observation_minutes,
    )
    early = number <= p.SURGE_EARLY_INFUSIONS
    surge = rng.random() < (p.SURGE_PROBABILITY_EARLY if early else p.SURGE_PROBABILITY_LATER)
    vitals = _vitals(rng, person, observation, surge)
    cadss = _cadss(rng, number)
    moaas = _moaas(rng) if esketamine else ()
    discharged = start + dt.timedelta(
        minutes=observation + rng.randrange(*p.DISCHARGE_EXTRA_MINUTES, 5) + 5
    )
    side_effects = _side_effects(rng, vitals, surge, moaas, esketamine)
    return SyntheticDose(
        number=number,
        day=offset,
        route=preset.route,
        weight_kg=weight,
        dose_mg=dose_mg,
        concentration_mg_per_ml=concentration,
        lot_number=f"{'ESK' if esketamine else 'KET'}-{day:%y%m}-{rng.choice('ABC')}",
        # Pregnancy is a usual exclusion (evidence.md section 6): women are tested each time.
        pregnancy_test="negative" if female else "na",
        suicide_risk="passive" if rng.random() < p.SUICIDE_RISK_PASSIVE_PROBABILITY else "none",
        predose_checked_at=start - dt.timedelta(minutes=10),
        started_at=start,
        stopped_at=stop,
        discharged_at=discharged,
        signed_at=discharged + dt.timedelta(minutes=rng.randrange(*p.SIGN_AFTER_MINUTES, 5)),
        vitals=vitals,
        cadss=cadss,
        moaas=moaas,
        side_effects=side_effects,
        adverse_events=_adverse_events(rng, vitals, surge, int((stop - start) / _MINUTE)),
        surge=surge,
    )


def _rise_shape(minute: int) -> float:
    """Fraction of the peak BP rise at ``minute``: linear to 40 min, then exponential decay."""
    if minute <= 0:
        return 0.0
    if minute <= p.BP_PEAK_MINUTE:
        return minute / p.BP_PEAK_MINUTE
    return math.exp(-(minute - p.BP_PEAK_MINUTE) / p.BP_DECAY_MINUTES)


def _vitals(
    rng: random.Random, person: _Person, observation: int, surge: bool
) -> tuple[SyntheticVitals, ...]:
    base_s = person.systolic + rng.gauss(0, p.SESSION_BP_SD[0])
    base_d = person.diastolic + rng.gauss(0, p.SESSION_BP_SD[1])
    base_hr = person.heart_rate + rng.gauss(0, 4)
    rise_s = max(0.0, rng.gauss(p.BP_RISE_MEAN[0], p.BP_RISE_SD[0]))
    rise_d = max(0.0, rng.gauss(p.BP_RISE_MEAN[1], p.BP_RISE_SD[1]))
    if surge:
        peak_s = max(p.SURGE_PEAK_MIN_SYSTOLIC, rng.gauss(p.SURGE_PEAK[0], p.SURGE_PEAK_SD[0]))
        rise_s = max(rise_s, peak_s - base_s)
        rise_d = max(rise_d, rng.gauss(p.SURGE_PEAK[1], p.SURGE_PEAK_SD[1]) - base_d)
    late = range(120 + p.VITALS_LATE_EVERY, observation + 1, p.VITALS_LATE_EVERY)
    rows = []
    for minute in (*p.VITALS_MINUTES, *late):
        shape = _rise_shape(minute)
        rows.append(
            SyntheticVitals(
                minute=minute,
                systolic=round(
                    min(250, base_s + rise_s * shape + rng.gauss(0, p.READING_BP_SD[0]))
                ),
                diastolic=round(
                    min(150, base_d + rise_d * shape + rng.gauss(0, p.READING_BP_SD[1]))
                ),
                heart_rate=round(base_hr + p.HEART_RATE_RISE * shape + rng.gauss(0, 3)),
                spo2=94 if rng.random() < 0.01 else rng.choice((96, 97, 97, 98, 98, 98, 99, 99)),
                respiratory_rate=rng.randint(12, 18),
            )
        )
    return tuple(rows)


def _cadss(rng: random.Random, number: int) -> tuple[tuple[int, int], ...]:
    baseline = rng.choice(p.CADSS_BASELINE_CHOICES)
    mean_rise = p.CADSS_FIRST_RISE * p.CADSS_REPEAT_FACTOR ** (number - 1)
    rise = rng.gammavariate(p.CADSS_SHAPE, mean_rise / p.CADSS_SHAPE)
    residual = 1 if rng.random() < p.CADSS_RESIDUAL_PROBABILITY else 0
    at = dict(
        zip(
            p.CADSS_MINUTES,
            (baseline, min(92, baseline + round(rise)), baseline + residual),
            strict=True,
        )
    )
    return tuple(at.items())


def _moaas(rng: random.Random) -> tuple[tuple[int, int], ...]:
    at_40 = rng.choices(list(p.MOAAS_AT_40), weights=list(p.MOAAS_AT_40.values()))[0]
    return ((-10, 5), (40, at_40), (120, 5))


def _side_effects(
    rng: random.Random,
    vitals: Sequence[SyntheticVitals],
    surge: bool,
    moaas: Sequence[tuple[int, int]],
    esketamine: bool,
) -> tuple[tuple[str, str], ...]:
    def severity() -> str:
        return "moderate" if rng.random() < p.MODERATE_SIDE_EFFECT_SHARE else "mild"

    found = {
        code: severity()
        for code, rate in p.SIDE_EFFECT_RATES.items()
        if code != "vomiting" and rng.random() < rate
    }
    if "nausea" in found and rng.random() < p.SIDE_EFFECT_RATES["vomiting"]:
        found["vomiting"] = severity()
    sedated = any(score < 5 for _minute, score in moaas)
    if (esketamine and sedated) or (not esketamine and rng.random() < p.SEDATION_SIDE_EFFECT_RATE):
        found["sedation"] = severity()
    if surge:
        found["raised_bp"] = "moderate"
    elif max(v.systolic for v in vitals) - vitals[0].systolic >= 30:
        found["raised_bp"] = "mild"
    return tuple(found.items())


_EVENTS = (
    ("Nausea and vomiting in recovery", "moderate", "medication", 55, "ondansetron 4 mg IV"),
    ("Anxiety and a racing heart early in the infusion; reassured, infusion paused 5 minutes",
     "mild", "paused", 15, ""),
    ("Distressing dissociation; infusion rate reduced, settled within 20 minutes", "moderate",
     "rate_reduced", 30, ""),
    ("Headache in recovery", "mild", "medication", 70, "paracetamol 1 g by mouth"),
    ("Unsteady on standing at discharge check; observed a further 30 minutes", "mild", "none",
     None, ""),
)  # fmt: skip


def _adverse_events(
    rng: random.Random, vitals: Sequence[SyntheticVitals], surge: bool, stop_minute: int
) -> tuple[SyntheticAdverseEvent, ...]:
    events = []
    if surge:
        peak = max(vitals, key=lambda v: v.systolic)
        # Paused if the BP was already high while the drug was still running (default
        # pause level 180/100, evidence.md section 6); otherwise watched until it settled.
        high = [
            v.minute for v in vitals if v.minute >= 0 and (v.systolic >= 180 or v.diastolic >= 100)
        ]
        during = bool(high) and min(high) < stop_minute
        action = "paused" if during else "none"
        what = (
            "infusion paused until it settled, then completed"
            if during
            else "repeat readings until it settled"
        )
        events.append(
            SyntheticAdverseEvent(
                f"Blood pressure rose to {peak.systolic}/{peak.diastolic} at {peak.minute} min; "
                + what,
                "moderate",
                action,
                min(high) if high else peak.minute,
                "",
            )
        )
    if rng.random() < p.ADVERSE_EVENT_PROBABILITY:
        events.append(SyntheticAdverseEvent(*rng.choice(_EVENTS)))
    return tuple(events)


# --- the course's status --------------------------------------------------------------------------


def _course_status(
    rng: random.Random,
    doses: Sequence[SyntheticDose],
    planned: Sequence[dt.date],
    day0: dt.date,
    today: dt.date,
    dropout_day: int | None,
    care_status: str,
) -> tuple[str, str, dt.datetime | None]:
    if len(doses) == len(planned):
        return "completed", "", doses[-1].signed_at
    stopped = dropout_day is not None and day0 + dt.timedelta(days=dropout_day) <= today
    if not stopped:
        return "active", "", None
    assert dropout_day is not None
    on = min(day0 + dt.timedelta(days=dropout_day), today - dt.timedelta(days=1))
    at = wall_clock(rng, on, 9, 17)
    given = f"after session {doses[-1].number}" if doses else "before the first dose"
    if care_status == "paused":
        return "paused", f"Missed the planned session {given}; paused while we reach them.", at
    return "ended_early", f"Stopped attending {given}; did not wish to continue.", at
