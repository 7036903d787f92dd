"""A constant written into the SQL text rather than sent as a query parameter.

A partial index (``models.Index(condition=...)``) is used by SQLite only when the
query's WHERE repeats the index's condition term for term, constants included; a
bound parameter (``status = ?``) never matches the index's ``status = 'sent'``, so a
query filtering with ordinary values cannot use the index. :class:`Const` writes a
plain, standard SQL string literal (``'sent'``), the same text the index condition
holds, on SQLite and PostgreSQL alike. Only for fixed identifiers such as a model's
choice values: anything but letters, digits and ``_-:@.`` is refused, so no input can
reach the SQL text.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import CharField, Value
from django.utils.deconstruct import deconstructible

_SAFE = re.compile(r"[A-Za-z0-9_\-:@.]+")


@deconstructible(path="afterglow.core.sqlconst.Const")
class Const(Value):
    """A fixed string written into the SQL as a literal (see the module's note)."""

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not _SAFE.fullmatch(value):
            raise ValueError(f"Const takes a plain identifier, not {value!r}")
        super().__init__(str(value), output_field=CharField())

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return f"'{self.value}'", ()


def consts(values: Any) -> list[Const]:
    """:class:`Const` of each value, in order (for an ``__in`` lookup)."""
    return [Const(str(v)) for v in values]
