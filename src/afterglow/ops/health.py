"""The health report behind ``/healthz`` and ``afterglow doctor``. Reads only.

Checks, each with ``ok`` and the numbers behind it (no clinical data):

- database: a trivial query answers;
- migrations: none unapplied;
- worker: the freshest heartbeat is younger than 3 of that worker's sweep intervals
  (the worker writes one at each sweep; a dead or stuck worker stops writing);
- queue: how many tasks wait and how old the oldest is (unhealthy past
  ``AFTERGLOW_HEALTH_QUEUE_MAX_AGE_SECONDS``: the worker is not keeping up);
- disk: free space where the SQLite database lives (unhealthy below
  ``AFTERGLOW_HEALTH_MIN_FREE_MB``); not checked for PostgreSQL, whose server is
  watched on its own machine.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from afterglow.ops.models import WorkerHeartbeat

#: The worker is unhealthy after this many sweep intervals without a heartbeat.
MISSED_SWEEPS = 3


@dataclass
class Check:
    ok: bool
    detail: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class HealthReport:
    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "unhealthy",
            "checks": {
                name: {"ok": c.ok, "detail": c.detail, **c.values}
                for name, c in self.checks.items()
            },
        }


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


def health_report(*, now: dt.datetime | None = None) -> HealthReport:
    now = now or timezone.now()
    checks: dict[str, Check] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = Check(True, f"{connection.vendor} answers")
    except DatabaseError as exc:
        checks["database"] = Check(
            False, f"{connection.vendor} does not answer: {type(exc).__name__}"
        )
        return HealthReport(checks)
    try:
        pending = unapplied_migrations()
    except DatabaseError as exc:
        pending = [f"(cannot read: {type(exc).__name__})"]
    checks["migrations"] = Check(
        not pending,
        "all applied" if not pending else f"{len(pending)} not applied: run afterglow migrate",
        {"unapplied": len(pending)},
    )
    if pending:
        return HealthReport(checks)
    checks["worker"] = _worker(now)
    checks["queue"] = _queue(now)
    checks["disk"] = _disk()
    return HealthReport(checks)


def _worker(now: dt.datetime) -> Check:
    beat = WorkerHeartbeat.objects.order_by("-last_beat_at").first()
    if beat is None:
        return Check(
            False,
            "no worker has ever reported: start afterglow worker",
            {"heartbeat_age_seconds": None, "limit_seconds": None},
        )
    age = (now - beat.last_beat_at).total_seconds()
    limit = MISSED_SWEEPS * beat.sweep_seconds
    ok = age <= limit
    return Check(
        ok,
        f"last heartbeat {age:.0f} s ago (limit {limit} s)"
        + ("" if ok else ": is afterglow worker running?"),
        {"heartbeat_age_seconds": round(age, 1), "limit_seconds": limit},
    )


def _queue(now: dt.datetime) -> Check:
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now)
    depth = ready.count()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (now - oldest).total_seconds() if oldest else 0.0
    limit = settings.AFTERGLOW_HEALTH_QUEUE_MAX_AGE_SECONDS
    ok = age <= limit
    return Check(
        ok,
        f"{depth} waiting, oldest {age:.0f} s" + ("" if ok else f" (limit {limit} s)"),
        {"depth": depth, "oldest_age_seconds": round(age, 1), "limit_seconds": limit},
    )


def _disk() -> Check:
    if connection.vendor != "sqlite":
        return Check(True, "not checked (the database is on its own server)", {"free_mb": None})
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return Check(True, "in-memory database", {"free_mb": None})
    free_mb = shutil.disk_usage(Path(name).parent).free // (1024 * 1024)
    minimum = settings.AFTERGLOW_HEALTH_MIN_FREE_MB
    ok = free_mb >= minimum
    return Check(
        ok,
        f"{free_mb} MB free beside the database" + ("" if ok else f" (minimum {minimum} MB)"),
        {"free_mb": free_mb, "minimum_mb": minimum},
    )
