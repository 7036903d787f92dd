"""Protocol presets: the published ketamine and esketamine regimens, defined once as data.

Each preset is one JSON file in ``preset_definitions/`` named after its code
(``feder2021_six.json`` holds code ``"feder2021_six"``), with every key present
(``null`` where it does not apply) and a full citation in ``source``. This
module reads the files, checks them and returns frozen dataclasses; it imports
nothing from Django, so the ``afterglow protocols`` command, the clinic's own
protocol forms and the tests share it. Clinics copy a preset into their own
protocol and edit it there; the shipped files are never changed at run time.

Rules the loader enforces (a broken file raises ``PresetError`` naming it):

- exactly one of ``dose_mg_per_kg`` (weight-based) and ``fixed_dose_mg``;
- a weight-based preset gives its acceptable range
  ``dose_mg_per_kg_min <= dose_mg_per_kg <= dose_mg_per_kg_max`` (all within
  0-2 mg/kg); the shipped trial presets use ``min == max == dose`` because the
  trials gave one dose, so any other dose needs a documented reason;
- a fixed-dose preset lists ``fixed_dose_options_mg`` (containing
  ``fixed_dose_mg``), which are its acceptable doses;
- ``infusion_minutes`` (1-240) is required for route ``iv`` and ``null``
  otherwise;
- ``sessions_per_week`` is ``null`` only for a single-session preset;
- ``observation_minutes`` is ``null`` when the source states none (the
  clinic's own policy applies).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, fields
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from afterglow.treatment.dosing import (
    MAX_MG_PER_KG,
    MAX_MINUTES,
    MIN_MINUTES,
    DoseDeviation,
    Number,
    dose_deviation,
)

__all__ = [
    "ROUTES",
    "PostDoseTherapy",
    "PresetError",
    "ProtocolPreset",
    "UnknownPreset",
    "all_presets",
    "get_preset",
    "load_presets",
    "preset_as_json",
]

ROUTES = ("iv", "intranasal", "im")


class PresetError(Exception):
    """A preset file is missing, unreadable or inconsistent; the message names the file."""


class UnknownPreset(KeyError):
    """No shipped preset has this code."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class PostDoseTherapy:
    """Psychotherapy paired with each dose, e.g. prolonged exposure 24-72 h after it."""

    type: str  # e.g. "prolonged_exposure"
    window_hours: tuple[int, int]  # hours after the dose, inclusive
    sessions_after_course: int  # therapy sessions that follow the last dose


@dataclass(frozen=True, slots=True)
class ProtocolPreset:
    """One protocol template, as checked by the loader (rules in the module docstring)."""

    code: str
    name: str
    route: str  # one of ROUTES
    dose_mg_per_kg: Decimal | None  # None for a fixed dose
    dose_mg_per_kg_min: Decimal | None
    dose_mg_per_kg_max: Decimal | None
    fixed_dose_mg: Decimal | None  # None for a weight-based dose
    fixed_dose_options_mg: tuple[Decimal, ...]
    infusion_minutes: int | None  # None unless route is "iv"
    sessions: int
    sessions_per_week: int | None  # None for a single session
    post_dose_therapy: PostDoseTherapy | None
    observation_minutes: int | None  # None when the source states none
    description: str
    note: str
    source: str

    @property
    def weight_based(self) -> bool:
        return self.dose_mg_per_kg is not None

    def deviation(self, dose: Number) -> DoseDeviation | None:
        """How an ordered dose (mg/kg, or mg for a fixed dose) leaves this preset's range.

        ``None`` when it is within the range, so no reason is needed. For a fixed
        dose the range runs from the smallest to the largest option; a dose
        between options (70 mg of esketamine) is refused by ``fixed_dose`` anyway.
        """
        if self.dose_mg_per_kg_min is not None and self.dose_mg_per_kg_max is not None:
            return dose_deviation(
                dose=dose, low=self.dose_mg_per_kg_min, high=self.dose_mg_per_kg_max
            )
        options = self.fixed_dose_options_mg
        return dose_deviation(dose=dose, low=min(options), high=max(options), unit="mg")


