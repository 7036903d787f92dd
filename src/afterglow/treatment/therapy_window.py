"""Psychotherapy in the post-dose window: which dose a therapy session follows, and when.

Django-free on purpose: the therapy pages, the course plan, the patient chart, the
demo generator and the tests all use these functions.

Why a window: "afterglow" is the field's word for the days after a ketamine dose in
which the brain is thought to be more plastic and psychotherapy may take better hold
(``shared/design.md``). The ketamine-enhanced prolonged exposure trial gives each
weekly infusion 24-72 hours before a prolonged exposure session (NCT04560660,
``shared/evidence.md`` section 4a); its open pilot used 24 hours (Shiroma 2020). The
window is a clinic setting (``Clinic.therapy_window_start_hours`` and
``therapy_window_end_hours``, default 24-72 h); these functions take it as arguments.

Rules (decisions of this module, so every page agrees):

- A therapy session is linked to the nearest *preceding* dose: the latest dose that
  started at or before the session (a dose at the same minute counts as preceding).
  "+26 h after session 3" means 26 hours after dose number 3 started. A session before
  every dose is "before the first dose"; with no dose at all it is "no dose yet".
- Time is counted in whole minutes (seconds dropped), so the label and the in-window
  flag never disagree: "+23 h 59 min" is outside a window that starts at 24 h.
- The window is inclusive at both ends: ``start_h <= hours_after <= end_h``.
- A later dose ends the previous dose's window: a session 50 h after dose 1 but 2 h
  after dose 2 is "+2 h after session 2", outside the window (the acute effects of the
  new dose, not the afterglow of the old one). ``suggested_slots`` therefore cuts each
  window at the next dose, and drops a window that the next dose swallows whole.

Datetimes must all be aware (or all naive); mixing them raises ``TypeError``. Hours are
elapsed time, so across a daylight-saving change "24 h after" is not "same time tomorrow".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "DoseLink",
    "Slot",
    "describe_hours",
    "in_window",
    "nearest_dose",
    "suggested_slots",
]

#: Up to this many hours a time is shown in hours ("+26 h"), beyond it in days ("+5 d 3 h").
HOURS_SHOWN_UP_TO = 96


@dataclass(frozen=True)
class DoseLink:
    """Where a therapy session sits among the doses.

    ``number`` and ``hours_after`` describe the nearest preceding dose (``None`` when no
    dose precedes); ``next_number`` and ``hours_before`` the next dose (``None`` when
    none follows). ``index`` is the preceding dose's position in the sequence given to
    :func:`nearest_dose` (after sorting by time), so a caller can find its own object.
    """

    number: int | None
    hours_after: float | None
    next_number: int | None
    hours_before: float | None
    index: int | None = None

    @property
    def has_doses(self) -> bool:
        return self.number is not None or self.next_number is not None

    @property
    def label(self) -> str:
        """ "+26 h after session 3", "before the first dose" or "no dose yet"."""
        if self.number is not None and self.hours_after is not None:
            return f"+{describe_hours(self.hours_after)} after session {self.number}"
        if self.next_number is not None:
            return "before the first dose"
        return "no dose yet"


class Slot(NamedTuple):
    """A suggested therapy slot: the window after dose ``dose_number``."""

    dose_number: int
    window_start: dt.datetime
    window_end: dt.datetime


def _utc(moment: dt.datetime) -> dt.datetime:
    # Python subtracts two datetimes of the *same* zone on the wall clock, so across a
    # daylight-saving change it would be an hour out: elapsed time is counted in UTC.
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment


def _minutes_between(earlier: dt.datetime, later: dt.datetime) -> int:
    """Whole minutes elapsed from ``earlier`` to ``later`` (seconds dropped)."""
    return int((_utc(later) - _utc(earlier)).total_seconds() // 60)


def _plus_hours(moment: dt.datetime, hours: float) -> dt.datetime:
    """``moment`` + elapsed ``hours``, shown in ``moment``'s own timezone."""
    later = _utc(moment) + dt.timedelta(hours=hours)
    return later.astimezone(moment.tzinfo) if moment.tzinfo is not None else later


