"""Threshold alerts, discharge and REMS rules (Django-free, ``treatment.safety``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from afterglow.treatment.safety import (
    REMS_OBSERVATION_MINUTES,
    SIDE_EFFECTS,
    Thresholds,
    cadss_times,
    discharge_problems,
    evaluate_reading,
    minimum_observation_minutes,
    rems_problems,
)

DEFAULTS = Thresholds()


@dataclass
class Row:
    minute: int = 40
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None


def codes(row: Row, phase: str = "during", thresholds: Thresholds = DEFAULTS) -> list[str]:
    return [a.code for a in evaluate_reading(row, phase=phase, thresholds=thresholds)]  # type: ignore[arg-type]


def test_the_defaults_are_the_clinic_defaults() -> None:
    from afterglow.accounts.models import Clinic

    assert Thresholds.from_clinic(Clinic()) == DEFAULTS
    assert (DEFAULTS.systolic_pause, DEFAULTS.diastolic_pause) == (180, 100)
    assert (DEFAULTS.predose_systolic_reassess, DEFAULTS.predose_diastolic_reassess) == (140, 90)


# --- during the dose: BP at or above 180/100 asks to pause ---


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (179, 99, []),  # just under both
        (180, 80, ["bp_pause"]),  # systolic exactly at the level
        (150, 100, ["bp_pause"]),  # diastolic exactly at the level
        (185, 105, ["bp_pause"]),  # both over: still one BP alert
        (None, 101, ["bp_pause"]),  # a diastolic alone can cross
        (None, None, []),  # nothing measured, nothing crossed
    ],
)
def test_bp_during_dosing_at_the_default_pause_level(systolic, diastolic, expected) -> None:
    assert codes(Row(systolic=systolic, diastolic=diastolic)) == expected


def test_spo2_pauses_below_its_level_and_heart_rate_above_its_level() -> None:
    assert codes(Row(spo2=92)) == []  # "below 92": 92 itself is fine
    assert codes(Row(spo2=91)) == ["spo2_pause"]
    assert codes(Row(heart_rate=120)) == []  # "above 120": 120 itself is fine
    assert codes(Row(heart_rate=121)) == ["hr_pause"]
    assert codes(Row(respiratory_rate=4)) == []  # no clinic threshold for respiration


def test_every_crossed_threshold_is_its_own_alert_at_level_pause() -> None:
    alerts = evaluate_reading(
        Row(systolic=190, diastolic=110, heart_rate=130, spo2=88),
        phase="during",
        thresholds=DEFAULTS,
    )
    assert [(a.code, a.level) for a in alerts] == [
        ("bp_pause", "pause"),
        ("spo2_pause", "pause"),
        ("hr_pause", "pause"),
    ]


def test_the_message_gives_the_value_the_threshold_and_its_source() -> None:
    (alert,) = evaluate_reading(
        Row(minute=40, systolic=182, diastolic=96), phase="during", thresholds=DEFAULTS
    )
    assert alert.message.startswith(
        "BP 182/96 at 40 min is at or above the pause level 180/100 (clinic setting)"
    )


def test_recovery_readings_use_the_pause_levels_too() -> None:
    assert codes(Row(minute=90, systolic=181), phase="post") == ["bp_pause"]
    assert codes(Row(minute=90, systolic=170), phase="post") == []


# --- before the dose: BP at or above 140/90 asks for reassessment ---


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (139, 89, []),
        (140, 70, ["predose_bp"]),
        (120, 90, ["predose_bp"]),
        (150, 95, ["predose_bp"]),
    ],
)
def test_predose_bp_at_the_default_reassessment_level(systolic, diastolic, expected) -> None:
    assert codes(Row(minute=-5, systolic=systolic, diastolic=diastolic), phase="pre") == expected


def test_predose_alerts_ask_to_reassess_not_to_pause() -> None:
    alerts = evaluate_reading(
        Row(minute=-5, systolic=150, diastolic=92, spo2=90, heart_rate=125),
        phase="pre",
        thresholds=DEFAULTS,
    )
    assert [(a.code, a.level) for a in alerts] == [
        ("predose_bp", "reassess"),
        ("predose_spo2", "reassess"),
        ("predose_hr", "reassess"),
    ]
    assert alerts[0].message.startswith(
        "Pre-dose BP 150/92 is at or above the reassessment level 140/90 (clinic setting)"
    )


def test_a_pre_dose_bp_between_the_two_levels_only_asks_for_reassessment_before_the_dose() -> None:
    row = Row(systolic=160, diastolic=95)
    assert codes(row, phase="pre") == ["predose_bp"]
    assert codes(row, phase="during") == []


def test_custom_clinic_thresholds_move_the_boundaries() -> None:
    strict = Thresholds(
        predose_systolic_reassess=130,
        predose_diastolic_reassess=85,
        systolic_pause=160,
        diastolic_pause=95,
        spo2_pause_below=94,
        heart_rate_pause_above=110,
    )
    assert codes(Row(systolic=159, diastolic=94), thresholds=strict) == []
    assert codes(Row(systolic=160), thresholds=strict) == ["bp_pause"]
    assert codes(Row(diastolic=95), thresholds=strict) == ["bp_pause"]
    assert codes(Row(spo2=93), thresholds=strict) == ["spo2_pause"]
    assert codes(Row(heart_rate=111), thresholds=strict) == ["hr_pause"]
    assert codes(Row(systolic=130), phase="pre", thresholds=strict) == ["predose_bp"]
    (alert,) = evaluate_reading(
        Row(minute=20, systolic=165, diastolic=90), phase="during", thresholds=strict
    )
    assert "pause level 160/95" in alert.message


def test_an_unknown_phase_is_refused() -> None:
    with pytest.raises(ValueError, match="phase"):
        evaluate_reading(Row(), phase="later", thresholds=DEFAULTS)  # type: ignore[arg-type]


def test_the_side_effect_checklist_has_the_issues_items_once_each() -> None:
    codes_ = [code for code, _ in SIDE_EFFECTS]
    assert len(codes_) == len(set(codes_))
    for code in ("nausea", "vomiting", "headache", "dizziness", "anxiety", "raised_bp", "other"):
        assert code in codes_
    assert dict(SIDE_EFFECTS)["raised_bp"] == "Raised blood pressure"


# --- discharge ---

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def discharge(**changes) -> list[str]:
    facts = {
        "route": "iv",
        "started_at": START,
        "discharged_at": START + dt.timedelta(minutes=120),
        "clinic_observation_minutes": 120,
        "protocol_observation_minutes": None,
        "vitals_near_baseline": True,
        "alert_and_oriented": True,
        "escort_present": True,
        **changes,
    }
    return discharge_problems(**facts)


def test_discharge_at_exactly_the_observation_time_is_fine() -> None:
    assert discharge() == []


def test_discharge_one_minute_early_is_a_problem_that_says_why() -> None:
    (problem,) = discharge(discharged_at=START + dt.timedelta(minutes=119))
    assert problem.startswith("Observed 119 min since the dose started; 120 min are needed")


def test_esketamine_needs_120_min_even_when_the_clinic_sets_60() -> None:
    assert (
        discharge(clinic_observation_minutes=60, discharged_at=START + dt.timedelta(minutes=60))
        == []
    )
    problems = discharge(
        route="intranasal",
        clinic_observation_minutes=60,
        discharged_at=START + dt.timedelta(minutes=90),
    )
    assert problems == [
        "Observed 90 min since the dose started; 120 min are needed (the longest of: clinic "
        "setting 60 min, esketamine REMS 120 min)."
    ]
    assert minimum_observation_minutes(route="intranasal", clinic_minutes=60) == 120
    assert REMS_OBSERVATION_MINUTES == 120


def test_the_longest_of_clinic_protocol_and_rems_applies() -> None:
    assert minimum_observation_minutes(route="iv", clinic_minutes=120, protocol_minutes=240) == 240
    assert minimum_observation_minutes(route="intranasal", clinic_minutes=180) == 180
    assert discharge(protocol_observation_minutes=240)[0].startswith("Observed 120 min")


def test_each_unconfirmed_discharge_check_is_listed() -> None:
    problems = discharge(vitals_near_baseline=False, alert_and_oriented=False, escort_present=False)
    assert problems == [
        "Vitals back near baseline is not confirmed.",
        "Alert and oriented is not confirmed.",
        "No escort is confirmed present to take the patient home.",
    ]


def test_observation_is_unknown_without_a_start_or_a_discharge_time() -> None:
    assert discharge(started_at=None)[0].startswith("No dose start time")
    assert discharge(discharged_at=None) == ["No discharge time is recorded."]


# --- REMS ---

ALL_REMS = {
    "rems_bp_before": True,
    "rems_bp_40_min": True,
    "rems_pulse_oximetry": True,
    "rems_clinically_stable": True,
    "rems_form_submitted": True,
}


def test_complete_rems_monitoring_has_no_problem() -> None:
    assert rems_problems(**ALL_REMS) == []
    assert rems_problems(**ALL_REMS, bp_minutes=[-5, 40], spo2_minutes=[40]) == []


@pytest.mark.parametrize("missing", sorted(ALL_REMS))
def test_each_missing_rems_field_is_named(missing: str) -> None:
    (problem,) = rems_problems(**{**ALL_REMS, missing: False})
    assert problem.startswith("REMS: ") and problem.endswith("is not confirmed.")


def test_a_ticked_rems_box_needs_the_reading_behind_it() -> None:
    problems = rems_problems(**ALL_REMS, bp_minutes=[10, 20, 60], spo2_minutes=[])
    assert problems == [
        "REMS: no blood pressure reading before the dose is recorded.",
        "REMS: no blood pressure reading at 30-50 min is recorded.",
        "REMS: no SpO2 reading is recorded.",
    ]


def test_cadss_is_rated_at_baseline_the_end_of_the_dose_and_two_hours() -> None:
    assert cadss_times(infusion_minutes=40) == (-5, 40, 120)
    assert cadss_times(infusion_minutes=None) == (-5, 40, 120)  # esketamine: no infusion
    assert cadss_times(infusion_minutes=100) == (-5, 100, 120)


# --- vitals minutes and the stop time (issue 9 section 5) ----------------------------------------


def test_a_vitals_minute_may_run_5_minutes_ahead_of_the_clock_and_no_more() -> None:
    from afterglow.treatment.safety import vitals_minute_problem

    assert vitals_minute_problem(minute=35, elapsed_minutes=30) == ""
    assert vitals_minute_problem(minute=-10, elapsed_minutes=0.5) == ""
    assert vitals_minute_problem(minute=36, elapsed_minutes=31) == ""
    assert vitals_minute_problem(minute=36, elapsed_minutes=30.9) != ""
    assert vitals_minute_problem(minute=36, elapsed_minutes=30) == (
        "Minute 36 has not happened yet: the dose started 30 min ago. Check the minute."
    )


def test_a_stop_before_readings_marked_during_is_a_warning() -> None:
    from afterglow.treatment.safety import stop_before_during_readings

    assert stop_before_during_readings(stop_minute=40, during_minutes=[10, 20, 40]) == ""
    warning = stop_before_during_readings(stop_minute=30, during_minutes=[50, 10, 40])
    assert "This stop time (30 min)" in warning and "(at 40, 50 min)" in warning
