"""The shape of a schedule definition, and the checks it must pass when loaded.

No Django import. What the fields mean is described in ``schedules.rules``; this
module reads a definition (``definitions/<name>.json``), refuses unknown fields, wrong
types and inconsistent items with a :class:`ScheduleDefinitionError` that names the
file, the item and the field, and turns it into frozen dataclasses.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

from afterglow.instruments.catalog import all_instruments

ANCHORS = ("course_start", "first_dose", "dose", "last_dose")
#: The diary is not a catalog instrument: it is one long-lived link and an entry a day.
DIARY = "diary"
#: Keys are stored (60 characters) and compared as text: keep them plain.
_KEY = re.compile(r"[a-z0-9_]+@[a-z0-9_:+\-{}]+")
_MAX_KEY = 60
_MAX_LABEL = 120


class ScheduleDefinitionError(ValueError):
    """A schedule definition is unreadable or inconsistent; the message says where."""


@dataclass(frozen=True, slots=True)
class Offset:
    days: int = 0
    hours: int = 0


@dataclass(frozen=True, slots=True)
class Repeat:
    every_days: int
    count: int
    first_n: int = 1


@dataclass(frozen=True, slots=True)
class Until:
    anchor: str
    days: int


@dataclass(frozen=True, slots=True)
class SkipIfWithin:
    key: str
    hours: int


@dataclass(frozen=True, slots=True)
class Item:
    key: str  # may hold "{n}"
    instrument: str
    label: str  # may hold "{n}"
    anchor: str
    offset: Offset
    closes_before: str | None = None
    window_hours: int | None = None
    repeat: Repeat | None = None
    daily_until: Until | None = None
    skip_if_within: SkipIfWithin | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    title: str
    source: str
    send_hour: int
    diary_nudge_hour: int
    items: tuple[Item, ...]


T = TypeVar("T")


class _Invalid(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


class _Reader:
    """Reads one JSON object, naming its path in every complaint and refusing unknown keys."""

    def __init__(self, raw: object, path: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(raw, dict):
            raise _Invalid(path, f"expected an object, got {_kind(raw)}")
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise _Invalid(
                path, f"unknown field {unknown[0]!r}; allowed fields: {', '.join(allowed)}"
            )
        self.raw: dict[str, Any] = raw
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.raw

    def text(self, key: str, *, default: str | None = None, max_length: int = 2000) -> str:
        if key not in self.raw:
            if default is None:
                raise _Invalid(self.at(key), "missing")
            return default
        value = self.raw[key]
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(self.at(key), f"expected non-empty text, got {_kind(value)}")
        if len(value) > max_length:
            raise _Invalid(self.at(key), f"longer than {max_length} characters")
        return value.strip()

    def integer(self, key: str, low: int, high: int, *, default: int | None = None) -> int:
        if key not in self.raw:
            if default is None:
                raise _Invalid(self.at(key), "missing")
            return default
        value = self.raw[key]
        # bool is an int in Python; true is not a number of days.
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Invalid(self.at(key), f"expected a whole number, got {_kind(value)}")
        if not low <= value <= high:
            raise _Invalid(self.at(key), f"must be between {low} and {high}, got {value}")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in options:
            raise _Invalid(self.at(key), f"{value!r} is not one of {', '.join(options)}")
        return value

    def nested(self, key: str, build: Callable[[_Reader], T], allowed: tuple[str, ...]) -> T:
        return build(_Reader(self.raw[key], self.at(key), allowed))


def _offset(reader: _Reader) -> Offset:
    if not reader.raw:
        raise _Invalid(reader.path, 'give "days", "hours" or both')
    return Offset(
        days=reader.integer("days", -60, 400, default=0),
        hours=reader.integer("hours", -72, 168, default=0),
    )


def _repeat(reader: _Reader) -> Repeat:
    return Repeat(
        every_days=reader.integer("every_days", 1, 366),
        count=reader.integer("count", 1, 60),
        first_n=reader.integer("first_n", 0, 100, default=1),
    )


def _until(reader: _Reader) -> Until:
    return Until(
        anchor=reader.choice("anchor", tuple(a for a in ANCHORS if a != "dose")),
        days=reader.integer("days", -60, 400),
    )


def _skip(reader: _Reader) -> SkipIfWithin:
    return SkipIfWithin(
        key=reader.text("key", max_length=_MAX_KEY), hours=reader.integer("hours", 1, 24 * 60)
    )


_ITEM_FIELDS = (
    "key",
    "instrument",
    "label",
    "anchor",
    "offset",
    "closes_before",
    "window_hours",
    "repeat",
    "daily_until",
    "skip_if_within",
    "note",
)


def _item(reader: _Reader, instruments: tuple[str, ...]) -> Item:
    key = reader.text("key", max_length=_MAX_KEY)
    if not _KEY.fullmatch(key):
        raise _Invalid(
            reader.at("key"),
            f"{key!r} must look like 'instrument@name' in lower-case letters, digits and _:+-",
        )
    if not reader.has("offset"):
        raise _Invalid(reader.at("offset"), 'missing; give e.g. {"days": 0}')
    has = reader.has
    item = Item(
        key=key,
        instrument=reader.choice("instrument", instruments),
        label=reader.text("label", max_length=_MAX_LABEL - 5),
        anchor=reader.choice("anchor", ANCHORS),
        offset=reader.nested("offset", _offset, ("days", "hours")),
        closes_before=reader.choice("closes_before", ANCHORS) if has("closes_before") else None,
        window_hours=reader.integer("window_hours", 1, 24 * 60) if has("window_hours") else None,
        repeat=(
            reader.nested("repeat", _repeat, ("every_days", "count", "first_n"))
            if has("repeat")
            else None
        ),
        daily_until=(
            reader.nested("daily_until", _until, ("anchor", "days")) if has("daily_until") else None
        ),
        skip_if_within=(
            reader.nested("skip_if_within", _skip, ("key", "hours"))
            if has("skip_if_within")
            else None
        ),
        note=reader.text("note", max_length=500) if has("note") else "",
    )
    _check_item(item, reader)
    return item


def _check_item(item: Item, reader: _Reader) -> None:
    numbered = item.repeat is not None or item.anchor == "dose"
    if numbered and "{n}" not in item.key:
        raise _Invalid(
            reader.at("key"),
            "a repeated or per-dose item needs {n} in its key, so each occurrence has its own",
        )
    if not numbered and "{" in item.key + item.label:
        raise _Invalid(reader.at("key"), "{n} is only for repeated or per-dose items")
    if item.repeat is not None and item.anchor == "dose":
        raise _Invalid(reader.at("repeat"), "a per-dose item cannot repeat as well")
    if item.closes_before == "dose" and item.anchor != "dose":
        raise _Invalid(reader.at("closes_before"), '"dose" closes only per-dose items')
    if item.closes_before is not None and item.window_hours is not None:
        raise _Invalid(reader.at("window_hours"), "give closes_before or window_hours, not both")
    if (item.instrument == DIARY) != (item.daily_until is not None):
        raise _Invalid(
            reader.at("daily_until"),
            "the diary item needs daily_until, and only the diary item takes it",
        )
    if item.daily_until is not None and (
        numbered or item.closes_before or item.window_hours or item.offset.hours
    ):
        raise _Invalid(
            reader.path,
            "a daily item is one period: no repeat, per-dose anchor, closing rule or hours",
        )


def parse_definition(raw: object, *, where: str = "definition") -> Definition:
    """Check a definition read from JSON and return it, or raise ScheduleDefinitionError."""
    instruments = (*sorted(i.code for i in all_instruments()), DIARY)
    try:
        top = _Reader(
            raw, "", ("name", "title", "source", "send_hour", "diary_nudge_hour", "items")
        )
        items_raw = top.raw.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            raise _Invalid("items", f"expected a non-empty list, got {_kind(items_raw)}")
        items = tuple(
            _item(_Reader(entry, f"items[{index}]", _ITEM_FIELDS), instruments)
            for index, entry in enumerate(items_raw)
        )
        keys = [item.key for item in items]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise _Invalid(f"items[{index}].key", f"{key!r} is used twice")
        plain = {item.key for item in items if "{n}" not in item.key}
        for index, item in enumerate(items):
            if item.skip_if_within and item.skip_if_within.key not in plain:
                raise _Invalid(
                    f"items[{index}].skip_if_within.key",
                    f"{item.skip_if_within.key!r} is not the key of a single (un-numbered) item",
                )
        return Definition(
            name=top.text("name", max_length=40),
            title=top.text("title", max_length=200),
            source=top.text("source"),
            send_hour=top.integer("send_hour", 0, 23),
            diary_nudge_hour=top.integer("diary_nudge_hour", 0, 23),
            items=items,
        )
    except _Invalid as exc:
        raise ScheduleDefinitionError(f"{where}: {exc}") from None


def definition_data(name: str = "default") -> dict[str, Any]:
    """The raw JSON of a shipped definition (what a course's schedule keeps a copy of)."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ScheduleDefinitionError(f"{name!r} is not a schedule name (a-z, 0-9, _)")
    try:
        data = json.loads(_definition_text(name))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScheduleDefinitionError(f"{name}.json: not valid JSON ({exc})") from None
    return data  # type: ignore[no-any-return]


@functools.cache
def _definition_text(name: str) -> bytes:
    entry = resources.files("afterglow.schedules") / "definitions" / f"{name}.json"
    if not entry.is_file():
        raise ScheduleDefinitionError(f"{name}.json: no such schedule definition")
    return entry.read_bytes()


@functools.cache
def load_definition(name: str = "default") -> Definition:
    """A shipped definition, checked once per process."""
    return parse_definition(definition_data(name), where=f"{name}.json")
