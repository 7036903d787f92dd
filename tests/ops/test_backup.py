"""Backups, restore and copy-db, run as a clinic's IT person runs them: the commands.

Phases (``.ci/run`` runs the suite on SQLite, then on PostgreSQL):
- the restore drill runs on the phase's engine: SQLite (backup API) in the first phase,
  PostgreSQL (pg_dump of an exported snapshot, pg_restore) in the second;
- copy-db from SQLite to PostgreSQL and restoring an SQLite backup into PostgreSQL run
  in both phases (the ``postgres`` fixture starts a throwaway server in the first);
- encryption, retention and refusals run in both, on the phase's engine.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from afterglow.analytics.models import CohortDataVersion
from afterglow.ops.backup import crypto
from tests.ops.conftest import (
    ROOT,
    afterglow,
    clean_env,
    ok,
    phase_is_postgres,
)

DEMO_PATIENTS = "4"


def _manifest(backup: Path) -> dict:
    with tarfile.open(backup, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]


def _inspect(env: dict[str, str], *flags: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.ops.drill_inspect", *flags],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _seeded(request: pytest.FixtureRequest, workdir: Path, **extra: str) -> dict[str, str]:
    """A migrated installation with the demo clinic, on the phase's engine."""
    if phase_is_postgres():
        url = request.getfixturevalue("postgres").create_database()
    else:
        url = f"sqlite:///{workdir / 'afterglow.sqlite3'}"
    env = clean_env(workdir, DATABASE_URL=url, **extra)
    ok(afterglow("migrate", "--noinput", "-v0", env=env))
    ok(afterglow("demo", "--patients", DEMO_PATIENTS, env=env))
    return env


def _fresh_url(request: pytest.FixtureRequest, workdir: Path, name: str) -> str:
    if phase_is_postgres():
        return request.getfixturevalue("postgres").create_database()
    return f"sqlite:///{workdir / name}"


def _wait_for_rounds(progress: Path, at_least: int) -> dict:
    for _ in range(600):
        if progress.exists():
            state = json.loads(progress.read_text())
            if state["rounds"] >= at_least:
                return state
        time.sleep(0.1)
    pytest.fail("the writer made no progress")


