"""Writes for API tokens: create (the plaintext is returned once) and revoke."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterglow.accounts.models import Clinic, Membership
from afterglow.api.models import ApiToken, Scope
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.core.tokens import hash_token

#: Every token starts with this, so a secret scanner (and a person) can recognise one.
TOKEN_MARK = "agt_"
#: Characters of the token kept in clear (``ApiToken.prefix``): the mark and 8 random ones.
PREFIX_LENGTH = len(TOKEN_MARK) + 8


def new_api_token() -> tuple[str, str, str]:
    """``(token, prefix, token_hash)``: 256 random bits, URL-safe, behind ``TOKEN_MARK``."""
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    return token, token[:PREFIX_LENGTH], hash_token(token)


def token_lifetime_days(expires_days: int | None) -> int:
    """The lifetime asked for, else the default; refuses anything outside 1..maximum."""
    maximum = settings.AFTERGLOW_API_TOKEN_MAX_DAYS
    days = settings.AFTERGLOW_API_TOKEN_DAYS if expires_days is None else expires_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= maximum:
        raise ValidationError(
            {"expires_days": f"A token lasts 1 to {maximum} days (AFTERGLOW_API_TOKEN_MAX_DAYS)."}
        )
    return days


def apitoken_create(
    *,
    clinic: Clinic,
    user: User,
    scope: str,
    name: str,
    by: User | None,
    expires_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Make a token acting as ``user`` in ``clinic``; return it with its plaintext (shown once).

    ``user`` must be an active member of the clinic: the token carries their role, so a
    token for someone without one could do nothing. Only the hash is stored.
    """
    if scope not in Scope.values:
        raise ValidationError({"scope": f"Scope must be one of {', '.join(Scope.values)}."})
    days = token_lifetime_days(expires_days)
    if not Membership.objects.active().filter(user=user, clinic=clinic).exists():
        raise ValidationError(
            {"user": f"{user.get_username()} is not an active member of {clinic.name}."}
        )
    token, prefix, token_hash = new_api_token()
    with transaction.atomic():
        row = ApiToken(
            clinic=clinic,
            user=user,
            name=name.strip(),
            scope=scope,
            prefix=prefix,
            token_hash=token_hash,
            created_by=by,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        row.full_clean()
        row.save()
        # Never the token: the prefix, the scope and whom it acts as.
        audit_record(
            action=Action.API_TOKEN_CREATE,
            actor=by,
            clinic=clinic,
            obj=row,
            changes={"user_id": user.pk, "scope": scope, "expires_at": row.expires_at},
            note=f"{prefix}… {row.name}",
        )
    return row, token


def apitoken_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    """Stop the token working from now on (a revoked token stays listed)."""
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().get(pk=token.pk)
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.revoked_by = by
            row.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                action=Action.API_TOKEN_REVOKE,
                actor=by,
                clinic=row.clinic_id,
                obj=row,
                note=f"{row.prefix}… {row.name}",
            )
    token.revoked_at, token.revoked_by_id = row.revoked_at, row.revoked_by_id
    return token


def apitoken_touch(*, token: ApiToken) -> None:
    """Note when the token was last used, at most once a minute (not one write per call)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
