"""Cursor pagination: stable under inserts, opaque and tamper-evident to clients.

A page is ordered by ``(key, id)`` ascending, where ``key`` is the resource's change
time (``updated_at``) or creation time. The cursor names the last row of a page: its
key (ISO 8601 with microseconds) and id, signed with ``SECRET_KEY`` under a salt per
resource (``django.core.signing``), so a cursor from one list cannot be replayed on
another and a hand-edited cursor is refused with 400. The next page is every row
strictly after it: ``key > k or (key = k and id > i)``. Rows inserted meanwhile with a
later key appear on a later page; none is skipped or repeated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet

from afterglow.api.problems import ProblemError

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _salt(resource: str) -> str:
    return f"afterglow.api.cursor.{resource}"


def encode_cursor(resource: str, key: dt.datetime, pk: int) -> str:
    return signing.dumps([key.isoformat(), pk], salt=_salt(resource), compress=False)


def decode_cursor(resource: str, cursor: str) -> tuple[dt.datetime, int]:
    try:
        key, pk = signing.loads(cursor, salt=_salt(resource))
        moment = dt.datetime.fromisoformat(key)
        if moment.tzinfo is None or not isinstance(pk, int):
            raise ValueError("bad cursor content")
    except (signing.BadSignature, ValueError, TypeError):
        raise ProblemError(
            400,
            "The cursor is not one this list issued; pass next_cursor from the previous "
            "page unchanged, or leave it out to start from the first page.",
        ) from None
    return moment, pk


def paginate(
    rows: QuerySet[M], *, resource: str, key: str, cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """One page of ``rows`` after ``cursor`` and the cursor of the next page (None at the end)."""
    if cursor:
        after, pk = decode_cursor(resource, cursor)
        rows = rows.filter(Q(**{f"{key}__gt": after}) | Q(**{key: after, "pk__gt": pk}))
    page = list(rows.order_by(key, "pk")[: limit + 1])
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    last: Any = page[-1]
    return page, encode_cursor(resource, getattr(last, key), last.pk)


def require_aware(name: str, value: dt.datetime | None) -> dt.datetime | None:
    """A filter time must name its time zone (``Z`` or ``+02:00``): a bare time is ambiguous."""
    if value is not None and value.tzinfo is None:
        raise ProblemError(
            422,
            f"{name} needs a time zone, e.g. 2026-01-31T09:00:00Z or 2026-01-31T09:00:00+01:00.",
        )
    return value
