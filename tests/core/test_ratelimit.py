"""The counter-row rate limit shared by password reset (and the intake lock)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from afterglow.core.models import RateLimitCounter
from afterglow.core.ratelimit import keyed_hash, rate_limit_lock, rate_limit_take

HOUR = dt.timedelta(hours=1)


def take(key: str = "203.0.113.7") -> bool:
    return rate_limit_take(scope="test", key=key, limit=2, window=HOUR)


def test_the_limit_refuses_the_third_hit_in_the_window_and_reopens_after(db) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert [take(), take(), take(), take()] == [True, True, False, False]
        assert take("198.51.100.1")  # another key has its own count
        clock.shift(HOUR - dt.timedelta(seconds=1))
        assert not take()
        clock.shift(dt.timedelta(seconds=1))
        assert [take(), take(), take()] == [True, True, False]


def test_refused_hits_are_not_counted_and_the_key_is_stored_hashed(db) -> None:
    for _ in range(5):
        take()
    counter = RateLimitCounter.objects.get()
    assert counter.hits == 2
    assert counter.key_hash == keyed_hash("203.0.113.7") and "203.0.113.7" not in str(
        counter.__dict__
    )


@pytest.mark.django_db(transaction=True)
def test_the_lock_must_be_taken_inside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        rate_limit_lock(scope="test", key_hash="x")
