"""``afterglow restore FILE --into DATABASE_URL``: load a backup, then check every table
against its manifest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from afterglow.core.cli import USAGE_ERROR
from afterglow.ops.backup.archive import backup_restore
from afterglow.ops.backup.crypto import BackupKeyError
from afterglow.ops.backup.databases import OpsError


class Command(BaseCommand):
    help = (
        "Restore a backup into the database at --into (an empty one unless --force), then "
        "compare every table's row count and checksum with the backup's manifest."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="an afterglow-*.backup[.enc] file")
        parser.add_argument(
            "--into",
            required=True,
            metavar="DATABASE_URL",
            help="sqlite:////abs/path.sqlite3 or postgres://user@host/db",
        )
        parser.add_argument(
            "--key-file", type=Path, default=None, help="the key of an encrypted backup"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace everything in a non-empty target"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_restore(
                path=options["file"],
                into=options["into"],
                force=options["force"],
                key_file=options["key_file"],
            )
        except (OpsError, BackupKeyError, OSError) as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        tables = manifest["tables"]
        self.stdout.write(
            f"Restored and verified {len(tables)} tables "
            f"({sum(t['rows'] for t in tables.values())} rows) from {manifest['created_at']}."
        )
