"""``afterglow doctor``: the ``/healthz`` report on the command line.

Prints one line per check (or the JSON with ``--json``) and exits 1 when anything is
unhealthy, 0 otherwise: for cron, monitoring agents and the person on call.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand

from afterglow.ops.health import health_report

UNHEALTHY = 1


class Command(BaseCommand):
    help = (
        "Check the database, migrations, the worker's heartbeat, the task queue and free "
        "disk (the same report as /healthz). Exits 1 when anything is unhealthy."
    )
    requires_migrations_checks = False  # reported as a check instead of a warning

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the JSON of /healthz")

    def handle(self, *args: Any, **options: Any) -> None:
        report = health_report()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for name, check in report.checks.items():
                mark = "ok  " if check.ok else "FAIL"
                self.stdout.write(f"{mark} {name}: {check.detail}")
            self.stdout.write("healthy" if report.ok else "UNHEALTHY")
        if not report.ok:
            raise SystemExit(UNHEALTHY)
