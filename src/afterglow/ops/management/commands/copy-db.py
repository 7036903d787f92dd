"""``afterglow copy-db --to DATABASE_URL``: move a clinic from SQLite to PostgreSQL."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from afterglow.core.cli import USAGE_ERROR
from afterglow.ops.backup.archive import db_copy
from afterglow.ops.backup.databases import OpsError


class Command(BaseCommand):
    help = (
        "Copy every table of this database (primary keys kept, sequences moved past them) "
        "into an empty database at --to, then compare every table's row count and checksum. "
        "Stop afterglow serve and afterglow worker first."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--to", required=True, metavar="DATABASE_URL", help="postgres://user@host:5432/db"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace everything in a non-empty target"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tables = db_copy(to=options["to"], force=options["force"])
        except OpsError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        rows = sum(t["rows"] for t in tables.values())
        self.stdout.write(
            f"Copied and verified {len(tables)} tables ({rows} rows). Point DATABASE_URL at "
            "the new database and start the services."
        )
