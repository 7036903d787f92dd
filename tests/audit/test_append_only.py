"""The application never changes an event; the database refuses to; verify notices."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from afterglow.audit.models import Action, AppendOnlyError, AuditEvent
from afterglow.audit.services import audit_record
from tests.audit.conftest import tamper


def three_events(clinic) -> list[AuditEvent]:
    return [
        audit_record(action=Action.READ, clinic=clinic, object_type="chart", object_id=n)
        for n in (1, 2, 3)
    ]


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_the_model_refuses_to_update_or_delete(clinic) -> None:
    event = three_events(clinic)[0]
    event.note = "edited"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(note="edited")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(seq=99, prev_hash="0", hash="1")])
    assert AuditEvent.objects.get(pk=event.pk).note == ""


def test_the_database_trigger_refuses_a_raw_update(clinic) -> None:
    event = three_events(clinic)[0]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET note = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).note == ""


def test_a_raw_delete_is_refused_by_postgresql_and_caught_by_verify_on_sqlite(clinic) -> None:
    events = three_events(clinic)
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
        assert AuditEvent.objects.filter(pk=events[0].pk).exists()
    else:
        # SQLite has no DELETE trigger (the test runner's flush deletes rows): the
        # removal goes through, and the chain names the event after the gap.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
        with pytest.raises(CommandError, match=f"event id {events[1].pk}: sequence 2"):
            verify()


def test_verify_passes_an_untouched_log_and_prints_the_count(clinic) -> None:
    three_events(clinic)
    assert verify().strip() == "audit chain ok: 3 events"


def test_a_manual_update_of_one_row_fails_verify_naming_that_event(clinic) -> None:
    events = three_events(clinic)
    middle = events[1]
    tamper("UPDATE audit_auditevent SET actor_username = 'someone' WHERE id = %s", [middle.pk])
    assert AuditEvent.objects.get(pk=middle.pk).actor_username == "someone"  # it really changed
    with pytest.raises(CommandError) as caught:
        verify()
    assert caught.value.returncode == 1
    assert f"event id {middle.pk}:" in str(caught.value)
    assert "content does not match its hash" in str(caught.value)


def test_removing_the_newest_event_fails_verify(clinic) -> None:
    events = three_events(clinic)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    with pytest.raises(CommandError, match=f"event id {events[1].pk}: the chain head records 3"):
        verify()


def test_a_write_that_rolls_back_takes_its_event_with_it(clinic) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=Action.UPDATE, clinic=clinic, obj=clinic)
        raise RuntimeError("the write failed after its event")
    assert AuditEvent.objects.count() == before
    audit_record(action=Action.UPDATE, clinic=clinic, obj=clinic)
    assert verify().strip() == f"audit chain ok: {before + 1} events"
