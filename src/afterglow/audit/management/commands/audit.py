"""``afterglow audit verify`` and ``afterglow audit export``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandError

from afterglow.accounts.models import Clinic
from afterglow.audit.selectors import chain_verify, event_as_json, events_matching
from afterglow.core.cli import USAGE_ERROR, ComputeCommand, OneLineParser
from afterglow.patients.models import Patient

HELP = """\
The audit log.

  afterglow audit verify
      Walk the hash chain from the first event. Prints "audit chain ok: N events"
      and exits 0, or names the first broken event and exits 1.

  afterglow audit export [--since DATE] [--until DATE] [--patient MRN] [--clinic SLUG]
      Print the events (oldest first) as JSON Lines, one object per event with
      every stored field. DATE is YYYY-MM-DD in UTC; --until includes that day.
      --patient matches the record number in every clinic unless --clinic is given.
      Bad input exits 2 with one line.
"""


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class Command(ComputeCommand):
    help = HELP
    # It reads the database, but prints no migration notice: that would land on
    # stdout, in the middle of the JSON Lines.
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, parser_class=OneLineParser)
        sub.add_parser("verify", help="check the hash chain")
        export = sub.add_parser("export", help="print events as JSON Lines")
        export.add_argument("--since", type=_day, help="first day (YYYY-MM-DD, UTC)")
        export.add_argument("--until", type=_day, help="last day, included (YYYY-MM-DD, UTC)")
        export.add_argument("--patient", metavar="MRN", help="only this patient's events")
        export.add_argument("--clinic", metavar="SLUG", help="only this clinic's events")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "verify":
            self._verify()
        else:
            self._export(options)

    def _verify(self) -> None:
        verdict = chain_verify()
        if not verdict.ok:
            raise CommandError(
                f"audit chain broken at event id {verdict.broken_id}: {verdict.reason} "
                f"({verdict.count} events verified before it)",
                returncode=1,
            )
        self.stdout.write(f"audit chain ok: {verdict.count} events")

    def _export(self, options: dict[str, Any]) -> None:
        since, until = options["since"], options["until"]
        if since and until and until < since:
            raise CommandError("--until is before --since", returncode=USAGE_ERROR)
        clinic_id = None
        if options["clinic"]:
            clinic_id = (
                Clinic.objects.filter(slug=options["clinic"]).values_list("pk", flat=True).first()
            )
            if clinic_id is None:
                raise CommandError(
                    f"no clinic with slug {options['clinic']!r}", returncode=USAGE_ERROR
                )
        patient_ids = None
        if options["patient"]:
            patients = Patient.objects.filter(mrn=options["patient"])
            if clinic_id is not None:
                patients = patients.filter(clinic_id=clinic_id)
            patient_ids = list(patients.values_list("pk", flat=True))
            if not patient_ids:
                raise CommandError(
                    f"no patient with MRN {options['patient']!r}", returncode=USAGE_ERROR
                )
        events = events_matching(
            clinic_id=clinic_id,
            patient_ids=patient_ids,
            since=_midnight(since),
            until=_midnight(until + dt.timedelta(days=1)) if until else None,
        ).order_by("seq")
        for event in events.iterator(chunk_size=2000):
            self.stdout.write(json.dumps(event_as_json(event), sort_keys=True, ensure_ascii=False))


def _midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
