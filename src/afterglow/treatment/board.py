"""Where a dosing session stands today, and how its alerts read at the chair.

Django-free on purpose: the Today board, the session page and the tests share these
rules, and a test can state every case without a database.

Session state (:func:`session_state`), decided in this order from the session's own
fields (the first rule that matches wins):

1. no dosing session opened yet for the planned session -> ``not started``;
2. signed (with a dose, or "not dosed") -> ``signed``;
3. recorded as "not dosed" but not signed yet -> ``ready for discharge`` (the patient
   goes home without a dose; the session waits for its signature);
4. no dose start recorded -> ``pre-dose`` (the pre-dose checks are under way);
5. discharge recorded -> ``ready for discharge`` (waiting for the signature);
6. an infusion (the protocol has an infusion time) not stopped yet -> ``dosing``;
7. the minimum observation time from the dose start has passed -> ``ready for
   discharge``; otherwise ``observing``. A bolus or a nasal spray (no infusion time)
   is given at once, so it goes straight from pre-dose to observing.

Alert lines (:func:`alert_lines`): repeated breaches of one reading type are merged
into one line, "BP 182/95 ×3, last +35 min · 10:42", naming the latest value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AlertItem",
    "AlertLine",
    "SessionFacts",
    "SessionState",
    "alert_lines",
    "elapsed_minute",
    "reading_clock",
    "session_state",
]


class SessionState(StrEnum):
    NOT_STARTED = "not started"
    PRE_DOSE = "pre-dose"
    DOSING = "dosing"
    OBSERVING = "observing"
    READY_FOR_DISCHARGE = "ready for discharge"
    SIGNED = "signed"


@dataclass(frozen=True)
class SessionFacts:
    """The fields of a dosing session the state depends on (``None``: no session yet)."""

    signed: bool = False
    not_dosed: bool = False
    started_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    discharged_at: dt.datetime | None = None
    infusion: bool = False
    observation_minutes: int = 0


def session_state(facts: SessionFacts | None, *, now: dt.datetime) -> SessionState:
    """The state of one planned session today (rules in the module docstring)."""
    if facts is None:
        return SessionState.NOT_STARTED
    if facts.signed:
        return SessionState.SIGNED
    if facts.not_dosed:
        return SessionState.READY_FOR_DISCHARGE
    if facts.started_at is None:
        return SessionState.PRE_DOSE
    if facts.discharged_at is not None:
        return SessionState.READY_FOR_DISCHARGE
    if facts.infusion and facts.stopped_at is None:
        return SessionState.DOSING
    if elapsed_minute(facts.started_at, now) >= facts.observation_minutes:
        return SessionState.READY_FOR_DISCHARGE
    return SessionState.OBSERVING


def elapsed_minute(started_at: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes from the dose start to ``now`` (seconds dropped; 0 if ``now`` is
    earlier, e.g. a tablet clock a little behind). The vitals entry proposes it."""
    return max(0, int((now - started_at).total_seconds() // 60))


def reading_clock(started_at: dt.datetime | None, minute: int, local: dt.tzinfo) -> str:
    """ "+35 min · 10:42": a reading's minute from the dose start and the clock time it
    stands for (the dose start plus that minute, in the clinic's timezone).

    Before the dose start is recorded there is no clock to count from: "pre-dose".
    """
    if started_at is None:
        return "pre-dose"
    clock = (started_at + dt.timedelta(minutes=minute)).astimezone(local)
    sign = "+" if minute >= 0 else "−"
    return f"{sign}{abs(minute)} min · {clock:%H:%M}"


@dataclass(frozen=True)
class AlertItem:
    """One open session alert: its rule code, level, the reading's values and minute."""

    pk: int
    code: str
    level: str
    message: str
    minute: int | None = None
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    spo2: int | None = None


@dataclass(frozen=True)
class AlertLine:
    """Every open alert of one code, merged: the latest value, how many, when last."""

    code: str
    level: str
    sign: str  # "BP", "SpO2", "HR", or the message when the alert has no reading
    value: str
    count: int
    last: str  # "+35 min · 10:42" (or "" without a reading)
    pks: tuple[int, ...]

    @property
    def text(self) -> str:
        """ "BP 182/95 ×3, last +35 min · 10:42"."""
        head = f"{self.sign} {self.value}".strip()
        if self.count > 1:
            head += f" ×{self.count}"
        if self.last:
            head += f", last {self.last}" if self.count > 1 else f", {self.last}"
        return head


def _sign_and_value(item: AlertItem) -> tuple[str, str]:
    def shown(number: int | None) -> str:
        return "—" if number is None else str(number)

    if item.code.endswith("bp") or item.code.startswith("bp"):
        return "BP", f"{shown(item.systolic)}/{shown(item.diastolic)}"
    if "spo2" in item.code:
        return "SpO2", f"{shown(item.spo2)}%"
    if item.code.endswith("hr") or item.code.startswith("hr"):
        return "HR", f"{shown(item.heart_rate)}/min"
    return item.message, ""


def alert_lines(
    items: Sequence[AlertItem], *, started_at: dt.datetime | None, local: dt.tzinfo
) -> list[AlertLine]:
    """Open alerts merged by code (``bp_pause``, ``spo2_pause``...), pause level first,
    then the most recent; each line names the latest reading's value.

    An alert without a reading (a pre-dose check) keeps a line of its own message.
    """
    groups: dict[str, list[AlertItem]] = {}
    for item in items:
        key = item.code if item.minute is not None else f"{item.code}:{item.pk}"
        groups.setdefault(key, []).append(item)
    lines = []
    for group in groups.values():
        latest = max(group, key=lambda i: (i.minute if i.minute is not None else -10_000, i.pk))
        sign, value = _sign_and_value(latest) if latest.minute is not None else (latest.message, "")
        lines.append(
            AlertLine(
                code=latest.code,
                level="pause" if any(i.level == "pause" for i in group) else latest.level,
                sign=sign,
                value=value,
                count=len(group),
                last=(
                    reading_clock(started_at, latest.minute, local)
                    if latest.minute is not None
                    else ""
                ),
                pks=tuple(sorted(i.pk for i in group)),
            )
        )
    lines.sort(key=lambda line: (line.level != "pause", -max(line.pks)))
    return lines
