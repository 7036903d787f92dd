"""Log records that carry no personal data.

Personal links put their token in the URL path (``/a/<token>/``), so a path must never
be logged. Afterglow's own request line (:mod:`afterglow.ops.middleware`) logs the
matched *route* (``a/<str:token>/``); :class:`RouteNotPath` gives Django's own request
loggers (404s, CSRF refusals, runserver's request lines) the same treatment.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.urls import Resolver404, resolve

UNMATCHED = "(no route)"

#: The standard attributes of a LogRecord; anything else came in through ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def route_of(path: str) -> str:
    """The URL pattern ``path`` matches (never the path itself), or ``(no route)``."""
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return UNMATCHED
    except Exception:  # a malformed path: still never echo it
        return UNMATCHED
    return "/" + match.route


class RouteNotPath(logging.Filter):
    """Replace every URL path in a record's arguments with its route.

    Django's request loggers pass the path as an argument: ``"%s: %s", reason,
    request.path`` (django.request, django.security.csrf) or the HTTP request line
    ``"GET /a/<token>/ HTTP/1.1"`` (django.server).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub(arg) for arg in record.args)
        return True


def _scrub(arg: Any) -> Any:
    if not isinstance(arg, str):
        return arg
    if arg.startswith("/"):
        return route_of(arg)
    parts = arg.split(" ")
    if len(parts) == 3 and parts[1].startswith("/") and parts[2].startswith("HTTP/"):
        return f"{parts[0]} {route_of(parts[1])} {parts[2]}"
    return arg


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, any ``extra`` fields."""

    converter = time.gmtime  # type: ignore[assignment]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in {"request", "server_time"}:
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
