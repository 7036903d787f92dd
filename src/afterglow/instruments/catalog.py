"""The instrument catalog: every questionnaire Afterglow offers, defined once as data.

Each instrument is one JSON file in ``definitions/`` named after its code
(``pcl5.json`` holds code ``"pcl5"``). This module reads those files, checks
them and turns them into frozen dataclasses; it imports nothing from Django so
that scoring, the CLI and the tests can use it without settings.

Adding an instrument means adding one JSON file: the loader rejects a
definition that is inconsistent (duplicate item numbers, a subscale naming an
unknown item, a scoring range that does not match the items and options, ...)
with a ``CatalogError`` that names the file and the problem, so a typo fails at
start-up rather than as a wrong score.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

__all__ = [
    "CatalogError",
    "CutoffRule",
    "DiagnosisRule",
    "Instrument",
    "Item",
    "ResponseOption",
    "ScoringRule",
    "Subscale",
    "UnknownInstrument",
    "all_instruments",
    "get_instrument",
    "load_catalog",
]

# Keys that Score.to_dict() always writes; a cutoff flag may not reuse one of them.
_RESERVED_RESULT_KEYS = frozenset(
    {"complete", "total", "clusters", "provisional_diagnosis", "missing_items"}
)


class CatalogError(Exception):
    """An instrument definition file is missing, unreadable or inconsistent."""


class UnknownInstrument(KeyError):
    """No instrument with this code is in the catalog."""

    def __str__(self) -> str:
        # KeyError.__str__ shows the repr of its argument ('...' in quotes); a
        # message meant for people should read as plain text.
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class ResponseOption:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    number: int  # 1-based position on the form
    text: str  # the publisher's official wording
    criterion: str  # e.g. "B1" (DSM-5 criterion the item asks about)
    short_label: str  # plain-language label for charts and tables


@dataclass(frozen=True, slots=True)
class Subscale:
    key: str  # e.g. "B"
    label: str
    items: tuple[int, ...]  # item numbers


@dataclass(frozen=True, slots=True)
class DiagnosisRule:
    """Provisional-diagnosis rule: enough items rated at or above a threshold in each subscale."""

    endorsed_at_least: int  # an item counts as endorsed when its value is >= this
    require: tuple[tuple[str, int], ...]  # (subscale key, minimum endorsed items)
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class CutoffRule:
    """A total at or above ``default`` (or a clinic's own value) raises the flag ``flag``."""

    clinic_setting: str  # name of the clinic setting that overrides the default
    default: int
    flag: str  # result key, e.g. "probable_ptsd"
    label: str  # e.g. "Probable PTSD"
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScoringRule:
    method: str  # only "sum" so far
    min: int
    max: int
    provisional_diagnosis: DiagnosisRule | None
    cutoff: CutoffRule | None


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    name: str
    short_name: str
    version_label: str
    time_frame: str
    instructions: str  # official wording, never adapted
    stem: str
    response_options: tuple[ResponseOption, ...]
    items: tuple[Item, ...]  # in form order, numbered 1..n
    subscales: tuple[Subscale, ...]
    scoring: ScoringRule
    source: str
    licence: str
    attribution: str  # shown under the form
    form_version: str = ""  # the publisher's version date, when it prints one
    display_note: str = ""  # how the screen differs from the paper form, if it does

    @property
    def item_numbers(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items)

    @property
    def option_values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.response_options)

    @property
    def title(self) -> str:
        """E.g. "PCL-5 (Past month)"."""
        return f"{self.short_name} ({self.version_label})"

    def item(self, number: int) -> Item:
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(f"{self.code} has no item {number} (items are 1-{len(self.items)})")

    def subscale(self, key: str) -> Subscale:
        for subscale in self.subscales:
            if subscale.key == key:
                return subscale
        known = ", ".join(s.key for s in self.subscales) or "none"
        raise KeyError(f"{self.code} has no subscale {key!r} (known: {known})")

    def option_label(self, value: int) -> str:
        for option in self.response_options:
            if option.value == value:
                return option.label
        raise KeyError(f"{self.code} has no response option {value!r}")


# --- loading -------------------------------------------------------------------------------------


def _definitions_dir() -> Traversable:
    return resources.files("afterglow.instruments") / "definitions"


def load_catalog(directory: Traversable | Path | None = None) -> dict[str, Instrument]:
    """Read and check every ``*.json`` definition in ``directory``; return them by code.

    ``directory`` defaults to the package's own ``definitions/``. The result is
    not cached: use ``get_instrument`` and ``all_instruments`` for the shipped
    catalog.
    """
    folder = _definitions_dir() if directory is None else directory
    if not folder.is_dir():
        raise CatalogError(f"{folder}: instrument definitions folder not found")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".json") and entry.is_file()),
        key=lambda entry: entry.name,
    )
    catalog: dict[str, Instrument] = {}
    for entry in files:
        instrument = _load_file(entry)
        # File names are unique and each code must equal its file's stem, so codes are unique.
        catalog[instrument.code] = instrument
    return catalog


