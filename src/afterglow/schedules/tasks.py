"""Background tasks (Django's tasks API through the django-tasks backport).

Thin: the work is in ``schedules.delivery`` and ``schedules.sweep``. Both tasks are
safe to run twice: a message is claimed before it is sent (``schedules.models``).
"""

from __future__ import annotations

from django_tasks import task

from afterglow.ops.services import retry_safe
from afterglow.schedules.delivery import delivery_send
from afterglow.schedules.sweep import schedules_sweep


# Both are safe to run again after a worker died mid-task (afterglow.ops recovery):
# a message is claimed in the database before it is sent, so a rerun never resends.
@retry_safe
@task()
def send_delivery(invitation_id: int, sequence: int) -> str:
    """Send message ``sequence`` (0 = invitation, n = reminder n) of one invitation."""
    return delivery_send(invitation_id=invitation_id, sequence=sequence)


@retry_safe
@task()
def sweep() -> str:
    """Queue what is due, remind, expire, nudge diaries and raise missed-diary alerts."""
    return str(schedules_sweep())
