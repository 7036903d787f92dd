"""Rate limits on password-reset emails: per client address and per account."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.db import transaction

from afterglow.core.ratelimit import rate_limit_take

HOUR = dt.timedelta(hours=1)


def password_reset_allowed(*, address: str, email: str) -> Literal["ok", "address", "account"]:
    """Whether one more reset email may go out: "ok", or which limit was reached."""
    with transaction.atomic():
        if not rate_limit_take(
            scope="password-reset-address",
            key=address or "unknown",
            limit=settings.AFTERGLOW_PASSWORD_RESET_PER_ADDRESS,
            window=HOUR,
        ):
            return "address"
        if not rate_limit_take(
            scope="password-reset-account",
            key=email.strip().lower(),
            limit=settings.AFTERGLOW_PASSWORD_RESET_PER_ACCOUNT,
            window=HOUR,
        ):
            return "account"
    return "ok"
