"""Dose arithmetic for IV ketamine infusions and intranasal esketamine.

Django-free on purpose: the dosing service, the ``afterglow dose`` command and
the tests all call the same functions, and every number a nurse sees comes
from here.

Formulas (weight-based IV infusion)::

    dose_mg          = weight_kg x mg_per_kg, rounded to 0.1 mg,
                       then limited to the clinic's max_dose_mg if one is set
    volume_ml        = dose_mg / concentration_mg_per_ml, rounded to 0.1 mL
    rate_mg_per_min  = dose_mg / minutes, rounded to 0.01 mg/min
    rate_ml_per_hour = volume_ml / minutes x 60, rounded to 0.1 mL/h

Rounding (a decision of this module, so the screen, the CLI and the tests
agree): the dose to 0.1 mg, the volume to 0.1 mL and the pump rate to
0.1 mL/h (the usual resolution of an infusion pump), mg/min to 0.01 (shown
only). Each step uses the *rounded* value before it, so the numbers on one
screen agree with each other, and decimal arithmetic with half-up rounding, so
0.5 x 70 is exactly 35.0 and 5.25 mL/h shows as 5.3, never 5.2 from a binary
float artefact. Worked example: 70 kg x 0.5 mg/kg = 35.0 mg; at 10 mg/mL that
is 3.5 mL; over 40 min 0.875 -> 0.88 mg/min and 5.25 -> 5.3 mL/h.

A dose, volume or pump rate that rounding would change by more than 5 % is
refused (e.g. 35 mg of undiluted 100 mg/mL ketamine is 0.35 mL, which a pump
set in 0.1 mL steps cannot give within 5 %): the fix is a more dilute
solution, and the message says so.

Clinical reference (evidence.md section 6): 0.5 mg/kg IV over 40 min is
the standard research dose of every PTSD RCT (Feder 2014, Feder 2021, Abdallah
2022); 0.2 mg/kg was tested as a low dose (Abdallah 2022); 0.1-0.75 mg/kg and
2-100 min sessions have been studied in depression (Andrade C. J Clin
Psychiatry 2017;78(7):e852-e857). The plausibility limits below are input
checks from the product issue, *not* clinical doses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Literal, TypeAlias

__all__ = [
    "DoseDeviation",
    "DoseInputError",
    "DosePlan",
    "FixedDosePlan",
    "dose_deviation",
    "fixed_dose",
    "weight_based_dose",
    "within_range",
]

Number: TypeAlias = Decimal | int | float

# --- plausibility limits (input checks from the product issue, not clinical doses) ---------------
MIN_WEIGHT_KG = Decimal(20)
MAX_WEIGHT_KG = Decimal(350)
#: Upper bound on an ordered dose; four times the standard 0.5 mg/kg and well above the
#: 0.1-0.75 mg/kg studied in depression (Andrade 2017), so only a typo exceeds it.
MAX_MG_PER_KG = Decimal(2)
#: Infusion length; studies used 2-100 min (Andrade 2017), the standard is 40 min.
MIN_MINUTES = Decimal(1)
MAX_MINUTES = Decimal(240)
#: Ketamine vials are 10, 50 or 100 mg/mL (product labelling, not in evidence.md) and are
#: usually diluted for infusion (35 mg in 100 mL is 0.35 mg/mL); outside 0.1-100 is a typo.
MIN_CONCENTRATION_MG_PER_ML = Decimal("0.1")
MAX_CONCENTRATION_MG_PER_ML = Decimal(100)
#: Rounding may change a dose, volume or pump rate by at most this fraction.
MAX_ROUNDING_ERROR = Decimal("0.05")

# --- clinical reference values (evidence.md section 6) -------------------------------------------
STANDARD_MG_PER_KG = Decimal("0.5")  # every PTSD RCT; Feder 2014/2021, Abdallah 2022
STANDARD_INFUSION_MINUTES = 40
STUDIED_MG_PER_KG_RANGE = (Decimal("0.1"), Decimal("0.75"))  # depression; Andrade 2017

# --- esketamine (Spravato) nasal spray -----------------------------------------------------------
#: One device holds 28 mg; the label's doses are whole devices (evidence.md 6: 56 and 84 mg).
ESKETAMINE_DEVICE_MG = 28
ESKETAMINE_DOSES_MG = (28, 56, 84)

# --- rounding steps ------------------------------------------------------------------------------
DOSE_STEP_MG = Decimal("0.1")
VOLUME_STEP_ML = Decimal("0.1")
RATE_MG_PER_MIN_STEP = Decimal("0.01")
RATE_ML_PER_HOUR_STEP = Decimal("0.1")
MG_PER_KG_STEP = Decimal("0.001")


class DoseInputError(ValueError):
    """An input cannot be dosed; ``field`` names it and ``reason`` says how to fix it.

    ``str(error)`` is ``"<field> <reason>"``, e.g. ``"weight_kg must be between
    20 and 350 kg, got 12"``; a CLI or form shows ``reason`` after its own name
    for the field.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class DosePlan:
    """One weight-based infusion, every number rounded as a nurse sets it.

    ``uncapped_dose_mg`` is weight x mg/kg rounded to 0.1 mg; ``dose_mg`` is the
    same unless the clinic cap applied (``capped``). ``mg_per_kg_effective`` is
    ``dose_mg / weight_kg`` (to 0.001) and ``delivered_dose_mg`` is
    ``volume_ml x concentration`` (what the pump gives after volume rounding).
    """

    weight_kg: Decimal
    mg_per_kg: Decimal  # as ordered
    minutes: Decimal
    concentration_mg_per_ml: Decimal
    max_dose_mg: Decimal | None
    uncapped_dose_mg: Decimal
    dose_mg: Decimal
    capped: bool
    mg_per_kg_effective: Decimal
    volume_ml: Decimal
    delivered_dose_mg: Decimal
    rate_mg_per_min: Decimal
    rate_ml_per_hour: Decimal

    def to_dict(self) -> dict[str, float | bool | None]:
        """JSON-ready: decimals become JSON numbers (35.0, 0.88), ``capped`` a boolean."""
        return {
            key: value if isinstance(value, bool) or value is None else float(value)
            for key, value in vars(self).items()
        }


