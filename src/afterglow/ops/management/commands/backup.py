"""``afterglow backup``: an online, consistent backup with a manifest (see
``afterglow.ops.backup.archive``). Safe while the clinic works; run nightly by
``deploy/afterglow-backup.timer``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from afterglow.core.cli import USAGE_ERROR
from afterglow.ops.backup.archive import backup_create
from afterglow.ops.backup.crypto import BackupKeyError, key_new
from afterglow.ops.backup.databases import OpsError


class Command(BaseCommand):
    help = (
        "Back up the database while it is in use (SQLite's backup API, or pg_dump), with "
        "a manifest of every table's row count and checksum; optionally encrypted."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            metavar="DIR",
            help=f"folder for the backup file (default AFTERGLOW_BACKUP_DIR, now "
            f"{settings.AFTERGLOW_BACKUP_DIR})",
        )
        parser.add_argument(
            "--encrypt-key-file",
            type=Path,
            default=None,
            metavar="FILE",
            help="encrypt with this key (AES-256-GCM); make one with --new-key",
        )
        parser.add_argument(
            "--keep", type=int, default=None, metavar="N", help="then keep only the newest N"
        )
        parser.add_argument(
            "--new-key",
            type=Path,
            default=None,
            metavar="FILE",
            help="write a new random key to FILE (mode 0600) and exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            try:
                key_new(options["new_key"])
            except (BackupKeyError, OSError) as exc:
                raise CommandError(str(exc), returncode=USAGE_ERROR) from None
            self.stdout.write(
                f"Wrote a new backup key to {options['new_key']}. Keep a copy somewhere else: "
                "without it the encrypted backups cannot be read."
            )
            return
        keep = options["keep"]
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1", returncode=USAGE_ERROR)
        try:
            result = backup_create(
                output=options["output"] or settings.AFTERGLOW_BACKUP_DIR,
                key_file=options["encrypt_key_file"],
                keep=keep,
            )
        except (OpsError, BackupKeyError, OSError) as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        tables = result.manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        self.stdout.write(
            f"Backed up {len(tables)} tables ({rows} rows) to {result.path}"
            + (f"; removed {len(result.removed)} older" if result.removed else "")
        )
