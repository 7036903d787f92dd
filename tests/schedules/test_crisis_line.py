"""Every message Afterglow sends a patient carries the crisis line (issue 14 §3).

Walked over every message template: invitations and reminders for every instrument in the
catalog, the diary link and nudge, by email and by text message, and the two emails staff
send by hand (a questionnaire link, a diary link).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from afterglow.accounts.crisis import crisis_line_text
from afterglow.accounts.models import Clinic
from afterglow.diary.services import diary_link_create, diary_link_email
from afterglow.instruments.catalog import all_instruments
from afterglow.instruments.services import personal_link_create, personal_link_email
from afterglow.schedules.messages import (
    Message,
    diary_link_message,
    diary_nudge_message,
    diary_started_message,
    questionnaire_message,
)
from tests.factories import ClinicFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "https://clinic.example/q/abc/"
UNTIL = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def clinic() -> Clinic:
    return ClinicFactory(
        emergency_number="112",
        crisis_line="Harbour Crisis Line",
        crisis_line_phone="08005550199",
        crisis_line_sms="85258",
    )


def every_template(clinic: Clinic) -> list[tuple[str, Message]]:
    messages: list[tuple[str, Message]] = []
    for sms in (False, True):
        channel = "sms" if sms else "email"
        for instrument in all_instruments():
            for reminder in (0, 1):
                messages.append(
                    (
                        f"{instrument.code} reminder {reminder} by {channel}",
                        questionnaire_message(
                            clinic=clinic,
                            instrument=instrument.code,
                            url=URL,
                            expires_at=UNTIL,
                            reminder=reminder,
                            sms=sms,
                        ),
                    )
                )
        messages.append(
            (
                f"diary link by {channel}",
                diary_link_message(clinic=clinic, url=URL, expires_at=UNTIL, sms=sms),
            )
        )
        messages.append(
            (
                f"diary started by {channel}",
                diary_started_message(clinic=clinic, link_sent_on=dt.date(2026, 3, 2), sms=sms),
            )
        )
        for sent in (None, dt.date(2026, 3, 2)):
            messages.append(
                (
                    f"diary nudge by {channel}",
                    diary_nudge_message(clinic=clinic, link_sent_on=sent, sms=sms),
                )
            )
    return messages


def test_every_scheduled_message_template_carries_the_crisis_line(clinic: Clinic) -> None:
    templates = every_template(clinic)
    assert len(templates) == 2 * (2 * len(all_instruments()) + 4)
    for name, message in templates:
        assert "call 112 now" in message.body, name
        assert "call 08005550199 or text 85258 (Harbour Crisis Line)" in message.body, name


def test_the_emails_staff_send_by_hand_carry_the_crisis_line(
    clinic: Clinic, django_capture_on_commit_callbacks
) -> None:
    patient = PatientFactory(clinic=clinic, email="sam@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        link, _ = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
        personal_link_email(link=link, url=URL)
        diary, _ = diary_link_create(patient=patient, by=None)
        diary_link_email(link=diary, url=URL)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert crisis_line_text(clinic) in message.body


def test_a_clinic_whose_crisis_line_takes_no_texts_offers_only_a_call(clinic: Clinic) -> None:
    clinic.crisis_line_sms = ""
    text = crisis_line_text(clinic)
    assert "call 08005550199 (Harbour Crisis Line)" in text
    assert "text" not in text.replace("thinking", "")


@pytest.mark.parametrize("number", ["988 or 112", "call-988", "1"])
def test_a_crisis_number_a_phone_cannot_dial_is_refused(clinic: Clinic, number: str) -> None:
    clinic.crisis_line_phone = number
    with pytest.raises(ValidationError) as caught:
        clinic.full_clean()
    assert "crisis_line_phone" in caught.value.message_dict
