"""Small shared tables with no domain of their own."""

from __future__ import annotations

from django.db import models


class RateLimitCounter(models.Model):
    """One counter per (scope, keyed hash of what is limited): a client address, an account.

    The row is the lock: a rate-limited write locks it (``select_for_update``) before it
    counts and inserts, so two simultaneous requests cannot both see room for one more.
    The key is an HMAC, so the table holds no address or email.
    """

    scope = models.CharField(max_length=40)
    key_hash = models.CharField(max_length=64)
    window_started_at = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="one_counter_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key_hash[:8]}… {self.hits}"
