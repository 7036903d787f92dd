"""Sign-in lockout (django-axes): who is locked out now, and unlocking an account.

Axes counts failed sign-ins per username and per client address; after
``AXES_FAILURE_LIMIT`` failures (5), each within ``AXES_COOLOFF_TIME`` (15 minutes) of
the last, further sign-ins for that username or from that address are refused until
the cool-off has passed since the last failure, or an admin unlocks the account.
"""

from __future__ import annotations

from collections.abc import Iterable

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from afterglow.accounts.events import SecurityAction, security_event


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """The usernames among ``usernames`` that cannot sign in now (the same count axes keeps)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(username__in=list(usernames), attempt_time__gte=since)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def account_unlock(*, user: User, by: User) -> int:
    """Clear the failed sign-ins recorded for ``user``'s username; the number cleared.

    A lock on a client address (many usernames tried from one place) is not cleared
    here: it ends by itself, or a superuser removes it in Django admin (Access attempts).
    """
    with transaction.atomic():
        cleared = reset(username=user.get_username())
    security_event(action=SecurityAction.UNLOCKED, user=user, by=by)
    return cleared
