"""Sign-in security events: the one place they are reported.

Today an event is a log line that carries the action and ids only — never a username,
an address, a code or a password (a failed sign-in's username may be a mistyped
password). The audit trail (issue 11 §2) will take its sign-in, failed sign-in, lockout,
MFA and sign-out events from this function, which already receives what it will need.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger("afterglow.security")


class SecurityAction(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    LOCKED_OUT = "locked_out"
    UNLOCKED = "unlocked"
    MFA_ENROLLED = "mfa_enrolled"
    MFA_PASSED = "mfa_passed"
    MFA_FAILED = "mfa_failed"
    MFA_RECOVERY_CODE_USED = "mfa_recovery_code_used"
    MFA_RESET = "mfa_reset"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET_REFUSED = "password_reset_refused"
    PASSWORD_RESET_DONE = "password_reset_done"
    IDLE_TIMEOUT = "idle_timeout"


def security_event(
    *,
    action: SecurityAction,
    request: HttpRequest | None = None,
    user: Any = None,
    by: Any = None,
    username: str = "",
) -> None:
    """Report a sign-in security event.

    ``user`` is the account concerned, ``by`` who acted on it (an admin unlocking or
    resetting MFA). ``username`` (a failed sign-in's typed name) and ``request`` are for
    the audit trail and are deliberately not logged.
    """
    del request, username  # kept in the signature for the audit trail; never logged
    logger.info(
        "security event %s user=%s by=%s",
        action.value,
        getattr(user, "pk", None) or "-",
        getattr(by, "pk", None) or "-",
    )
