"""``afterglow analyze``: cohort PCL-5 outcomes of a CSV or Parquet file, as JSON.

A thin shell around ``afterglow.analytics.engine.scan`` (DuckDB reads the file; the
figures are the dashboard engine's, so the numbers agree): parsing and one-line
error reporting live here, every rule and default lives in the engine and
``afterglow.outcomes.rules``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
from typing import Any

from django.core.management.base import CommandError

from afterglow.analytics.engine import (
    DEFAULT_DAYS,
    DERIVED_COLUMNS,
    AnalysisConfig,
    AnalysisInputError,
)
from afterglow.analytics.engine.scan import FORMATS, analyze_file
from afterglow.core.cli import USAGE_ERROR, ComputeCommand
from afterglow.outcomes.cli import add_loss_rule_arguments
from afterglow.outcomes.rules import (
    DEFAULT_CUTOFF,
    DEFAULT_RELIABLE_POINTS,
    DEFAULT_RESPONSE_PERCENT,
    VETERAN_RELIABLE_POINTS,
)

# ASCII digits only: int() would also accept "1_0" and non-Latin digits.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_DEFAULT_DAYS_TEXT = ",".join(str(d) for d in DEFAULT_DAYS)

HELP = """\
Analyse the PCL-5 outcomes of a cohort from a CSV or Parquet file and print
them as JSON (DuckDB reads the file; 10 million patients fit in 8 GB).

The file (format from the extension .csv/.parquet, or --format) has one row
per PCL-5: patient_id, day (days after the first dose, day 0; negative =
before treatment), pcl5_total (a complete PCL-5, 0-80), and any covariate
columns (sex, age, trauma_context, protocol ...). One row per patient and day.

Rules: baseline = the total at or before day 0 nearest to it (patients without
one are left out and counted); a timepoint d is the follow-up nearest to d
within max(1, round(d/4)) days (e.g. 14 -> days 10-18), earlier on a tie;
response = a fall of at least P % (Feder 2021's CAPS-5 rule, not validated on
the PCL-5; with --response-requires-reliable also a fall of at least R points),
below cutoff = a total under N, reliable improvement = a fall of at least R
points; loss of response = C consecutive follow-ups no longer meeting response
(--confirm-loss, default 2; the day is the first of them); durability =
Kaplan-Meier time to loss among the responders at timepoint D
(--durability-from, default 14, matched like every timepoint), from that
follow-up's day, censored at the last follow-up; mixed model = total ~ weeks
with a random intercept and slope per patient, REML, over the mixed window.

Output keys: n_patients, baseline_mean, timepoints (by day: n, mean_change,
ci95, response_rate, response_ci95, below_cutoff_rate, ...), durability
(from_day, n_responders at that timepoint, n_lost,
median_days_to_loss_of_response, ci95), mixed_model
(slope_per_week, ci95, n_obs, ...), config, and with --by the same block per
group under "by". --by takes any column (text values as they are, numbers
one group per value, or in bands with --bins 18,30,40: <18, 18–<30, 30–<40,
≥40). --covariate COL adds a numeric per-patient column (the patient's first
non-blank value) to the mixed model as a fixed effect.

