"""``afterglow dose``: dose, volume and pump rates for one weight-based IV infusion.

A thin shell around ``afterglow.treatment.dosing``: parsing and one-line error
reporting live here, every formula and limit lives in the dosing module.
"""

from __future__ import annotations

import argparse
import json
import re
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError

from afterglow.core.cli import USAGE_ERROR, ComputeCommand
from afterglow.treatment.dosing import DoseInputError, weight_based_dose

# Plain decimal notation in ASCII digits: Decimal() would also take "nan", "inf", "1e3",
# "1_0" and non-Latin digits, none of which belongs in a dose.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

OUTPUT_KEYS = ("dose_mg", "volume_ml", "rate_mg_per_min", "rate_ml_per_hour", "capped")

HELP = """\
Compute the dose, volume and pump rates of one weight-based IV ketamine infusion.

Prints one JSON object, e.g. for 70 kg, 0.5 mg/kg, 40 min, 10 mg/mL:
{"dose_mg": 35.0, "volume_ml": 3.5, "rate_mg_per_min": 0.88, "rate_ml_per_hour": 5.3,
 "capped": false}
The dose is rounded to 0.1 mg, the volume to 0.1 mL, the pump rate to 0.1 mL/h
and mg/min to 0.01, each from the rounded value before it. With --max-dose-mg a
larger dose is limited to the cap and "capped" is true.

Input that is not a plain number, lies outside the plausibility limits (weight
20-350 kg, at most 2 mg/kg, 1-240 minutes, 0.1-100 mg/mL), or gives a dose,
volume or pump rate that 0.1 steps cannot set within 5 % (use a more dilute
solution) exits with status 2 and one line on standard error naming the option.
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
            "--minutes", metavar="M", required=True, help="infusion length, 1-240 min"
        )
        parser.add_argument(
            "--concentration-mg-per-ml",
            metavar="C",
            required=True,
            help="concentration of the solution in the pump, 0.1-100 mg/mL",
        )
        parser.add_argument("--max-dose-mg", metavar="X", help="the clinic's maximum dose in mg")

    def handle(self, *args: Any, **options: Any) -> None:
        values = {
            name: _number(name, options[name])
            for name in ("weight_kg", "mg_per_kg", "minutes", "concentration_mg_per_ml")
        }
        cap = options["max_dose_mg"]
        try:
            plan = weight_based_dose(
                **values, max_dose_mg=None if cap is None else _number("max_dose_mg", cap)
            )
        except DoseInputError as exc:
            raise _bad_option(exc.field, exc.reason) from None
        result = plan.to_dict()
        self.stdout.write(json.dumps({key: result[key] for key in OUTPUT_KEYS}))


def _number(name: str, raw: str) -> Decimal:
    if not _NUMBER.fullmatch(raw.strip()):
        raise _bad_option(name, f"must be a number like 70 or 0.5, got {raw!r}")
    return Decimal(raw.strip())


def _bad_option(field: str, reason: str) -> CommandError:
    # One line on stderr, named as the user typed the option.
    option = "--" + field.replace("_", "-")
    return CommandError(f"{option} {' '.join(reason.split())}", returncode=USAGE_ERROR)
