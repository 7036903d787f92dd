"""``afterglow imaging extract`` and ``afterglow imaging synthesize``."""

from __future__ import annotations

import argparse
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
        synth = sub.add_parser("synthesize", help="write a seeded synthetic run")
        synth.add_argument("--out", type=Path, required=True, metavar="DIR")
        synth.add_argument("--seed", type=int, default=1)
        synth.add_argument("--r", type=_correlation, default=0.45)
        synth.add_argument("--reactivity", type=_number, default=0.8, metavar="PSC")
        synth.add_argument("--rest", action="store_true", help="a resting run, no events")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "extract":
            self._extract(options)
        else:
            self._synthesize(options)

    def _extract(self, options: dict[str, Any]) -> None:
        from afterglow.imaging.extract import ExtractOptions, ImagingInputError, extract

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
        self.stdout.write(json.dumps(result, indent=2, allow_nan=False))

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