@functools.cache
def _shipped_catalog() -> dict[str, Instrument]:
    return load_catalog()


def get_instrument(code: str) -> Instrument:
    """The shipped instrument with this code; ``UnknownInstrument`` lists the known codes."""
    catalog = _shipped_catalog()
    try:
        return catalog[code]
    except KeyError:
        known = ", ".join(sorted(catalog)) or "none"
        raise UnknownInstrument(f"unknown instrument {code!r}; known codes: {known}") from None


def all_instruments() -> list[Instrument]:
    """Every shipped instrument, ordered by code."""
    catalog = _shipped_catalog()
    return [catalog[code] for code in sorted(catalog)]


def _load_file(entry: Traversable | Path) -> Instrument:
    name = entry.name
    try:
        raw = json.loads(entry.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{name}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(
            f"{name}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    try:
        instrument = _parse_instrument(raw)
    except _Invalid as exc:
        raise CatalogError(f"{name}: {exc}") from None
    stem = name.removesuffix(".json")
    if instrument.code != stem:
        raise CatalogError(
            f"{name}: code {instrument.code!r} does not match the file name; "
            f"rename the file to {instrument.code}.json or set code to {stem!r}"
        )
    return instrument


# --- checking ------------------------------------------------------------------------------------


class _Invalid(Exception):
    """A problem inside one definition; _load_file adds the file name."""


def _obj(value: Any, where: str, *, required: set[str], optional: Iterable[str] = ()) -> dict:
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be a JSON object, got {type(value).__name__}")
    missing = sorted(required - value.keys())
    if missing:
        raise _Invalid(f"{where} is missing {', '.join(missing)}")
    # Unknown keys are rejected so a misspelt optional key cannot be silently ignored.
    unknown = sorted(value.keys() - required - set(optional))
    if unknown:
        raise _Invalid(f"{where} has unknown key(s) {', '.join(unknown)}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{where} must be a non-empty string")
    return value


def _int(value: Any, where: str) -> int:
    # JSON true/false arrive as Python bools, which are ints; they are not valid numbers here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"{where} must be an integer, got {json.dumps(value)}")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        raise _Invalid(f"{where} must be a non-empty list")
    return value


def _parse_instrument(raw: Any) -> Instrument:
    data = _obj(
        raw,
        "the definition",
        required={
            "code",
            "name",
            "short_name",
            "version_label",
            "time_frame",
            "instructions",
            "stem",
            "response_options",
            "items",
            "subscales",
            "scoring",
            "source",
            "licence",
            "attribution",
        },
        optional={"form_version", "display_note"},
    )
    code = _str(data["code"], "code")
    options = _parse_options(data["response_options"])
    items = _parse_items(data["items"])
    subscales = _parse_subscales(data["subscales"], {item.number for item in items})
    scoring = _parse_scoring(data["scoring"], options, items, subscales)
    return Instrument(
        code=code,
        name=_str(data["name"], "name"),
        short_name=_str(data["short_name"], "short_name"),
        version_label=_str(data["version_label"], "version_label"),
        time_frame=_str(data["time_frame"], "time_frame"),
        instructions=_str(data["instructions"], "instructions"),
        stem=_str(data["stem"], "stem"),
        response_options=options,
        items=items,
        subscales=subscales,
        scoring=scoring,
        source=_str(data["source"], "source"),
        licence=_str(data["licence"], "licence"),
        attribution=_str(data["attribution"], "attribution"),
        form_version=_str(data["form_version"], "form_version") if "form_version" in data else "",
        display_note=_str(data["display_note"], "display_note") if "display_note" in data else "",
    )


def _parse_options(raw: Any) -> tuple[ResponseOption, ...]:
    options = []
    for index, entry in enumerate(_list(raw, "response_options")):
        where = f"response_options[{index}]"
        entry = _obj(entry, where, required={"value", "label"})
        options.append(
            ResponseOption(
                value=_int(entry["value"], f"{where}.value"),
                label=_str(entry["label"], f"{where}.label"),
            )
        )
    values = [option.value for option in options]
    if len(set(values)) != len(values):
        raise _Invalid(f"response_options has duplicate values: {values}")
    return tuple(options)


def _parse_items(raw: Any) -> tuple[Item, ...]:
    items = []
    for index, entry in enumerate(_list(raw, "items")):
        where = f"items[{index}]"
        entry = _obj(entry, where, required={"number", "text", "criterion", "short_label"})
        items.append(
            Item(
                number=_int(entry["number"], f"{where}.number"),
                text=_str(entry["text"], f"{where}.text"),
                criterion=_str(entry["criterion"], f"{where}.criterion"),
                short_label=_str(entry["short_label"], f"{where}.short_label"),
            )
        )
    numbers = [item.number for item in items]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise _Invalid(f"items has duplicate item numbers: {duplicates}")
    # Answers are stored and scored by position, so item k must sit at position k.
    expected = list(range(1, len(items) + 1))
    if numbers != expected:
        raise _Invalid(f"items must be numbered 1 to {len(items)} in order, got {numbers}")
    return tuple(items)


def _parse_subscales(raw: Any, item_numbers: set[int]) -> tuple[Subscale, ...]:
    if not isinstance(raw, dict):
        raise _Invalid("subscales must be a JSON object (use {} when there are none)")
    subscales = []
    for key, entry in raw.items():
        where = f"subscales.{key}"
        entry = _obj(entry, where, required={"label", "items"})
        numbers = [_int(n, f"{where}.items") for n in _list(entry["items"], f"{where}.items")]
        unknown = sorted(set(numbers) - item_numbers)
        if unknown:
            raise _Invalid(f"{where} refers to unknown item(s) {unknown}")
        if len(set(numbers)) != len(numbers):
            raise _Invalid(f"{where} lists an item more than once: {numbers}")
        subscales.append(
            Subscale(
                key=_str(key, where),
                label=_str(entry["label"], f"{where}.label"),
                items=tuple(numbers),
            )
        )
    return tuple(subscales)


def _parse_scoring(
    raw: Any,
    options: tuple[ResponseOption, ...],
    items: tuple[Item, ...],
    subscales: tuple[Subscale, ...],
) -> ScoringRule:
    data = _obj(
        raw,
        "scoring",
        required={"method", "min", "max"},
        optional={"provisional_diagnosis", "cutoff"},
    )
    method = _str(data["method"], "scoring.method")
    if method != "sum":
        raise _Invalid(f"scoring.method {method!r} is not supported (only 'sum')")
    # The stated range must follow from the items and options: a mismatch means a typo.
    values = [option.value for option in options]
    low, high = len(items) * min(values), len(items) * max(values)
    minimum, maximum = _int(data["min"], "scoring.min"), _int(data["max"], "scoring.max")
    if (minimum, maximum) != (low, high):
        raise _Invalid(
            f"scoring.min/max are {minimum}/{maximum} but {len(items)} items scored "
            f"{min(values)}-{max(values)} give {low}/{high}"
        )
    diagnosis = None
    if "provisional_diagnosis" in data:
        diagnosis = _parse_diagnosis(data["provisional_diagnosis"], values, subscales)
    cutoff = None
    if "cutoff" in data:
        cutoff = _parse_cutoff(data["cutoff"], low, high)
    return ScoringRule(
        method=method, min=minimum, max=maximum, provisional_diagnosis=diagnosis, cutoff=cutoff
    )


def _parse_diagnosis(raw: Any, values: list[int], subscales: tuple[Subscale, ...]) -> DiagnosisRule:
    where = "scoring.provisional_diagnosis"
    data = _obj(raw, where, required={"endorsed_at_least", "require", "source"}, optional={"note"})
    threshold = _int(data["endorsed_at_least"], f"{where}.endorsed_at_least")
    if threshold not in values:
        raise _Invalid(f"{where}.endorsed_at_least {threshold} is not a response option value")
    if not isinstance(data["require"], dict) or not data["require"]:
        raise _Invalid(f"{where}.require must be a non-empty object of subscale: count")
    sizes = {subscale.key: len(subscale.items) for subscale in subscales}
    require = []
    for key, count in data["require"].items():
        if key not in sizes:
            raise _Invalid(f"{where}.require names unknown subscale {key!r}")
        count = _int(count, f"{where}.require.{key}")
        if not 1 <= count <= sizes[key]:
            raise _Invalid(f"{where}.require.{key} must be between 1 and {sizes[key]}")
        require.append((key, count))
    return DiagnosisRule(
        endorsed_at_least=threshold,
        require=tuple(require),
        source=_str(data["source"], f"{where}.source"),
        note=_str(data["note"], f"{where}.note") if "note" in data else "",
    )


def _parse_cutoff(raw: Any, low: int, high: int) -> CutoffRule:
    where = "scoring.cutoff"
    data = _obj(
        raw,
        where,
        required={"clinic_setting", "default", "flag", "label", "source"},
        optional={"note"},
    )
    default = _int(data["default"], f"{where}.default")
    if not low <= default <= high:
        raise _Invalid(f"{where}.default {default} is outside the score range {low}-{high}")
    flag = _str(data["flag"], f"{where}.flag")
    if not flag.isidentifier() or flag in _RESERVED_RESULT_KEYS:
        raise _Invalid(f"{where}.flag {flag!r} must be an identifier not used by the score itself")
    return CutoffRule(
        clinic_setting=_str(data["clinic_setting"], f"{where}.clinic_setting"),
        default=default,
        flag=flag,
        label=_str(data["label"], f"{where}.label"),
        source=_str(data["source"], f"{where}.source"),
        note=_str(data["note"], f"{where}.note") if "note" in data else "",
    )
