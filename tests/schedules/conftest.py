"""Fixtures for the measurement-schedule tests: a frozen clock, a hand-worked course,
tasks that run at once, and the SMS outbox.

The course: clinic in New York (dosing Monday–Friday), six infusions three a week from
Monday 2 March 2026, so doses are planned on Mon 2, Wed 4, Fri 6, Mon 9, Wed 11 and
Fri 13 March. US daylight-saving time starts on Sunday 8 March 2026 (EST -5 -> EDT -4).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished

from afterglow.schedules.models import Invitation
from afterglow.schedules.sms import LocMemSMSBackend
from afterglow.schedules.sweep import SweepReport, schedules_sweep
from afterglow.schedules.tasks import send_delivery
from afterglow.treatment.models import Course
from afterglow.treatment.services.courses import course_start
from tests.factories import PatientFactory, ProtocolFactory, ScreeningFactory

NY = ZoneInfo("America/New_York")
START = dt.date(2026, 3, 2)
PLANNED = [dt.date(2026, 3, d) for d in (2, 4, 6, 9, 11, 13)]
QUESTIONNAIRE_URL = re.compile(r"/q/([A-Za-z0-9_\-]+)/")
DIARY_URL = re.compile(r"/d/([A-Za-z0-9_\-]+)/")


def ny(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=NY)


def token_in(body: str, pattern: re.Pattern[str] = QUESTIONNAIRE_URL) -> str:
    found = pattern.search(body)
    assert found, f"no link in: {body}"
    return found.group(1)


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[Any]]:
    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms.LocMemSMSBackend"
    LocMemSMSBackend.outbox.clear()
    yield LocMemSMSBackend.outbox
    LocMemSMSBackend.outbox.clear()


@pytest.fixture
def immediate_tasks(settings) -> Iterator[None]:
    """Tasks run when enqueued; a task that raises fails the test (not swallowed)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    failures: list[str] = []

    def record(sender: object, task_result: Any, **kwargs: Any) -> None:
        if task_result.status == TaskResultStatus.FAILED:
            failures.append(task_result.errors[-1].traceback)

    task_finished.connect(record)
    yield
    task_finished.disconnect(record)
    assert not failures, failures[0]


@dataclass
class Harness:
    """Moves the frozen clock and runs the sweep / the send task as the worker would."""

    time_machine: Any
    capture: Any

    def at(self, moment: dt.datetime) -> None:
        self.time_machine.move_to(moment, tick=False)

    def sweep(self, moment: dt.datetime | None = None) -> SweepReport:
        if moment is not None:
            self.at(moment)
        with self.capture(execute=True):
            return schedules_sweep()

    def send(self, invitation: Invitation, sequence: int = 0) -> None:
        with self.capture(execute=True):
            send_delivery.enqueue(invitation.pk, sequence)


@pytest.fixture
def harness(
    time_machine, django_capture_on_commit_callbacks, immediate_tasks, sms_outbox
) -> Harness:
    time_machine.move_to(ny(2, 25, 12), tick=False)
    mail.outbox.clear()
    return Harness(time_machine, django_capture_on_commit_callbacks)


def start_course(clinician, harness: Harness | None = None, **patient: Any) -> Course:
    """The hand-worked course (module docstring), started through ``course_start``."""
    clinic = clinician.clinic
    fields = {"email": "river@example.org", "phone": "+1 555 0101", **patient}
    person = PatientFactory(clinic=clinic, given_name="River", family_name="Stone", **fields)
    ScreeningFactory(patient=person, clinic=clinic, eligible=True)
    protocol = ProtocolFactory(clinic=clinic, sessions=6, sessions_per_week=3)
    return course_start(patient=person, protocol=protocol, start_date=START, by=clinician.user)


@pytest.fixture
def course(clinician, harness) -> Course:
    return start_course(clinician, harness)


def invitation(course: Course, key: str) -> Invitation:
    return Invitation.objects.get(course=course, key=key)
