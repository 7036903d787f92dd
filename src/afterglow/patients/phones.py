"""How a provider's phone number (E.164) is matched to a record's free-text number.

Django-free; used by the STOP/START webhook through ``patients.services`` (issue 14 §4).
"""

from __future__ import annotations

#: A stored number without its country code must still have this many digits to match.
MIN_NATIONAL_DIGITS = 9


def digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


def phone_matches(stored: str, sender: str) -> bool:
    """Whether the record's free-text ``stored`` number is the provider's ``sender``
    (E.164, e.g. +15551234567).

    Equal digits match; so does a national number written without its country code
    ("(555) 123-4567", "07700 900123": the leading zeros dropped) when it has at least
    ``MIN_NATIONAL_DIGITS`` digits and is the end of the sender's number.
    """
    theirs, ours = digits(sender), digits(stored)
    if not theirs or not ours:
        return False
    if ours == theirs:
        return True
    if stored.strip().startswith("+") or stored.strip().startswith("00"):
        return ours.lstrip("0") == theirs
    national = ours.lstrip("0")
    return len(national) >= MIN_NATIONAL_DIGITS and theirs.endswith(national)
