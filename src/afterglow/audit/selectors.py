"""Reads of the audit log: filtered listings, the chain walk, JSON Lines export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from afterglow.audit.chain import StoredEvent, Verdict, verify_records
from afterglow.audit.models import AuditChainHead, AuditEvent, AuditEventQuerySet

CHUNK = 2000


def events_matching(
    *,
    clinic_id: int | None = None,
    patient_ids: list[int] | None = None,
    username: str = "",
    action: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> AuditEventQuerySet:
    """Events newest first, narrowed by whichever filters are given.

    ``since`` is inclusive, ``until`` exclusive (pass the day after the last day).
    """
    events = AuditEvent.objects.all()
    if clinic_id is not None:
        events = events.filter(clinic_id=clinic_id)
    if patient_ids is not None:
        events = events.filter(patient_id__in=patient_ids)
    if username:
        events = events.filter(actor_username=username)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.order_by("-seq")


def chain_verify() -> Verdict:
    """Walk the whole chain in order (in chunks: memory stays flat however long it is)."""
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", "last_hash").first()

    def stored() -> Iterator[StoredEvent]:
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=CHUNK):
            yield StoredEvent(
                id=event.pk,
                seq=event.seq,
                prev_hash=event.prev_hash,
                hash=event.hash,
                content=event.content(),
            )

    return verify_records(
        stored(),
        head_seq=head[0] if head else 0,
        head_hash=head[1] if head else None,
    )


def event_as_json(event: AuditEvent) -> dict[str, Any]:
    """One export record: every stored field, ``id`` and ``hash`` included."""
    return {"id": event.pk, **event.content(), "hash": event.hash}
