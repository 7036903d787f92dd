"""``afterglow imaging extract`` and ``afterglow imaging synthesize``."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from afterglow.core.cli import USAGE_ERROR, ComputeCommand, OneLineParser

HELP = """\
Research imaging: derived measures from one fMRI run (research use, not a diagnostic).

  afterglow imaging extract --bold BOLD.nii.gz --tr SECONDS --amygdala MASK.nii.gz
        --hippocampus MASK.nii.gz [--confounds CONFOUNDS.tsv [--confound-columns A,B]]
        [--events EVENTS.tsv --contrast "trauma - neutral"]
        [--high-pass HZ] [--low-pass HZ] [--scrub-fd MM]
      Print JSON: amygdala_hippocampus_r and _z (Pearson r of the regions' mean time
      series after regressing out a constant, a linear trend and the confound columns,
      and its Fisher z), with --events the amygdala_reactivity {effect, stat, contrast}
      of a first-level GLM (Glover HRF, cosine drift 0.01 Hz, AR(1) noise) in percent
      signal change, n_volumes, voxels per mask, software versions and the SHA-256 of
      every input. Filters and scrubbing are off unless asked, and reported.
      Masks must be in the BOLD image's space (else resampled, nearest-neighbour, and
      reported). Bad input exits 2 with one line. See docs/imaging.md.

      To store the measures as an imaging session of a patient, add
        --save --clinic SLUG --patient MRN --label LABEL --date YYYY-MM-DD
        [--kind rest|task] [--task-name NAME] [--site SITE] [--scanner SCANNER]
      (the images themselves are never stored).

  afterglow imaging import FILE.tsv --clinic SLUG [--mapping MAP.csv] [--dry-run]
      Import a BIDS-derivatives style table (participant_id, session, scanned_on and
      measure columns: amygdala_hippocampus_r, amygdala_hippocampus_z,
      amygdala_reactivity, amygdala_reactivity_stat; optional kind, task, site,
      scanner, contrast). MAP.csv has participant_id,mrn; without it sub-X matches the
      record number with its punctuation removed. Prints a JSON report of what was
      created, skipped (already stored) and refused, and why.

  afterglow imaging synthesize --out DIR [--seed N] [--r R] [--reactivity PSC] [--rest]
      Write a seeded synthetic run (16x16x12 voxels, 150 volumes, TR 2 s) with its masks
      and, unless --rest, a block-design events file, with the given amygdala-hippocampus
      correlation and trauma-minus-neutral amygdala response; prints the paths as JSON.
"""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _correlation(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not -1 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be strictly between -1 and 1")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def read_rows(path: Path, *, delimiter: str) -> list[dict[str, str]]:
    """The rows of a UTF-8 table with a header line; ValueError names what is wrong."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            rows = list(reader)
            header = reader.fieldnames or []
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not UTF-8 text") from None
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except csv.Error as error:
        raise ValueError(f"{path.name}: {error}") from None
    if not header:
        raise ValueError(f"{path.name}: empty file")
    return rows


def _clinic(slug: str) -> Any:
    from afterglow.accounts.models import Clinic

    clinic = Clinic.objects.filter(slug=slug).first()
    if clinic is None:
        raise CommandError(f"no clinic with slug {slug!r}", returncode=USAGE_ERROR)
    return clinic


def _patient(slug: str, mrn: str) -> Any:
    from afterglow.patients.models import Patient

    patient = Patient.objects.filter(clinic=_clinic(slug), mrn=mrn).first()
    if patient is None:
        raise CommandError(f"no patient {mrn!r} in clinic {slug!r}", returncode=USAGE_ERROR)
    return patient


