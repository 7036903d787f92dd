"""Delivery failures in plain words for staff (issue 14 §4). Django-free.

The raw error (an SMTP reply, a provider's exception) stays in the database for
support; the worklist and the chart show only the sentence :func:`plain_failure` makes
of it. Every sentence says what staff can do.
"""

from __future__ import annotations

import re

#: Twilio error codes (https://www.twilio.com/docs/api/errors) staff meet most often.
_TWILIO = {
    "21211": "The phone number is not a valid number: check it on the patient's record.",
    "21214": "The phone number cannot receive texts: check it, or use email.",
    "21408": "Texts to this country are not enabled for the clinic's account.",
    "21610": "The patient has opted out of texts from this number (STOP): use email or call.",
    "21614": "The phone number is not a mobile number: check it, or use email.",
    "30003": "The phone was switched off or out of reach: the text did not arrive.",
    "30004": "The text was blocked (the number may have blocked messages): call the patient.",
    "30005": "The phone number does not exist or is no longer in use: check it.",
    "30006": "The number is a landline or cannot receive texts: use email or call.",
    "30007": "The phone company filtered the text as unwanted: call the patient.",
    "30008": "The phone company could not deliver the text: try again later or call.",
}

NOT_CONFIGURED = "Text messages are not set up for this clinic: contact the patient another way."
EMAIL_REFUSED = "The patient's email address was refused: check it on the record."
MAIL_SERVER = (
    "The clinic's email server could not be reached or refused to send: ask your "
    "administrator; the message was not re-sent."
)
SMS_PROVIDER = (
    "The text-message provider could not be reached or refused the message: it was not re-sent."
)
UNDELIVERED = "The text did not reach the phone."
UNKNOWN = "The message could not be sent; it was not re-sent automatically."

_CODE = re.compile(r"\b(2\d{4}|3\d{4})\b")


def plain_failure(error: str, *, channel: str) -> str:
    """The sentence staff see for a stored ``error`` ("" when there is none)."""
    if not error:
        return ""
    text = error.lower()
    if "smsnotconfigured" in text or "not configured" in text:
        return NOT_CONFIGURED
    if channel == "sms":
        code = _CODE.search(error)
        if code and code.group(1) in _TWILIO:
            return _TWILIO[code.group(1)]
        if "provider reported" in text:
            return UNDELIVERED
        return SMS_PROVIDER
    if (
        "recipientsrefused" in text
        or re.search(r"\b55[0134]\b", text)
        or "5.1.1" in text
        or "user unknown" in text
    ):
        return EMAIL_REFUSED
    if any(
        word in text
        for word in ("smtp", "connection", "timed out", "timeout", "refused", "ssl", "socket")
    ):
        return MAIL_SERVER
    return UNKNOWN
