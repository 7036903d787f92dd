"""One log line per request, with a request id.

The line names the request id, the method, the matched route (never the path: personal
links carry their token there), the status and the time taken; no query string, no
user name, no form field. The id is also sent back as ``X-Request-ID`` so a person who
reports a problem can quote it. An incoming ``X-Request-ID`` from the proxy is kept
when it looks like one (letters, digits, dashes; at most 64).

With ``AFTERGLOW_SERVER_TIMING`` on (off by default), the same time is also sent back as
``Server-Timing: app;dur=<ms>``: what browsers' developer tools and ``make bench-web``
read as the server's own time, without the network or the client.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from afterglow.ops.logs import UNMATCHED

logger = logging.getLogger("afterglow.request")

_GOOD_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _GOOD_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = ("/" + match.route) if match is not None else UNMATCHED
        elapsed = (time.monotonic() - started) * 1000
        elapsed_ms = round(elapsed, 1)
        logger.info(
            "%s %s %s %s %.1fms",
            request_id,
            request.method,
            route,
            response.status_code,
            elapsed_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": elapsed_ms,
            },
        )
        response["X-Request-ID"] = request_id
        if settings.AFTERGLOW_SERVER_TIMING:
            response["Server-Timing"] = f"app;dur={elapsed:.2f}"
        return response
