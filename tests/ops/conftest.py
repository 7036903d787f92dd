"""What the operations tests share: the `afterglow` command in a clean environment, a
PostgreSQL server to create databases on, and a small seeded installation on disk.

PostgreSQL: in CI's PostgreSQL phase (``DATABASE_URL`` is PostgreSQL) the tests create
their own databases on that server; in the SQLite phase they start a throwaway cluster
with ``scripts/with-postgres.sh`` (which installs Debian's postgresql as root when it is
missing), so the PostgreSQL paths run in both phases.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

# The schedule tests' frozen-clock harness, for the send paths tested here.
from tests.schedules.conftest import harness, immediate_tasks, sms_outbox  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
AFTERGLOW = str(Path(sys.executable).parent / "afterglow")


def clean_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh shell: nothing of the test run's settings leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("AFTERGLOW_", "DATABASE_URL", "EMAIL_", "TWILIO_", "ANYMAIL_", "SECURE_")
        )
        and k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "PORT"}
    }
    env.update(AFTERGLOW_VAR_DIR=str(workdir), PYTHONPATH=str(ROOT), **extra)
    return env


def afterglow(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AFTERGLOW, *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=timeout,
        check=False,
        cwd=env["AFTERGLOW_VAR_DIR"],
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass
class PostgresServer:
    """A server on which each test creates the databases it needs."""

    base_url: str  # postgres://user@host:port (no database)

    def create_database(self) -> str:
        name = f"afterglow_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base_url}/{name}"


def _phase_postgres() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return None


@pytest.fixture(scope="session")
def postgres(worker_id: str) -> Iterator[PostgresServer]:
    base = _phase_postgres()
    if base:
        yield PostgresServer(base)
        return
    # A throwaway cluster for this xdist worker, on its own range of ports.
    index = 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))
    holder = subprocess.Popen(
        [
            str(ROOT / "scripts" / "with-postgres.sh"),
            sys.executable,
            "-c",
            "import os, sys; print(os.environ['DATABASE_URL'], flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "AFTERGLOW_PG_PORT": str(56100 + 50 * index)},
    )
    assert holder.stdout is not None and holder.stdin is not None
    line = holder.stdout.readline().strip()
    if not line.startswith("postgres://"):
        holder.kill()
        pytest.fail("scripts/with-postgres.sh did not start PostgreSQL (see its messages above)")
    try:
        yield PostgresServer(line.rsplit("/", 1)[0])
    finally:
        holder.stdin.close()  # the holder exits; the script stops the server and cleans up
        holder.wait(timeout=60)


def phase_database_url(postgres: PostgresServer, workdir: Path) -> str:
    """A fresh, empty database of the phase's engine: PostgreSQL in the PostgreSQL phase,
    an SQLite file otherwise."""
    if _phase_postgres():
        return postgres.create_database()
    return f"sqlite:///{workdir / 'afterglow.sqlite3'}"


def phase_is_postgres() -> bool:
    return _phase_postgres() is not None
