"""Every table, its row count and a checksum that means the same on SQLite and PostgreSQL.

The checksum of a table is the sum, modulo 2**256, of the SHA-256 of each row, where a
row is its column values read through Django's fields (so a boolean is a boolean and a
timestamp a UTC instant on both databases) in a canonical JSON form. A sum does not
depend on row order, which differs between databases for text keys; any changed,
missing or extra row changes it (short of a 2**-256 accident).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.migrations.recorder import MigrationRecorder

MODULUS = 2**256
BATCH = 2000


@dataclass(frozen=True)
class TableSum:
    rows: int
    checksum: str

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.checksum}


def table_models() -> list[type[models.Model]]:
    """One model per database table: every app's (with many-to-many tables) and Django's
    migration record, ordered by table name."""
    found: dict[str, type[models.Model]] = {}
    candidates: Iterable[type[models.Model]] = [
        *apps.get_models(include_auto_created=True),
        MigrationRecorder.Migration,
    ]
    for model in candidates:
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            found.setdefault(meta.db_table, model)
    return [found[name] for name in sorted(found)]


def canonical(value: Any) -> Any:
    """A JSON-able form of a value that is the same whichever database it came from."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return repr(value.total_seconds())
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)


def table_sum(model: type[models.Model], using: str) -> TableSum:
    columns = [f.attname for f in model._meta.concrete_fields]
    total = rows = 0
    query = model._base_manager.using(using).order_by().values_list(*columns)
    for row in query.iterator(chunk_size=BATCH):
        line = json.dumps([canonical(v) for v in row], separators=(",", ":"))
        total = (total + int.from_bytes(hashlib.sha256(line.encode()).digest(), "big")) % MODULUS
        rows += 1
    return TableSum(rows=rows, checksum=f"{total:064x}")


def table_sums(using: str) -> dict[str, TableSum]:
    """``{table: TableSum}`` for every table of the database ``using``."""
    return {model._meta.db_table: table_sum(model, using) for model in table_models()}


def differences(expected: dict[str, dict[str, Any]], got: dict[str, TableSum]) -> list[str]:
    """What differs between a manifest's tables and a database's; empty when identical."""
    problems = []
    for table in sorted(set(expected) | set(got)):
        if table not in got:
            problems.append(f"{table}: missing")
        elif table not in expected:
            problems.append(f"{table}: not in the manifest")
        elif got[table].as_dict() != expected[table]:
            want, have = expected[table], got[table]
            problems.append(
                f"{table}: {have.rows} rows (expected {want['rows']})"
                if have.rows != want["rows"]
                else f"{table}: same {have.rows} rows, different content"
            )
    return problems
