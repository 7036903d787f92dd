"""``afterglow dose``: dose, volume and pump rates for one weight-based ketamine dose.

A thin shell around ``afterglow.treatment.dosing``: parsing and one-line error
reporting live here, every formula, limit and guardrail lives in the dosing module.
"""

from __future__ import annotations

import argparse
import json
import re
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError

from afterglow.core.cli import USAGE_ERROR, ComputeCommand
from afterglow.treatment.dosing import (
    DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR,
    DEFAULT_MAX_MG_PER_KG,
    DoseInputError,
    Guardrails,
    weight_based_dose,
)

# Plain decimal notation in ASCII digits: Decimal() would also take "nan", "inf", "1e3",
# "1_0" and non-Latin digits, none of which belongs in a dose.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

OUTPUT_KEYS = (
    "dose_mg",
    "volume_ml",
    "rate_mg_per_min",
    "rate_ml_per_hour",
    "mg_per_kg_per_hour",
    "capped",
    "warnings",
    "requires_cosign",
)

HELP = f"""\
Compute the dose, volume and pump rates of one weight-based ketamine dose.

Prints one JSON object, e.g. for 70 kg, 0.5 mg/kg IV over 40 min at 10 mg/mL:
{{"dose_mg": 35.0, "volume_ml": 3.5, "rate_mg_per_min": 0.88, "rate_ml_per_hour": 5.3,
 "mg_per_kg_per_hour": 0.75, "capped": false, "warnings": [], "requires_cosign": false}}
The dose is rounded to 0.1 mg, the volume to 0.1 mL (IV) or 0.01 mL (IM), the pump
rate to 0.1 mL/h and mg/min to 0.01, each from the rounded value before it.

--route im is an intramuscular injection: no --minutes, no rates (the rate fields
are null) and a volume in 0.01 mL steps, up to 100 mg/mL undiluted.

With --max-dose-mg a larger dose is capped: the volume is rounded down so that
volume x concentration never exceeds the cap, dose_mg is what that volume gives
and "capped" is true. A dose above the route's guardrail (--max-mg-per-kg, default
{DEFAULT_MAX_MG_PER_KG["iv"]} IV, {DEFAULT_MAX_MG_PER_KG["im"]} IM) or an infusion faster than \
--max-mg-per-kg-per-hour
(default {DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR}) adds a sentence to "warnings" and sets \
"requires_cosign": true.

Input that is not a plain number, lies outside the plausibility limits (weight
20-350 kg, at most 2 mg/kg, 1-240 minutes, 0.1-100 mg/mL), or gives a dose,
volume or pump rate that its steps cannot set within 5 % exits with status 2 and
one line on standard error naming the option.
"""


class Command(ComputeCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        # Read as text and checked in handle(), so a bad value gives one clear line.
        parser.add_argument("--weight-kg", metavar="W", required=True, help="weight, 20-350 kg")
        parser.add_argument(
            "--mg-per-kg", metavar="D", required=True, help="ordered dose, above 0 and at most 2"
        )
        parser.add_argument(
            "--route",
            choices=("iv", "im"),
            default="iv",
            help="iv (infusion, the default) or im (injection)",
        )
        parser.add_argument(
            "--minutes", metavar="M", help="infusion length, 1-240 min (IV only, required there)"
        )
        parser.add_argument(
            "--concentration-mg-per-ml",
            metavar="C",
            required=True,
            help="concentration of the solution, 0.1-100 mg/mL",
        )
        parser.add_argument("--max-dose-mg", metavar="X", help="the clinic's maximum dose in mg")
        parser.add_argument(
            "--max-mg-per-kg", metavar="G", help="the route's guardrail (default 0.75 IV, 1.0 IM)"
        )
        parser.add_argument(
            "--max-mg-per-kg-per-hour", metavar="R", help="the IV rate guardrail (default 1.0)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        route = options["route"]
        if route == "iv" and options["minutes"] is None:
            raise _bad_option("minutes", "is required for an IV infusion (1-240 minutes)")
        if route == "im" and options["minutes"] is not None:
            raise _bad_option("minutes", "is for an IV infusion; an IM injection has no rate")
        values = {
            name: _number(name, options[name])
            for name in ("weight_kg", "mg_per_kg", "concentration_mg_per_ml")
        }
        minutes = None if options["minutes"] is None else _number("minutes", options["minutes"])
        cap = _optional(options, "max_dose_mg")
        per_kg = _optional(options, "max_mg_per_kg")
        per_hour = _optional(options, "max_mg_per_kg_per_hour")
        for name, value in (("max_mg_per_kg", per_kg), ("max_mg_per_kg_per_hour", per_hour)):
            if value is not None and value <= 0:
                raise _bad_option(name, f"must be greater than 0, got {options[name]}")
        guardrails = Guardrails(
            max_mg_per_kg=DEFAULT_MAX_MG_PER_KG[route] if per_kg is None else per_kg,
            max_mg_per_kg_per_hour=(
                DEFAULT_IV_MAX_MG_PER_KG_PER_HOUR if per_hour is None else per_hour
            ),
        )
        try:
            plan = weight_based_dose(
                **values,
                minutes=minutes,
                route=route,
                max_dose_mg=cap,
                guardrails=guardrails,
            )
        except DoseInputError as exc:
            raise _bad_option(exc.field, exc.reason) from None
        result = plan.to_dict()
        self.stdout.write(json.dumps({key: result[key] for key in OUTPUT_KEYS}))


def _optional(options: dict[str, Any], name: str) -> Decimal | None:
    raw = options[name]
    return None if raw is None else _number(name, raw)


def _number(name: str, raw: str) -> Decimal:
    if not _NUMBER.fullmatch(raw.strip()):
        raise _bad_option(name, f"must be a number like 70 or 0.5, got {raw!r}")
    return Decimal(raw.strip())


def _bad_option(field: str, reason: str) -> CommandError:
    # One line on stderr, named as the user typed the option.
    option = "--" + field.replace("_", "-")
    return CommandError(f"{option} {' '.join(reason.split())}", returncode=USAGE_ERROR)