def describe_hours(hours: float) -> str:
    """A duration for people: "26 h", "23 h 59 min", "0 min", or "5 d 3 h" past 96 h.

    Minutes are shown below 96 h so a label never contradicts the in-window flag; past
    96 h (beyond any usual window) whole hours are enough.
    """
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours}")
    minutes = round(hours * 60)
    whole_hours, rest = divmod(minutes, 60)
    if whole_hours > HOURS_SHOWN_UP_TO:
        days, left = divmod(whole_hours, 24)
        return f"{days} d {left} h" if left else f"{days} d"
    if whole_hours == 0:
        return f"{rest} min"
    return f"{whole_hours} h {rest} min" if rest else f"{whole_hours} h"


def nearest_dose(therapy_at: dt.datetime, doses: Sequence[tuple[int, dt.datetime]]) -> DoseLink:
    """Link a therapy session to the nearest preceding dose (rules in the module docstring).

    ``doses`` are ``(number, dose_at)`` pairs in any order; ``dose_at`` is when the dose
    started. Hand-worked: a dose (number 3) on Monday 10:00 and a session on Tuesday
    12:00 give ``number=3, hours_after=26.0`` and the label "+26 h after session 3".
    """
    ordered = sorted(enumerate(doses), key=lambda pair: (pair[1][1], pair[1][0]))
    before: tuple[int, tuple[int, dt.datetime]] | None = None
    after: tuple[int, dt.datetime] | None = None
    for position, (dose_number, started) in ordered:
        if started <= therapy_at:
            before = (position, (dose_number, started))
        else:
            after = (dose_number, started)
            break
    number: int | None = None
    hours_after: float | None = None
    index: int | None = None
    if before is not None:
        index, (number, dose_at) = before
        hours_after = _minutes_between(dose_at, therapy_at) / 60
    next_number: int | None = None
    hours_before: float | None = None
    if after is not None:
        next_number = after[0]
        hours_before = _minutes_between(therapy_at, after[1]) / 60
    return DoseLink(number, hours_after, next_number, hours_before, index)


def in_window(hours_after: float | None, start_h: float, end_h: float) -> bool:
    """Whether ``start_h <= hours_after <= end_h`` (inclusive; ``None`` is never inside).

    Default window 24-72 h (NCT04560660, a clinic setting).
    """
    _check_window(start_h, end_h)
    return hours_after is not None and start_h <= hours_after <= end_h


def suggested_slots(
    dose_times: Sequence[tuple[int, dt.datetime]], start_h: float, end_h: float
) -> list[Slot]:
    """The therapy window after each dose, in time order: ``[dose + start_h, dose + end_h]``.

    Each window is cut at the next dose (a session after it belongs to that dose, see
    the module docstring); a window that would start at or after the next dose is left
    out. With three doses a week (Mon, Wed, Fri 10:00) and 24-72 h, Monday's slot runs
    from Tuesday 10:00 to Wednesday 10:00.
    """
    _check_window(start_h, end_h)
    ordered = sorted(dose_times, key=lambda pair: (pair[1], pair[0]))
    slots = []
    for position, (number, dose_at) in enumerate(ordered):
        start, end = _plus_hours(dose_at, start_h), _plus_hours(dose_at, end_h)
        if position + 1 < len(ordered):
            end = min(end, ordered[position + 1][1])
        if start < end:
            slots.append(Slot(number, start, end))
    return slots


def _check_window(start_h: float, end_h: float) -> None:
    if start_h < 0 or end_h <= start_h:
        raise ValueError(
            f"the therapy window must start at 0 h or later and end after it starts, "
            f"got {start_h}-{end_h} h; check the clinic's therapy window settings"
        )