def preset_as_json(preset: ProtocolPreset) -> dict[str, Any]:
    """The preset as JSON-ready data, keys in file order; equal to its file's contents.

    Decimals become JSON numbers (0.5; 56 for a whole number), tuples lists.
    """
    return {field.name: _jsonable(getattr(preset, field.name)) for field in fields(preset)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, PostDoseTherapy):
        return {field.name: _jsonable(getattr(value, field.name)) for field in fields(value)}
    return value


# --- loading -------------------------------------------------------------------------------------


def load_presets(directory: Traversable | Path | None = None) -> dict[str, ProtocolPreset]:
    """Read and check every ``*.json`` preset in ``directory`` (default: the shipped ones)."""
    folder = (
        resources.files("afterglow.treatment") / "preset_definitions"
        if directory is None
        else directory
    )
    if not folder.is_dir():
        raise PresetError(f"{folder}: protocol presets folder not found")
    files = sorted((e for e in folder.iterdir() if e.name.endswith(".json")), key=lambda e: e.name)
    return {preset.code: preset for preset in map(_load_file, files)}


@functools.cache
def _shipped() -> dict[str, ProtocolPreset]:
    return load_presets()


def get_preset(code: str) -> ProtocolPreset:
    """The shipped preset with this code; ``UnknownPreset`` lists the known codes."""
    presets = _shipped()
    if code not in presets:
        raise UnknownPreset(f"unknown preset {code!r}; known codes: {', '.join(sorted(presets))}")
    return presets[code]


def all_presets() -> list[ProtocolPreset]:
    """Every shipped preset, ordered by code."""
    return [preset for _, preset in sorted(_shipped().items())]


