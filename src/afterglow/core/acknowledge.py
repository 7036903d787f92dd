"""What acknowledging an alert means, for both kinds of alert (questionnaire and diary
alerts in ``alerts``, in-session safety alerts in ``treatment``).

One behaviour: the alert's row is locked, the first acknowledgement (who, when, a note)
is recorded and kept, and a second one -- by someone else at the same moment, or a
double submit -- raises :class:`AlreadyAcknowledged` instead of overwriting it. Each
app's service does this inside its transaction and writes its audit event:

- ``alerts.services.alert_acknowledge`` (the alert inbox) through :func:`acknowledge_locked`;
- ``treatment.services.sessions.session_alert_acknowledge`` (one alert of a dosing session)
  through :func:`acknowledge_locked`, audited by ``open_session``;
- ``treatment.services.sessions.session_alerts_acknowledge`` (the alerts the nurse saw, one
  note) through :func:`acknowledge_open_locked`: it acknowledges those still open and
  leaves an alert already acknowledged with its first acknowledgement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

__all__ = ["AlreadyAcknowledged", "acknowledge_locked", "acknowledge_open_locked"]

Row = TypeVar("Row", bound=models.Model)


class AlreadyAcknowledged(Exception):
    """The alert was acknowledged before (by someone else, or a double submit)."""


def _stamp(row: Any, *, by: User, now: dt.datetime, fields: dict[str, Any]) -> None:
    row.acknowledged_at = now
    row.acknowledged_by = by
    for name, value in fields.items():
        setattr(row, name, value)


def acknowledge_locked(locked: Row, *, by: User, **fields: Any) -> Row:
    """Record ``by``'s acknowledgement on a row locked with ``select_for_update``.

    ``fields`` are further columns to set (e.g. the note). Raises
    :class:`AlreadyAcknowledged` when the row was acknowledged already.
    """
    if getattr(locked, "acknowledged_at", None) is not None:
        raise AlreadyAcknowledged(str(locked.pk))
    _stamp(locked, by=by, now=timezone.now(), fields=fields)
    locked.full_clean()
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", *fields])
    return locked


def acknowledge_open_locked(locked: Sequence[Row], *, by: User, **fields: Any) -> list[Row]:
    """Acknowledge, at one moment, those of the locked rows still open; return them.

    A row acknowledged already keeps its first acknowledgement (it is left out, not
    refused: the nurse acknowledged what the page showed, one of which a colleague took on).
    """
    now = timezone.now()
    open_rows = [row for row in locked if getattr(row, "acknowledged_at", None) is None]
    for row in open_rows:
        _stamp(row, by=by, now=now, fields=fields)
    if open_rows:
        type(open_rows[0])._default_manager.bulk_update(
            open_rows, ["acknowledged_at", "acknowledged_by", *fields]
        )
    return open_rows
