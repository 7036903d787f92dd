"""Make the real database refuse writes, to test how pages behave when a write fails.

``refuse_inserts(table)`` installs a ``BEFORE INSERT`` trigger that aborts every
INSERT into ``table`` for as long as the ``with`` block lasts, then removes it. The
refusal happens inside the database itself, so the code under test goes through its
real write path (ORM, transaction, savepoint) and gets the driver's real exception,
wrapped by Django as a ``DatabaseError`` subclass:

- SQLite: ``RAISE(ABORT, ...)`` in a trigger -> ``IntegrityError``;
- PostgreSQL: a plpgsql function that raises -> ``InternalError`` (SQLSTATE P0001).

The trigger is DDL run outside any transaction of the page under test, so a live
server's other connection (PostgreSQL) sees it as soon as it is created; with SQLite's
in-memory test database the live server shares this very connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

REFUSAL_MESSAGE = "refused by test"


def _object_name(table: str) -> str:
    # Trigger and function names: plain identifiers, unique per table.
    return f"refuse_insert_{table}"[:63]


@contextmanager
def refuse_inserts(table: str, *, using: str = "default") -> Iterator[None]:
    """While active, every INSERT into ``table`` fails inside the database."""
    connection = connections[using]
    quote = connection.ops.quote_name
    name = _object_name(table)
    if connection.vendor == "sqlite":
        create = [
            f"CREATE TRIGGER {quote(name)} BEFORE INSERT ON {quote(table)} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL_MESSAGE}'); END;"
        ]
        drop = [f"DROP TRIGGER IF EXISTS {quote(name)}"]
    elif connection.vendor == "postgresql":
        create = [
            f"CREATE FUNCTION {quote(name)}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL_MESSAGE}'; END; $$",
            f"CREATE TRIGGER {quote(name)} BEFORE INSERT ON {quote(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {quote(name)}()",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(table)}",
            f"DROP FUNCTION IF EXISTS {quote(name)}()",
        ]
    else:
        raise NotImplementedError(f"refuse_inserts does not support {connection.vendor!r}")

    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in drop:
                cursor.execute(statement)
