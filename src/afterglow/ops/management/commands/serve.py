"""``afterglow serve``: the production web server (gunicorn) for Afterglow.

Before it listens it checks what would otherwise give a 500 on every page: the
settings (production mode refuses to start without them, one line naming the missing
one), unapplied migrations, and the collected static files, which it collects itself
when the installed ones changed (``afterglow.ops.static``). Then gunicorn runs
``afterglow.wsgi`` with processes and threads sized for the machine
(``AFTERGLOW_WEB_WORKERS``, ``AFTERGLOW_WEB_THREADS``). Signals are gunicorn's: SIGHUP
reloads the code and configuration with new processes (requests in flight finish),
SIGTERM stops gracefully after the requests in flight (up to 30 s).

The background worker is a separate process (``afterglow worker``).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from afterglow.core.cli import USAGE_ERROR
from afterglow.ops.health import unapplied_migrations
from afterglow.ops.static import static_collect_if_needed


def default_workers() -> int:
    """2 x CPUs + 1 (gunicorn's advice), at most 8: one clinic needs no more."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = (
        "Run the production web server (gunicorn) on --bind (default 127.0.0.1:$PORT). "
        "Refuses to start with unapplied migrations; collects static files when needed."
    )
    requires_migrations_checks = False  # refused below with one line instead

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--bind",
            default=None,
            metavar="HOST:PORT",
            help=f"address to listen on (default 127.0.0.1:$PORT, now 127.0.0.1:{settings.PORT})",
        )
        parser.add_argument("--workers", type=int, default=None, metavar="N")
        parser.add_argument("--threads", type=int, default=None, metavar="N")
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="run the start-up checks and static collection, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bind = options["bind"] or f"127.0.0.1:{settings.PORT}"
        host, sep, port = bind.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise CommandError(f"--bind must be HOST:PORT, got {bind!r}", returncode=USAGE_ERROR)
        pending = unapplied_migrations()
        if pending:
            raise CommandError(
                f"{len(pending)} migration(s) not applied (first: {pending[0]}): "
                "run `afterglow migrate` first",
                returncode=USAGE_ERROR,
            )
        workers = options["workers"] or settings.AFTERGLOW_WEB_WORKERS or default_workers()
        threads = options["threads"] or settings.AFTERGLOW_WEB_THREADS
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1", returncode=USAGE_ERROR)
        collected = static_collect_if_needed()
        if collected:
            self.stdout.write(f"Static files collected into {settings.STATIC_ROOT}.")
        if options["check_only"]:
            self.stdout.write("Ready to serve.")
            return
        from afterglow.ops.gunicorn import AfterglowApplication

        self.stdout.write(
            f"Serving on http://{bind} ({settings.MODE} mode, {workers} processes x "
            f"{threads} threads). SIGHUP reloads, SIGTERM stops."
        )
        AfterglowApplication(
            {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "graceful_timeout": 30,
                "timeout": 60,
                # The request line is Afterglow's own (afterglow.ops.middleware): gunicorn's
                # access log would print paths, and personal links carry tokens there.
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "info",
                "forwarded_allow_ips": "127.0.0.1,::1",
                "proc_name": "afterglow",
            }
        ).run()