def test_restore_drill_backup_while_the_clinic_works_restores_every_table(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """SQLite phase: SQLite's backup API. PostgreSQL phase: pg_dump/pg_restore."""
    env = _seeded(request, tmp_path, AFTERGLOW_INTAKE_RATE_PER_HOUR="100000")
    base = _inspect(env)["tables"]
    progress, stop = tmp_path / "progress.json", tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.ops.drill_writer", str(progress), str(stop)],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        before = _wait_for_rounds(progress, 2)["rounds"]
        backup_out = ok(afterglow("backup", "--output", str(tmp_path / "backups"), env=env))
        # Read at once: the rounds the clinic completed while the backup command ran.
        during = json.loads(progress.read_text())["rounds"]
    finally:
        stop.touch()
        _, writer_err = writer.communicate(timeout=120)
    assert writer.returncode == 0, writer_err
    final = json.loads(progress.read_text())
    assert final["errors"] == [], "the clinic's writes failed during the backup"
    assert during > before, "no write happened while the backup ran"
    (backup,) = (tmp_path / "backups").glob("afterglow-*.backup")
    assert str(backup) in backup_out
    manifest = _manifest(backup)

    # One consistent moment: each round stores an intake, then a signed session.
    intakes = manifest["tables"]["intake_intakesubmission"]["rows"]
    sessions = manifest["tables"]["treatment_dosingsession"]["rows"]
    added_intakes = intakes - base["intake_intakesubmission"]["rows"]
    added_sessions = sessions - base["treatment_dosingsession"]["rows"]
    assert before <= added_intakes <= final["rounds"]
    assert added_intakes - added_sessions in (0, 1)

    target = _fresh_url(request, tmp_path, "restored.sqlite3")
    ok(afterglow("restore", str(backup), "--into", target, env=env))
    restored = _inspect({**env, "DATABASE_URL": target}, "--tamper")
    # Every table is in the backup but the dashboard cache's version stamp, which is not
    # Django-managed and which the restored database makes afresh (analytics.versioning).
    version_table = CohortDataVersion._meta.db_table
    assert set(restored["introspected"]) - {version_table} == set(manifest["tables"])
    assert restored["tables"] == manifest["tables"]  # every table: rows and checksum
    assert restored["tampered"] == ["accounts_clinic: same 1 rows, different content"]


def test_copy_db_moves_the_demo_from_sqlite_to_postgresql_identically(
    postgres, tmp_path: Path
) -> None:
    """Both phases: SQLite source on disk, PostgreSQL target on the ``postgres`` server."""
    env = clean_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    ok(afterglow("migrate", "--noinput", "-v0", env=env))
    ok(afterglow("demo", "--patients", DEMO_PATIENTS, env=env))
    source = _inspect(env)
    target = postgres.create_database()
    out = ok(afterglow("copy-db", "--to", target, env=env))
    assert f"Copied and verified {len(source['tables'])} tables" in out
    copied = _inspect({**env, "DATABASE_URL": target}, "--tamper")
    assert set(copied["introspected"]) == set(source["introspected"])
    assert copied["tables"] == source["tables"]
    # Sequences moved past the copied keys: a new row gets the next key, no collision.
    assert copied["new_clinic_pk"] == copied["max_clinic_pk"] + 1
    # A second copy into the now non-empty database is refused without --force.
    again = afterglow("copy-db", "--to", target, env=env)
    assert again.returncode == 2
    assert "not empty" in again.stderr and "--force" in again.stderr


def test_an_sqlite_backup_restores_into_postgresql(postgres, tmp_path: Path) -> None:
    """Both phases: the way from an SQLite clinic's backup to a PostgreSQL server."""
    env = clean_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    ok(afterglow("migrate", "--noinput", "-v0", env=env))
    ok(afterglow("demo", "--patients", "2", env=env))
    ok(afterglow("backup", "--output", str(tmp_path / "b"), env=env))
    (backup,) = (tmp_path / "b").glob("*.backup")
    target = postgres.create_database()
    ok(afterglow("restore", str(backup), "--into", target, env=env))
    assert _inspect({**env, "DATABASE_URL": target})["tables"] == _manifest(backup)["tables"]


def test_an_encrypted_backup_needs_its_key_and_keeps_the_newest(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    env = _seeded(request, tmp_path)
    key = tmp_path / "backup.key"
    ok(afterglow("backup", "--new-key", str(key), env=env))
    assert key.stat().st_mode & 0o777 == 0o600
    out_dir = tmp_path / "b"
    for _ in range(3):
        ok(
            afterglow(
                "backup",
                "--output",
                str(out_dir),
                "--encrypt-key-file",
                str(key),
                "--keep",
                "2",
                env=env,
            )
        )
    backups = sorted(out_dir.glob("afterglow-*.backup.enc"))
    assert len(backups) == 2
    newest = backups[-1]
    assert b"accounts_clinic" not in newest.read_bytes()  # nothing readable inside

    target = _fresh_url(request, tmp_path, "r.sqlite3")
    without = afterglow("restore", str(newest), "--into", target, env=env)
    assert without.returncode == 2 and "--key-file" in without.stderr
    other = tmp_path / "other.key"
    ok(afterglow("backup", "--new-key", str(other), env=env))
    wrong = afterglow("restore", str(newest), "--into", target, "--key-file", str(other), env=env)
    assert wrong.returncode == 2 and "does not decrypt" in wrong.stderr
    ok(afterglow("restore", str(newest), "--into", target, "--key-file", str(key), env=env))
    refused = afterglow("restore", str(newest), "--into", target, "--key-file", str(key), env=env)
    assert refused.returncode == 2 and "not empty" in refused.stderr
    ok(
        afterglow(
            "restore", str(newest), "--into", target, "--key-file", str(key), "--force", env=env
        )
    )


def test_encryption_detects_a_truncated_or_changed_file() -> None:
    key = bytes(range(32))
    plain = bytes(range(256)) * 9000  # a little over two chunks
    sealed = io.BytesIO()
    crypto.encrypt(io.BytesIO(plain), sealed, key)
    opened = io.BytesIO()
    crypto.decrypt(io.BufferedReader(io.BytesIO(sealed.getvalue())), opened, key)
    assert opened.getvalue() == plain
    data = sealed.getvalue()
    first_chunk_end = len(crypto.MAGIC) + crypto.PREFIX_BYTES + 4 + crypto.CHUNK + 16
    for broken in (data[:first_chunk_end], data[:-1], data[:40] + b"x" + data[41:]):
        with pytest.raises(crypto.BackupKeyError):
            crypto.decrypt(io.BufferedReader(io.BytesIO(broken)), io.BytesIO(), key)
