"""Which channel a message goes by, which words in a text mean STOP, and how to match a
provider's phone number to a record (``patients.phones``). Django-free rules (issue 14 §4).

The channel rule, in order:

1. the patient's choice (``preferred_channel``) when the record has that contact;
2. otherwise (no choice, or the chosen contact is missing) email when the record has an
   address, else a text message when it has a phone;
3. never a text to a patient who opted out of texts (STOP): they get email instead when
   the record has an address, and nothing otherwise, with the reason for staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL, SMS = "email", "sms"

#: Twilio's standard opt-out and opt-in keywords (a message that is exactly one of them,
#: any case, surrounding spaces and punctuation ignored).
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})

OPTED_OUT_NO_EMAIL = (
    "The patient opted out of text messages (STOP) and the record has no email address: "
    "call them, or add an email address."
)
FELL_BACK_TO_EMAIL = "Opted out of text messages (STOP): sent by email instead."
NO_PHONE_SO_EMAIL = "Text messages chosen but the record has no phone number: sent by email."
NO_EMAIL_SO_SMS = "Email chosen but the record has no email address: sent by text message."


@dataclass(frozen=True)
class ChannelChoice:
    channel: str  # EMAIL or SMS; "" when nothing can be sent
    note: str = ""  # why it is not the patient's choice, or why nothing is sent


def choose_channel(*, preferred: str, email: str, phone: str, sms_opted_out: bool) -> ChannelChoice:
    """The channel for the next message (see the module's rule)."""
    can_sms = bool(phone) and not sms_opted_out
    if preferred == SMS:
        if can_sms:
            return ChannelChoice(SMS)
        if email:
            return ChannelChoice(EMAIL, FELL_BACK_TO_EMAIL if sms_opted_out else NO_PHONE_SO_EMAIL)
        return ChannelChoice("", OPTED_OUT_NO_EMAIL if phone else "")
    if email:
        return ChannelChoice(EMAIL)
    if can_sms:
        return ChannelChoice(SMS, NO_EMAIL_SO_SMS if preferred == EMAIL else "")
    return ChannelChoice("", OPTED_OUT_NO_EMAIL if phone else "")


def keyword(body: str) -> str:
    """The text's single word, upper-cased ("" when it is more than one word)."""
    words = re.sub(r"[^\w\s]", " ", body).split()
    return words[0].upper() if len(words) == 1 else ""


def opt_change(body: str) -> bool | None:
    """True for an opt-out word, False for an opt-in word, None for anything else."""
    word = keyword(body)
    if word in OPT_OUT_WORDS:
        return True
    if word in OPT_IN_WORDS:
        return False
    return None
