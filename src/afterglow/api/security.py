"""django-ninja's view of the bearer token, and the per-endpoint guard.

``ReadToken``/``WriteToken`` put the bearer scheme in the OpenAPI document and run
:func:`afterglow.api.auth.authenticate_bearer` before the endpoint's parameters are
read (a request without a valid token gets 401 before any 422). Each endpoint then
calls :func:`member` with the capability it needs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from afterglow.accounts.capabilities import Capability
from afterglow.accounts.models import Membership
from afterglow.api.auth import authenticate_bearer, require_capability


class _Token(HttpBearer):
    write = False

    def __call__(self, request: HttpRequest) -> Membership:
        return authenticate_bearer(request, write=self.write)

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        raise NotImplementedError("__call__ authenticates")


class ReadToken(_Token):
    """Any live token of the clinic (read or write scope)."""


class WriteToken(_Token):
    """A live write-scope token."""

    write = True


def member(request: HttpRequest, capability: Capability) -> Membership:
    """The token's membership, refused (403) when its role lacks ``capability``."""
    membership: Membership = request.auth  # type: ignore[attr-defined]
    require_capability(membership, capability)
    return membership
