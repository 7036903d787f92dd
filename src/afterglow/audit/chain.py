"""The hash chain of the audit log, Django-free.

Each event's ``hash`` is ``SHA-256(prev_hash + canonical_json(content))`` where
``content`` holds every stored field of the event except ``hash`` itself (the
sequence number and ``prev_hash`` included), and ``prev_hash`` is the previous
event's ``hash`` (64 zeros for the first event). Canonical JSON: keys sorted,
no whitespace, UTF-8, ``ensure_ascii`` off. Changing any stored field of any event,
removing an event or reordering events makes :func:`verify_records` report the
first event whose stored hash no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredEvent:
    """One row as read back: its database id, the hashed content and the stored hash."""

    id: int
    seq: int
    prev_hash: str
    hash: str
    content: dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    count: int
    broken_id: int | None = None
    reason: str = ""


def verify_records(
    events: Iterable[StoredEvent], *, head_seq: int | None = None, head_hash: str | None = None
) -> Verdict:
    """Walk ``events`` in sequence order and name the first one that breaks the chain.

    ``head_seq``/``head_hash`` are what the chain head recorded on the last append;
    comparing them with the last event catches events removed from the end, which
    no later event could reveal.
    """
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    last_id: int | None = None
    for event in events:
        if event.seq != expected_seq:
            return Verdict(
                False, count, event.id, f"sequence {event.seq} where {expected_seq} was expected"
            )
        if event.prev_hash != expected_prev:
            return Verdict(False, count, event.id, "prev_hash does not match the previous event")
        if event_hash(event.prev_hash, event.content) != event.hash:
            return Verdict(False, count, event.id, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        count += 1
        last_id = event.id
    if head_seq is not None and head_seq != count:
        return Verdict(
            False,
            count,
            last_id,
            f"the chain head records {head_seq} events but the log holds {count}",
        )
    if head_hash is not None and count and head_hash != expected_prev:
        return Verdict(False, count, last_id, "the chain head's hash differs from the last event")
    return Verdict(True, count)