def _load_file(entry: Traversable | Path) -> ProtocolPreset:
    name = entry.name
    try:
        raw = json.loads(entry.read_text(encoding="utf-8"), parse_float=Decimal)
        preset = _parse(raw)
    except UnicodeDecodeError as exc:
        raise PresetError(f"{name}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise PresetError(f"{name}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
    except _Invalid as exc:
        raise PresetError(f"{name}: {exc}") from None
    if preset.code != name.removesuffix(".json"):
        raise PresetError(f"{name}: code {preset.code!r} does not match the file name")
    return preset


# --- checking ------------------------------------------------------------------------------------


class _Invalid(Exception):
    """A problem inside one preset; _load_file adds the file name."""


# Every field is required in the file, so a preset says "null" rather than forgetting a key.
_KEYS = tuple(field.name for field in fields(ProtocolPreset))


def _parse(raw: Any) -> ProtocolPreset:
    if not isinstance(raw, dict):
        raise _Invalid("the preset must be a JSON object")
    missing, unknown = sorted(set(_KEYS) - raw.keys()), sorted(raw.keys() - set(_KEYS))
    if missing:
        raise _Invalid(f"missing key(s) {', '.join(missing)} (use null where one does not apply)")
    if unknown:
        raise _Invalid(f"unknown key(s) {', '.join(unknown)}")
    code = _text(raw, "code")
    if not re.fullmatch(r"[a-z0-9_]+", code):
        raise _Invalid(f"code must be lower-case letters, digits and _, got {code!r}")
    route = _text(raw, "route")
    if route not in ROUTES:
        raise _Invalid(f"route must be one of {', '.join(ROUTES)}, got {route!r}")
    dose, low, high = (
        _mg_per_kg(raw, key)
        for key in ("dose_mg_per_kg", "dose_mg_per_kg_min", "dose_mg_per_kg_max")
    )
    fixed = _positive_or_null(raw, "fixed_dose_mg")
    options = raw["fixed_dose_options_mg"]
    if not isinstance(options, list):
        raise _Invalid("fixed_dose_options_mg must be a list ([] for a weight-based dose)")
    options = [_positive(mg, "fixed_dose_options_mg") for mg in options]
    if (dose is None) == (fixed is None):
        raise _Invalid("give exactly one of dose_mg_per_kg and fixed_dose_mg")
    if dose is not None:
        if low is None or high is None or options:
            raise _Invalid("a weight-based dose needs dose_mg_per_kg_min/max and no fixed options")
        if not low <= dose <= high:
            raise _Invalid("dose_mg_per_kg must lie within dose_mg_per_kg_min..max")
    elif (
        low is not None
        or high is not None
        or fixed not in options
        or len(set(options)) < len(options)
    ):
        raise _Invalid("a fixed dose needs null mg/kg keys and distinct options including it")
    minutes = _count_or_null(raw, "infusion_minutes")
    if (route == "iv") != (minutes is not None):
        raise _Invalid("infusion_minutes is required for route iv and must be null otherwise")
    if minutes is not None and not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise _Invalid(f"infusion_minutes must be {MIN_MINUTES}-{MAX_MINUTES}, got {minutes}")
    sessions = _count(raw["sessions"], "sessions")
    per_week = _count_or_null(raw, "sessions_per_week")
    if per_week is None and sessions != 1:
        raise _Invalid("sessions_per_week may be null only for a single session")
    note = raw["note"]
    if not isinstance(note, str):
        raise _Invalid("note must be a string (empty when there is nothing to add)")
    return ProtocolPreset(
        code=code,
        name=_text(raw, "name"),
        route=route,
        dose_mg_per_kg=dose,
        dose_mg_per_kg_min=low,
        dose_mg_per_kg_max=high,
        fixed_dose_mg=fixed,
        fixed_dose_options_mg=tuple(options),
        infusion_minutes=minutes,
        sessions=sessions,
        sessions_per_week=per_week,
        post_dose_therapy=_therapy(raw["post_dose_therapy"]),
        observation_minutes=_count_or_null(raw, "observation_minutes"),
        description=_text(raw, "description"),
        note=note,
        source=_text(raw, "source"),
    )


def _therapy(raw: Any) -> PostDoseTherapy | None:
    if raw is None:
        return None
    keys = {"type", "window_hours", "sessions_after_course"}
    if not isinstance(raw, dict) or raw.keys() != keys:
        raise _Invalid(
            f"post_dose_therapy must be null or an object with {', '.join(sorted(keys))}"
        )
    window = raw["window_hours"]
    if not isinstance(window, list) or len(window) != 2:
        raise _Invalid("post_dose_therapy.window_hours must be [from, to]")
    start, end = (_count(hours, "post_dose_therapy.window_hours", zero=True) for hours in window)
    if start > end:
        raise _Invalid(f"post_dose_therapy.window_hours must run forwards, got {window}")
    return PostDoseTherapy(
        type=_text(raw, "type", "post_dose_therapy."),
        window_hours=(start, end),
        sessions_after_course=_count(
            raw["sessions_after_course"], "post_dose_therapy.sessions_after_course", zero=True
        ),
    )


def _text(raw: dict[str, Any], key: str, prefix: str = "") -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{prefix}{key} must be a non-empty string")
    return value


def _count(value: Any, where: str, *, zero: bool = False) -> int:
    # JSON true/false arrive as bools, which are ints in Python; they are not counts.
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        least = 0 if zero else 1
        raise _Invalid(f"{where} must be a whole number of at least {least}, got {value!r}")
    return value


def _count_or_null(raw: dict[str, Any], key: str) -> int | None:
    return None if raw[key] is None else _count(raw[key], key)


def _positive(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value <= 0:
        raise _Invalid(f"{where} must be a positive number, got {value!r}")
    return Decimal(value)


def _positive_or_null(raw: dict[str, Any], key: str) -> Decimal | None:
    return None if raw[key] is None else _positive(raw[key], key)


def _mg_per_kg(raw: dict[str, Any], key: str) -> Decimal | None:
    value = _positive_or_null(raw, key)
    if value is not None and value > MAX_MG_PER_KG:
        raise _Invalid(f"{key} must be at most {MAX_MG_PER_KG} mg/kg, got {value}")
    return value
