"""The Django-free rules of issue 14 §4: which channel, STOP words, phone matching, and
delivery failures in plain words."""

from __future__ import annotations

import pytest

from afterglow.patients.phones import phone_matches
from afterglow.schedules.channels import (
    FELL_BACK_TO_EMAIL,
    NO_EMAIL_SO_SMS,
    NO_PHONE_SO_EMAIL,
    OPTED_OUT_NO_EMAIL,
    ChannelChoice,
    choose_channel,
    opt_change,
)
from afterglow.schedules.failures import (
    EMAIL_REFUSED,
    MAIL_SERVER,
    NOT_CONFIGURED,
    SMS_PROVIDER,
    UNDELIVERED,
    UNKNOWN,
    plain_failure,
)

E, P = "river@example.org", "+15550101"


@pytest.mark.parametrize(
    ("preferred", "email", "phone", "opted_out", "expected"),
    [
        # Not chosen: email when there is an address, else a text.
        ("", E, P, False, ChannelChoice("email")),
        ("", "", P, False, ChannelChoice("sms")),
        ("", "", P, True, ChannelChoice("", OPTED_OUT_NO_EMAIL)),
        ("", "", "", False, ChannelChoice("", "")),
        # Chosen: honoured when the record has that contact.
        ("sms", E, P, False, ChannelChoice("sms")),
        ("email", E, P, False, ChannelChoice("email")),
        # STOP wins over the choice: email instead, or nothing.
        ("sms", E, P, True, ChannelChoice("email", FELL_BACK_TO_EMAIL)),
        ("sms", "", P, True, ChannelChoice("", OPTED_OUT_NO_EMAIL)),
        # The chosen contact is missing: the other one, saying why.
        ("sms", E, "", False, ChannelChoice("email", NO_PHONE_SO_EMAIL)),
        ("email", "", P, False, ChannelChoice("sms", NO_EMAIL_SO_SMS)),
        ("email", "", P, True, ChannelChoice("", OPTED_OUT_NO_EMAIL)),
    ],
)
def test_the_channel_rule(preferred, email, phone, opted_out, expected) -> None:
    assert (
        choose_channel(preferred=preferred, email=email, phone=phone, sms_opted_out=opted_out)
        == expected
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", True),
        ("stop", True),
        (" Stop. ", True),
        ("STOPALL", True),
        ("unsubscribe", True),
        ("CANCEL", True),
        ("end", True),
        ("Quit!", True),
        ("START", False),
        ("unstop", False),
        ("please stop texting me", None),  # not the keyword alone: Twilio does not either
        ("Thanks", None),
        ("", None),
    ],
)
def test_stop_and_start_words(body, expected) -> None:
    assert opt_change(body) is expected


@pytest.mark.parametrize(
    ("stored", "sender", "expected"),
    [
        ("+1 555 010 1234", "+15550101234", True),
        ("(555) 010-1234", "+15550101234", True),  # national, no country code
        ("07700 900123", "+447700900123", True),  # UK national, leading 0 dropped
        ("0044 7700 900123", "+447700900123", True),
        ("+44 7700 900123", "+17700900123", False),  # another country's number
        ("010-1234", "+15550101234", False),  # too short to tell
        ("+1 555 010 1235", "+15550101234", False),
        ("", "+15550101234", False),
        ("+15550101234", "", False),
    ],
)
def test_a_stored_number_matches_the_providers(stored, sender, expected) -> None:
    assert phone_matches(stored, sender) is expected


@pytest.mark.parametrize(
    ("error", "channel", "expected"),
    [
        ("", "email", ""),
        (
            "SMTPRecipientsRefused: {'x@example.org': (550, b'5.1.1 User unknown')}",
            "email",
            EMAIL_REFUSED,
        ),
        ("SMTPServerDisconnected: Connection unexpectedly closed", "email", MAIL_SERVER),
        ("ConnectionRefusedError: [Errno 111] Connection refused", "email", MAIL_SERVER),
        ("TimeoutError: timed out", "email", MAIL_SERVER),
        ("ValueError: something odd", "email", UNKNOWN),
        (
            "SMSNotConfigured: text messages are not configured (AFTERGLOW_SMS_BACKEND)",
            "sms",
            NOT_CONFIGURED,
        ),
        (
            "TwilioRestException: HTTP 400 error: Unable to create record: The 'To' number "
            "+15550101 is not a valid phone number. (21211)",
            "sms",
            "The phone number is not a valid number: check it on the patient's record.",
        ),
        (
            "The provider reported the text undelivered (error 30003)",
            "sms",
            "The phone was switched off or out of reach: the text did not arrive.",
        ),
        ("The provider reported the text failed", "sms", UNDELIVERED),
        ("ConnectionError: Max retries exceeded", "sms", SMS_PROVIDER),
    ],
)
def test_failures_in_plain_words(error, channel, expected) -> None:
    plain = plain_failure(error, channel=channel)
    assert plain == expected
    # Never the raw text: no exception names, SMTP codes or numbers reach staff.
    for raw in ("SMTP", "Exception", "Error", "550", "+1555", "Errno"):
        assert raw not in plain