class Command(ComputeCommand):
    help = HELP

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, parser_class=OneLineParser)
        extract = sub.add_parser("extract", help="measures from one run, as JSON")
        extract.add_argument("--bold", type=Path, required=True, metavar="BOLD.nii.gz")
        extract.add_argument("--tr", type=_positive, required=True, metavar="SECONDS")
        extract.add_argument("--amygdala", type=Path, required=True, metavar="MASK.nii.gz")
        extract.add_argument("--hippocampus", type=Path, required=True, metavar="MASK.nii.gz")
        extract.add_argument("--confounds", type=Path, metavar="CONFOUNDS.tsv")
        extract.add_argument(
            "--confound-columns", metavar="A,B", help="columns to regress out (default: all)"
        )
        extract.add_argument("--events", type=Path, metavar="EVENTS.tsv")
        extract.add_argument("--contrast", metavar='"A - B"')
        extract.add_argument("--high-pass", type=_positive, metavar="HZ")
        extract.add_argument("--low-pass", type=_positive, metavar="HZ")
        extract.add_argument("--scrub-fd", type=_positive, metavar="MM")
        extract.add_argument("--save", action="store_true", help="store as an imaging session")
        extract.add_argument("--clinic", metavar="SLUG")
        extract.add_argument("--patient", metavar="MRN")
        extract.add_argument("--label", metavar="LABEL", help="session label, e.g. pre")
        extract.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="scan day")
        extract.add_argument("--kind", choices=("rest", "task"))
        extract.add_argument("--task-name", default="")
        extract.add_argument("--site", default="")
        extract.add_argument("--scanner", default="")
        imported = sub.add_parser("import", help="import a BIDS-derivatives TSV")
        imported.add_argument("file", type=Path, metavar="FILE.tsv")
        imported.add_argument("--clinic", metavar="SLUG", required=True)
        imported.add_argument("--mapping", type=Path, metavar="MAP.csv")
        imported.add_argument("--dry-run", action="store_true")
        synth = sub.add_parser("synthesize", help="write a seeded synthetic run")
        synth.add_argument("--out", type=Path, required=True, metavar="DIR")
        synth.add_argument("--seed", type=int, default=1)
        synth.add_argument("--r", type=_correlation, default=0.45)
        synth.add_argument("--reactivity", type=_number, default=0.8, metavar="PSC")
        synth.add_argument("--rest", action="store_true", help="a resting run, no events")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "extract":
            self._extract(options)
        elif options["what"] == "import":
            self._import(options)
        else:
            self._synthesize(options)

    def _extract(self, options: dict[str, Any]) -> None:
        from afterglow.imaging.extract import ExtractOptions, ImagingInputError, extract

        if options["save"]:
            missing = [f"--{n}" for n in ("clinic", "patient", "label", "date") if not options[n]]
            if missing:
                raise CommandError(f"--save needs {', '.join(missing)}", returncode=USAGE_ERROR)
            patient = _patient(options["clinic"], options["patient"])
        columns = None
        if options["confound_columns"] is not None:
            columns = [c.strip() for c in options["confound_columns"].split(",") if c.strip()]
        try:
            result = extract(
                bold=options["bold"],
                amygdala=options["amygdala"],
                hippocampus=options["hippocampus"],
                confounds=options["confounds"],
                events=options["events"],
                options=ExtractOptions(
                    tr=options["tr"],
                    confound_columns=columns,
                    high_pass_hz=options["high_pass"],
                    low_pass_hz=options["low_pass"],
                    scrub_fd_mm=options["scrub_fd"],
                    contrast=options["contrast"],
                ),
            )
        except ImagingInputError as error:
            raise CommandError(" ".join(str(error).split()), returncode=USAGE_ERROR) from None
        if options["save"]:
            from django.core.exceptions import ValidationError

            from afterglow.imaging.models import Source
            from afterglow.imaging.services import imaging_session_record, measures_from_extract

            measures, provenance = measures_from_extract(result)
            kind = options["kind"] or ("task" if "amygdala_reactivity" in result else "rest")
            try:
                session = imaging_session_record(
                    patient=patient,
                    by=None,
                    label=options["label"],
                    scanned_on=options["date"],
                    kind=kind,
                    task_name=options["task_name"],
                    site=options["site"],
                    scanner=options["scanner"],
                    measures=measures,
                    provenance=provenance,
                    source=Source.EXTRACT,
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages), returncode=USAGE_ERROR) from None
            result["saved_session_id"] = session.pk
        self.stdout.write(json.dumps(result, indent=2, allow_nan=False))

    def _import(self, options: dict[str, Any]) -> None:
        from afterglow.imaging.services import imaging_import

        clinic = _clinic(options["clinic"])
        try:
            rows = read_rows(options["file"], delimiter="\t")
            mapping = None
            if options["mapping"] is not None:
                mapping = {
                    (row.get("participant_id") or "").removeprefix("sub-"): row.get("mrn") or ""
                    for row in read_rows(options["mapping"], delimiter=",")
                }
        except (OSError, ValueError) as error:
            raise CommandError(" ".join(str(error).split()), returncode=USAGE_ERROR) from None
        report = imaging_import(
            clinic=clinic, by=None, rows=rows, mapping=mapping, dry_run=options["dry_run"]
        )
        self.stdout.write(json.dumps({"dry_run": options["dry_run"], **report.as_dict()}, indent=2))

    def _synthesize(self, options: dict[str, Any]) -> None:
        from afterglow.imaging.synthetic import synthetic_run, write_run

        run = synthetic_run(
            seed=options["seed"],
            connectivity_r=options["r"],
            reactivity_psc=options["reactivity"],
            task=not options["rest"],
        )
        try:
            paths = write_run(run, options["out"])
        except OSError as error:
            raise CommandError(
                f"--out {options['out']}: {error.strerror}", returncode=USAGE_ERROR
            ) from None
        self.stdout.write(json.dumps({name: str(path) for name, path in paths.items()}, indent=2))
