"""Queue a message for the worker, once the surrounding transaction has committed.

Enqueued on commit so a task never runs against rows its caller then rolls back, and so
an immediate backend (tests) runs the send in its own transaction, as a worker would.
"""

from __future__ import annotations

from django.db import transaction


def enqueue_send(invitation_id: int, sequence: int) -> None:
    # Imported here: tasks import the services that call this.
    from afterglow.schedules.tasks import send_delivery

    transaction.on_commit(lambda: send_delivery.enqueue(invitation_id, sequence))
