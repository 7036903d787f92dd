"""``afterglow worker``: one sweep and a drained queue with --once, a graceful stop."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from afterglow.schedules.models import InvitationStatus
from tests.schedules.conftest import invitation, ny, start_course


def worker(*args: str) -> str:
    out = io.StringIO()
    call_command("worker", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_worker_once_sweeps_and_runs_the_queue(clinician, time_machine) -> None:
    time_machine.move_to(ny(2, 25, 12), tick=False)
    course = start_course(clinician)
    time_machine.move_to(ny(2, 28, 9, 5), tick=False)
    output = worker("--once")
    assert "queued 2" in output and "Tasks run: 2." in output
    assert len(mail.outbox) == 2
    assert invitation(course, "pcl5@baseline").status == InvitationStatus.SENT
    # Run again (cron every minute): nothing more to send.
    assert "Tasks run: 0." in worker("--once")
    assert len(mail.outbox) == 2


def test_the_worker_stops_gracefully_on_sigterm(transactional_db) -> None:
    # transactional_db: the worker closes "old" connections between polls (see
    # test_sending), which a test-wrapping transaction on PostgreSQL would not survive.
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        output = worker("--sweep-seconds", "60", "--poll-seconds", "0.05")
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert "Worker started" in output
    assert output.rstrip().endswith("Worker stopped.")


def test_the_worker_refuses_a_backend_it_cannot_run(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="not the database backend") as caught:
        worker("--once")
    assert caught.value.returncode == 2


def test_bad_options_exit_2_with_one_line(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("afterglow")
    done = subprocess.run(
        [str(command), "worker", "--poll-seconds", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "AFTERGLOW_VAR_DIR": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "CommandError: --poll-seconds must be above 0 and at most 60"
