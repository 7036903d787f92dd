"""``afterglow createclinic``: the first clinic of a new installation (no demo needed)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from afterglow.accounts.services import clinic_create
from afterglow.core.cli import USAGE_ERROR


def one_line(exc: ValidationError) -> str:
    return " ".join(" ".join(exc.messages).split())


class Command(BaseCommand):
    help = (
        "Create a clinic with every clinical threshold at its documented default "
        "(review them on the clinic settings page). Then add its admin: afterglow createadmin."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help='e.g. "Riverside Ketamine Clinic"')
        parser.add_argument(
            "--slug", required=True, help="short name in addresses: /c/<slug>/ (letters, digits, -)"
        )
        parser.add_argument(
            "--timezone", default="UTC", help="IANA timezone, e.g. Europe/London (default UTC)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            clinic = clinic_create(
                name=options["name"], slug=options["slug"], timezone=options["timezone"]
            )
        except ValidationError as exc:
            raise CommandError(one_line(exc), returncode=USAGE_ERROR) from None
        self.stdout.write(f"Created clinic {clinic.name} ({clinic.slug}, {clinic.timezone}).")
