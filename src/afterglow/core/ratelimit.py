"""Race-free rate limits on SQLite and PostgreSQL.

Every limited action first takes its counter row's lock inside the caller's transaction:
the row is created if missing (``INSERT … ON CONFLICT DO NOTHING``: a concurrent creator
waits on the unique index, then finds the row) and read with ``SELECT … FOR UPDATE``. On
PostgreSQL the row lock queues concurrent requests for the same key until the first
commits; on SQLite every write transaction is ``BEGIN IMMEDIATE`` (settings.py), so
writers are serialised anyway. Counting and inserting under the lock cannot race.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from afterglow.core.models import RateLimitCounter

__all__ = ["keyed_hash", "rate_limit_lock", "rate_limit_take"]


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` under the secret key: enough to count, useless to identify."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def rate_limit_lock(*, scope: str, key_hash: str) -> RateLimitCounter:
    """Lock (creating if needed) the counter row for ``key_hash``; call inside ``atomic``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rate_limit_lock must run inside transaction.atomic()")
    RateLimitCounter.objects.bulk_create(
        [RateLimitCounter(scope=scope, key_hash=key_hash, window_started_at=timezone.now())],
        ignore_conflicts=True,
    )
    return RateLimitCounter.objects.select_for_update().get(scope=scope, key_hash=key_hash)


def rate_limit_take(*, scope: str, key: str, limit: int, window: dt.timedelta) -> bool:
    """Count one more hit for ``key`` if fewer than ``limit`` happened in the current window.

    The window starts at the first hit after the previous one ended. Returns whether the
    hit was allowed (a refused hit is not counted).
    """
    now = timezone.now()
    with transaction.atomic():
        counter = rate_limit_lock(scope=scope, key_hash=keyed_hash(key))
        if counter.window_started_at <= now - window:
            counter.window_started_at = now
            counter.hits = 0
        allowed = counter.hits < limit
        if allowed:
            counter.hits += 1
        counter.save(update_fields=["window_started_at", "hits"])
    return allowed
