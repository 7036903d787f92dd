"""De-identification rules for everything that leaves the clinic for research. No Django.

- **Keyed pseudonyms** (:func:`pseudonym`): HMAC-SHA256 of the patient's internal key under
  a secret key and the recipient's name. The same patient gets the same pseudonym in every
  export to one recipient (so a study can add later waves), a different one for another
  recipient (two recipients cannot link their files by it), and nobody without the key can
  compute it from a record number.
- **Date shift** (:func:`date_shift_days`): one whole number of days in
  ``[-shift_days, +shift_days]`` (never 0) per patient and recipient, drawn from the same
  keyed hash, added to *every* date of that patient. Intervals between a patient's dates are
  therefore exact; the calendar dates are not real.
- **Ages** top-coded at :data:`AGE_TOP_CODE` (90 means "90 or older"), as the HIPAA Safe
  Harbor rule asks for ages over 89 (45 CFR 164.514(b)(2)(i)(C)).
- **k-anonymity** (:func:`suppress_small_cells`): patients whose combination of
  quasi-identifiers (sex × age band × population) is shared by fewer than ``k`` exported
  patients have those three values blanked (local suppression) and their age removed;
  their outcome rows stay.
- Free text (notes, descriptions, triggers, reasons) is never selected for export at all:
  see ``research.selectors``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pandas as pd

__all__ = [
    "AGE_TOP_CODE",
    "QUASI_IDENTIFIERS",
    "SUPPRESSED",
    "date_shift_days",
    "pseudonym",
    "pseudonyms_unique",
    "shift_date",
    "suppress_small_cells",
    "top_code_age",
]

#: Ages above this are written as this value ("90 or older").
AGE_TOP_CODE = 90
#: The columns an outsider could know about a person, checked together for small cells.
QUASI_IDENTIFIERS = ("sex", "age_band", "population")
#: What a suppressed quasi-identifier reads as.
SUPPRESSED = "suppressed"


def _digest(key: str, recipient: str, purpose: str, subject: str) -> bytes:
    if not key:
        raise ValueError("the pseudonym key is empty; set RESEARCH_PSEUDONYM_KEY")
    message = "\x1f".join((purpose, recipient.strip().casefold(), subject)).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).digest()


def pseudonym(*, key: str, recipient: str, subject: str, prefix: str = "R") -> str:
    """A stable 12-character pseudonym for ``subject`` (e.g. ``"clinic-slug:42"``).

    ``recipient`` is compared without case or surrounding spaces. 48 bits of the HMAC are
    kept (as 12 hex digits): collisions in a clinic of 100,000 patients have a probability
    of about 2e-5 and are refused by the caller (:func:`pseudonyms_unique`).
    """
    return prefix + _digest(key, recipient, "pseudonym", subject).hex()[:11].upper()


def pseudonyms_unique(names: dict[object, str]) -> None:
    """Raise ``ValueError`` if two subjects got the same pseudonym (never silently merge)."""
    if len(set(names.values())) != len(names):
        raise ValueError("two patients received the same pseudonym; use another recipient name")


def date_shift_days(*, key: str, recipient: str, subject: str, shift_days: int) -> int:
    """The patient's shift: a whole number in ``[-shift_days, shift_days]`` other than 0.

    Uniform over the ``2 * shift_days`` allowed values (the 256-bit digest modulo a number
    below 2**16 has negligible bias).
    """
    if shift_days < 1:
        raise ValueError(f"shift_days must be at least 1, got {shift_days}")
    number = int.from_bytes(_digest(key, recipient, "date-shift", subject), "big")
    offset = number % (2 * shift_days)  # 0 .. 2n-1
    return offset - shift_days if offset < shift_days else offset - shift_days + 1


def shift_date(value: dt.date | dt.datetime | None, days: int) -> dt.date | None:
    """The calendar date of ``value`` moved by ``days`` (times of day are not exported)."""
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    day = value.date() if isinstance(value, dt.datetime) else value
    return day + dt.timedelta(days=days)


def top_code_age(age: float | None) -> float | None:
    """``age`` with everything above :data:`AGE_TOP_CODE` written as it; blanks stay blank."""
    if age is None or pd.isna(age):
        return None
    return float(min(age, AGE_TOP_CODE))


def suppress_small_cells(
    patients: pd.DataFrame, *, k: int, columns: tuple[str, ...] = QUASI_IDENTIFIERS
) -> tuple[pd.DataFrame, int]:
    """``patients`` (one row each) with small cells suppressed, and how many were.

    A cell is one combination of ``columns`` (blanks count as a value of their own); every
    patient in a cell with fewer than ``k`` patients gets :data:`SUPPRESSED` in each of
    ``columns`` and a blank ``age`` (if present). Standard local suppression: the rows stay,
    what makes them rare goes.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    out = patients.copy()
    if out.empty:
        return out, 0
    keys = out[list(columns)].astype(object).where(out[list(columns)].notna(), "")
    cell = keys.astype(str).agg("\x1f".join, axis=1)
    small = cell.map(cell.value_counts()) < k
    for column in columns:
        out[column] = out[column].astype(object)
        out.loc[small, column] = SUPPRESSED
    if "age" in out.columns:
        out["age"] = out["age"].astype(float)
        out.loc[small, "age"] = float("nan")
    return out, int(small.sum())
