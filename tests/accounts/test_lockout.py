"""Five wrong passwords lock the account (and the address) for fifteen minutes.

Persona: a nurse (``colleague``) whose password someone is guessing, the clinic's admin
who unlocks her, and a guesser at one address trying many usernames.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

LOGIN = reverse("accounts:login")


def sign_in(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client: Client, username: str, times: int, address: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = sign_in(client, username, "not-the-password", address)
        # The form again with its error; the failure that reaches the limit is refused.
        assert response.status_code in (200, 429)


def test_four_wrong_passwords_do_not_lock_the_account(colleague) -> None:
    client = Client()
    fail(client, colleague.user.username, 4)
    response = sign_in(client, colleague.user.username, PASSWORD)
    assert response.status_code == 302


def test_the_fifth_wrong_password_locks_the_account_with_a_clear_message(colleague) -> None:
    client = Client()
    fail(client, colleague.user.username, 4)
    response = sign_in(client, colleague.user.username, "not-the-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "5 wrong sign-ins in a row" in page
    assert "15 minutes" in page
    assert "clinic admin to unlock" in page
    # Even the right password is refused now, and nobody is signed in.
    response = sign_in(client, colleague.user.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_follows_the_username_to_another_address(colleague) -> None:
    fail(Client(), colleague.user.username, 5, address="203.0.113.7")
    response = sign_in(Client(), colleague.user.username, PASSWORD, address="198.51.100.20")
    assert response.status_code == 429


def test_one_address_guessing_many_usernames_is_locked_too(colleague, clinician) -> None:
    guesser = Client()
    for name in ("alice", "bob", "carol", "dave", "erin"):
        fail(guesser, name, 1, address="192.0.2.66")
    response = sign_in(guesser, colleague.user.username, PASSWORD, address="192.0.2.66")
    assert response.status_code == 429
    # The nurse herself, from her own address, is not affected.
    assert sign_in(Client(), colleague.user.username, PASSWORD, "198.51.100.20").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_lock(
    colleague, settings
) -> None:
    settings.AFTERGLOW_TRUSTED_PROXY_COUNT = 1  # one nginx in front
    guesser = Client()
    for number, name in enumerate(("alice", "bob", "carol", "dave", "erin")):
        # The guesser writes a new left-most address every time; nginx appends the real one.
        guesser.post(
            LOGIN,
            {"username": name, "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 192.0.2.66",
        )
    response = guesser.post(
        LOGIN,
        {"username": colleague.user.username, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.9.9.99, 192.0.2.66",
    )
    assert response.status_code == 429


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(colleague) -> None:
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, colleague.user.username, 5)
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert sign_in(client, colleague.user.username, PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert sign_in(client, colleague.user.username, PASSWORD).status_code == 302


def test_the_limits_are_settings(colleague, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    fail(client, colleague.user.username, 1)
    assert sign_in(client, colleague.user.username, "wrong").status_code == 429


def test_the_admin_sees_the_lock_and_unlocks_the_account(admin, colleague) -> None:
    fail(Client(), colleague.user.username, 5)
    staff_page = admin.client.get(reverse("accounts:staff")).content.decode()
    assert "Locked out" in staff_page
    unlock = reverse("accounts:staff_unlock", kwargs={"pk": colleague.membership.pk})
    assert unlock in staff_page

    response = admin.client.post(unlock, follow=True)
    assert f"{colleague.user.username} can sign in again." in response.content.decode()
    assert "Locked out" not in admin.client.get(reverse("accounts:staff")).content.decode()
    assert sign_in(Client(), colleague.user.username, PASSWORD, "198.51.100.20").status_code == 302


def test_only_an_admin_of_the_same_clinic_unlocks(clinician, colleague, outsider) -> None:
    fail(Client(), colleague.user.username, 5)
    unlock = reverse("accounts:staff_unlock", kwargs={"pk": colleague.membership.pk})
    assert clinician.client.post(unlock).status_code == 403
    outsider.membership.role = "admin"
    outsider.membership.save()
    assert outsider.client.post(unlock).status_code == 404
    assert sign_in(Client(), colleague.user.username, PASSWORD).status_code == 429


def test_lockout_and_unlock_are_reported_as_events_without_names(admin, colleague, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="afterglow.security"):
        fail(Client(), colleague.user.username, 5)
        sign_in(Client(), colleague.user.username, PASSWORD)
        admin.client.post(reverse("accounts:staff_unlock", kwargs={"pk": colleague.membership.pk}))
    messages = [r.getMessage() for r in caplog.records]
    # Five wrong passwords, then the right one refused while locked.
    assert sum("sign_in_failed" in m for m in messages) == 6
    assert any(f"locked_out user={colleague.user.pk} " in m for m in messages)
    assert any(f"unlocked user={colleague.user.pk} by={admin.user.pk}" in m for m in messages)
    every_log = "\n".join(r.getMessage() for r in caplog.records)
    assert colleague.user.username not in every_log
    assert "203.0.113.7" not in every_log


@pytest.mark.parametrize("field", ["username", "password"])
def test_the_login_page_states_the_rule(anonymous, field) -> None:
    page = anonymous.get(LOGIN).content.decode()
    assert "After 5 wrong tries, sign-in pauses for 15 minutes." in page
    assert f'name="{field}"' in page
