"""``afterglow backup``, ``restore`` and ``copy-db``: the work behind the commands.

A backup is one file, ``afterglow-<UTC time>.backup`` (a gzipped tar), or
``.backup.enc`` when encrypted (:mod:`afterglow.ops.backup.crypto`), holding:

- ``manifest.json``: when, from which engine, the applied migrations, the database
  file's SHA-256, and every table's row count and checksum
  (:mod:`afterglow.ops.backup.tables`), computed from the very snapshot saved;
- the database: ``database.sqlite3`` (SQLite's online backup API: a consistent copy
  taken while the clinic keeps working; never a copy of a live WAL file) or
  ``database.pgdump`` (``pg_dump -Fc`` of a snapshot the manifest was read from too).

Restoring checks the file's SHA-256, loads it, then compares every table with the
manifest; a restore that does not match says which tables differ and fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from afterglow.ops.backup import crypto
from afterglow.ops.backup.databases import (
    OpsError,
    database_alias,
    database_clear,
    parse_url,
    pg_run,
    pg_tool,
    pg_wait,
    sqlite_path,
    table_names,
    vendor,
)
from afterglow.ops.backup.tables import differences, table_models, table_sums

FORMAT = 1
SUFFIX = ".backup"
ENCRYPTED_SUFFIX = ".backup.enc"
MANIFEST = "manifest.json"
DATA = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    removed: list[Path]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _state(alias: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The latest applied migration of each app, and every table's count and checksum."""
    applied = MigrationRecorder.Migration._base_manager.using(alias).order_by("app", "name")
    latest = dict(applied.values_list("app", "name"))  # ordered: the last name wins
    return latest, {t: s.as_dict() for t, s in table_sums(alias).items()}


def _manifest(
    engine: str, data: Path, migrations: dict[str, str], tables: dict[str, Any]
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": engine,
        "migrations": migrations,
        "database_file": data.name,
        "database_sha256": _sha256(data),
        "tables": tables,
    }


def _snapshot_sqlite(work: Path) -> tuple[Path, dict[str, Any]]:
    data = work / DATA["sqlite"]
    source = connections["default"]
    source.ensure_connection()
    target = sqlite3.connect(data)
    try:
        # One step (pages=-1): a single read transaction, so the copy is one consistent
        # moment; in WAL mode writers carry on meanwhile.
        source.connection.backup(target, pages=-1)
    finally:
        target.close()
    with database_alias(parse_url(f"sqlite:///{data}")) as alias:
        migrations, tables = _state(alias)
    return data, _manifest("sqlite", data, migrations, tables)


def _snapshot_postgresql(work: Path) -> tuple[Path, dict[str, Any]]:
    """pg_dump and the manifest read the same snapshot (``pg_export_snapshot``)."""
    import psycopg

    data = work / DATA["postgresql"]
    config = dict(connections["default"].settings_dict)
    config["OPTIONS"] = {
        **config.get("OPTIONS", {}),
        "isolation_level": psycopg.IsolationLevel.REPEATABLE_READ,
    }
    with database_alias(config) as alias, transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        dump = pg_run(
            [
                pg_tool("pg_dump"),
                "-Fc",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "-f",
                str(data),
            ],
            config,
        )
        try:
            migrations, tables = _state(alias)
        finally:
            pg_wait(dump, "pg_dump")
    return data, _manifest("postgresql", data, migrations, tables)


def backup_create(
    *, output: Path, key_file: Path | None = None, keep: int | None = None
) -> BackupResult:
    """Write one backup file into ``output``; keep the newest ``keep`` there."""
    key = crypto.key_load(key_file) if key_file else None
    output.mkdir(parents=True, exist_ok=True)
    engine = connections["default"].vendor
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = output / f"afterglow-{stamp}{ENCRYPTED_SUFFIX if key else SUFFIX}"
    with tempfile.TemporaryDirectory(dir=output, prefix=".backup-") as tmp:
        work = Path(tmp)
        if engine == "sqlite":
            data, manifest = _snapshot_sqlite(work)
        elif engine == "postgresql":
            data, manifest = _snapshot_postgresql(work)
        else:
            raise OpsError(f"cannot back up a {engine} database")
        archive = work / "archive.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            encoded = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(encoded)
            tar.addfile(info, io.BytesIO(encoded))
            tar.add(data, arcname=data.name)
        partial = work / "partial"
        if key:
            with archive.open("rb") as src, partial.open("wb") as dst:
                crypto.encrypt(src, dst, key)
        else:
            shutil.copyfile(archive, partial)
        os.chmod(partial, 0o600)
        # A rename in the same directory: a backup file is complete or absent, never half.
        os.replace(partial, final)
    removed = backups_prune(output=output, keep=keep) if keep else []
    return BackupResult(path=final, manifest=manifest, removed=removed)