@dataclass(frozen=True)
class FixedDosePlan:
    """An esketamine nasal-spray dose: ``devices`` devices of ``device_mg`` each."""

    dose_mg: int
    device_mg: int
    devices: int


@dataclass(frozen=True)
class DoseDeviation:
    """An actual dose outside the protocol's range: the service must record a reason."""

    dose: Decimal
    low: Decimal
    high: Decimal
    unit: str  # "mg/kg" or "mg"
    direction: Literal["below", "above"]

    @property
    def message(self) -> str:
        """E.g. "0.6 mg/kg is above the protocol's dose of 0.5 mg/kg; record a reason"."""
        low, high = _show(self.low), _show(self.high)
        expected = f"dose of {low}" if self.low == self.high else f"range of {low}-{high}"
        return (
            f"{_show(self.dose)} {self.unit} is {self.direction} the protocol's "
            f"{expected} {self.unit}; record a reason"
        )


def weight_based_dose(
    *,
    weight_kg: Number,
    mg_per_kg: Number,
    minutes: Number,
    concentration_mg_per_ml: Number,
    max_dose_mg: Number | None = None,
) -> DosePlan:
    """Dose, volume and pump rates for one IV infusion (formulas in the module docstring).

    Raises ``DoseInputError`` for a value that is not a finite number, that lies
    outside the plausibility limits (weight 20-350 kg, 0 < mg/kg <= 2, 1-240
    min, 0.1-100 mg/mL, cap > 0), or whose dose, volume or pump rate rounding
    would change by more than 5 %. When ``max_dose_mg`` is set and the rounded
    dose exceeds it, the dose is the cap rounded *down* to 0.1 mg (never above
    the cap) and ``capped`` is true.
    """
    weight = _in_range(weight_kg, "weight_kg", MIN_WEIGHT_KG, MAX_WEIGHT_KG, "kg")
    per_kg = _positive(mg_per_kg, "mg_per_kg")
    if per_kg > MAX_MG_PER_KG:
        raise DoseInputError("mg_per_kg", f"must be at most 2 mg/kg, got {_show(per_kg)}")
    duration = _in_range(minutes, "minutes", MIN_MINUTES, MAX_MINUTES, "minutes")
    concentration = _in_range(
        concentration_mg_per_ml,
        "concentration_mg_per_ml",
        MIN_CONCENTRATION_MG_PER_ML,
        MAX_CONCENTRATION_MG_PER_ML,
        "mg/mL",
    )
    cap = None if max_dose_mg is None else _positive(max_dose_mg, "max_dose_mg")
    if cap is not None and cap < DOSE_STEP_MG:
        raise DoseInputError("max_dose_mg", f"must be at least 0.1 mg, got {_show(cap)}")

    with localcontext() as context:
        context.prec = 28  # whatever the caller's context, enough for every value here
        uncapped = _pumpable(weight * per_kg, DOSE_STEP_MG, "mg", "mg_per_kg", "check the mg/kg")
        dose, capped = uncapped, False
        if cap is not None and uncapped > cap:
            # Rounded down: the dose given must never exceed the clinic's maximum.
            dose, capped = cap.quantize(DOSE_STEP_MG, rounding=ROUND_DOWN), True
        volume = _pumpable(
            dose / concentration, VOLUME_STEP_ML, "mL", "concentration_mg_per_ml", _DILUTE
        )
        rate_ml_per_hour = _pumpable(
            volume / duration * 60, RATE_ML_PER_HOUR_STEP, "mL/h", "minutes", _DILUTE_OR_SHORTER
        )
        return DosePlan(
            weight_kg=weight,
            mg_per_kg=per_kg,
            minutes=duration,
            concentration_mg_per_ml=concentration,
            max_dose_mg=cap,
            uncapped_dose_mg=uncapped,
            dose_mg=dose,
            capped=capped,
            mg_per_kg_effective=_round(dose / weight, MG_PER_KG_STEP),
            volume_ml=volume,
            delivered_dose_mg=volume * concentration,
            rate_mg_per_min=_round(dose / duration, RATE_MG_PER_MIN_STEP),
            rate_ml_per_hour=rate_ml_per_hour,
        )


