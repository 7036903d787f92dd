"""The instrument catalog: every questionnaire Afterglow offers, defined once as data.

Each instrument is one JSON file in ``definitions/`` named after its code
(``pcl5.json`` holds code ``"pcl5"``). This module reads those files, checks
them and turns them into frozen dataclasses; it imports nothing from Django so
that scoring, the CLI and the tests can use it without settings.

Adding an instrument means adding one JSON file: the loader rejects a
definition that is inconsistent (duplicate item numbers, a subscale naming an
unknown item, a scoring range that does not match the items and options, ...)
with a ``CatalogError`` that names the file and the problem, so a typo fails at
start-up rather than as a wrong score. The checks themselves live in
``catalog_validation``; the shape of a definition is described there.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = [
    "ALERT_URGENCIES",
    "CatalogError",
    "CutoffRule",
    "DiagnosisRule",
    "Instrument",
    "Item",
    "ItemAlert",
    "ResponseOption",
    "ScoringRule",
    "SeverityBand",
    "SeverityRule",
    "Subscale",
    "UnknownInstrument",
    "all_instruments",
    "get_instrument",
    "load_catalog",
]

# How soon the care team must act on an item alert: "urgent" = now (a safety signal,
# e.g. thoughts of self-harm); "routine" = at the next review of the response.
ALERT_URGENCIES = ("urgent", "routine")


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
class SeverityBand:
    """Totals from ``min`` to ``max`` (both included) are read as ``label``."""

    min: int
    max: int
    label: str  # e.g. "moderately severe"


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """Published severity bands over the total; they cover the whole score range, no gaps."""

    bands: tuple[SeverityBand, ...]  # ascending, contiguous, from scoring.min to scoring.max
    source: str
    note: str = ""

    def label_for(self, total: int) -> str:
        for band in self.bands:
            if band.min <= total <= band.max:
                return band.label
        raise ValueError(f"total {total} is outside every severity band")


@dataclass(frozen=True, slots=True)
class ItemAlert:
    """An answer above ``above`` on item ``item`` must be brought to the care team.

    Unlike the total, an item alert does not need a complete response: it fires
    whenever its own item is answered above the threshold (see ``scoring.score``).
    """

    item: int  # 1-based item number
    above: int  # fires when the item's value is strictly greater than this option value
    code: str  # stable identifier, e.g. "self_harm_thoughts"; stored and used by alerting
    label: str  # shown to staff, e.g. "Thoughts of self-harm (PHQ-9 item 9)"
    urgency: str  # one of ALERT_URGENCIES
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScoringRule:
    method: str  # only "sum" so far
    min: int
    max: int
    provisional_diagnosis: DiagnosisRule | None
    cutoff: CutoffRule | None
    severity: SeverityRule | None = None
    item_alerts: tuple[ItemAlert, ...] = ()


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    name: str
    short_name: str
    version_label: str
    time_frame: str
    instructions: str  # official wording, never adapted
    stem: str  # lead-in printed above the items; "" when the paper form has none (PHQ-9)
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
    # Imported here, not at the top: catalog_validation builds this module's dataclasses,
    # so a top-level import each way would be circular.
    from afterglow.instruments.catalog_validation import Invalid, parse_instrument

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
        instrument = parse_instrument(raw)
    except Invalid as exc:
        raise CatalogError(f"{name}: {exc}") from None
    stem = name.removesuffix(".json")
    if instrument.code != stem:
        raise CatalogError(
            f"{name}: code {instrument.code!r} does not match the file name; "
            f"rename the file to {instrument.code}.json or set code to {stem!r}"
        )
    return instrument
