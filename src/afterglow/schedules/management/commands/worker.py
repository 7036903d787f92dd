"""``afterglow worker``: run background tasks and the schedule sweep.

Runs the django-tasks database worker (``django_tasks_db``'s ``Worker``) on the queue
and, every ``AFTERGLOW_SWEEP_SECONDS``, the schedule sweep (``schedules.sweep``) that
queues invitations, reminders and diary nudges. One loop does both, in turn: sweep,
run every queued task, wait, so a single worker never queues a message twice before
running it (several workers may, and the claim protocol makes that harmless).

Each sweep first records the worker's heartbeat (``/healthz`` turns unhealthy after
three missed sweeps) and recovers tasks a dead worker left running
(``afterglow.ops.services.tasks_recover``).

``--once`` sweeps once, runs every queued task and exits: for cron, and for tests.
SIGTERM or SIGINT stops it gracefully: the task that is running finishes first.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

# ops is on the bottom floor (it knows no clinical app): the worker reports to it.
from afterglow.ops.services import tasks_recover, worker_heartbeat
from afterglow.schedules.sweep import schedules_sweep

logger = logging.getLogger(__name__)

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Run background tasks (invitations, reminders, emails) and sweep the measurement "
        "schedules every AFTERGLOW_SWEEP_SECONDS. --once sweeps, runs the queue and exits."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="sweep once, run every queued task, exit"
        )
        parser.add_argument(
            "--sweep-seconds",
            type=int,
            default=None,
            metavar="N",
            help=f"seconds between sweeps (default AFTERGLOW_SWEEP_SECONDS, now "
            f"{settings.AFTERGLOW_SWEEP_SECONDS})",
        )
        parser.add_argument(
            "--poll-seconds",
            type=float,
            default=1.0,
            metavar="S",
            help="seconds between looks at the task queue when idle (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sweep_seconds = options["sweep_seconds"] or settings.AFTERGLOW_SWEEP_SECONDS
        poll = options["poll_seconds"]
        if sweep_seconds < 1:
            raise CommandError("--sweep-seconds must be at least 1", returncode=USAGE_ERROR)
        if not 0 < poll <= 60:
            raise CommandError(
                "--poll-seconds must be above 0 and at most 60", returncode=USAGE_ERROR
            )
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"the default TASKS backend is {type(backend).__name__}, not the database "
                "backend this worker runs (django_tasks_db.DatabaseBackend)",
                returncode=USAGE_ERROR,
            )
        worker_id = get_random_string(32)
        worker = Worker(
            queue_names=list(backend.queues) or ["default"],
            interval=0,
            batch=True,  # run() returns once the queue is empty
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        if options["once"]:
            self._housekeeping(worker_id, sweep_seconds)
            report = schedules_sweep()
            ran = self._drain(worker)
            self.stdout.write(f"Sweep: {report}. Tasks run: {ran}.")
            return
        self._loop(worker, worker_id, sweep_seconds, poll)

    @staticmethod
    def _housekeeping(worker_id: str, sweep_seconds: int) -> None:
        worker_heartbeat(worker_id=worker_id, sweep_seconds=sweep_seconds)
        tasks_recover()

    @staticmethod
    def _drain(worker: Worker) -> int:
        before = worker._run_tasks
        worker.run()
        return worker._run_tasks - before

    def _loop(self, worker: Worker, worker_id: str, sweep_seconds: int, poll: float) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            logger.warning("%s: stopping after the current task", signal.strsignal(signum))
            stop.set()
            worker.running = False  # the running task finishes; no new one starts

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write(
            f"Worker started: sweeping every {sweep_seconds} s, queue polled every {poll} s."
        )
        next_sweep = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_sweep:
                try:
                    self._housekeeping(worker_id, sweep_seconds)
                    logger.info("Sweep: %s", schedules_sweep())
                except Exception:  # one bad sweep must not stop the sending of others
                    logger.exception("The schedule sweep failed; retrying next time")
                next_sweep = time.monotonic() + sweep_seconds
            if stop.is_set():
                break
            self._drain(worker)
            stop.wait(max(0.0, min(poll, next_sweep - time.monotonic())))
        self.stdout.write("Worker stopped.")
