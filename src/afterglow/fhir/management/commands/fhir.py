"""``afterglow fhir questionnaire`` and ``afterglow fhir export``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.core.cli import USAGE_ERROR, ComputeCommand, OneLineParser
from afterglow.fhir import selectors
from afterglow.fhir.questionnaires import questionnaire
from afterglow.instruments.catalog import UnknownInstrument, get_instrument

HELP = """\
FHIR R4 (JSON) out of Afterglow; see docs/fhir.md.

  afterglow fhir questionnaire CODE
      Print the Questionnaire of one catalog instrument (e.g. pcl5, phq9).

  afterglow fhir export --patient MRN [--clinic SLUG]
      Print a Bundle (type collection) with everything about one patient.

  afterglow fhir export --all --out DIR [--clinic SLUG]
      Write Bulk Data style NDJSON into DIR, one file per resource type
      (Patient.ndjson, Observation.ndjson, ...), for the whole clinic.

--clinic may be left out when only one clinic exists (or, with --patient, when the
record number is used by one clinic only). Exports are audit events. Bad input exits
2 with one line.
"""


class Command(ComputeCommand):
    help = HELP
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, parser_class=OneLineParser)
        one = sub.add_parser("questionnaire", help="print one Questionnaire")
        one.add_argument("code", metavar="CODE", help="instrument code, e.g. pcl5")
        export = sub.add_parser("export", help="export patient data as FHIR")
        which = export.add_mutually_exclusive_group(required=True)
        which.add_argument("--patient", metavar="MRN", help="one patient's record number")
        which.add_argument("--all", action="store_true", help="every patient of the clinic")
        export.add_argument("--out", metavar="DIR", help="folder for the NDJSON files (--all)")
        export.add_argument("--clinic", metavar="SLUG", help="the clinic")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "questionnaire":
            try:
                instrument = get_instrument(options["code"])
            except UnknownInstrument as exc:
                raise CommandError(str(exc), returncode=USAGE_ERROR) from None
            self.stdout.write(json.dumps(questionnaire(instrument), indent=2, ensure_ascii=False))
        elif options["all"]:
            self._export_all(options)
        else:
            self._export_patient(options)

    def _clinic(self, slug: str | None) -> Clinic | None:
        if slug is None:
            return None
        clinic = Clinic.objects.filter(slug=slug).first()
        if clinic is None:
            raise CommandError(f"no clinic with slug {slug!r}", returncode=USAGE_ERROR)
        return clinic

    def _export_patient(self, options: dict[str, Any]) -> None:
        if options["out"]:
            raise CommandError("--out goes with --all only", returncode=USAGE_ERROR)
        patients = selectors.patient_by_mrn(self._clinic(options["clinic"]), options["patient"])
        if not patients:
            raise CommandError(
                f"no patient with MRN {options['patient']!r}", returncode=USAGE_ERROR
            )
        if len(patients) > 1:
            raise CommandError(
                f"MRN {options['patient']!r} is used in several clinics; pass --clinic SLUG",
                returncode=USAGE_ERROR,
            )
        patient = patients[0]
        resources = list(selectors.everything(patient.clinic, patient.pk))
        audit_record(
            action=Action.EXPORT,
            clinic=patient.clinic_id,
            patient=patient.pk,
            object_type="fhir bundle",
            object_id=patient.pk,
            note="afterglow fhir export --patient",
        )
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": timezone.now().isoformat(),
            "entry": [{"resource": resource} for resource in resources],
        }
        self.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False))

    def _export_all(self, options: dict[str, Any]) -> None:
        if not options["out"]:
            raise CommandError("--all needs --out DIR", returncode=USAGE_ERROR)
        clinic = self._clinic(options["clinic"])
        if clinic is None:
            clinics = list(Clinic.objects.all()[:2])
            if len(clinics) != 1:
                raise CommandError(
                    "several clinics (or none) exist; pass --clinic SLUG", returncode=USAGE_ERROR
                )
            clinic = clinics[0]
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a folder", returncode=USAGE_ERROR)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(
                f"cannot create {out}: {exc.strerror}", returncode=USAGE_ERROR
            ) from None
        audit_record(
            action=Action.EXPORT,
            clinic=clinic.pk,
            object_type="fhir bulk export",
            note="afterglow fhir export --all",
        )
        for resource_type in selectors.TYPES:
            path = out / f"{resource_type}.ndjson"
            lines = 0
            with path.open("w", encoding="utf-8") as handle:
                for resource in selectors.every_resource(clinic, resource_type):
                    handle.write(json.dumps(resource, ensure_ascii=False) + "\n")
                    lines += 1
            self.stdout.write(f"{path}: {lines} {resource_type}")