def fixed_dose(*, dose_mg: Number) -> FixedDosePlan:
    """An esketamine nasal-spray dose as a whole number of 28 mg devices.

    ``devices = dose_mg / 28``; only 28, 56 and 84 mg (1-3 devices) are
    allowed. No infusion, so no volume or rate. The label's TRD schedule is 56
    mg on day 1, then 56 or 84 mg (evidence.md section 6, Spravato PI); 28 mg
    is one device (used e.g. as the starting dose in NCT06795659) and outside
    the label preset's options, so it needs a recorded reason there.
    """
    dose = _positive(dose_mg, "dose_mg")
    allowed = ", ".join(str(mg) for mg in ESKETAMINE_DOSES_MG[:-1])
    if dose not in ESKETAMINE_DOSES_MG:
        raise DoseInputError(
            "dose_mg",
            f"must be {allowed} or {ESKETAMINE_DOSES_MG[-1]} mg "
            f"(whole {ESKETAMINE_DEVICE_MG} mg esketamine devices), got {_show(dose)}",
        )
    whole = int(dose)
    return FixedDosePlan(
        dose_mg=whole, device_mg=ESKETAMINE_DEVICE_MG, devices=whole // ESKETAMINE_DEVICE_MG
    )


def within_range(dose: Number, low: Number, high: Number) -> bool:
    """Whether ``low <= dose <= high`` (inclusive, exact decimal comparison)."""
    return dose_deviation(dose=dose, low=low, high=high) is None


def dose_deviation(
    *, dose: Number, low: Number, high: Number, unit: str = "mg/kg"
) -> DoseDeviation | None:
    """The deviation of an actual dose from the protocol's range, or ``None`` when within it.

    Compare what was *ordered* (``DosePlan.mg_per_kg``, or the fixed dose in mg
    with ``unit="mg"``) with the protocol's range: rounding to 0.1 mg is not a
    deviation (0.2 mg/kg x 82.4 kg = 16.48 -> 16.5 mg is still 0.2 mg/kg
    ordered). A cap lowers the dose below the ordered mg/kg; ``DosePlan.capped``
    reports that, and the clinic's cap is itself the documented reason. A
    range with ``low == high`` means the protocol's single dose (every shipped
    trial preset), so any other dose needs a reason.
    """
    actual = _finite(dose, "dose")
    bottom, top = _finite(low, "low"), _finite(high, "high")
    if bottom > top:
        raise DoseInputError("low", f"must not exceed high ({_show(bottom)} > {_show(top)})")
    if actual < bottom:
        return DoseDeviation(dose=actual, low=bottom, high=top, unit=unit, direction="below")
    if actual > top:
        return DoseDeviation(dose=actual, low=bottom, high=top, unit=unit, direction="above")
    return None


# --- helpers -------------------------------------------------------------------------------------


def _finite(value: object, field: str) -> Decimal:
    """``value`` as an exact Decimal; a float goes through its repr (82.4, not 82.400000000…)."""
    # bool is an int subclass, but True kg is a bug, not a weight.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise DoseInputError(field, f"must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise DoseInputError(field, f"must be a finite number, got {value!r}")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise DoseInputError(field, f"must be a finite number, got {number}")
    return number


def _positive(value: object, field: str) -> Decimal:
    number = _finite(value, field)
    if number <= 0:
        raise DoseInputError(field, f"must be greater than 0, got {_show(number)}")
    return number


def _in_range(value: object, field: str, low: Decimal, high: Decimal, unit: str) -> Decimal:
    number = _finite(value, field)
    if not low <= number <= high:
        reason = f"must be between {_show(low)} and {_show(high)} {unit}, got {_show(number)}"
        raise DoseInputError(field, reason)
    return number


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


_WHAT = {"mg": "a dose of", "mL": "a volume of", "mL/h": "a pump rate of"}
_DILUTE = "use a more dilute solution"
_DILUTE_OR_SHORTER = "use a more dilute solution or a shorter infusion"


def _pumpable(exact: Decimal, step: Decimal, unit: str, field: str, hint: str) -> Decimal:
    """``exact`` rounded to ``step``; refused if that changes it by more than 5 %."""
    rounded = _round(exact, step)
    if rounded <= 0 or abs(rounded - exact) > exact * MAX_ROUNDING_ERROR:
        shown = _show(_round(exact, Decimal("0.0001")))
        raise DoseInputError(
            field,
            f"gives {_WHAT[unit]} {shown} {unit}, too small to set in {_show(step)} {unit} steps "
            f"within 5 %; {hint}",
        )
    return rounded


def _show(number: Decimal) -> str:
    """Plain notation without exponent or trailing zeros: 20, 0.5, 12.25."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
