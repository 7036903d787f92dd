"""``afterglow score <instrument>``: score questionnaire answers from JSON Lines.

A thin shell around ``catalog`` and ``scoring``: parsing and error reporting
live here, every scoring rule lives in the instrument definition.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import IO, Any

from django.core.management.base import CommandError

from afterglow.core.cli import USAGE_ERROR, ComputeCommand, bad_line, json_line
from afterglow.instruments.catalog import (
    Instrument,
    UnknownInstrument,
    all_instruments,
    get_instrument,
)
from afterglow.instruments.scoring import Score, ScoringInputError, resolve_cutoff, score

HELP = """\
Score questionnaire answers read as JSON Lines from standard input.

Any instrument in the catalog can be scored; every rule comes from its
definition. Each input line is one response: {"items": [v1, ..., vN]} with one
value per item in item order, each a response option value (PCL-5: 20 integers
0-4; PHQ-9: 9 integers 0-3) or null for an unanswered item. Blank lines are
skipped.

Each response gives one JSON line on standard output, in input order, e.g.
PCL-5:
{"complete": true, "total": 41, "clusters": {"B": 12, "C": 5, "D": 14, "E": 10},
 "provisional_diagnosis": true, "probable_ptsd": true, "missing_items": []}
PHQ-9 (severity band; codes of the item alerts that fired):
{"complete": true, "total": 12, "severity": "moderate", "clusters": {},
 "provisional_diagnosis": null, "alerts": ["self_harm_thoughts"], "missing_items": []}
A response with null items has "complete": false and null total, severity,
diagnosis and flag (missing answers are never counted as zero); "missing_items"
lists them. Item alerts still fire when their own item is answered: a safety
signal is never hidden because another item was skipped.

All input is checked before anything is written: if any line is malformed
(not JSON, not an object with exactly the key "items", the wrong number of
values, or a value that is not an allowed integer), nothing is written to
standard output, one line naming the line number and the problem goes to
standard error, and the exit status is 2. A pipeline never sees partial output.
"""


class Command(ComputeCommand):
    help = HELP
    # Lets call_command(..., stdin=io.StringIO(...)) feed input in-process.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        codes = ", ".join(instrument.code for instrument in all_instruments())
        parser.add_argument("instrument", help=f"instrument code: {codes}")
        # Read as text and checked in handle(), so a bad value gives one clear line
        # (argparse's own type errors print the whole usage first).
        parser.add_argument(
            "--cutoff",
            metavar="N",
            help=(
                "total at or above which the cutoff flag is set, for instruments with a "
                "cutoff (PCL-5: 0-80, default 33)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        instrument = _instrument(options["instrument"])
        cutoff = _cutoff(instrument, options["cutoff"])
        stream: IO[Any] = options.get("stdin") or sys.stdin
        scores = [
            _score_line(instrument, number, text, cutoff)
            for number, text in _lines(stream)
            if text.strip()  # blank lines are skipped, but still counted in line numbers
        ]
        for result in scores:
            self.stdout.write(json.dumps(result.to_dict()))


def _instrument(code: str) -> Instrument:
    try:
        return get_instrument(code)
    except UnknownInstrument as exc:
        raise CommandError(str(exc), returncode=USAGE_ERROR) from None


def _cutoff(instrument: Instrument, raw: str | None) -> int | None:
    value: int | None = None
    if raw is not None:
        # ASCII digits only: int() would also accept "1_0" and non-Latin digits.
        if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", raw):
            problem = f"--cutoff must be a whole number, got {raw!r}"
            raise CommandError(problem, returncode=USAGE_ERROR)
        value = int(raw)
    try:
        return resolve_cutoff(instrument, value)
    except ScoringInputError as exc:
        raise CommandError(f"--cutoff: {exc}", returncode=USAGE_ERROR) from None


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


def _score_line(instrument: Instrument, number: int, text: str, cutoff: int | None) -> Score:
    record = json_line(number, text)
    if not isinstance(record, dict):
        raise bad_line(number, 'expected a JSON object like {"items": [...]}')
    if "items" not in record:
        raise bad_line(number, 'missing the key "items"')
    extra = sorted(key for key in record if key != "items")
    if extra:
        names = ", ".join(json.dumps(key) for key in extra)
        raise bad_line(number, f'unexpected key(s) {names}; only "items" is allowed')
    if not isinstance(record["items"], list):
        raise bad_line(number, '"items" must be a list of item values')
    try:
        return score(instrument, record["items"], cutoff=cutoff)
    except ScoringInputError as exc:
        raise bad_line(number, str(exc)) from None
