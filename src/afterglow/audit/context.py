"""Who is asking, for events written deep in a service: the current request.

``AuditMiddleware`` gives every request a request id (the one set by an earlier
middleware or a proxy's ``X-Request-ID`` when it is well-formed, else a new one)
and keeps the request in a context variable for the duration of the request, so a
service such as ``clinic_update_settings`` records the actor, request id, hashed
address and user agent without every caller passing the request down. Outside a
request (CLI, worker) there is none and events name no actor.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_request() -> HttpRequest | None:
    return _current_request.get()


def request_id_for(request: HttpRequest) -> str:
    """The request's id: one already set, a well-formed ``X-Request-ID``, else a new one."""
    existing = getattr(request, "request_id", None)
    if isinstance(existing, str) and _REQUEST_ID_RE.match(existing):
        return existing
    header = request.headers.get("X-Request-ID", "")
    request_id = header if _REQUEST_ID_RE.match(header) else uuid.uuid4().hex
    request.request_id = request_id  # type: ignore[attr-defined]
    return request_id


@cache
def _key(secret: str, explicit: str) -> bytes:
    if explicit:
        return explicit.encode("utf-8")
    # Derived, so a deployment without AFTERGLOW_AUDIT_KEY still never stores raw
    # addresses; a separate key lets SECRET_KEY rotate without changing the hashes.
    return hashlib.sha256(b"afterglow-audit-address:" + secret.encode("utf-8")).digest()


def address_hash(address: str) -> str:
    """HMAC-SHA-256 of a client address under the audit key (empty for no address)."""
    if not address:
        return ""
    key = _key(settings.SECRET_KEY, getattr(settings, "AFTERGLOW_AUDIT_KEY", ""))
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        if "X-Request-ID" not in response.headers:
            response.headers["X-Request-ID"] = request_id
        return response
