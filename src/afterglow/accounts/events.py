"""Sign-in security events: the one place they are reported.

Every sign-in, failed sign-in, sign-out, lockout, unlock, two-step (MFA), password-reset
and idle-timeout event goes through :func:`security_event`, which appends it to the audit
trail (``audit.services.audit_record``) and writes a log line with the action and ids
only — never a username, an address, a code or a password.

A failed sign-in's typed username may be a mistyped password, so the audit event names
it only when it is an existing account's username; otherwise it says "(no such account)".
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest

from afterglow.accounts.models import Membership
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record

logger = logging.getLogger("afterglow.security")

UNKNOWN_ACCOUNT = "(no such account)"


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


#: Each security event's audit action, and a note where one action covers several.
_AUDIT: dict[SecurityAction, tuple[str, str]] = {
    SecurityAction.SIGN_IN: (Action.SIGN_IN, ""),
    SecurityAction.SIGN_IN_FAILED: (Action.SIGN_IN_FAILED, ""),
    SecurityAction.SIGN_OUT: (Action.SIGN_OUT, ""),
    SecurityAction.LOCKED_OUT: (Action.LOCKOUT, ""),
    SecurityAction.UNLOCKED: (Action.UNLOCK, ""),
    SecurityAction.MFA_ENROLLED: (Action.MFA_ENROL, ""),
    SecurityAction.MFA_PASSED: (Action.MFA_VERIFY, ""),
    SecurityAction.MFA_FAILED: (Action.MFA_FAILED, ""),
    SecurityAction.MFA_RECOVERY_CODE_USED: (Action.MFA_RECOVERY, ""),
    SecurityAction.MFA_RESET: (Action.MFA_RESET, ""),
    SecurityAction.PASSWORD_RESET_REQUESTED: (Action.PASSWORD_RESET, "reset link requested"),
    SecurityAction.PASSWORD_RESET_REFUSED: (Action.PASSWORD_RESET, "request refused: rate limit"),
    SecurityAction.PASSWORD_RESET_DONE: (Action.PASSWORD_RESET, "new password set"),
    SecurityAction.IDLE_TIMEOUT: (Action.SIGN_OUT, "idle timeout"),
}


def _clinic_of(user: Any) -> int | None:
    """The clinic of the user's first active membership (sign-in events have no other)."""
    if user is None or not getattr(user, "pk", None):
        return None
    return (
        Membership.objects.active()
        .filter(user_id=user.pk)
        .order_by("clinic__name", "pk")
        .values_list("clinic_id", flat=True)
        .first()
    )


def security_event(
    *,
    action: SecurityAction,
    request: HttpRequest | None = None,
    user: Any = None,
    by: Any = None,
    username: str = "",
) -> None:
    """Report a sign-in security event to the audit trail and the log.

    ``user`` is the account concerned, ``by`` who acted on it (an admin unlocking or
    resetting MFA; the actor of the audit event, else ``user``). ``username`` is a
    failed sign-in's or a lockout's typed name: audited only when it names an account.
    """
    audit_action, note = _AUDIT[action]
    if user is None and username:
        user = User.objects.filter(username=username).first()
    named = user.get_username() if user is not None else (UNKNOWN_ACCOUNT if username else "")
    # Who acted: the admin for unlock/reset, the person for their own sign-in; nobody
    # signed in for a failed attempt or a lockout (the typed name is only named).
    unauthenticated = action in (SecurityAction.SIGN_IN_FAILED, SecurityAction.LOCKED_OUT)
    actor = by if by is not None else (None if unauthenticated else user)
    audit_record(
        action=audit_action,
        actor=actor,
        actor_username=named,
        request=request,
        clinic=_clinic_of(user if user is not None else by),
        obj=user,
        object_type="" if user is not None else "auth.user",
        note=note,
    )
    logger.info(
        "security event %s user=%s by=%s",
        action.value,
        getattr(user, "pk", None) or "-",
        getattr(by, "pk", None) or "-",
    )
