"""Operations writes: the worker's heartbeat and the recovery of abandoned tasks."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from afterglow.ops.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

#: Heartbeats of workers silent this long are deleted.
HEARTBEAT_KEEP = dt.timedelta(days=1)
WORKER_LOST = "afterglow.ops.services.WorkerLost"

#: Task paths that may run again after a worker died mid-task (see :func:`retry_safe`).
_RETRY_SAFE: set[str] = set()


class WorkerLost(Exception):
    """The worker running a task stopped before the task finished."""


def retry_safe(task: Any) -> Any:
    """Mark a task as safe to run again when its worker died while running it.

    Only for tasks whose effects happen at most once by construction (the schedule's
    claim-before-send protocol): running them twice never repeats an effect. Applied
    outside ``@task()``, it returns the task unchanged.
    """
    _RETRY_SAFE.add(task.module_path)
    return task


def worker_heartbeat(*, worker_id: str, sweep_seconds: int, now: dt.datetime | None = None) -> None:
    """Record that worker ``worker_id`` is alive and sweeping every ``sweep_seconds``."""
    now = now or timezone.now()
    with transaction.atomic():
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "sweep_seconds": sweep_seconds,
                "last_beat_at": now,
            },
            create_defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "sweep_seconds": sweep_seconds,
                "last_beat_at": now,
                "started_at": now,
            },
        )
        WorkerHeartbeat.objects.filter(last_beat_at__lt=now - HEARTBEAT_KEEP).delete()


def tasks_recover(
    *, now: dt.datetime | None = None, enqueue: Callable[[DBTaskResult], None] | None = None
) -> tuple[int, int]:
    """Fail tasks left ``RUNNING`` past ``AFTERGLOW_TASK_TIMEOUT_SECONDS``; re-queue the safe.

    A task is only ``RUNNING`` while a worker executes it, and Afterglow's tasks take
    seconds: one still running after the timeout belonged to a worker that died (killed,
    out of memory, machine restarted). It is marked failed with the reason, so nothing
    stays "running" forever. It is queued again only when marked :func:`retry_safe`;
    sending stays at most once because a message is claimed in the database before it
    is sent, and a rerun finds the claim. Returns ``(failed, requeued)``.
    """
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=settings.AFTERGLOW_TASK_TIMEOUT_SECONDS)
    failed = requeued = 0
    with transaction.atomic():
        stuck = list(
            DBTaskResult.objects.select_for_update()
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=limit)
            .order_by("started_at")
        )
        for result in stuck:
            safe = result.task_path in _RETRY_SAFE
            result.status = TaskResultStatus.FAILED
            result.finished_at = now
            result.exception_class_path = WORKER_LOST
            result.traceback = (
                f"Still running {settings.AFTERGLOW_TASK_TIMEOUT_SECONDS} s after it started "
                f"(worker {', '.join(result.worker_ids) or 'unknown'}): its worker stopped. "
                + ("Queued again: this task is safe to repeat." if safe else "Not repeated.")
            )
            result.save(
                update_fields=["status", "finished_at", "exception_class_path", "traceback"]
            )
            failed += 1
            if safe:
                (enqueue or _enqueue_again)(result)
                requeued += 1
    if failed:
        logger.warning("Recovered %s abandoned task(s); %s queued again", failed, requeued)
    return failed, requeued


def _enqueue_again(result: DBTaskResult) -> None:
    task = import_string(result.task_path)
    args_kwargs = result.args_kwargs or {}
    transaction.on_commit(
        lambda: task.enqueue(*args_kwargs.get("args", []), **args_kwargs.get("kwargs", {}))
    )