def backups_prune(*, output: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``output`` (names sort by time)."""
    found = sorted(
        p
        for p in output.iterdir()
        if p.name.startswith("afterglow-") and p.name.endswith((SUFFIX, ENCRYPTED_SUFFIX))
    )
    doomed = found[:-keep] if keep else []
    for path in doomed:
        path.unlink()
    return doomed


@contextlib.contextmanager
def backup_open(path: Path, key_file: Path | None) -> Iterator[tuple[dict[str, Any], Path]]:
    """The manifest and the extracted database file (checked against its SHA-256)."""
    if not path.is_file():
        raise OpsError(f"{path} is not a file")
    with tempfile.TemporaryDirectory(prefix="afterglow-restore-") as tmp:
        work = Path(tmp)
        archive = path
        if crypto.is_encrypted(path):
            if key_file is None:
                raise OpsError(f"{path.name} is encrypted: pass --key-file")
            archive = work / "archive.tar.gz"
            with path.open("rb") as src, archive.open("wb") as dst:
                crypto.decrypt(src, dst, crypto.key_load(key_file))
        try:
            with tarfile.open(archive, "r:gz") as tar:
                manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
                name = manifest["database_file"]
                if name not in DATA.values():
                    raise OpsError(f"unexpected database file {name!r} in the manifest")
                tar.extract(name, work, filter="data")
        except (tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
            raise OpsError(f"{path.name} is not an Afterglow backup ({exc})") from None
        data = work / name
        if _sha256(data) != manifest["database_sha256"]:
            raise OpsError(f"{path.name}: the database file does not match its manifest")
        yield manifest, data


def _require_empty(alias: str, force: bool, what: str) -> None:
    names = table_names(alias)
    if names and not force:
        raise OpsError(
            f"{what} is not empty ({len(names)} tables): choose an empty database, or pass "
            "--force to replace everything in it"
        )
    if names:
        database_clear(alias)


def verify(alias: str, manifest: dict[str, Any]) -> None:
    problems = differences(manifest["tables"], table_sums(alias))
    if problems:
        raise OpsError(
            f"{len(problems)} table(s) differ from the manifest: " + "; ".join(problems[:5])
        )


def backup_restore(
    *, path: Path, into: str, force: bool, key_file: Path | None = None
) -> dict[str, Any]:
    """Load a backup into the database at URL ``into`` and check every table."""
    target = parse_url(into)
    with backup_open(path, key_file) as (manifest, data):
        engine = manifest["engine"]
        if vendor(target) == "sqlite":
            if engine != "sqlite":
                raise OpsError(
                    "a PostgreSQL backup restores into PostgreSQL only (then copy-db is not needed)"
                )
            _restore_sqlite_file(data, sqlite_path(target), force)
            with database_alias(target) as alias:
                verify(alias, manifest)
            return manifest
        with database_alias(target) as alias:
            _require_empty(alias, force, "the target database")
            if engine == "postgresql":
                connections[alias].close()
                pg_wait(
                    pg_run(
                        [
                            pg_tool("pg_restore"),
                            "--no-owner",
                            "--no-privileges",
                            "--exit-on-error",
                            "-d",
                            str(target["NAME"]),
                            str(data),
                        ],
                        target,
                    ),
                    "pg_restore",
                )
            else:
                with database_alias(parse_url(f"sqlite:///{data}")) as source:
                    copy_tables(source=source, target=alias, target_url=into)
            verify(alias, manifest)
    return manifest


def _restore_sqlite_file(data: Path, target: Path, force: bool) -> None:
    if target.exists() and target.stat().st_size > 0:
        with contextlib.closing(sqlite3.connect(target)) as probe:
            tables = probe.execute("SELECT count(*) FROM sqlite_master WHERE type='table'")
            count = tables.fetchone()[0]
        if count and not force:
            raise OpsError(
                f"{target} is not empty ({count} tables): choose a new file, or pass --force "
                "to replace it (stop afterglow serve and afterglow worker first)"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(data, staged)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)


@contextlib.contextmanager
def _timestamps_as_stored(models: list[Any]) -> Iterator[None]:
    """Copy ``auto_now``/``auto_now_add`` fields as stored instead of stamping "now"."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def _migrate(url: str) -> None:
    """``afterglow migrate`` with the target as *the* database, in a child process: a
    third-party data migration (django_tasks_db 0016) ignores the alias it is run for
    and would touch the default database instead."""
    result = subprocess.run(
        [sys.executable, "-m", "afterglow", "migrate", "--noinput", "-v0"],
        env={**os.environ, "DATABASE_URL": url, "DATABASE_URL_FILE": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise OpsError(f"creating the tables in the target failed: {last}")


def copy_tables(*, source: str, target: str, target_url: str, batch: int = 1000) -> None:
    """Create the schema in ``target`` and copy every row of every table, primary keys
    included, in one transaction (foreign keys are checked at commit), then move the
    PostgreSQL sequences past the copied keys."""
    connections[target].close()
    _migrate(target_url)
    models = table_models()
    with _timestamps_as_stored(models), transaction.atomic(using=target):
        connection = connections[target]
        with connection.cursor() as cursor:
            for model in models:  # migrate's own rows (content types, permissions, ...)
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        for model in models:
            rows = model._base_manager.using(source).order_by("pk").iterator(chunk_size=batch)
            chunk = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    model._base_manager.using(target).bulk_create(chunk)
                    chunk = []
            if chunk:
                model._base_manager.using(target).bulk_create(chunk)
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def db_copy(*, to: str, force: bool) -> dict[str, Any]:
    """Copy this installation's database into the (PostgreSQL) database at URL ``to``,
    then compare every table's count and checksum with the source's."""
    from afterglow.ops.health import unapplied_migrations

    if unapplied_migrations():
        raise OpsError("the source database has unapplied migrations: run afterglow migrate")
    target = parse_url(to)
    if vendor(target) == "sqlite" and sqlite_path(target) == Path(
        str(connections["default"].settings_dict["NAME"])
    ):
        raise OpsError("the target is the source database")
    with database_alias(target) as alias:
        _require_empty(alias, force, "the target database")
        # The source is read inside one transaction: a consistent picture. On SQLite
        # that holds the write lock (IMMEDIATE), so stop serve and worker first.
        with transaction.atomic(using="default"):
            copy_tables(source="default", target=alias, target_url=to)
            expected = {t: s.as_dict() for t, s in table_sums("default").items()}
        problems = differences(expected, table_sums(alias))
        if problems:
            raise OpsError("the copy differs: " + "; ".join(problems[:5]))
    return expected
