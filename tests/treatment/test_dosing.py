"""Dose arithmetic: hand-worked infusions, the clinic cap, esketamine devices and the limits.

Every expected number below is worked out by hand in the comment above it;
rounding is half-up to 0.1 mg, 0.1 mL, 0.01 mg/min and 0.1 mL/h, each from the
rounded value before it (see ``afterglow.treatment.dosing``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from afterglow.treatment.dosing import (
    DoseInputError,
    DosePlan,
    Guardrails,
    dose_deviation,
    fixed_dose,
    guardrail_warnings,
    weight_based_dose,
    within_range,
)

STANDARD = {"weight_kg": 70, "mg_per_kg": 0.5, "minutes": 40, "concentration_mg_per_ml": 10}


def plan(**changes: Any) -> DosePlan:
    return weight_based_dose(**{**STANDARD, **changes})


# --- hand-worked infusions -----------------------------------------------------------------------


def test_the_standard_dose_for_a_70_kg_patient() -> None:
    # 70 kg x 0.5 mg/kg = 35.0 mg; 35.0 mg / 10 mg/mL = 3.5 mL;
    # 35.0 mg / 40 min = 0.875 -> 0.88 mg/min; 3.5 mL / 40 min x 60 = 5.25 -> 5.3 mL/h.
    result = plan()

    assert result.dose_mg == Decimal("35.0")
    assert result.volume_ml == Decimal("3.5")
    assert result.rate_mg_per_min == Decimal("0.88")
    assert result.rate_ml_per_hour == Decimal("5.3")
    assert result.capped is False
    assert result.uncapped_dose_mg == Decimal("35.0")
    assert result.mg_per_kg_effective == Decimal("0.500")
    assert result.delivered_dose_mg == Decimal("35.0")


def test_the_low_dose_for_an_82_4_kg_patient_is_rounded_as_a_nurse_sets_it() -> None:
    # 82.4 kg x 0.2 mg/kg = 16.48 -> 16.5 mg; 16.5 / 10 = 1.65 -> 1.7 mL (so 17.0 mg delivered);
    # 16.5 / 40 = 0.4125 -> 0.41 mg/min; 1.7 / 40 x 60 = 2.55 -> 2.6 mL/h.
    result = plan(weight_kg=82.4, mg_per_kg=0.2)

    assert (result.dose_mg, result.volume_ml) == (Decimal("16.5"), Decimal("1.7"))
    assert (result.rate_mg_per_min, result.rate_ml_per_hour) == (Decimal("0.41"), Decimal("2.6"))
    assert result.delivered_dose_mg == Decimal("17.0")
    assert result.mg_per_kg_effective == Decimal("0.200")  # 16.5 / 82.4 = 0.20024...


def test_a_half_way_dose_rounds_up_without_float_artefacts() -> None:
    # 70.1 kg x 0.5 mg/kg = 35.05 -> 35.1 mg. In binary floating point 70.1 is stored as
    # 70.09999..., so rounding the float product gives 35.0.
    assert round(70.1 * 0.5, 1) == 35.0
    assert plan(weight_kg=70.1).dose_mg == Decimal("35.1")
    # Python's round() also rounds half to even: 5.25 mL/h would show as 5.2, not 5.3.
    assert round(5.25, 1) == 5.2
    assert plan().rate_ml_per_hour == Decimal("5.3")


def test_a_diluted_bag_gives_a_large_volume_and_a_fast_rate() -> None:
    # 35.0 mg at 0.35 mg/mL (35 mg in 100 mL) = 100.0 mL; 100.0 / 40 x 60 = 150.0 mL/h.
    result = plan(concentration_mg_per_ml=Decimal("0.35"))

    assert (result.volume_ml, result.rate_ml_per_hour) == (Decimal("100.0"), Decimal("150.0"))


def test_decimal_and_float_inputs_give_the_same_plan() -> None:
    as_decimals = {key: Decimal(str(value)) for key, value in STANDARD.items()}

    assert weight_based_dose(**as_decimals) == plan()


def test_to_dict_gives_json_numbers() -> None:
    data = plan().to_dict()

    assert data["dose_mg"] == 35.0
    assert data["rate_mg_per_min"] == 0.88
    assert data["rate_ml_per_hour"] == 5.3
    assert data["capped"] is False
    assert data["max_dose_mg"] is None


# --- the clinic's maximum dose -------------------------------------------------------------------


def test_a_dose_above_the_clinic_cap_is_limited_to_the_cap() -> None:
    # 150 kg x 0.5 mg/kg = 75.0 mg > 60 mg cap -> 60.0 mg = 0.4 mg/kg; at 1 mg/mL 60.0 mL;
    # 60.0 / 40 = 1.5 mg/min; 60.0 / 40 x 60 = 90.0 mL/h.
    result = plan(weight_kg=150, concentration_mg_per_ml=1, max_dose_mg=60)

    assert result.capped is True
    assert (result.uncapped_dose_mg, result.dose_mg) == (Decimal("75.0"), Decimal("60.0"))
    assert result.mg_per_kg_effective == Decimal("0.400")
    assert result.volume_ml == Decimal("60.0")
    assert (result.rate_mg_per_min, result.rate_ml_per_hour) == (Decimal("1.50"), Decimal("90.0"))


def test_a_cap_between_steps_is_rounded_down_never_above_it() -> None:
    # A 60.05 mg cap would round half-up to 60.1, above the cap; it is set to 60.0.
    assert plan(weight_kg=150, max_dose_mg=Decimal("60.05")).dose_mg == Decimal("60.0")


def test_a_dose_at_or_below_the_cap_is_unchanged() -> None:
    assert plan(max_dose_mg=35).capped is False
    assert plan(max_dose_mg=35).dose_mg == Decimal("35.0")


# --- implausible input ---------------------------------------------------------------------------

REFUSED = {
    "weight 12 kg": ({"weight_kg": 12}, "weight_kg", "must be between 20 and 350 kg, got 12"),
    "weight 19.9 kg": ({"weight_kg": 19.9}, "weight_kg", "got 19.9"),
    "weight 350.1 kg": ({"weight_kg": 350.1}, "weight_kg", "got 350.1"),
    "weight zero": ({"weight_kg": 0}, "weight_kg", "got 0"),
    "weight negative": ({"weight_kg": -70}, "weight_kg", "got -70"),
    "weight NaN": ({"weight_kg": math.nan}, "weight_kg", "must be a finite number"),
    "weight infinite": ({"weight_kg": math.inf}, "weight_kg", "must be a finite number"),
    "weight Decimal NaN": ({"weight_kg": Decimal("NaN")}, "weight_kg", "must be a finite number"),
    "weight as text": ({"weight_kg": "70"}, "weight_kg", "must be a number, got '70'"),
    "weight True": ({"weight_kg": True}, "weight_kg", "must be a number, got True"),
    "mg/kg zero": ({"mg_per_kg": 0}, "mg_per_kg", "must be greater than 0, got 0"),
    "mg/kg negative": ({"mg_per_kg": -0.5}, "mg_per_kg", "must be greater than 0, got -0.5"),
    "mg/kg above 2": ({"mg_per_kg": 2.01}, "mg_per_kg", "must be at most 2 mg/kg, got 2.01"),
    "mg/kg NaN": ({"mg_per_kg": math.nan}, "mg_per_kg", "must be a finite number"),
    "minutes zero": ({"minutes": 0}, "minutes", "must be between 1 and 240 minutes, got 0"),
    "minutes half": ({"minutes": 0.5}, "minutes", "got 0.5"),
    "minutes 241": ({"minutes": 241}, "minutes", "got 241"),
    "minutes infinite": ({"minutes": -math.inf}, "minutes", "must be a finite number"),
    "concentration zero": ({"concentration_mg_per_ml": 0}, "concentration_mg_per_ml", "got 0"),
    "concentration 0.05": (
        {"concentration_mg_per_ml": 0.05},
        "concentration_mg_per_ml",
        "must be between 0.1 and 100 mg/mL, got 0.05",
    ),
    "concentration 101": ({"concentration_mg_per_ml": 101}, "concentration_mg_per_ml", "got 101"),
    "cap zero": ({"max_dose_mg": 0}, "max_dose_mg", "must be greater than 0, got 0"),
    "cap negative": ({"max_dose_mg": -60}, "max_dose_mg", "got -60"),
    "cap below 0.1 mg": ({"max_dose_mg": 0.05}, "max_dose_mg", "must be at least 0.1 mg"),
    "cap NaN": ({"max_dose_mg": math.nan}, "max_dose_mg", "must be a finite number"),
    # 35 mg of undiluted 100 mg/mL = 0.35 mL: 0.4 mL in 0.1 mL steps would give 40 mg (+14 %).
    "volume too small to measure": (
        {"concentration_mg_per_ml": 100},
        "concentration_mg_per_ml",
        "gives a volume of 0.35 mL, too small to set in 0.1 mL steps within 5 %",
    ),
    # 35 mg at 50 mg/mL = 0.7 mL over 240 min = 0.175 mL/h, which 0.2 mL/h overshoots by 14 %.
    "pump rate too slow to set": (
        {"concentration_mg_per_ml": 50, "minutes": 240},
        "minutes",
        "gives a pump rate of 0.175 mL/h",
    ),
    # 20 kg x 0.001 mg/kg = 0.02 mg, which rounds to 0.0 mg.
    "dose too small to measure": (
        {"weight_kg": 20, "mg_per_kg": 0.001},
        "mg_per_kg",
        "gives a dose of 0.02 mg",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_implausible_input_is_refused_naming_the_field_and_the_fix(case: str) -> None:
    changes, field, reason = REFUSED[case]

    with pytest.raises(DoseInputError) as caught:
        plan(**changes)

    assert caught.value.field == field
    assert reason in caught.value.reason
    assert str(caught.value) == f"{field} {caught.value.reason}"


@pytest.mark.parametrize(
    "changes",
    [
        {"weight_kg": 20},
        {"weight_kg": 350},
        {"mg_per_kg": 2},
        {"minutes": 1},
        {"minutes": 240, "concentration_mg_per_ml": 1},
        {"concentration_mg_per_ml": Decimal("0.1")},
        {"weight_kg": 350, "mg_per_kg": 2, "concentration_mg_per_ml": 100},
    ],
)
def test_the_limits_themselves_are_allowed(changes: dict[str, Any]) -> None:
    assert plan(**changes).dose_mg > 0


def test_dose_input_error_is_a_value_error() -> None:
    assert issubclass(DoseInputError, ValueError)


# --- esketamine ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("dose", "devices"), [(28, 1), (56, 2), (84, 3), (56.0, 2)])
def test_an_esketamine_dose_is_a_whole_number_of_28_mg_devices(dose: float, devices: int) -> None:
    result = fixed_dose(dose_mg=dose)

    assert (result.dose_mg, result.device_mg, result.devices) == (int(dose), 28, devices)


@pytest.mark.parametrize("dose", [0, -56, 42, 60, 112, Decimal("56.5"), math.nan])
def test_an_esketamine_dose_that_is_not_28_56_or_84_mg_is_refused(dose: float) -> None:
    with pytest.raises(DoseInputError) as caught:
        fixed_dose(dose_mg=dose)

    assert caught.value.field == "dose_mg"


def test_the_refusal_lists_the_allowed_esketamine_doses() -> None:
    with pytest.raises(DoseInputError, match=r"must be 28, 56 or 84 mg .*got 60$"):
        fixed_dose(dose_mg=60)


# --- doses outside the protocol's range ----------------------------------------------------------


def test_the_protocol_dose_itself_needs_no_reason() -> None:
    assert within_range(0.5, 0.5, 0.5)
    assert dose_deviation(dose=Decimal("0.5"), low=0.5, high=0.5) is None


def test_a_dose_above_or_below_the_protocol_range_needs_a_reason() -> None:
    above = dose_deviation(dose=0.6, low=0.5, high=0.5)
    below = dose_deviation(dose=0.4, low=0.45, high=0.55)

    assert above is not None and above.direction == "above"
    assert above.message == "0.6 mg/kg is above the protocol's dose of 0.5 mg/kg; record a reason"
    assert below is not None and below.direction == "below"
    assert below.message == (
        "0.4 mg/kg is below the protocol's range of 0.45-0.55 mg/kg; record a reason"
    )
    assert not within_range(0.6, 0.5, 0.5)


def test_a_fixed_dose_is_compared_in_mg() -> None:
    deviation = dose_deviation(dose=28, low=56, high=84, unit="mg")

    assert deviation is not None
    assert deviation.message == "28 mg is below the protocol's range of 56-84 mg; record a reason"


def test_a_range_that_runs_backwards_is_refused() -> None:
    with pytest.raises(DoseInputError, match="must not exceed high"):
        within_range(0.5, 0.6, 0.4)


# --- properties ----------------------------------------------------------------------------------

weights = st.decimals(min_value=20, max_value=350, places=1)
doses_per_kg = st.decimals(min_value=Decimal("0.05"), max_value=2, places=3)
durations = st.integers(min_value=1, max_value=240)
concentrations = st.decimals(min_value=Decimal("0.1"), max_value=100, places=2)
caps = st.none() | st.decimals(min_value=1, max_value=700, places=1)


def half_up(value: Fraction, step: Fraction) -> Fraction:
    """Reference rounding, independent of the decimal module."""
    return math.floor(value / step + Fraction(1, 2)) * step


def plan_or_reject(**inputs: Any) -> DosePlan:
    try:
        return weight_based_dose(**inputs)
    except DoseInputError as exc:
        # In-range input may be refused only by the 5 % rounding rule.
        assert "too small to set" in exc.reason
        reject()


@given(weights, doses_per_kg, durations, concentrations, caps)
def test_the_dose_is_weight_times_mg_per_kg_rounded_unless_capped(
    weight: Decimal, per_kg: Decimal, minutes: int, concentration: Decimal, cap: Decimal | None
) -> None:
    result = plan_or_reject(
        weight_kg=weight,
        mg_per_kg=per_kg,
        minutes=minutes,
        concentration_mg_per_ml=concentration,
        max_dose_mg=cap,
    )

    expected = half_up(Fraction(weight) * Fraction(per_kg), Fraction(1, 10))
    assert result.uncapped_dose_mg == expected
    if cap is None or expected <= cap:
        assert (result.dose_mg, result.capped) == (expected, False)
    else:
        # Capped: the volume is rounded down from cap / concentration to 0.1 mL, and the
        # dose is what that volume gives: never above the cap, less than one step below it.
        assert result.capped is True
        volume = math.floor(Fraction(cap) / Fraction(concentration) * 10) / Fraction(10)
        assert result.volume_ml == volume
        assert result.dose_mg == volume * Fraction(concentration) == result.delivered_dose_mg
        assert cap - result.dose_mg < Decimal("0.1") * concentration
    if cap is not None:
        assert result.delivered_dose_mg <= cap or not result.capped
        assert result.dose_mg <= cap


@given(weights, doses_per_kg, durations, concentrations, caps)
def test_volume_and_rates_agree_with_the_dose_within_rounding(
    weight: Decimal, per_kg: Decimal, minutes: int, concentration: Decimal, cap: Decimal | None
) -> None:
    result = plan_or_reject(
        weight_kg=weight,
        mg_per_kg=per_kg,
        minutes=minutes,
        concentration_mg_per_ml=concentration,
        max_dose_mg=cap,
    )

    # Volume rounded to 0.1 mL: at most 0.05 mL x concentration away from the dose.
    assert abs(result.volume_ml * concentration - result.dose_mg) <= Decimal("0.05") * concentration
    assert abs(result.rate_ml_per_hour - result.volume_ml / minutes * 60) <= Decimal("0.05")
    assert abs(result.rate_mg_per_min - result.dose_mg / minutes) <= Decimal("0.005")
    # The 5 % rule: what the pump delivers is within 5 % of the dose.
    assert abs(result.delivered_dose_mg - result.dose_mg) <= result.dose_mg * Decimal("0.05")


@given(weights, weights, doses_per_kg, caps)
def test_a_heavier_patient_never_gets_a_smaller_dose(
    first: Decimal, second: Decimal, per_kg: Decimal, cap: Decimal | None
) -> None:
    lighter, heavier = sorted((first, second))
    inputs = {"mg_per_kg": per_kg, "minutes": 40, "concentration_mg_per_ml": 1, "max_dose_mg": cap}

    low, high = (
        plan_or_reject(weight_kg=lighter, **inputs),
        plan_or_reject(weight_kg=heavier, **inputs),
    )

    assert low.dose_mg <= high.dose_mg
    assert low.volume_ml <= high.volume_ml


# --- routes, guardrails and the capped volume (issue 9 section 3) --------------------------------


def test_an_iv_plan_gives_the_rate_per_kg_per_hour() -> None:
    # 35.0 mg / 70 kg / 40 min x 60 = 0.75 mg/kg/h, the trials' standard rate.
    result = plan()

    assert result.route == "iv"
    assert result.mg_per_kg_per_hour == Decimal("0.75")
    assert (result.warnings, result.requires_cosign) == ((), False)


def test_an_im_dose_has_no_rates_and_a_volume_in_hundredths() -> None:
    # 82.4 kg x 0.5 = 41.2 mg; at 50 mg/mL 0.824 -> 0.82 mL (41.0 mg delivered, within 5 %).
    result = weight_based_dose(
        weight_kg=82.4, mg_per_kg=0.5, concentration_mg_per_ml=50, route="im"
    )

    assert (result.route, result.minutes) == ("im", None)
    assert (result.dose_mg, result.volume_ml) == (Decimal("41.2"), Decimal("0.82"))
    assert result.delivered_dose_mg == Decimal("41.00")
    assert (result.rate_mg_per_min, result.rate_ml_per_hour, result.mg_per_kg_per_hour) == (
        None,
        None,
        None,
    )
    data = result.to_dict()
    assert data["rate_ml_per_hour"] is None and data["warnings"] == []


def test_im_takes_undiluted_100_mg_per_ml_which_an_iv_pump_cannot_set() -> None:
    # 35.0 mg at 100 mg/mL = 0.35 mL: exact in 0.01 mL steps; 0.4 mL (+14 %) in 0.1 mL steps.
    assert weight_based_dose(
        weight_kg=70, mg_per_kg=0.5, concentration_mg_per_ml=100, route="im"
    ).volume_ml == Decimal("0.35")
    with pytest.raises(DoseInputError, match="use a more dilute solution"):
        plan(concentration_mg_per_ml=100)


def test_an_im_refusal_never_advises_dilution() -> None:
    # 20 kg x 0.01 mg/kg = 0.2 mg; at 100 mg/mL 0.002 mL rounds to 0.00 mL.
    with pytest.raises(DoseInputError) as caught:
        weight_based_dose(weight_kg=20, mg_per_kg=0.01, concentration_mg_per_ml=100, route="im")

    assert caught.value.field == "concentration_mg_per_ml"
    assert "dilute" not in caught.value.reason
    assert caught.value.reason.endswith("check the dose and the concentration")


def test_minutes_are_required_for_iv_and_refused_for_im() -> None:
    with pytest.raises(DoseInputError, match="required for an IV infusion"):
        weight_based_dose(weight_kg=70, mg_per_kg=0.5, concentration_mg_per_ml=10)
    with pytest.raises(DoseInputError, match="an IM injection has no rate"):
        weight_based_dose(
            weight_kg=70, mg_per_kg=0.5, concentration_mg_per_ml=10, minutes=5, route="im"
        )
    with pytest.raises(DoseInputError, match="must be iv or im"):
        weight_based_dose(weight_kg=70, mg_per_kg=0.5, concentration_mg_per_ml=10, route="oral")


def test_a_dose_above_the_iv_guardrails_warns_and_needs_a_cosignature() -> None:
    # 70 kg x 0.8 = 56.0 mg > 70 x 0.75 = 52.5 mg; 56.0 / 70 / 40 x 60 = 1.2 mg/kg/h > 1.0;
    # the shortest infusion within 1.0 mg/kg/h is 0.8 / 1.0 x 60 = 48 min.
    result = plan(mg_per_kg=0.8)

    assert result.requires_cosign is True
    assert result.warnings == (
        "0.8 mg/kg is above the clinic's IV guardrail of 0.75 mg/kg (52.5 mg at 70 kg); "
        "a second prescriber must co-sign.",
        "1.2 mg/kg/h is faster than the clinic's guardrail of 1 mg/kg/h (infuse over at least "
        "48 min to stay within it); a second prescriber must co-sign.",
    )
    # Over 48 min the rate is exactly 1.0 mg/kg/h: only the dose guardrail remains.
    assert len(plan(mg_per_kg=0.8, minutes=48).warnings) == 1


def test_the_guardrails_are_exclusive_limits() -> None:
    # 0.75 mg/kg over 45 min: 52.5 mg = 70 x 0.75 exactly and 52.5 / 70 / 45 x 60 = 1.0 mg/kg/h.
    at_limit = plan(mg_per_kg=0.75, minutes=45)

    assert at_limit.mg_per_kg_per_hour == Decimal("1.00")
    assert (at_limit.warnings, at_limit.requires_cosign) == ((), False)
    # The standard 0.75 mg/kg over 40 min is 1.125 mg/kg/h: the rate guardrail speaks.
    assert plan(mg_per_kg=0.75).mg_per_kg_per_hour == Decimal("1.13")
    assert plan(mg_per_kg=0.75).requires_cosign is True


def test_the_im_guardrail_is_its_own_and_has_no_rate() -> None:
    im = {"weight_kg": 70, "concentration_mg_per_ml": 50, "route": "im"}

    assert weight_based_dose(mg_per_kg=1.0, **im).requires_cosign is False  # 70 mg = 70 x 1.0
    above = weight_based_dose(mg_per_kg=1.2, **im)  # 84 mg > 70 mg
    assert above.warnings == (
        "1.2 mg/kg is above the clinic's IM guardrail of 1 mg/kg (70 mg at 70 kg); "
        "a second prescriber must co-sign.",
    )


def test_the_clinics_own_guardrails_replace_the_defaults() -> None:
    strict = Guardrails(max_mg_per_kg=Decimal("0.4"), max_mg_per_kg_per_hour=Decimal("0.6"))

    result = plan(guardrails=strict)  # 0.5 mg/kg, 0.75 mg/kg/h

    assert result.requires_cosign is True and len(result.warnings) == 2


def test_a_capped_dose_rounds_the_volume_down_and_reports_what_it_delivers() -> None:
    # 150 kg x 0.5 = 75.0 mg > 60 mg cap; 60 / 7 = 8.571 mL -> 8.5 mL (8.6 would give 60.2 mg);
    # 8.5 x 7 = 59.5 mg; 59.5 / 40 = 1.4875 -> 1.49 mg/min; 8.5 / 40 x 60 = 12.75 -> 12.8 mL/h.
    result = plan(weight_kg=150, concentration_mg_per_ml=7, max_dose_mg=60)

    assert result.capped is True
    assert (result.volume_ml, result.dose_mg, result.delivered_dose_mg) == (
        Decimal("8.5"),
        Decimal("59.5"),
        Decimal("59.5"),
    )
    assert (result.rate_mg_per_min, result.rate_ml_per_hour) == (Decimal("1.49"), Decimal("12.8"))
    assert result.requires_cosign is False
    assert result.warnings == (
        "The dose is capped at the clinic's maximum of 60 mg (75 mg ordered): 8.5 mL at "
        "7 mg/mL gives 59.5 mg.",
    )


def test_a_capped_im_dose_rounds_down_in_hundredths() -> None:
    # 100 kg x 0.9 = 90 mg > 50 mg cap; 50 / 30 = 1.6667 mL -> 1.66 mL; 1.66 x 30 = 49.8 mg.
    result = weight_based_dose(
        weight_kg=100, mg_per_kg=0.9, concentration_mg_per_ml=30, route="im", max_dose_mg=50
    )

    assert (result.volume_ml, result.dose_mg) == (Decimal("1.66"), Decimal("49.80"))


def test_a_recorded_dose_is_compared_with_the_planned_one() -> None:
    limits = Guardrails.defaults("iv")  # 5 % above the planned dose
    kwargs = {"route": "iv", "weight_kg": 70, "minutes": 40, "guardrails": limits}

    # 36.75 mg is exactly 5 % above 35 mg: allowed; 36.8 is not.
    assert guardrail_warnings(dose_mg=Decimal("36.75"), planned_dose_mg=35, **kwargs) == []
    assert guardrail_warnings(dose_mg=Decimal("36.8"), planned_dose_mg=35, **kwargs) == [
        "36.8 mg is more than 5 % above the planned 35 mg; a second prescriber must co-sign."
    ]


@given(weights, doses_per_kg, st.integers(min_value=1, max_value=240))
def test_cosign_is_asked_exactly_when_a_guardrail_is_exceeded(
    weight: Decimal, per_kg: Decimal, minutes: int
) -> None:
    result = plan_or_reject(
        weight_kg=weight, mg_per_kg=per_kg, minutes=minutes, concentration_mg_per_ml=1
    )

    over_dose = Fraction(result.dose_mg) > Fraction(weight) * Fraction(3, 4)
    over_rate = Fraction(result.dose_mg) / Fraction(weight) / minutes * 60 > 1
    assert result.requires_cosign == (over_dose or over_rate)
    assert len(result.warnings) == over_dose + over_rate


@given(weights, doses_per_kg, concentrations, st.decimals(min_value=1, max_value=700, places=1))
def test_a_capped_dose_never_exceeds_the_cap_on_either_route(
    weight: Decimal, per_kg: Decimal, concentration: Decimal, cap: Decimal
) -> None:
    for route, minutes, step in (("iv", 40, Fraction(1, 10)), ("im", None, Fraction(1, 100))):
        result = plan_or_reject(
            weight_kg=weight,
            mg_per_kg=per_kg,
            minutes=minutes,
            route=route,
            concentration_mg_per_ml=concentration,
            max_dose_mg=cap,
        )
        assert result.delivered_dose_mg <= max(cap, result.uncapped_dose_mg * Decimal("1.05"))
        if result.capped:
            # Rounded down: volume x concentration is at most the cap and within one step of it.
            assert result.delivered_dose_mg == result.dose_mg <= cap
            assert Fraction(cap) - Fraction(result.dose_mg) < step * Fraction(concentration)
