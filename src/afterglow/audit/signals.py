"""Sign-in, sign-out and failed sign-in, from django.contrib.auth's signals.

The events name the clinic of the user's first active membership (none for a
failed attempt: the username tried may not exist). Lockout and MFA events are
recorded by the sign-in code through ``audit_record`` directly.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from afterglow.accounts.models import Membership
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record


def _clinic_of(user: Any) -> int | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return (
        Membership.objects.active()
        .filter(user_id=user.pk)
        .order_by("clinic__name", "pk")
        .values_list("clinic_id", flat=True)
        .first()
    )


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(
        action=Action.SIGN_IN, actor=user, request=request, clinic=_clinic_of(user), obj=user
    )


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return  # signing out of no session: nothing happened
    audit_record(
        action=Action.SIGN_OUT, actor=user, request=request, clinic=_clinic_of(user), obj=user
    )


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already replaced the password in ``credentials``; only the
    # username tried is kept, so an admin can see which account was attacked.
    audit_record(
        action=Action.SIGN_IN_FAILED,
        request=request,
        actor_username=str(credentials.get("username", "")),
        object_type="auth.user",
    )
