"""Dose arithmetic for weight-based ketamine (IV infusion, IM injection) and esketamine.

Django-free on purpose: the dosing service, the ``afterglow dose`` command and
the tests all call the same functions, and every number a nurse sees comes
from here.

Formulas (weight-based dose)::

    dose_mg             = weight_kg x mg_per_kg, rounded to 0.1 mg
    volume_ml           = dose_mg / concentration_mg_per_ml, rounded to the route's step
                          (0.1 mL for an IV pump, 0.01 mL for an IM syringe)
    rate_mg_per_min     = dose_mg / minutes, rounded to 0.01 mg/min        (IV only)
    rate_ml_per_hour    = volume_ml / minutes x 60, rounded to 0.1 mL/h    (IV only)
    mg_per_kg_per_hour  = dose_mg / weight_kg / minutes x 60, to 0.01      (IV only)

An IM injection is given at once: it has no infusion time and no rate (the
``rate_*`` fields and ``mg_per_kg_per_hour`` are ``None``).

Rounding (a decision of this module, so the screen, the CLI and the tests
agree): the dose to 0.1 mg, the volume to the route's step and the pump rate to
0.1 mL/h (the usual resolution of an infusion pump), mg/min to 0.01 (shown
only). Each step uses the *rounded* value before it, so the numbers on one
screen agree with each other, and decimal arithmetic with half-up rounding, so
0.5 x 70 is exactly 35.0 and 5.25 mL/h shows as 5.3, never 5.2 from a binary
float artefact. Worked example: 70 kg x 0.5 mg/kg = 35.0 mg; at 10 mg/mL that
is 3.5 mL; over 40 min 0.875 -> 0.88 mg/min, 5.25 -> 5.3 mL/h and
35.0 / 70 / 40 x 60 = 0.75 mg/kg/h.

The clinic's maximum single dose (``max_dose_mg``) is a cap: when the dose
would exceed it, the *volume* is rounded **down** to its step from
``cap / concentration``, so that volume x concentration never exceeds the cap,
and ``dose_mg`` is the dose that volume delivers (60 mg cap at 7 mg/mL:
8.571... -> 8.5 mL, 59.5 mg).

A dose, volume or pump rate that rounding would change by more than 5 % is
refused (e.g. 35 mg of undiluted 100 mg/mL ketamine is 0.35 mL, which a pump
set in 0.1 mL steps cannot give within 5 %): for an IV infusion the fix is a
more dilute solution, and the message says so. An IM injection is never
diluted: its message asks to check the dose and concentration instead.

Guardrails (clinic settings, see :class:`Guardrails`): a dose above the
route's maximum mg/kg, an IV infusion faster than the maximum mg/kg/h, or (for
a recorded dose) an actual dose above the planned one by more than the clinic's
tolerance is *not* refused: it adds a sentence to ``warnings`` and sets
``requires_cosign``; the chair-side session then records it only with a written
reason and a second prescriber's co-signature. Only implausible input (above 2
mg/kg, the input limit below) is refused outright, so no path gives an
unbounded dose.

Clinical reference (evidence.md section 6): 0.5 mg/kg IV over 40 min is
the standard research dose of every PTSD RCT (Feder 2014, Feder 2021, Abdallah
2022), i.e. 0.75 mg/kg/h; 0.2 mg/kg was tested as a low dose (Abdallah 2022);
0.1-0.75 mg/kg and 2-100 min sessions have been studied in depression (Andrade
C. J Clin Psychiatry 2017;78(7):e852-e857), hence the default IV guardrail of
0.75 mg/kg. evidence.md gives no number for IM ketamine or for an infusion rate
limit: those defaults (1.0 mg/kg IM, 1.0 mg/kg/h) are UNCONFIRMED clinic
settings. The plausibility limits below are input checks from the product
issue, *not* clinical doses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Literal, TypeAlias

__all__ = [
    "DEFAULT_ABOVE_PLANNED_PERCENT",
    "DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR",
    "DEFAULT_MAX_MG_PER_KG",
    "DoseDeviation",
    "DoseInputError",
    "DosePlan",
    "FixedDosePlan",
    "Guardrails",
    "dose_deviation",
    "fixed_dose",
    "guardrail_warnings",
    "weight_based_dose",
    "within_range",
]

Number: TypeAlias = Decimal | int | float
WeightRoute: TypeAlias = Literal["iv", "im"]
ROUTES: tuple[WeightRoute, ...] = ("iv", "im")

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

# --- guardrail defaults (the defaults of the clinic settings on accounts.Clinic) -----------------
#: Highest mg/kg given without a second prescriber's co-signature, per route. IV 0.75: the
#: top of the 0.1-0.75 mg/kg range studied in depression (Andrade 2017, evidence.md section 6).
#: IM 1.0: UNCONFIRMED, evidence.md gives no IM dose.
DEFAULT_MAX_MG_PER_KG: dict[str, Decimal] = {"iv": Decimal("0.75"), "im": Decimal("1.0")}
#: Fastest IV infusion without a co-signature. UNCONFIRMED: evidence.md gives no rate limit;
#: the trials' 0.5 mg/kg over 40 min is 0.75 mg/kg/h.
DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR = Decimal("1.0")
#: How far (%) a recorded dose may exceed the planned one without a co-signature. An Afterglow
#: default (UNCONFIRMED, no number in evidence.md): the 5 % this module allows for rounding.
DEFAULT_ABOVE_PLANNED_PERCENT = Decimal(5)

# --- esketamine (Spravato) nasal spray -----------------------------------------------------------
#: One device holds 28 mg; the label's doses are whole devices (evidence.md 6: 56 and 84 mg).
ESKETAMINE_DEVICE_MG = 28
ESKETAMINE_DOSES_MG = (28, 56, 84)

# --- rounding steps ------------------------------------------------------------------------------
DOSE_STEP_MG = Decimal("0.1")
VOLUME_STEP_ML = Decimal("0.1")  # IV: what an infusion pump is set in
IM_VOLUME_STEP_ML = Decimal("0.01")  # IM: a 1 mL syringe's graduation
RATE_MG_PER_MIN_STEP = Decimal("0.01")
RATE_ML_PER_HOUR_STEP = Decimal("0.1")
MG_PER_KG_STEP = Decimal("0.001")
MG_PER_KG_PER_HOUR_STEP = Decimal("0.01")


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
class Guardrails:
    """The clinic's limits above which a dose needs a second prescriber's co-signature.

    ``max_mg_per_kg`` is the limit for the dose's route, ``max_mg_per_kg_per_hour``
    applies to IV infusions only, ``above_planned_percent`` to a recorded dose
    compared with the planned one. :meth:`defaults` gives the documented defaults.
    """

    max_mg_per_kg: Decimal
    max_mg_per_kg_per_hour: Decimal | None = DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR
    above_planned_percent: Decimal = DEFAULT_ABOVE_PLANNED_PERCENT

    @classmethod
    def defaults(cls, route: str) -> Guardrails:
        return cls(max_mg_per_kg=DEFAULT_MAX_MG_PER_KG[_route(route)])


@dataclass(frozen=True)
class DosePlan:
    """One weight-based dose, every number rounded as a nurse sets it.

    ``uncapped_dose_mg`` is weight x mg/kg rounded to 0.1 mg; ``dose_mg`` is the
    same unless the clinic cap applied (``capped``), when it is what the
    rounded-down volume delivers. ``mg_per_kg_effective`` is ``dose_mg /
    weight_kg`` (to 0.001) and ``delivered_dose_mg`` is ``volume_ml x
    concentration`` (what the pump gives after volume rounding). IM doses have
    ``minutes``, the ``rate_*`` fields and ``mg_per_kg_per_hour`` set to ``None``.
    ``warnings`` are sentences for the nurse; ``requires_cosign`` is true when a
    guardrail is exceeded.
    """

    route: WeightRoute
    weight_kg: Decimal
    mg_per_kg: Decimal  # as ordered
    minutes: Decimal | None
    concentration_mg_per_ml: Decimal
    max_dose_mg: Decimal | None
    uncapped_dose_mg: Decimal
    dose_mg: Decimal
    capped: bool
    mg_per_kg_effective: Decimal
    volume_ml: Decimal
    delivered_dose_mg: Decimal
    rate_mg_per_min: Decimal | None
    rate_ml_per_hour: Decimal | None
    mg_per_kg_per_hour: Decimal | None
    warnings: tuple[str, ...] = ()
    requires_cosign: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: decimals become JSON numbers (35.0, 0.88), booleans, null and lists stay."""
        result: dict[str, object] = {}
        for key, value in vars(self).items():
            if isinstance(value, Decimal):
                result[key] = float(value)
            elif isinstance(value, tuple):
                result[key] = list(value)
            else:
                result[key] = value
        return result


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
    concentration_mg_per_ml: Number,
    minutes: Number | None = None,
    route: str = "iv",
    max_dose_mg: Number | None = None,
    guardrails: Guardrails | None = None,
) -> DosePlan:
    """Dose, volume and (IV) pump rates for one weight-based dose (module docstring: formulas).

    ``minutes`` is required for an IV infusion and refused for an IM injection.
    ``guardrails`` defaults to :meth:`Guardrails.defaults` for the route.

    Raises ``DoseInputError`` for a value that is not a finite number, that lies
    outside the plausibility limits (weight 20-350 kg, 0 < mg/kg <= 2, 1-240
    min, 0.1-100 mg/mL, cap > 0), or whose dose, volume or pump rate rounding
    would change by more than 5 %. When ``max_dose_mg`` is set and the rounded
    dose exceeds it, the volume is rounded *down* from ``cap / concentration``
    and the dose is what that volume delivers (never above the cap); ``capped``
    is true.
    """
    kind = _route(route)
    weight = _in_range(weight_kg, "weight_kg", MIN_WEIGHT_KG, MAX_WEIGHT_KG, "kg")
    per_kg = _positive(mg_per_kg, "mg_per_kg")
    if per_kg > MAX_MG_PER_KG:
        raise DoseInputError("mg_per_kg", f"must be at most 2 mg/kg, got {_show(per_kg)}")
    duration: Decimal | None = None
    if kind == "iv":
        if minutes is None:
            raise DoseInputError("minutes", "is required for an IV infusion (1-240 minutes)")
        duration = _in_range(minutes, "minutes", MIN_MINUTES, MAX_MINUTES, "minutes")
    elif minutes is not None:
        raise DoseInputError("minutes", "is for an IV infusion; an IM injection has no rate")
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
    limits = guardrails or Guardrails.defaults(kind)
    step = VOLUME_STEP_ML if kind == "iv" else IM_VOLUME_STEP_ML
    hint = _DILUTE if kind == "iv" else _CHECK_IM

    with localcontext() as context:
        context.prec = 28  # whatever the caller's context, enough for every value here
        uncapped = _pumpable(weight * per_kg, DOSE_STEP_MG, "mg", "mg_per_kg", "check the mg/kg")
        if cap is not None and uncapped > cap:
            # Rounded down: what the syringe or pump gives must never exceed the clinic's maximum.
            volume = _pumpable(
                cap / concentration,
                step,
                "mL",
                "concentration_mg_per_ml",
                hint,
                rounding=ROUND_DOWN,
            )
            dose, capped = volume * concentration, True
        else:
            volume = _pumpable(
                uncapped / concentration, step, "mL", "concentration_mg_per_ml", hint
            )
            dose, capped = uncapped, False
        rate_mg_per_min = rate_ml_per_hour = per_kg_per_hour = None
        if duration is not None:
            rate_ml_per_hour = _pumpable(
                volume / duration * 60,
                RATE_ML_PER_HOUR_STEP,
                "mL/h",
                "minutes",
                _DILUTE_OR_SHORTER,
            )
            rate_mg_per_min = _round(dose / duration, RATE_MG_PER_MIN_STEP)
            per_kg_per_hour = _round(dose / weight / duration * 60, MG_PER_KG_PER_HOUR_STEP)
        warnings = guardrail_warnings(
            route=kind, weight_kg=weight, dose_mg=dose, minutes=duration, guardrails=limits
        )
        requires_cosign = bool(warnings)
        if capped:
            assert cap is not None
            warnings.append(
                f"The dose is capped at the clinic's maximum of {_show(cap)} mg "
                f"({_show(uncapped)} mg ordered): {_show(volume)} mL at "
                f"{_show(concentration)} mg/mL gives {_show(dose)} mg."
            )
        return DosePlan(
            route=kind,
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
            rate_mg_per_min=rate_mg_per_min,
            rate_ml_per_hour=rate_ml_per_hour,
            mg_per_kg_per_hour=per_kg_per_hour,
            warnings=tuple(warnings),
            requires_cosign=requires_cosign,
        )


