"""Password reset by email, rate-limited per address and per account; password rules."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

RESET = reverse("accounts:password_reset")
SENT = reverse("accounts:password_reset_done")


def ask(client: Client, email: str, address: str = "203.0.113.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


@pytest.fixture
def nurse(colleague):
    colleague.user.email = "nurse@clinic.example"
    colleague.user.save()
    return colleague.user


def test_a_nurse_resets_her_password_through_the_emailed_link(nurse, anonymous) -> None:
    assert ask(anonymous, "Nurse@Clinic.example")["Location"] == SENT
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "Afterglow: choose a new password"
    assert "within 60 minutes" in body
    link = re.search(r"http://testserver(/staff/accounts/password/reset/\S+/)", body).group(1)
    form_page = anonymous.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    post_to = form_page.redirect_chain[-1][0]
    done = anonymous.post(
        post_to,
        {"new_password1": "violet-harbour-lantern", "new_password2": "violet-harbour-lantern"},
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    nurse.refresh_from_db()
    assert nurse.check_password("violet-harbour-lantern")
    # The link worked once.
    again = anonymous.get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_an_unknown_address_looks_the_same_and_sends_nothing(db, anonymous) -> None:
    assert ask(anonymous, "nobody@example.org")["Location"] == SENT
    assert mail.outbox == []


def test_one_account_gets_at_most_three_emails_an_hour_without_saying_so(nurse) -> None:
    for number in range(5):
        response = ask(Client(), nurse.email, address=f"198.51.100.{number}")
        assert response["Location"] == SENT
    assert len(mail.outbox) == 3


def test_one_address_may_ask_five_times_an_hour_then_is_told_to_wait(nurse, anonymous) -> None:
    for number in range(5):
        assert ask(anonymous, f"someone{number}@example.org").status_code == 302
    response = ask(anonymous, nurse.email)
    assert response.status_code == 200
    assert "Too many password resets were asked for from your connection" in (
        response.content.decode()
    )
    assert 'value="nurse@clinic.example"' in response.content.decode()
    assert mail.outbox == []
    # Another address is not affected.
    assert ask(Client(), nurse.email, address="192.0.2.1")["Location"] == SENT
    assert len(mail.outbox) == 1


def test_the_limits_are_settings(nurse, settings) -> None:
    settings.AFTERGLOW_PASSWORD_RESET_PER_ACCOUNT = 1
    for number in range(3):
        ask(Client(), nurse.email, address=f"198.51.100.{number}")
    assert len(mail.outbox) == 1


def test_the_login_page_links_to_the_reset(anonymous) -> None:
    assert RESET in anonymous.get(reverse("accounts:login")).content.decode()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pass1", "at least 12 characters"),
        ("peanutbutter", "too common"),
        ("918273645546372819", "entirely numeric"),
        ("nurse@clinic.example1", "too similar"),
    ],
)
def test_weak_passwords_are_refused(nurse, password, problem) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, nurse)
    assert any(problem in message for message in refused.value.messages)


def test_a_long_uncommon_password_is_accepted(nurse) -> None:
    validate_password("violet-harbour-lantern", nurse)
