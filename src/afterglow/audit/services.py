"""Writing audit events: the one entry point every read and write path calls.

``audit_record`` appends one event to the hash chain. Inside a caller's
``transaction.atomic`` (every write service) the event commits or rolls back with
the write; called in autocommit (read pages, see ``audit.reads``) it commits at once.

Answers and free-text clinical notes never enter the log: :func:`field_changes`
records their names with ``"changed"``; settings, roles and thresholds are
recorded with their old and new values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from afterglow.audit.chain import GENESIS, event_hash
from afterglow.audit.context import address_hash, current_request, request_id_for
from afterglow.audit.models import Action, AuditChainHead, AuditEvent
from afterglow.core.client import client_address

CHANGED = "changed"
HEAD_PK = 1


def plain(value: Any) -> Any:
    """A JSON value that reads back identically from SQLite and PostgreSQL."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | float | dt.date | dt.datetime | dt.time):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` (foreign keys as ids), to diff after a change."""
    return {name: getattr(obj, _attname(obj, name)) for name in fields}


def _attname(obj: models.Model, name: str) -> str:
    field = obj._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{name!r} is a reverse relation, not a stored field")
    return field.attname


def stored_values(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` as stored in the database now (empty for a new object).

    Read from the row, not the instance: a ModelForm's ``is_valid()`` has already put
    the new values on the instance before the service runs.
    """
    names = list(fields)
    if obj.pk is None:
        return {}
    attnames = {name: _attname(obj, name) for name in names}
    row = type(obj)._base_manager.filter(pk=obj.pk).values(*attnames.values()).first()
    if row is None:
        return {}
    return {name: row[attname] for name, attname in attnames.items()}


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], *, redact: Iterable[str] = ()
) -> dict[str, Any]:
    """``{field: {"old": .., "new": ..}}`` for every field that changed.

    Fields in ``redact`` (answers, free-text notes) are recorded as ``"changed"``
    without either value.
    """
    hidden = set(redact)
    changes: dict[str, Any] = {}
    for name, new in after.items():
        old = before.get(name)
        if old == new:
            continue
        changes[name] = CHANGED if name in hidden else {"old": plain(old), "new": plain(new)}
    return changes


def _actor(actor: Any, request: HttpRequest | None) -> tuple[int | None, str]:
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is None:
        return None, ""
    return actor.pk, actor.get_username()


@cache
def _head() -> QuerySet[AuditChainHead]:
    """The chain head's row, filtered once per process: every read page appends an
    event, and Django takes longer to build the filter than SQLite takes to answer it
    (issue 13 §2). Each use works on a copy (``select_for_update``, ``update``)."""
    return AuditChainHead.objects.filter(pk=HEAD_PK)


def _locked_head() -> AuditChainHead:
    head = next(iter(_head().select_for_update()), None)
    if head is None:
        # First event ever (or after a test flush): create the head, then lock it.
        AuditChainHead.objects.get_or_create(pk=HEAD_PK, defaults={"last_hash": GENESIS})
        head = _head().select_for_update().get()
    return head


def audit_record(
    *,
    action: str,
    actor: Any = None,
    clinic: Any = None,
    request: HttpRequest | None = None,
    patient: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    changes: Mapping[str, Any] | None = None,
    note: str = "",
    actor_username: str = "",
) -> AuditEvent:
    """Append one event to the chain and return it.

    ``actor`` defaults to the signed-in user of ``request`` (or of the current
    request, set by ``AuditMiddleware``); ``clinic``/``patient`` may be model
    instances or ids; ``obj`` names the object (its type and id) unless
    ``object_type``/``object_id`` are given. ``actor_username`` is for events
    without an account (a failed sign-in names the username that was tried).
    """
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    request = request if request is not None else current_request()
    actor_id, username = _actor(actor, request)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    event = AuditEvent(
        action=action,
        actor_user_id=actor_id,
        actor_username=(username or actor_username)[:150],
        clinic_id=getattr(clinic, "pk", clinic),
        patient_id=getattr(patient, "pk", patient),
        object_type=object_type[:60],
        object_id=str(object_id or "")[:64],
        changes={
            str(k): plain(v) if not isinstance(v, dict) else v for k, v in (changes or {}).items()
        },
        note=note[:300],
        request_id=request_id_for(request) if request is not None else "",
        client_hash=address_hash(client_address(request)) if request is not None else "",
        user_agent=(request.headers.get("User-Agent", "") if request is not None else "")[:300],
    )
    # The head lock serialises appends: the sequence number, the time and prev_hash
    # are taken while holding it, so the chain never forks and times never go back.
    with transaction.atomic():
        head = _locked_head()
        event.seq = head.seq + 1
        event.at = timezone.now()
        event.prev_hash = head.last_hash
        event.hash = event_hash(event.prev_hash, event.content())
        event.save()
        _head().update(seq=event.seq, last_hash=event.hash)
    return event
