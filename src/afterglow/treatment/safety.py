"""Chair-side safety rules for a dosing session: thresholds, side effects, discharge, REMS.

Django-free on purpose, like :mod:`afterglow.treatment.dosing`: the session
services, the session page and the tests all ask these functions, so an alert
on the screen and the row stored for it always agree.

Afterglow supports the decision; it does not make it. Every number here is a
clinic setting (``accounts.Clinic``) passed in through :class:`Thresholds`,
except the esketamine REMS observation minimum, which is a regulatory floor.

Sources (shared ``evidence.md`` section 6):

- **BP before dosing** — the esketamine label advises considering a delay when
  baseline BP is elevated (>140/90, text truncated in the source); the APA
  consensus (Sanacora et al. JAMA Psychiatry 2017) asks for a cardiovascular
  review, its numbers are UNCONFIRMED. Default reassessment level 140/90.
- **BP during dosing** — "stop if >180/100" is commonly quoted but UNCONFIRMED
  in a primary source; Yip et al. 2022 argue such rules are overly aggressive.
  Default pause level 180/100. For context: in 2342 infusions systolic and
  diastolic BP peaked at 40 min, mean +16.0/+11.0 mmHg, and severe hypertension
  occurred in 0.98 % of sessions (Gen Hosp Psychiatry 2024) — see
  :data:`EXPECTED_BP_PEAK`.
- **SpO2 and heart rate** — pulse oximetry is required by the esketamine REMS and
  trials monitored HR every 10 min (NCT02727998), but evidence.md gives no
  numbers: the defaults (pause below 92 %, above 120/min) are UNCONFIRMED and
  the clinic sets its own.
- **Observation** — at least 2 h after esketamine, until clinically stable
  (Spravato REMS); trials kept IV patients ~3 h (Albott 2018) to 4 h (Feder
  2021) and discharged them with a responsible adult.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = [
    "CADSS_SETTLED_MINUTE",
    "ESKETAMINE_ROUTE",
    "EXPECTED_BP_PEAK",
    "REMS_FIELDS",
    "REMS_OBSERVATION_MINUTES",
    "SIDE_EFFECTS",
    "SIDE_EFFECT_LABELS",
    "AlertSpec",
    "ExpectedPeak",
    "Level",
    "Phase",
    "Reading",
    "Thresholds",
    "cadss_times",
    "discharge_problems",
    "evaluate_reading",
    "minimum_observation_minutes",
    "rems_problems",
]

Level = Literal["reassess", "pause"]
Phase = Literal["pre", "during", "post"]

#: The route value of esketamine nasal spray (``treatment.models.Route.INTRANASAL``).
ESKETAMINE_ROUTE = "intranasal"
#: Spravato REMS: monitor for at least 2 hours after each dose (evidence.md section 6).
REMS_OBSERVATION_MINUTES = 120


@dataclass(frozen=True)
class ExpectedPeak:
    """Where the usual post-dose BP rise peaks, for context on the chart (not a threshold)."""

    minute: int
    systolic_rise: float
    diastolic_rise: float
    source: str


#: Yale chart review, 138 patients / 2342 infusions: SBP and DBP peak at 40 min, mean
#: +16.0 / +11.0 mmHg (Gen Hosp Psychiatry 2024, doi 10.1016/j.genhosppsych.2024.07.001).
EXPECTED_BP_PEAK = ExpectedPeak(
    minute=40,
    systolic_rise=16.0,
    diastolic_rise=11.0,
    source="Gen Hosp Psychiatry 2024 (2342 infusions): BP peaks ~40 min in, mean +16/+11 mmHg",
)


@dataclass(frozen=True)
class Thresholds:
    """A clinic's safety thresholds (``accounts.Clinic`` fields of the same meaning).

    BP levels are "at or above" (a reading of exactly 180/100 asks to pause);
    SpO2 pauses *below* its level and heart rate *above* its level, as the clinic
    settings are named. ``source`` is how a message names where the numbers come
    from.
    """

    predose_systolic_reassess: int = 140
    predose_diastolic_reassess: int = 90
    systolic_pause: int = 180
    diastolic_pause: int = 100
    spo2_pause_below: int = 92
    heart_rate_pause_above: int = 120
    observation_minutes: int = 120
    source: str = "clinic setting"

    @classmethod
    def from_clinic(cls, clinic: Any) -> Thresholds:
        """Read the thresholds off anything with the ``accounts.Clinic`` attributes."""
        return cls(
            predose_systolic_reassess=clinic.predose_systolic_reassess,
            predose_diastolic_reassess=clinic.predose_diastolic_reassess,
            systolic_pause=clinic.dosing_systolic_pause,
            diastolic_pause=clinic.dosing_diastolic_pause,
            spo2_pause_below=clinic.dosing_spo2_pause_below,
            heart_rate_pause_above=clinic.dosing_heart_rate_pause_above,
            observation_minutes=clinic.observation_minutes,
        )


class Reading(Protocol):
    """One vitals time point; ``treatment.models.VitalsReading`` fits, as does any
    object with these attributes. Missing values are ``None`` and never alert."""

    @property
    def minute(self) -> int: ...
    @property
    def systolic(self) -> int | None: ...
    @property
    def diastolic(self) -> int | None: ...
    @property
    def heart_rate(self) -> int | None: ...
    @property
    def spo2(self) -> int | None: ...


@dataclass(frozen=True)
class AlertSpec:
    """An alert to show at once and store: ``code`` is stable, ``message`` is for people."""

    code: str
    level: Level
    message: str


def evaluate_reading(reading: Reading, *, phase: Phase, thresholds: Thresholds) -> list[AlertSpec]:
    """Every threshold this reading crosses, as alerts (empty when none).

    Rules (thresholds are the clinic's, sources in the module docstring):

    - **pre-dose** (``phase="pre"``): systolic >= the reassessment level *or*
      diastolic >= its level -> one ``predose_bp`` alert, level ``reassess``.
      SpO2 below or heart rate above the dosing pause levels before the dose
      also ask for reassessment (``predose_spo2``, ``predose_hr``): a dose has not
      started, so there is nothing to pause.
    - **during and after the dose** (``"during"``, ``"post"``): systolic >= the
      pause level *or* diastolic >= its level -> ``bp_pause``; SpO2 < its level ->
      ``spo2_pause``; heart rate > its level -> ``hr_pause``; all level ``pause``.

    One BP alert per reading whichever of the two numbers crossed, so 185/105 is
    one alert, not two. A value left empty is not a normal value; it just
    cannot cross anything. Respiratory rate has no clinic threshold and never
    alerts.
    """
    if phase not in ("pre", "during", "post"):
        raise ValueError(f"phase must be 'pre', 'during' or 'post', got {phase!r}")
    t = thresholds
    before = phase == "pre"
    where = "" if before else f" at {reading.minute} min"
    level: Level = "reassess" if before else "pause"
    advice = (
        "reassess before dosing"
        if before
        else ("consider pausing" if phase == "during" else "keep observing")
    )
    alerts: list[AlertSpec] = []
    systolic, diastolic = (
        (t.predose_systolic_reassess, t.predose_diastolic_reassess)
        if before
        else (t.systolic_pause, t.diastolic_pause)
    )
    if (reading.systolic is not None and reading.systolic >= systolic) or (
        reading.diastolic is not None and reading.diastolic >= diastolic
    ):
        bp = f"{_value(reading.systolic)}/{_value(reading.diastolic)}"
        alerts.append(
            AlertSpec(
                "predose_bp" if before else "bp_pause",
                level,
                f"{'Pre-dose BP' if before else 'BP'} {bp}{where} is at or above the "
                f"{'reassessment' if before else 'pause'} level {systolic}/{diastolic} "
                f"({t.source}): {advice}.",
            )
        )
    if reading.spo2 is not None and reading.spo2 < t.spo2_pause_below:
        alerts.append(
            AlertSpec(
                "predose_spo2" if before else "spo2_pause",
                level,
                f"SpO2 {reading.spo2}%{where} is below the pause level "
                f"{t.spo2_pause_below}% ({t.source}): {advice}.",
            )
        )
    if reading.heart_rate is not None and reading.heart_rate > t.heart_rate_pause_above:
        alerts.append(
            AlertSpec(
                "predose_hr" if before else "hr_pause",
                level,
                f"Heart rate {reading.heart_rate}/min{where} is above the pause level "
                f"{t.heart_rate_pause_above}/min ({t.source}): {advice}.",
            )
        )
    return alerts


def _value(number: int | None) -> str:
    return "—" if number is None else str(number)


# --- dissociation ratings ------------------------------------------------------------------------

#: Minutes after the dose start at which dissociation has settled (evidence.md section 3:
#: at 0.5 mg/kg over 40 min it starts soon after the infusion begins and settles about
#: 120 min later; Abdallah 2022: back to baseline within 2 h).
CADSS_SETTLED_MINUTE = 120


def cadss_times(*, infusion_minutes: int | None) -> tuple[int, ...]:
    """The set times for a CADSS rating, in minutes from the dose start.

    Baseline just before the dose (-5), the end of the infusion (its length, or
    40 min, the esketamine BP check and the usual infusion time, when there is
    no infusion) and 120 min, when dissociation has usually settled. Trials
    rated at baseline, during or at the end of the infusion, and after it
    (evidence.md section 3).
    """
    end = infusion_minutes or EXPECTED_BP_PEAK.minute
    return tuple(sorted({-5, end, CADSS_SETTLED_MINUTE}))


# --- side effects --------------------------------------------------------------------------------

#: The chair-side checklist (code, label). Codes are stored on ``SideEffect.code``; never
#: rename one, add a new code instead. The list follows the common ketamine/esketamine
#: effects (Spravato PI: dissociation, sedation, nausea, dizziness, raised BP; evidence.md 3, 6).
SIDE_EFFECTS: tuple[tuple[str, str], ...] = (
    ("nausea", "Nausea"),
    ("vomiting", "Vomiting"),
    ("headache", "Headache"),
    ("dizziness", "Dizziness"),
    ("anxiety", "Anxiety"),
    ("raised_bp", "Raised blood pressure"),
    ("dissociation_distress", "Distressing dissociation"),
    ("sedation", "Sedation / drowsiness"),
    ("blurred_vision", "Blurred or double vision"),
    ("numbness", "Numbness or tingling"),
    ("other", "Other (say what below)"),
)
SIDE_EFFECT_LABELS: dict[str, str] = dict(SIDE_EFFECTS)


# --- discharge and REMS --------------------------------------------------------------------------


def minimum_observation_minutes(
    *, route: str, clinic_minutes: int, protocol_minutes: int | None = None
) -> int:
    """The observation a discharge needs, in minutes from the dose start.

    The longest of the clinic's setting, the protocol's own (Feder 2021 kept
    patients 4 h; ``None`` when its source states none) and, for esketamine,
    the REMS minimum of 120 min — which a clinic setting cannot lower.
    """
    minutes = [clinic_minutes]
    if protocol_minutes:
        minutes.append(protocol_minutes)
    if route == ESKETAMINE_ROUTE:
        minutes.append(REMS_OBSERVATION_MINUTES)
    return max(minutes)


def discharge_problems(
    *,
    route: str,
    started_at: dt.datetime | None,
    discharged_at: dt.datetime | None,
    clinic_observation_minutes: int,
    protocol_observation_minutes: int | None = None,
    vitals_near_baseline: bool,
    alert_and_oriented: bool,
    escort_present: bool,
    observation_overridden: bool = False,
) -> list[str]:
    """Why this patient may not leave yet, one sentence each (empty when they may).

    ``observation_overridden`` (a prescriber authorised leaving early, with a reason)
    drops the observation-time check only; the other checks still stand.

    - observation: ``discharged_at - started_at`` (the dose start, not the
      infusion end) must reach :func:`minimum_observation_minutes`;
    - vitals back near baseline, confirmed by the nurse (after the BP rise
      settles, as in the Emory series: evidence.md section 6);
    - alert and oriented ("until clinically stable", Spravato REMS);
    - a responsible adult to take them home (Feder 2021 registry; no driving
      until the next day after restful sleep).
    """
    problems: list[str] = []
    needed = minimum_observation_minutes(
        route=route,
        clinic_minutes=clinic_observation_minutes,
        protocol_minutes=protocol_observation_minutes,
    )
    basis = [f"clinic setting {clinic_observation_minutes} min"]
    if protocol_observation_minutes:
        basis.append(f"protocol {protocol_observation_minutes} min")
    if route == ESKETAMINE_ROUTE:
        basis.append(f"esketamine REMS {REMS_OBSERVATION_MINUTES} min")
    if started_at is None:
        problems.append("No dose start time is recorded, so the observation time is unknown.")
    elif discharged_at is None:
        problems.append("No discharge time is recorded.")
    elif not observation_overridden:
        observed = (discharged_at - started_at).total_seconds() / 60
        if observed < needed:
            problems.append(
                f"Observed {int(observed)} min since the dose started; {needed} min are needed "
                f"(the longest of: {', '.join(basis)})."
            )
    if not vitals_near_baseline:
        problems.append("Vitals back near baseline is not confirmed.")
    if not alert_and_oriented:
        problems.append("Alert and oriented is not confirmed.")
    if not escort_present:
        problems.append("No escort is confirmed present to take the patient home.")
    return problems


#: Spravato REMS monitoring items (evidence.md section 6), as ``DosingSession`` fields.
REMS_FIELDS: tuple[tuple[str, str], ...] = (
    ("rems_bp_before", "Blood pressure taken before the dose"),
    ("rems_bp_40_min", "Blood pressure taken about 40 minutes after the dose"),
    ("rems_pulse_oximetry", "Respiratory status checked, including pulse oximetry"),
    ("rems_clinically_stable", "Monitored until clinically stable (at least 2 h)"),
    ("rems_form_submitted", "REMS Patient Monitoring Form submitted (due within 7 days)"),
)


def rems_problems(
    *,
    rems_bp_before: bool,
    rems_bp_40_min: bool,
    rems_pulse_oximetry: bool,
    rems_clinically_stable: bool,
    rems_form_submitted: bool,
    bp_minutes: Iterable[int] | None = None,
    spo2_minutes: Iterable[int] | None = None,
) -> list[str]:
    """Each Spravato REMS monitoring item that is not complete (empty when all are).

    The REMS asks for BP before dosing and about 40 min after, pulse oximetry,
    monitoring for at least 2 h until clinically stable, and the Patient
    Monitoring Form within 7 days (spravatohcp.com; Spravato PI). When the
    minutes of the session's BP and SpO2 readings are given, a ticked box with
    no reading behind it is a problem too: the record must show the check, not
    only claim it. "About 40 min" accepts a BP reading at 30-50 min.
    """
    ticked = {
        "rems_bp_before": rems_bp_before,
        "rems_bp_40_min": rems_bp_40_min,
        "rems_pulse_oximetry": rems_pulse_oximetry,
        "rems_clinically_stable": rems_clinically_stable,
        "rems_form_submitted": rems_form_submitted,
    }
    problems = [
        f"REMS: {label} is not confirmed." for name, label in REMS_FIELDS if not ticked[name]
    ]
    if bp_minutes is not None:
        minutes = list(bp_minutes)
        if rems_bp_before and not any(m < 0 for m in minutes):
            problems.append("REMS: no blood pressure reading before the dose is recorded.")
        if rems_bp_40_min and not any(30 <= m <= 50 for m in minutes):
            problems.append("REMS: no blood pressure reading at 30-50 min is recorded.")
    if spo2_minutes is not None and rems_pulse_oximetry and not list(spo2_minutes):
        problems.append("REMS: no SpO2 reading is recorded.")
    return problems


#: A vitals minute may run this far ahead of the clock (a reading rounded up, a fast tablet).
VITALS_MINUTE_SLACK = 5


def vitals_minute_problem(*, minute: int, elapsed_minutes: float) -> str:
    """Why a vitals row at ``minute`` after the dose start cannot have been taken yet, or "".

    A reading later than the time elapsed since the dose started plus
    :data:`VITALS_MINUTE_SLACK` minutes is in the future: usually a typo (40
    typed for 4) or a row entered for the wrong session.
    """
    if minute <= elapsed_minutes + VITALS_MINUTE_SLACK:
        return ""
    return (
        f"Minute {minute} has not happened yet: the dose started {int(elapsed_minutes)} min ago. "
        "Check the minute."
    )


def stop_before_during_readings(*, stop_minute: int, during_minutes: list[int]) -> str:
    """A warning when a stop time falls before readings already marked "during", or "".

    Those readings become recovery readings; the page asks the nurse to confirm.
    """
    later = sorted(m for m in during_minutes if m > stop_minute)
    if not later:
        return ""
    shown = ", ".join(str(m) for m in later)
    return (
        f"This stop time ({stop_minute} min) is earlier than readings recorded during the dose "
        f"(at {shown} min); they would become recovery readings. Tick to confirm the stop time."
    )
