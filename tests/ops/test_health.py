"""/healthz and afterglow doctor: the worker's heartbeat, the queue, abandoned tasks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from afterglow.ops.health import health_report
from afterglow.ops.models import WorkerHeartbeat
from afterglow.ops.services import WORKER_LOST, tasks_recover, worker_heartbeat
from afterglow.schedules.tasks import send_delivery

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def at_noon(db, time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def _beat(seconds_ago: float, sweep_seconds: int = 60) -> None:
    worker_heartbeat(
        worker_id="w1", sweep_seconds=sweep_seconds, now=NOW - dt.timedelta(seconds=seconds_ago)
    )


def test_healthz_is_200_with_a_fresh_heartbeat_and_shows_no_data(anonymous, at_noon) -> None:
    _beat(30)
    response = anonymous.get(reverse("ops:healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["worker"]["heartbeat_age_seconds"] == 30.0
    assert body["checks"]["worker"]["limit_seconds"] == 180
    assert body["checks"]["migrations"]["unapplied"] == 0
    assert set(body["checks"]) == {"database", "migrations", "worker", "queue", "disk"}
    assert "no-store" in response["Cache-Control"]  # never a cached health answer


def test_healthz_turns_503_after_three_missed_sweeps(anonymous, at_noon) -> None:
    _beat(180)  # exactly three intervals: still within
    assert anonymous.get(reverse("ops:healthz")).status_code == 200
    _beat(181)
    response = anonymous.get(reverse("ops:healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_the_limit_is_the_workers_own_interval(anonymous, at_noon) -> None:
    _beat(20, sweep_seconds=5)
    assert anonymous.get(reverse("ops:healthz")).status_code == 503


def test_no_worker_ever_is_unhealthy(anonymous, db) -> None:
    response = anonymous.get(reverse("ops:healthz"))
    assert response.status_code == 503
    assert "afterglow worker" in response.json()["checks"]["worker"]["detail"]


def test_the_queue_depth_and_the_oldest_tasks_age(at_noon, settings) -> None:
    _beat(1)
    settings.AFTERGLOW_HEALTH_QUEUE_MAX_AGE_SECONDS = 600
    _queued(enqueued_ago=700, args=[1, 0])
    _queued(enqueued_ago=100, args=[2, 0])
    _queued(enqueued_ago=0, args=[3, 0], run_in=3600)  # a task for later is not waiting
    queue = health_report().checks["queue"]
    assert queue.values["depth"] == 2
    assert queue.values["oldest_age_seconds"] == 700.0
    assert not queue.ok
    DBTaskResult.objects.filter(args_kwargs__args=[1, 0]).delete()
    assert health_report().checks["queue"].ok


def _queued(*, enqueued_ago: int, args: list[int], run_in: int = 0) -> None:
    result = DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": args, "kwargs": {}},
        task_path=send_delivery.module_path,
        queue_name="default",
        backend_name="default",
        run_after=NOW + dt.timedelta(seconds=run_in),
    )
    DBTaskResult.objects.filter(pk=result.pk).update(
        enqueued_at=NOW - dt.timedelta(seconds=enqueued_ago)
    )


def test_low_disk_beside_the_sqlite_database_is_unhealthy(settings, tmp_path, monkeypatch) -> None:
    from types import SimpleNamespace

    from afterglow.ops import health

    # The SQLite test database is in memory: measure a file's disk instead.
    on_file = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(tmp_path / "a.db")})
    monkeypatch.setattr(health, "connection", on_file)
    settings.AFTERGLOW_HEALTH_MIN_FREE_MB = 0
    roomy = health._disk()
    assert roomy.ok and roomy.values["free_mb"] > 0
    settings.AFTERGLOW_HEALTH_MIN_FREE_MB = roomy.values["free_mb"] + 1
    assert not health._disk().ok
    monkeypatch.setattr(health, "connection", SimpleNamespace(vendor="postgresql"))
    assert health._disk().ok  # PostgreSQL's disk is watched on its own server


def test_doctor_prints_the_checks_and_exits_1_when_unhealthy(at_noon) -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("doctor", stdout=out)
    assert exited.value.code == 1
    assert "FAIL worker" in out.getvalue() and out.getvalue().rstrip().endswith("UNHEALTHY")
    _beat(5)
    out = io.StringIO()
    call_command("doctor", stdout=out)
    assert out.getvalue().rstrip().endswith("healthy")


@pytest.mark.django_db(transaction=True)
def test_each_worker_sweep_records_a_heartbeat() -> None:
    call_command("worker", "--once", "--sweep-seconds", "7", stdout=io.StringIO())
    beat = WorkerHeartbeat.objects.get()
    assert beat.sweep_seconds == 7
    assert (timezone.now() - beat.last_beat_at).total_seconds() < 60
    assert health_report().checks["worker"].ok


def _running(task_path: str, started_ago: int) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [41, 0], "kwargs": {}},
        task_path=task_path,
        worker_ids=["dead-worker"],
        queue_name="default",
        backend_name="default",
        run_after=NOW - dt.timedelta(seconds=started_ago),
        started_at=NOW - dt.timedelta(seconds=started_ago),
    )


def test_a_task_left_running_by_a_dead_worker_is_failed_and_safely_requeued(
    at_noon, settings, django_capture_on_commit_callbacks
) -> None:
    settings.AFTERGLOW_TASK_TIMEOUT_SECONDS = 900
    stuck = _running("afterglow.schedules.tasks.send_delivery", started_ago=901)
    recent = _running("afterglow.schedules.tasks.send_delivery", started_ago=60)
    unsafe = _running("some.other.task", started_ago=5000)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks_recover() == (2, 1)
    stuck.refresh_from_db()
    assert stuck.status == TaskResultStatus.FAILED
    assert stuck.exception_class_path == WORKER_LOST
    assert "Queued again" in stuck.traceback
    unsafe.refresh_from_db()
    assert unsafe.status == TaskResultStatus.FAILED and "Not repeated" in unsafe.traceback
    recent.refresh_from_db()
    assert recent.status == TaskResultStatus.RUNNING  # its worker may be alive
    again = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert list(again.values_list("task_path", "args_kwargs")) == [
        ("afterglow.schedules.tasks.send_delivery", {"args": [41, 0], "kwargs": {}})
    ]
