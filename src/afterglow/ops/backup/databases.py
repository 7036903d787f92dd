"""Reaching a second database from a command: a temporary connection alias, the
PostgreSQL client tools, and whether a database is empty."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.db import connections


class OpsError(RuntimeError):
    """A backup, restore or copy that cannot go on; the message says why, in one line."""


def parse_url(url: str) -> dict[str, Any]:
    try:
        config = dict(dj_database_url.parse(url))
    except Exception as exc:  # dj_database_url raises several types
        raise OpsError(f"the database URL could not be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA foreign_keys=ON;",
        }
    elif config["ENGINE"] != "django.db.backends.postgresql":
        raise OpsError(f"only SQLite and PostgreSQL are supported, not {config['ENGINE']}")
    return config


@contextlib.contextmanager
def database_alias(config: dict[str, Any]) -> Iterator[str]:
    """A connection alias for ``config`` while the block runs; closed and removed after."""
    alias = f"ops_{uuid.uuid4().hex[:10]}"
    merged = connections.configure_settings({**connections.settings, alias: dict(config)})
    connections.settings[alias] = merged[alias]
    try:
        yield alias
    finally:
        with contextlib.suppress(Exception):
            connections[alias].close()
        with contextlib.suppress(AttributeError):
            delattr(connections._connections, alias)  # type: ignore[attr-defined]
        connections.settings.pop(alias, None)


def vendor(config: dict[str, Any]) -> str:
    return "sqlite" if config["ENGINE"].endswith("sqlite3") else "postgresql"


def sqlite_path(config: dict[str, Any]) -> Path:
    name = str(config["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise OpsError("an in-memory SQLite database cannot be backed up or restored into")
    return Path(name)


def table_names(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        return list(connections[alias].introspection.table_names(cursor))


#: The schema's own functions (not an extension's): migrations create some (the audit
#: trail's append-only trigger function), and a restore would collide with them.
_PG_OWN_FUNCTIONS = """
SELECT p.oid::regprocedure::text FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
"""


def database_clear(alias: str) -> None:
    """Drop every table, and on PostgreSQL the schema's own functions (``--force``): the
    restore or copy starts from nothing."""
    connection = connections[alias]
    names = table_names(alias)
    if not names:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE IF EXISTS " + ", ".join(map(quote, names)) + " CASCADE")
            cursor.execute(_PG_OWN_FUNCTIONS)
            for (function,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
        else:
            cursor.execute("PRAGMA foreign_keys=OFF")
            for name in names:
                cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")
            cursor.execute("PRAGMA foreign_keys=ON")


def pg_tool(name: str) -> str:
    """The newest ``pg_dump``/``pg_restore``: ``AFTERGLOW_PG_BINDIR``, then Debian's
    per-version directories (newer than the server is fine, older is not), then PATH."""
    candidates = []
    if settings.AFTERGLOW_PG_BINDIR:
        candidates.append(Path(settings.AFTERGLOW_PG_BINDIR) / name)
    debian = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise OpsError(
        f"{name} was not found: install the PostgreSQL client "
        "(apt-get install postgresql-client) or set AFTERGLOW_PG_BINDIR"
    )


def pg_environment(config: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for ``config``; the password never goes on a command line."""
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if config.get(key):
            env[var] = str(config[key])
    return env


def pg_run(args: list[str], config: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env=pg_environment(config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def pg_wait(process: subprocess.Popen[bytes], what: str) -> None:
    _, err = process.communicate()
    if process.returncode != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise OpsError(f"{what} failed: {last}")
