"""The words of invitation, reminder and diary messages, by email and by text message.

Email and SMS are not private channels: a message greets the patient without their name
and says nothing clinical (no instrument name, no diagnosis, no treatment). It names
the clinic so the patient knows who is asking. Every message carries the clinic's crisis
line (``accounts.crisis.crisis_line_text``): a message may arrive at a bad moment, and
answers and diary notes may not be read right away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from afterglow.accounts.crisis import crisis_line_text
from afterglow.accounts.models import Clinic
from afterglow.instruments.catalog import get_instrument


@dataclass(frozen=True)
class Message:
    subject: str  # email only
    body: str


def _crisis(clinic: Clinic) -> str:
    return crisis_line_text(clinic)


def _local(moment: dt.datetime, clinic: Clinic) -> str:
    return f"{moment.astimezone(clinic.tzinfo):%d %b %Y %H:%M}"


def questionnaire_message(
    *,
    clinic: Clinic,
    instrument: str,
    url: str,
    expires_at: dt.datetime,
    reminder: int,
    sms: bool,
) -> Message:
    """The invitation (``reminder`` 0) or the n-th reminder for a questionnaire."""
    questions = len(get_instrument(instrument).items)
    until = _local(expires_at, clinic)
    crisis = _crisis(clinic)
    if sms:
        lead = "Reminder: " if reminder else ""
        text = (
            f"{clinic.name}: {lead}please answer a short questionnaire "
            f"({questions} questions): {url} (works once, until {until})."
        )
        return Message(subject="", body=f"{text} {crisis}".strip())
    if reminder:
        subject = f"{clinic.name}: a reminder about your questionnaire"
        lead = (
            f"A reminder: {clinic.name} asked you to answer a short questionnaire "
            f"(about {questions} questions). Here is a new link; an earlier one works too, "
            "and whichever you use first counts."
        )
    else:
        subject = f"{clinic.name}: a short questionnaire"
        lead = (
            f"{clinic.name} asks you to answer a short questionnaire "
            f"(about {questions} questions, a few minutes)."
        )
    body = (
        f"Hello,\n\n{lead}\n\n"
        f"Your personal link (it works once, until {until}):\n{url}\n\n"
        "Please do not forward this message.\n"
    )
    body += f"\n{crisis}\n"
    return Message(subject=subject, body=body)


def diary_link_message(*, clinic: Clinic, url: str, expires_at: dt.datetime, sms: bool) -> Message:
    until = f"{expires_at.astimezone(clinic.tzinfo):%d %b %Y}"
    if sms:
        return Message(
            subject="",
            body=(
                f"{clinic.name}: your daily diary, about a minute a day: {url} "
                f"(until {until}; keep it private). {_crisis(clinic)}"
            ),
        )
    body = (
        f"Hello,\n\n{clinic.name} asks you to keep a short daily diary. It takes about "
        "a minute a day.\n\n"
        f"Your personal diary link (it works until {until} and replaces any earlier "
        f"diary link):\n{url}\n\n"
        "Keep it to yourself and do not forward this message.\n\n"
        f"{_crisis(clinic)}\n"
    )
    return Message(subject=f"{clinic.name}: your daily diary", body=body)


def diary_nudge_message(*, clinic: Clinic, link_sent_on: dt.date | None, sms: bool) -> Message:
    """A nudge has no link: the patient has theirs, and a new one would replace it."""
    sent = f" (sent on {link_sent_on:%d %b})" if link_sent_on else ""
    if sms:
        return Message(
            subject="",
            body=(
                f"{clinic.name}: a reminder to write today's diary entry with your diary "
                f"link{sent}. Lost it? Ask the clinic for a new one. {_crisis(clinic)}"
            ),
        )
    body = (
        f"Hello,\n\nA gentle reminder to write today's diary entry, using the diary link "
        f"{clinic.name} sent you{sent}. If you cannot find it, ask the clinic for a new one.\n\n"
        f"{_crisis(clinic)}\n"
    )
    return Message(subject=f"{clinic.name}: today's diary", body=body)


def diary_started_message(*, clinic: Clinic, link_sent_on: dt.date, sms: bool) -> Message:
    """The diary period starts while the patient already has a working diary link (sent
    by hand): no new link, which would replace theirs, only the start (issue 14 §4)."""
    if sms:
        return Message(
            subject="",
            body=(
                f"{clinic.name}: your daily diary starts today. Use the diary link we sent "
                f"you on {link_sent_on:%d %b}; it still works. {_crisis(clinic)}"
            ),
        )
    body = (
        f"Hello,\n\nYour daily diary with {clinic.name} starts today. Please use the "
        f"diary link we sent you on {link_sent_on:%d %b %Y}: it still works, and no new "
        "link is needed. If you cannot find it, ask the clinic for a new one.\n\n"
        f"{_crisis(clinic)}\n"
    )
    return Message(subject=f"{clinic.name}: your daily diary starts today", body=body)
