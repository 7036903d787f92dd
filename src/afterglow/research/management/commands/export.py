"""``afterglow export research``: the de-identified research export."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from afterglow.core.cli import ComputeCommand, OneLineParser
from afterglow.research.cli import clinic_named, usage, user_named
from afterglow.research.services import DEFAULT_SHIFT_DAYS, ExportRefused, research_export_write
from afterglow.research.writers import FORMATS

HELP = f"""\
Exports for research.

  afterglow export research --out DIR --recipient NAME [--clinic SLUG]
                            [--format csv,stata,spss,parquet] [--shift-days N] [--user USERNAME]
      De-identified tables of the patients who consented to research use: item-level
      responses of every instrument with totals and subscales, diary days, doses with
      mg/kg, adverse events, therapy sessions, courses, a wide patient-timepoint table,
      outcomes.csv for afterglow analyze --csv, codebook.csv and manifest.json (rows and
      SHA-256 of every file). Pseudonyms are keyed per recipient NAME; each patient's dates
      move by one shift of up to N days (default {DEFAULT_SHIFT_DAYS}); ages top-coded at 90;
      sex x age band x population suppressed in cells smaller than the clinic's minimum N.
      Refused (exit 2) when fewer patients than that minimum would be exported.
"""


def _formats(text: str) -> list[str]:
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    unknown = sorted(set(chosen) - set(FORMATS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {','.join(FORMATS)}"
        )
    return chosen


class Command(ComputeCommand):
    help = HELP
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, parser_class=OneLineParser)
        research = sub.add_parser("research", help="the de-identified research export")
        research.add_argument("--out", metavar="DIR", required=True)
        research.add_argument("--recipient", metavar="NAME", required=True)
        research.add_argument("--clinic", metavar="SLUG")
        research.add_argument("--format", type=_formats, default=list(FORMATS))
        research.add_argument("--shift-days", type=int, default=DEFAULT_SHIFT_DAYS)
        research.add_argument("--user", metavar="USERNAME", help="who exports (for the audit)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = clinic_named(options["clinic"])
        try:
            result = research_export_write(
                clinic=clinic,
                out=Path(options["out"]),
                formats=options["format"],
                recipient=options["recipient"],
                shift_days=options["shift_days"],
                by=user_named(options["user"]),
            )
        except ExportRefused as exc:
            raise usage(f"not exported: {exc}") from None
        self.stdout.write(
            f"wrote {len(result.files)} files to {options['out']}: {result.patients} patients"
            f" ({result.suppressed} with sex, age band and population suppressed)"
        )
