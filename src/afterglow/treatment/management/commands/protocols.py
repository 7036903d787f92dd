"""``afterglow protocols``: list the shipped protocol presets, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from afterglow.treatment.presets import PresetError, ProtocolPreset, all_presets, preset_as_json

HELP = """\
List the protocol presets Afterglow ships, each citing its source.

Without options, prints a table. With --json, prints a JSON list with one
object per preset: code, name, route, dose_mg_per_kg (null for a fixed dose),
dose_mg_per_kg_min/max, fixed_dose_mg (null for a weight-based dose),
fixed_dose_options_mg, infusion_minutes, sessions, sessions_per_week,
post_dose_therapy, observation_minutes, description, note and source.
"""


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keep the line breaks of HELP."""


class Command(BaseCommand):
    help = HELP
    # Reads shipped files only: no system checks, no migration check, no database access.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the presets as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            presets = all_presets()
        except PresetError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps([preset_as_json(p) for p in presets], indent=2))
            return
        rows: list[tuple[str, ...]] = [
            ("CODE", "ROUTE", "DOSE", "MINUTES", "SESSIONS", "PER WEEK", "NAME")
        ]
        rows += [_row(preset) for preset in presets]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]))


def _row(preset: ProtocolPreset) -> tuple[str, ...]:
    if preset.dose_mg_per_kg is not None:
        dose = f"{preset.dose_mg_per_kg} mg/kg"
    else:
        dose = "/".join(str(mg) for mg in preset.fixed_dose_options_mg) + " mg"
    return (
        preset.code,
        preset.route,
        dose,
        "-" if preset.infusion_minutes is None else str(preset.infusion_minutes),
        str(preset.sessions),
        "-" if preset.sessions_per_week is None else str(preset.sessions_per_week),
        preset.name,
    )
