"""Staff sessions end after SESSION_IDLE_MINUTES without a request, and 8 h after sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

PAGE = reverse("patients:list")
STATUS = reverse("accounts:session_status")


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def nurse(clock, colleague):
    """The nurse signs in (through the form) at the start of the clock."""
    client = Client()
    client.post(
        reverse("accounts:login"),
        {"username": colleague.user.username, "password": "correct-horse-battery"},
    )
    assert client.get(PAGE).status_code == 200
    return client


def test_twenty_nine_quiet_minutes_keep_the_session(nurse, clock) -> None:
    clock.shift(dt.timedelta(minutes=29))
    assert nurse.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=29))  # counted from the last request, not sign-in
    assert nurse.get(PAGE).status_code == 200


def test_thirty_quiet_minutes_end_the_session(nurse, clock) -> None:
    clock.shift(dt.timedelta(minutes=30, seconds=1))
    response = nurse.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    page = nurse.get(response["Location"]).content.decode()
    assert "signed out after a period without activity" in page
    assert "_auth_user_id" not in nurse.session


def test_asking_for_the_time_left_does_not_extend_the_session(nurse, clock) -> None:
    clock.shift(dt.timedelta(minutes=20))
    assert nurse.get(STATUS).json() == {"signed_in": True, "seconds_left": 600}
    clock.shift(dt.timedelta(minutes=10, seconds=1))
    assert nurse.get(STATUS).json() == {"signed_in": False, "seconds_left": 0}
    assert nurse.get(PAGE).status_code == 302


def test_stay_signed_in_starts_the_idle_clock_again(nurse, clock) -> None:
    clock.shift(dt.timedelta(minutes=29))
    assert nurse.post(STATUS).json() == {"signed_in": True, "seconds_left": 1800}
    clock.shift(dt.timedelta(minutes=29))
    assert nurse.get(PAGE).status_code == 200


def test_the_absolute_limit_holds_however_busy_the_session(nurse, clock, settings) -> None:
    for _ in range(23):  # a request every 20 minutes for 7 h 40 min
        clock.shift(dt.timedelta(minutes=20))
        assert nurse.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=20, seconds=1))  # 8 h and a second after sign-in
    assert nurse.get(PAGE).status_code == 302


def test_the_idle_limit_is_a_setting(nurse, clock, settings) -> None:
    settings.SESSION_IDLE_MINUTES = 5
    clock.shift(dt.timedelta(minutes=5, seconds=1))
    assert nurse.get(PAGE).status_code == 302


def test_staff_pages_carry_the_warning_and_its_static_script(nurse) -> None:
    page = nurse.get(PAGE).content.decode()
    assert 'id="idle-warning"' in page and 'data-seconds-left="1800"' in page
    assert f'data-status-url="{STATUS}"' in page
    assert '<script src="/static/js/idle-timeout.js" defer></script>' in page
    assert "hx-trigger" not in page.split('id="idle-warning"', 1)[1]


def test_public_pages_have_no_warning(db, anonymous, clinic) -> None:
    assert 'id="idle-warning"' not in anonymous.get(reverse("intake:start")).content.decode()


def _session_writes(client: Client, path: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
    ]


def test_a_read_within_a_minute_of_the_stamp_does_not_save_the_session(nurse, clock) -> None:
    from afterglow.accounts.session_policy import LAST_SEEN

    stamp = nurse.session[LAST_SEEN]
    clock.shift(dt.timedelta(seconds=59))
    assert _session_writes(nurse, PAGE) == []
    assert nurse.session[LAST_SEEN] == stamp


def test_a_read_a_minute_after_the_stamp_moves_it(nurse, clock) -> None:
    from afterglow.accounts.session_policy import LAST_SEEN

    stamp = nurse.session[LAST_SEEN]
    clock.shift(dt.timedelta(seconds=60))
    assert len(_session_writes(nurse, PAGE)) == 1
    assert nurse.session[LAST_SEEN] == stamp + 60


def test_the_stamps_lag_ends_a_session_early_never_late(nurse, clock) -> None:
    # A read 59 s after the stamp does not move it, so the idle limit counts from the
    # stamp: 29 min 2 s after that read (30 min 1 s after the stamp) the session is over.
    clock.shift(dt.timedelta(seconds=59))
    assert nurse.get(PAGE).status_code == 200
    clock.shift(dt.timedelta(minutes=29, seconds=2))
    assert nurse.get(PAGE).status_code == 302


def test_a_write_always_moves_the_stamp(nurse, clock) -> None:
    clock.shift(dt.timedelta(seconds=10))
    assert nurse.post(STATUS).json() == {"signed_in": True, "seconds_left": 1800}
