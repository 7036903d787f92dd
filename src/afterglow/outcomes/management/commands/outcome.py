"""``afterglow outcome pcl5``: response, reliable change and recovery from JSON Lines.

A thin shell around ``afterglow.outcomes.rules``: parsing and one-line error
reporting live here, every outcome rule and default lives in the rules module.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import IO, Any

from django.core.management.base import CommandError

from afterglow.core.cli import USAGE_ERROR, ComputeCommand, bad_line, json_line
from afterglow.outcomes.cli import add_loss_rule_arguments
from afterglow.outcomes.rules import (
    DEFAULT_CUTOFF,
    DEFAULT_LOSS_CONFIRMATIONS,
    DEFAULT_RELIABLE_POINTS,
    DEFAULT_RESPONSE_PERCENT,
    VETERAN_RELIABLE_POINTS,
    Followup,
    OutcomeInputError,
    OutcomeRules,
    evaluate,
)

#: Instruments with outcome rules; the thresholds are those of the past-month PCL-5.
KNOWN_INSTRUMENTS = ("pcl5",)

# ASCII digits only: int() would also accept "1_0" and non-Latin digits.
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")

_RECORD_KEYS = ("baseline", "followups")
_FOLLOWUP_KEYS = ("day", "total")
_FOLLOWUP_EXAMPLE = '{"day": 14, "total": 30}'
_COURSE_EXAMPLE = '{"baseline": 50, "followups": [' + _FOLLOWUP_EXAMPLE + "]}"

HELP = f"""\
Evaluate PCL-5 outcomes read as JSON Lines from standard input.

Each input line is one course: {{"baseline": 50, "followups": [{{"day": 14, "total": 30}}]}}
with the baseline total (the last complete PCL-5 on or before the first dose)
and the follow-up totals, "day" counting from the first dose (day 0), in any
order. Blank lines are skipped.

Each course gives one JSON line on standard output, in input order:
{{"latest": {{"day": 14, "total": 30, "change": -20, "percent_change": -40.0,
 "response": true, "reliable_improvement": true, "reliable_deterioration": false,
 "below_cutoff": true, "reliable_recovery": true}},
 "first_response_day": 14, "loss_of_response_day": null,
 "possible_loss_day": null, "last_day": 14}}
"latest" is null without follow-ups; a day is null for an event that never happened.