def guardrail_warnings(
    *,
    route: str,
    weight_kg: Number,
    dose_mg: Number,
    minutes: Number | None,
    guardrails: Guardrails,
    planned_dose_mg: Number | None = None,
) -> list[str]:
    """One sentence per guardrail that ``dose_mg`` exceeds (empty list = none).

    Compared exactly, in mg, so a dose at the guardrail is not above it:

    - ``dose_mg > weight_kg x max_mg_per_kg`` (the route's maximum);
    - IV only: ``dose_mg / weight_kg / minutes x 60 > max_mg_per_kg_per_hour``;
      the sentence gives the shortest infusion that stays within it;
    - with ``planned_dose_mg``: ``dose_mg > planned x (1 + above_planned_percent / 100)``.

    Any of these means a second prescriber's co-signature (see the module docstring).
    """
    kind = _route(route)
    weight = _positive(weight_kg, "weight_kg")
    dose = _positive(dose_mg, "dose_mg")
    name = "IV" if kind == "iv" else "IM"
    found: list[str] = []
    limit = guardrails.max_mg_per_kg
    if dose > weight * limit:
        found.append(
            f"{_show(_round(dose / weight, MG_PER_KG_STEP))} mg/kg is above the clinic's "
            f"{name} guardrail of {_show(limit)} mg/kg ({_show(weight * limit)} mg at "
            f"{_show(weight)} kg); a second prescriber must co-sign."
        )
    rate_limit = guardrails.max_mg_per_kg_per_hour
    if kind == "iv" and minutes is not None and rate_limit is not None:
        duration = _positive(minutes, "minutes")
        per_hour = dose / weight / duration * 60
        if per_hour > rate_limit:
            shortest = math.ceil(dose / weight / rate_limit * 60)
            found.append(
                f"{_show(_round(per_hour, MG_PER_KG_PER_HOUR_STEP))} mg/kg/h is faster than the "
                f"clinic's guardrail of {_show(rate_limit)} mg/kg/h (infuse over at least "
                f"{shortest} min to stay within it); a second prescriber must co-sign."
            )
    if planned_dose_mg is not None:
        planned = _positive(planned_dose_mg, "planned_dose_mg")
        tolerance = guardrails.above_planned_percent
        if dose > planned * (1 + tolerance / 100):
            found.append(
                f"{_show(dose)} mg is more than {_show(tolerance)} % above the planned "
                f"{_show(planned)} mg; a second prescriber must co-sign."
            )
    return found


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


def _route(route: str) -> WeightRoute:
    if route not in ROUTES:
        raise DoseInputError("route", f"must be iv or im, got {route!r}")
    return "iv" if route == "iv" else "im"


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
_CHECK_IM = "check the dose and the concentration"
_DILUTE_OR_SHORTER = "use a more dilute solution or a shorter infusion"


def _pumpable(
    exact: Decimal, step: Decimal, unit: str, field: str, hint: str, rounding: str = ROUND_HALF_UP
) -> Decimal:
    """``exact`` rounded to ``step`` (half-up, or down under a cap); refused if that
    changes it by more than 5 %."""
    rounded = exact.quantize(step, rounding=rounding)
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
