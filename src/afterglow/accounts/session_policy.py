"""How long a staff session lasts: an idle limit and an absolute limit.

- Idle: ``SESSION_IDLE_MINUTES`` (30) without a request ends the session.
- Absolute: ``SESSION_COOKIE_AGE`` (8 h) from sign-in, however active the session is.

Both are measured on the server from stamps kept in the session; the warning script on
staff pages only mirrors them.

The idle stamp is written at most once a minute on reads (``TOUCH_EVERY_SECONDS``): a GET
within a minute of the stamp leaves the session unchanged, so most page views do not
write to the session table. The stamp can therefore lag the last request by up to a
minute, which only ever ends a session *earlier* than the idle limit after the last
request, never later. A write (POST and the like, including "Stay signed in") always
moves the stamp.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

SIGNED_IN_AT = "afterglow_signed_in_at"
LAST_SEEN = "afterglow_last_seen"
TOUCH_EVERY_SECONDS = 60


def session_start(request: HttpRequest) -> None:
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


def idle_seconds() -> int:
    return int(settings.SESSION_IDLE_MINUTES) * 60


def seconds_left(request: HttpRequest, *, now: float | None = None) -> int:
    """Seconds until this session ends (idle or absolute, whichever comes first); <= 0: ended."""
    now = time.time() if now is None else now
    last_seen = request.session.get(LAST_SEEN)
    signed_in = request.session.get(SIGNED_IN_AT)
    if last_seen is None or signed_in is None:
        # A session from before these stamps (or a test's force_login): start counting now.
        return idle_seconds()
    idle_left = float(last_seen) + idle_seconds() - now
    absolute_left = float(signed_in) + int(settings.SESSION_COOKIE_AGE) - now
    return round(min(idle_left, absolute_left))


def session_touch(request: HttpRequest, *, always: bool = False) -> None:
    """A request was made: the idle clock starts again (the absolute one does not).

    Unless ``always``, the stamp moves only when it is at least ``TOUCH_EVERY_SECONDS``
    old, so that a burst of page views saves the session once, not on every request.
    """
    now = time.time()
    last_seen = request.session.get(LAST_SEEN)
    if always or last_seen is None or now - float(last_seen) >= TOUCH_EVERY_SECONDS:
        request.session[LAST_SEEN] = now
    if SIGNED_IN_AT not in request.session:
        request.session[SIGNED_IN_AT] = now