Rules, each threshold inclusive:
  response             a fall of at least P % from baseline (default
                       {DEFAULT_RESPONSE_PERCENT}, Feder 2021's CAPS-5 rule, not validated
                       on the PCL-5); never from a baseline of 0; with
                       --response-requires-reliable also a fall of at least R points
  reliable improvement a fall of at least R points, reliable deterioration
                       a rise of at least R (default {DEFAULT_RELIABLE_POINTS}, NCPTSD;
                       {VETERAN_RELIABLE_POINTS} for veterans, Marx 2022)
  below cutoff         a total under N (default {DEFAULT_CUTOFF})
  reliable recovery    reliable improvement, below cutoff, baseline >= N
  loss of response     confirmed: the first day of the first run of C consecutive
                       follow-ups, after the first response, that no longer meet
                       it (--confirm-loss C, default {DEFAULT_LOSS_CONFIRMATIONS}; 1 = a single
                       dip; the trials' rule is UNCONFIRMED, evidence.md §1); not
                       reset if response returns
  possible loss        the first day of a run shorter than C still open at the
                       last follow-up (null when a loss is confirmed)
"percent_change" is (total - baseline) / baseline x 100 to one decimal (null
for a baseline of 0); follow-ups are taken in day order.

All input is checked before anything is written: if any line is malformed (not
JSON, not an object with exactly "baseline" and "followups", a total that is
not a whole number 0-80, a day that is not a whole number >= 0, two follow-ups
on one day), nothing is written to standard output, one line naming the line
number and the problem goes to standard error, and the exit status is 2.
"""


class Command(ComputeCommand):
    help = HELP
    # Lets call_command(..., stdin=io.StringIO(...)) feed input in-process.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("instrument", help="instrument code: pcl5")
        # Read as text and checked in handle(), so a bad value gives one clear line.
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
                f"reliable change = at least R points, 1-80 (default {DEFAULT_RELIABLE_POINTS}; "
                f"{VETERAN_RELIABLE_POINTS} for veterans)"
            ),
        )

        add_loss_rule_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["instrument"] not in KNOWN_INSTRUMENTS:
            known = ", ".join(KNOWN_INSTRUMENTS)
            problem = f"unknown instrument {options['instrument']!r}; known codes: {known}"
            raise CommandError(problem, returncode=USAGE_ERROR)
        rules = _rules(options)
        stream: IO[Any] = options.get("stdin") or sys.stdin
        results = [
            _evaluate_line(number, text, rules)
            for number, text in _lines(stream)
            if text.strip()  # blank lines are skipped, but still counted in line numbers
        ]
        for result in results:
            self.stdout.write(json.dumps(result))


#: Option name -> ``OutcomeRules`` field, where the two differ.
_OPTION_FIELDS = {"confirm_loss": "loss_confirmations"}


def _rules(options: dict[str, Any]) -> OutcomeRules:
    values: dict[str, Any] = {}
    for option in ("cutoff", "response_percent", "reliable_points", "confirm_loss"):
        raw = options.get(option)
        if raw is None:
            continue
        if not _WHOLE_NUMBER.fullmatch(raw.strip()):
            raise _bad_option(option, f"must be a whole number, got {raw!r}")
        values[_OPTION_FIELDS.get(option, option)] = int(raw)
    values["response_requires_reliable"] = bool(options.get("response_requires_reliable"))
    try:
        return OutcomeRules(**values)
    except OutcomeInputError as exc:
        fields = {field: option for option, field in _OPTION_FIELDS.items()}
        raise _bad_option(fields.get(exc.field, exc.field), exc.reason) from None


def _lines(stream: IO[Any]) -> list[tuple[int, str]]:
    """Number the input lines from 1; bytes that are not UTF-8 are an input error."""
    buffer = getattr(stream, "buffer", None)
    data = buffer.read() if buffer is not None else stream.read()
    raw_lines = data.splitlines() if isinstance(data, bytes) else data.encode().splitlines()
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            # utf-8-sig drops a byte-order mark some Windows editors put on line 1.
            lines.append((number, raw.decode("utf-8-sig" if number == 1 else "utf-8")))
        except UnicodeDecodeError:
            raise bad_line(number, "not valid UTF-8 text") from None
    return lines


def _evaluate_line(number: int, text: str, rules: OutcomeRules) -> dict[str, object]:
    record = json_line(number, text)
    problem = _shape_problem(record, _RECORD_KEYS, _COURSE_EXAMPLE)
    if problem is not None:
        raise bad_line(number, f"the course {problem}")
    if not isinstance(record["followups"], list):
        reason = f'"followups" must be a list of objects like {_FOLLOWUP_EXAMPLE}'
        raise bad_line(number, f"{reason}, got {_kind(record['followups'])}")
    followups = []
    for index, item in enumerate(record["followups"], start=1):
        problem = _shape_problem(item, _FOLLOWUP_KEYS, _FOLLOWUP_EXAMPLE)
        if problem is not None:
            raise bad_line(number, f"follow-up {index} {problem}")
        followups.append(Followup(day=item["day"], total=item["total"]))
    try:
        return evaluate(record["baseline"], followups, rules).to_dict()
    except OutcomeInputError as exc:
        raise bad_line(number, str(exc)) from None


def _shape_problem(value: object, keys: tuple[str, ...], example: str) -> str | None:
    """Why ``value`` is not a JSON object with exactly ``keys``, or None if it is."""
    if not isinstance(value, dict):
        return f"must be a JSON object like {example}, got {_kind(value)}"
    missing = [key for key in keys if key not in value]
    if missing:
        return f"is missing the key(s) {_names(missing)}"
    extra = sorted(key for key in value if key not in keys)
    if extra:
        return f"has unexpected key(s) {_names(extra)}; only {_names(list(keys))} are allowed"
    return None


def _kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    names = {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _names(keys: list[str]) -> str:
    return ", ".join(json.dumps(key) for key in keys)


def _bad_option(field: str, reason: str) -> CommandError:
    # One line on stderr, named as the user typed the option.
    option = "--" + field.replace("_", "-")
    return CommandError(f"{option} {' '.join(reason.split())}", returncode=USAGE_ERROR)
