"""Bearer-token authentication for every machine-facing endpoint (REST API, FHIR).

``authenticate_bearer(request, write=...)`` is the one entry point: it reads
``Authorization: Bearer <token>``, finds the token by its SHA-256 (a unique-index
lookup: the plaintext is never compared, so there is no string comparison whose
timing could leak it), and returns the membership the token acts under, or raises
:class:`ApiAuthError` with the HTTP status and a sentence a developer can act on:

- 401: no header, not a bearer header, unknown token, expired, revoked, or the
  token's user is no longer an active member of its clinic (or is deactivated);
- 403: ``write=True`` with a read-scope token (a read token can never write);
- 429: more than ``AFTERGLOW_API_RATE_PER_MINUTE`` calls this minute for the token.

What the member's *role* may do (capabilities) is the caller's check:
:func:`require_capability`. Sessions are never consulted: a browser's staff cookie
opens nothing here, which is why these endpoints need no CSRF token.

On success the request is set up as the token's user would be after signing in, for
this request only (nothing is stored in a session): ``request.user`` (so audit events
name the actor), ``request.membership`` and ``request.api_token``.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.http import HttpRequest

from afterglow.accounts.capabilities import Capability, role_can
from afterglow.accounts.models import Membership
from afterglow.api.models import ApiToken
from afterglow.api.services import apitoken_touch
from afterglow.core.ratelimit import rate_limit_take
from afterglow.core.tokens import hash_token

__all__ = ["ApiAuthError", "authenticate_bearer", "require_capability"]

_BEARER = re.compile(r"^Bearer[ ]+([A-Za-z0-9_\-.~+/]+=*)[ ]*$")
_HOW = "Send the header 'Authorization: Bearer <token>' with a token from Staff → API tokens."


class ApiAuthError(Exception):
    """Authentication or authorization refused: ``status`` (401, 403, 429) and ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def authenticate_bearer(request: HttpRequest, *, write: bool) -> Membership:
    """The membership the request's bearer token acts under (module docstring)."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiAuthError(401, f"No credentials. {_HOW}")
    match = _BEARER.match(header)
    if match is None:
        raise ApiAuthError(401, f"The Authorization header is not a bearer token. {_HOW}")
    token = (
        ApiToken.objects.select_related("clinic", "user")
        .filter(token_hash=hash_token(match.group(1)))
        .first()
    )
    if token is None:
        raise ApiAuthError(401, "Unknown token: check it was copied whole, or create a new one.")
    if token.state == "revoked":
        raise ApiAuthError(401, f"Token {token.prefix}… was revoked; ask a clinic admin for one.")
    if token.state == "expired":
        raise ApiAuthError(401, f"Token {token.prefix}… has expired; ask a clinic admin for one.")
    membership = (
        Membership.objects.active()
        .select_related("clinic", "user")
        .filter(user_id=token.user_id, clinic_id=token.clinic_id)
        .first()
    )
    if membership is None:
        raise ApiAuthError(
            401,
            f"Token {token.prefix}…: its user is no longer an active member of the clinic.",
        )
    if write and not token.can_write:
        raise ApiAuthError(
            403, f"Token {token.prefix}… is read-only; this call needs a write-scope token."
        )
    if not rate_limit_take(
        scope="api_token",
        key=str(token.pk),
        limit=settings.AFTERGLOW_API_RATE_PER_MINUTE,
        window=dt.timedelta(minutes=1),
    ):
        raise ApiAuthError(
            429,
            f"More than {settings.AFTERGLOW_API_RATE_PER_MINUTE} calls in a minute with token "
            f"{token.prefix}…; wait a minute and slow down.",
        )
    apitoken_touch(token=token)
    request.user = membership.user
    request.membership = membership  # type: ignore[attr-defined]
    request.api_token = token  # type: ignore[attr-defined]
    return membership


def require_capability(membership: Membership, capability: Capability) -> None:
    """Refuse (403) when the token's role lacks ``capability`` (``accounts/capabilities.py``)."""
    if not role_can(membership.role, capability):
        raise ApiAuthError(
            403,
            f"The token acts as a {membership.get_role_display()}, who may not use this "
            f"endpoint (it needs the '{capability.value}' capability; see docs/security.md).",
        )
