"""Receivers that turn Django's and axes' sign-in signals into security events.

They only report (and stamp the session's sign-in time for the absolute limit); no
business logic lives here.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from afterglow.accounts.events import SecurityAction, security_event
from afterglow.accounts.session_policy import session_start


@receiver(user_logged_in, dispatch_uid="afterglow_signed_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(request)
    security_event(action=SecurityAction.SIGN_IN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="afterglow_signed_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    security_event(action=SecurityAction.SIGN_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="afterglow_sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    security_event(
        action=SecurityAction.SIGN_IN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
    )


@receiver(user_locked_out, dispatch_uid="afterglow_locked_out")
def _locked_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = str(kwargs.get("username") or "")
    # The account concerned, when the name is one (an address lock may name nobody).
    user = User.objects.filter(username=username).first() if username else None
    security_event(action=SecurityAction.LOCKED_OUT, request=request, user=user, username=username)
