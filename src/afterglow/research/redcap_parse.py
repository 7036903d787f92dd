"""Reading a REDCap records export back: each instrument found on each row, or why it
cannot be used. No Django. The field names are those of ``research.redcap``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from afterglow.instruments.catalog import Instrument
from afterglow.research.redcap import date_field, item_field

__all__ = ["ParsedResponse", "parse_records"]


@dataclass(frozen=True)
class ParsedResponse:
    """One instrument found on one row of a REDCap file, or the reason it cannot be used."""

    line: int
    record_id: str
    event: str
    code: str
    day: dt.date | None
    answers: tuple[int | None, ...]
    problems: tuple[str, ...] = field(default=())


def parse_records(
    rows: Iterable[Mapping[str, str]], instruments: Sequence[Instrument]
) -> list[ParsedResponse]:
    """Every instrument with at least one answered item, per row (``line`` counts the header
    as line 1). Problems: a value that is not one of the instrument's option values, or a
    missing or invalid date. Items left blank become ``None`` (stored incomplete, never 0)."""
    found: list[ParsedResponse] = []
    for line, row in enumerate(rows, start=2):
        record = (row.get("record_id") or "").strip()
        event = (row.get("redcap_event_name") or "").strip()
        for instrument in instruments:
            cells = [
                (row.get(item_field(instrument, n)) or "").strip() for n in instrument.item_numbers
            ]
            if not any(cells):
                continue
            problems: list[str] = []
            answers: list[int | None] = []
            allowed = set(instrument.option_values)
            for number, cell in zip(instrument.item_numbers, cells, strict=True):
                if not cell:
                    answers.append(None)
                    continue
                try:
                    value = int(cell)
                except ValueError:
                    value = None
                if value is None or value not in allowed:
                    problems.append(
                        f"{item_field(instrument, number)} = {cell!r} is not one of "
                        f"{', '.join(str(v) for v in sorted(allowed))}"
                    )
                    answers.append(None)
                else:
                    answers.append(value)
            day_text = (row.get(date_field(instrument.code)) or "").strip()
            day = None
            try:
                day = dt.date.fromisoformat(day_text) if day_text else None
            except ValueError:
                problems.append(f"{date_field(instrument.code)} = {day_text!r} is not YYYY-MM-DD")
            if day is None and not problems:
                problems.append(f"{date_field(instrument.code)} is blank")
            if not record:
                problems.append("record_id is blank")
            found.append(
                ParsedResponse(
                    line=line,
                    record_id=record,
                    event=event,
                    code=instrument.code,
                    day=day,
                    answers=tuple(answers),
                    problems=tuple(problems),
                )
            )
    return found
