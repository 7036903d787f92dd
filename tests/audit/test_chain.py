"""The hash chain, Django-free: the formula, and each kind of break it reveals."""

from __future__ import annotations

import hashlib
import json

from afterglow.audit.chain import GENESIS, StoredEvent, event_hash, verify_records


def chain(n: int) -> list[StoredEvent]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        content = {"seq": seq, "action": "read", "prev_hash": prev, "note": f"é {seq}"}
        digest = event_hash(prev, content)
        events.append(
            StoredEvent(id=100 + seq, seq=seq, prev_hash=prev, hash=digest, content=content)
        )
        prev = digest
    return events


def test_the_hash_is_sha256_of_the_previous_hash_and_the_sorted_compact_json() -> None:
    content = {"seq": 1, "action": "read", "note": "é"}
    text = '{"action":"read","note":"é","seq":1}'
    assert json.loads(text) == content
    expected = hashlib.sha256((GENESIS + text).encode("utf-8")).hexdigest()
    assert event_hash(GENESIS, content) == expected


def test_an_intact_chain_verifies_with_its_count() -> None:
    verdict = verify_records(chain(5), head_seq=5, head_hash=chain(5)[-1].hash)
    assert verdict.ok and verdict.count == 5


def test_a_changed_field_names_that_event() -> None:
    events = chain(5)
    bad = events[2]
    events[2] = StoredEvent(bad.id, bad.seq, bad.prev_hash, bad.hash, {**bad.content, "note": "x"})
    verdict = verify_records(events)
    assert not verdict.ok
    assert verdict.broken_id == bad.id and verdict.count == 2
    assert "content" in verdict.reason


def test_a_removed_event_names_the_one_after_the_gap() -> None:
    events = chain(5)
    del events[1]
    verdict = verify_records(events)
    assert (verdict.ok, verdict.broken_id) == (False, 103)
    assert "sequence 3" in verdict.reason


def test_events_removed_from_the_end_are_caught_by_the_head() -> None:
    events = chain(5)
    verdict = verify_records(events[:3], head_seq=5, head_hash=events[-1].hash)
    assert not verdict.ok and verdict.broken_id == 103
    assert "5 events" in verdict.reason


def test_a_recomputed_forgery_still_breaks_at_the_next_link() -> None:
    # Rewriting an event *and* its hash leaves the next event's prev_hash pointing
    # at the old hash.
    events = chain(4)
    old = events[1]
    content = {**old.content, "note": "forged"}
    events[1] = StoredEvent(
        old.id, old.seq, old.prev_hash, event_hash(old.prev_hash, content), content
    )
    verdict = verify_records(events)
    assert not verdict.ok and verdict.broken_id == events[2].id
    assert "prev_hash" in verdict.reason
