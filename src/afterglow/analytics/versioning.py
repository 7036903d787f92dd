"""Which data the dashboard's cache may reuse: a version stamp kept by database triggers.

The cached cohort (``analytics.cache``) is keyed by :func:`data_version`, the stamp of
the single :class:`~afterglow.analytics.models.CohortDataVersion` row. Every insert,
update or delete on a table in :data:`COHORT_TABLES` (each table ``cohort_data`` reads)
writes a fresh random stamp in the same transaction, through a trigger. Why triggers,
not a call in each service: every write path changes the stamp, the services, the
admin, ``QuerySet.update``, ``bulk_create``, imports, restores and raw SQL alike, so a
write nobody remembered to announce can never leave the dashboard showing old numbers.
Why a random stamp, not a counter: a write rolled back after a reader in its own
transaction cached a page would otherwise leave that page under a number the next
committed write reuses.

Reading the stamp before the data is what makes the cache safe: the data read after it
are at least as new as the stamp, so old numbers are never stored under a new stamp.

:func:`install_triggers` runs after every ``migrate`` (``AnalyticsConfig.ready``):
SQLite drops a table's triggers whenever a migration rebuilds the table, so installing
them once in a migration would not last. ``tests/analytics/test_cache.py`` checks that
every table the selectors read has them.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from afterglow.analytics.models import CohortDataVersion

__all__ = [
    "COHORT_TABLES",
    "data_version",
    "install_after_migrate",
    "install_triggers",
    "trigger_names",
]

#: Every table ``analytics.selectors.cohort_data`` reads (a test compares this with
#: the tables named in its queries).
COHORT_TABLES = (
    "accounts_clinic",
    "diary_diaryentry",
    "instruments_response",
    "patients_patient",
    "treatment_adverseevent",
    "treatment_course",
    "treatment_dissociationrating",
    "treatment_dosingsession",
    "treatment_protocol",
    "treatment_sessionalert",
    "treatment_therapysession",
)
OPERATIONS = ("INSERT", "UPDATE", "DELETE")
PREFIX = "afterglow_cohort_version"


def _version_table() -> str:
    return CohortDataVersion._meta.db_table


def trigger_names(table: str) -> list[str]:
    return [f"{PREFIX}_{table}_{op.lower()}" for op in OPERATIONS]


def _sqlite_sql(table: str) -> list[str]:
    version = _version_table()
    statements = []
    for name, op in zip(trigger_names(table), OPERATIONS, strict=True):
        statements.append(f'DROP TRIGGER IF EXISTS "{name}"')
        statements.append(
            f'CREATE TRIGGER "{name}" AFTER {op} ON "{table}" BEGIN '
            f'INSERT INTO "{version}" (id, stamp) VALUES (1, lower(hex(randomblob(16)))) '
            "ON CONFLICT(id) DO UPDATE SET stamp = excluded.stamp; END"
        )
    return statements


def _postgres_sql(table: str) -> list[str]:
    version = _version_table()
    function = f"{PREFIX}_touch"
    name = f"{PREFIX}_{table}"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            INSERT INTO "{version}" (id, stamp)
            VALUES (1, md5(random()::text || clock_timestamp()::text || txid_current()::text))
            ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql""",
        f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
        # One stamp per statement is enough: the stamp only has to change.
        f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def install_after_migrate(using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """``post_migrate`` receiver: the triggers on the database just migrated."""
    install_triggers(connections[using])


def install_triggers(connection: BaseDatabaseWrapper | None = None) -> None:
    """Create the version table if missing, (re)create the stamp triggers on every table
    of :data:`COHORT_TABLES` (idempotent) and write a fresh stamp: a migration may have
    changed data while a rebuilt table had no trigger."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    existing = set(connection.introspection.table_names())
    builders = {"sqlite": _sqlite_sql, "postgresql": _postgres_sql}
    build = builders.get(connection.vendor)
    if build is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE IF NOT EXISTS "{_version_table()}" '
            '("id" integer NOT NULL PRIMARY KEY, "stamp" varchar(64) NOT NULL)'
        )
        for table in COHORT_TABLES:
            if table in existing:
                for statement in build(table):
                    cursor.execute(statement)
    CohortDataVersion.objects.using(connection.alias).update_or_create(
        pk=1, defaults={"stamp": secrets.token_hex(16)}
    )


def data_version() -> str | None:
    """The current stamp, or None when there is none (then nothing may be cached)."""
    return CohortDataVersion.objects.filter(pk=1).values_list("stamp", flat=True).first()
