"""``afterglow redcap dictionary|export|import``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied

from afterglow.core.cli import ComputeCommand, OneLineParser
from afterglow.core.csvsafe import csv_writer
from afterglow.instruments.catalog import UnknownInstrument
from afterglow.research import redcap
from afterglow.research.cli import (
    clinic_named,
    read_csv_rows,
    read_pairs,
    usage,
    user_named,
)
from afterglow.research.redcap_services import (
    redcap_export_write,
    redcap_records_import,
    redcap_selection,
)
from afterglow.research.services import DEFAULT_SHIFT_DAYS, ExportRefused

HELP = f"""\
REDCap: a data dictionary from the instrument catalog, a longitudinal export, an import.

  afterglow redcap dictionary [--instruments pcl5,phq9,diary] [--out FILE]
      The data dictionary CSV (REDCap's 18 columns) on stdout or into FILE.

  afterglow redcap export --out DIR [--clinic SLUG] [--instruments ...]
                          [--recipient NAME] [--shift-days N]
                          [--identified --user USERNAME]
      dictionary.csv, events.csv, instrument_event_mapping.csv and records.csv.
      Pseudonymous by default (research consent only, keyed record ids for NAME, dates
      shifted by up to N days, default {DEFAULT_SHIFT_DAYS}); --identified (record id = MRN, real
      dates, date of birth) only for --user USERNAME, an admin of the clinic.

  afterglow redcap import FILE [--clinic SLUG] [--mapping FILE] [--events FILE]
                          [--user USERNAME] [--dry-run]
      Store the answers of a REDCap records export (flat CSV). Records are matched by MRN:
      the record id, its mrn field, or --mapping (columns record_id,mrn). --events
      (event_name,unique_event_name: the events.csv of the export) gives timepoints.
      Prints one line per instrument found: created / skipped / refused with the reason,
      then the counts. Refused lines do not stop the others; exit 0.
"""


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


class Command(ComputeCommand):
    help = HELP
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, parser_class=OneLineParser)
        dictionary = sub.add_parser("dictionary", help="print the data dictionary")
        dictionary.add_argument("--instruments", type=_codes, help="codes, comma-separated")
        dictionary.add_argument("--out", metavar="FILE", help="write here instead of stdout")
        export = sub.add_parser("export", help="write the REDCap project files and records")
        export.add_argument("--out", metavar="DIR", required=True)
        export.add_argument("--clinic", metavar="SLUG")
        export.add_argument("--instruments", type=_codes)
        export.add_argument("--recipient", metavar="NAME", default="")
        export.add_argument("--shift-days", type=int, default=DEFAULT_SHIFT_DAYS)
        export.add_argument("--identified", action="store_true")
        export.add_argument("--user", metavar="USERNAME")
        imp = sub.add_parser("import", help="store answers from a REDCap records CSV")
        imp.add_argument("file", metavar="FILE")
        imp.add_argument("--clinic", metavar="SLUG")
        imp.add_argument("--mapping", metavar="FILE")
        imp.add_argument("--events", metavar="FILE")
        imp.add_argument("--instruments", type=_codes)
        imp.add_argument("--user", metavar="USERNAME")
        imp.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['what']}")(options)
        except UnknownInstrument as exc:
            raise usage(str(exc)) from None

    def _dictionary(self, options: dict[str, Any]) -> None:
        instruments, diary = redcap_selection(options["instruments"])
        fields = redcap.dictionary_fields(instruments, diary=diary)
        if options["out"]:
            with Path(options["out"]).open("w", newline="") as handle:
                self._write_dictionary(handle, fields)
        else:
            self._write_dictionary(self.stdout, fields)

    @staticmethod
    def _write_dictionary(handle: Any, fields: list[redcap.Field]) -> None:
        writer = csv_writer(handle, lineterminator="\n")
        writer.writerow(redcap.HEADERS)
        writer.writerows(field.row() for field in fields)

    def _export(self, options: dict[str, Any]) -> None:
        clinic = clinic_named(options["clinic"])
        user = user_named(options["user"])
        if options["identified"] and user is None:
            raise usage("--identified needs --user USERNAME (an admin of the clinic)")
        if not options["identified"] and not options["recipient"].strip():
            raise usage("name the recipient with --recipient NAME (pseudonyms are per recipient)")
        try:
            result = redcap_export_write(
                clinic=clinic,
                out=Path(options["out"]),
                codes=options["instruments"],
                identified=options["identified"],
                by=user,
                recipient=options["recipient"],
                shift_days=options["shift_days"],
            )
        except (PermissionDenied, ExportRefused) as exc:
            raise usage(str(exc)) from None
        self.stdout.write(
            f"wrote {len(result.files)} files to {options['out']}: "
            f"{result.records} records, {result.rows} rows"
        )

    def _import(self, options: dict[str, Any]) -> None:
        clinic = clinic_named(options["clinic"])
        rows = read_csv_rows(options["file"])
        if rows and "record_id" not in rows[0]:
            raise usage(f"{options['file']}: no record_id column (is it a REDCap records export?)")
        mapping = read_pairs(options["mapping"], "record_id", "mrn") if options["mapping"] else None
        events = (
            read_pairs(options["events"], "unique_event_name", "event_name")
            if options["events"]
            else None
        )
        report = redcap_records_import(
            clinic=clinic,
            rows=rows,
            mapping=mapping,
            events=events,
            codes=options["instruments"],
            dry_run=options["dry_run"],
            by=user_named(options["user"]),
        )
        counts: dict[str, int] = {}
        for line in report:
            counts[line.status] = counts.get(line.status, 0) + 1
            reason = f": {line.reason}" if line.reason else ""
            self.stdout.write(
                f"line {line.line} record {line.record_id} {line.instrument}: {line.status}{reason}"
            )
        summary = (
            ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing found"
        )
        self.stdout.write(("dry run, nothing stored: " if options["dry_run"] else "") + summary)