A missing file or column, a non-numeric or out-of-range total, an empty file,
a bad option or an unknown --by column exits 2 with one line on standard error.
"""


class Command(ComputeCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--input",
            "--csv",
            dest="input",
            metavar="FILE",
            required=True,
            help="the observations, CSV or Parquet (--csv is the older name)",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="csv or parquet (default: from the file name's extension)",
        )
        # Read as text and checked in handle(), so a bad value gives one clear line.
        parser.add_argument(
            "--days",
            metavar="D,D,...",
            help=f"timepoints in days after the first dose (default {_DEFAULT_DAYS_TEXT})",
        )
        parser.add_argument(
            "--by",
            metavar="COLUMN",
            help=(
                "split every figure by this covariate column; also "
                + " or ".join(DERIVED_COLUMNS)
                + " (derived from the baseline and an age column)"
            ),
        )
        parser.add_argument(
            "--bins",
            metavar="E,E,...",
            help="with --by on a numeric column: group into bands at these increasing edges",
        )
        parser.add_argument(
            "--covariate",
            metavar="COLUMN",
            help="a numeric per-patient column added to the mixed model as a fixed effect",
        )
        parser.add_argument(
            "--cutoff",
            metavar="N",
            help=f"below cutoff means a total under N, 0-80 (default {DEFAULT_CUTOFF})",
        )
        parser.add_argument(
            "--response-percent",
            metavar="P",
            help=f"response = a fall of at least P %%, 1-100 (default {DEFAULT_RESPONSE_PERCENT})",
        )
        parser.add_argument(
            "--reliable-points",
            metavar="R",
            help=(
                f"reliable improvement = a fall of at least R points, 1-80 "
                f"(default {DEFAULT_RELIABLE_POINTS}; {VETERAN_RELIABLE_POINTS} for veterans)"
            ),
        )
        add_loss_rule_arguments(parser)
        parser.add_argument(
            "--durability-from",
            metavar="DAY",
            help="durability follows the responders at this timepoint, from its day (default 14)",
        )
        parser.add_argument(
            "--mixed-window",
            metavar="FIRST,LAST",
            help="days used by the mixed model (default 0,28)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = _config(options)
        bins = None
        if options.get("bins") is not None:
            if options["by"] is None:
                raise _bad_option("bins", "needs --by COLUMN (a numeric column to band)")
            bins = _number_list(options["bins"], "bins")
        try:
            result = analyze_file(
                options["input"],
                config,
                options["by"],
                fmt=options.get("format"),
                bins=bins,
                covariate=options.get("covariate"),
            )
        except AnalysisInputError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        self.stdout.write(json.dumps(result, allow_nan=False))


def _config(options: dict[str, Any]) -> AnalysisConfig:
    values: dict[str, Any] = {}
    for field in ("cutoff", "response_percent", "reliable_points"):
        raw = options[field]
        if raw is not None:
            values[field] = _whole(raw, field)
    if options.get("confirm_loss") is not None:
        values["loss_confirmations"] = _whole(options["confirm_loss"], "confirm_loss")
    if options.get("durability_from") is not None:
        values["durability_from"] = _whole(options["durability_from"], "durability_from")
    values["response_requires_reliable"] = bool(options.get("response_requires_reliable"))
    if options["days"] is not None:
        values["days"] = _whole_list(options["days"], "days")
    if options["mixed_window"] is not None:
        window = _whole_list(options["mixed_window"], "mixed_window")
        if len(window) != 2:
            raise _bad_option("mixed_window", f"must be two days FIRST,LAST, got {window}")
        values["mixed_window"] = window
    try:
        return AnalysisConfig(**values)
    except AnalysisInputError as exc:
        message = str(exc)
        field = message.split(" ", 1)[0]
        field = {"loss_confirmations": "confirm_loss"}.get(field, field)
        if field in (
            "days",
            "cutoff",
            "response_percent",
            "reliable_points",
            "mixed_window",
            "confirm_loss",
            "durability_from",
        ):
            raise _bad_option(field, message.split(" ", 1)[1]) from None
        raise CommandError(message, returncode=USAGE_ERROR) from None


def _whole(raw: str, field: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(raw.strip()):
        raise _bad_option(field, f"must be a whole number, got {raw!r}")
    return int(raw)


def _whole_list(raw: str, field: str) -> tuple[int, ...]:
    parts = [part.strip() for part in raw.split(",")]
    if not raw.strip() or any(not _WHOLE_NUMBER.fullmatch(part) for part in parts):
        raise _bad_option(field, f"must be whole numbers separated by commas, got {raw!r}")
    return tuple(int(part) for part in parts)


def _number_list(raw: str, field: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise _bad_option(field, f"must be numbers separated by commas, got {raw!r}") from None
    if any(b <= a for a, b in itertools.pairwise(values)) or not all(
        math.isfinite(v) for v in values
    ):
        raise _bad_option(field, f"must be increasing numbers, got {raw!r}")
    return values


def _bad_option(field: str, reason: str) -> CommandError:
    # One line on stderr, named as the user typed the option.
    option = "--" + field.replace("_", "-")
    return CommandError(f"{option} {' '.join(reason.split())}", returncode=USAGE_ERROR)
