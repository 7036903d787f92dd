from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from afterglow.accounts.session_policy import seconds_left


def clinic(request: HttpRequest) -> dict[str, object]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership or None,
        "clinic": membership.clinic if membership else None,
    }


def signin_limits(request: HttpRequest) -> dict[str, object]:
    """The numbers the sign-in pages and the idle warning quote (no database access)."""
    user = getattr(request, "user", None)
    left = seconds_left(request) if user is not None and user.is_authenticated else 0
    return {
        "session_seconds_left": left,
        "lockout_failures": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "reset_link_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
