"""Helpers for the audit tests: the database's own refusal, and honest tampering.

``tamper(sql, params)`` is what an attacker with database access would do: it
switches the append-only trigger off for the statement (SQLite: drops it;
PostgreSQL: disables it on the table), runs the raw SQL, and puts the trigger
back. The tests that use it first show the trigger refusing the same statement.
Everything runs inside the test's transaction (DDL is transactional on both).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

SQLITE_TRIGGER = """
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END;
"""


def tamper(sql: str, params: Sequence[object] = ()) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute(sql, params)
            cursor.execute(SQLITE_TRIGGER)
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
