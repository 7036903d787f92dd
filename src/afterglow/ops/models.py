"""What the operations app stores: one heartbeat row per running worker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """A worker's last sign of life, written at each schedule sweep.

    ``sweep_seconds`` is the worker's own interval, so health is judged against the
    interval the worker actually runs with (``afterglow worker --sweep-seconds``).
    Rows of stopped workers stay until :func:`afterglow.ops.services.worker_heartbeat`
    prunes them (a day later); health looks only at the freshest.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    sweep_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_beat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_beat_at"]

    def __str__(self) -> str:
        return f"worker {self.hostname}:{self.pid}"
