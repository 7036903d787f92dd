"""Checks an instrument definition (parsed JSON) and builds its ``catalog`` dataclasses.

Kept apart from ``catalog`` so the loader and public API stay short; Django-free
like it. Every check names the place in the definition and what is wrong, and
unknown keys are refused, so a misspelt optional key cannot be silently ignored.

A definition is one JSON object::

    code, name, short_name, version_label, time_frame, instructions,
    stem (optional: the lead-in above the items, when the paper form prints one),
    response_options: [{value, label}, ...],
    items: [{number, text, criterion, short_label}, ...]   numbered 1..n in order,
    subscales: {key: {label, items: [numbers]}, ...}       ({} when there are none),
    scoring: {
        method: "sum", min, max                             (must follow from items x options),
        provisional_diagnosis?: {endorsed_at_least, require: {subscale: count}, source, note?},
        cutoff?: {clinic_setting, default, flag, label, source, note?},
        severity?: {bands: [{min, max, label}, ...], source, note?},
        item_alerts?: [{item, above, code, label, urgency, source, note?}, ...],
    },
    source, licence, attribution, form_version?, display_note?

Severity bands must run in ascending order and cover the score range exactly:
the first starts at ``scoring.min``, each next one starts one above the last
one's ``max`` (no gap, no overlap) and the last ends at ``scoring.max``. An
item alert names an existing item and a threshold that is a response option
value below the highest one (otherwise it could never fire).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from afterglow.instruments.catalog import (
    ALERT_URGENCIES,
    CutoffRule,
    DiagnosisRule,
    Instrument,
    Item,
    ItemAlert,
    ResponseOption,
    ScoringRule,
    SeverityBand,
    SeverityRule,
    Subscale,
)

__all__ = ["RESERVED_RESULT_KEYS", "Invalid", "parse_instrument"]

# Keys that Score.to_dict() may write; a cutoff flag may not reuse one of them.
RESERVED_RESULT_KEYS = frozenset(
    {
        "complete",
        "total",
        "severity",
        "clusters",
        "provisional_diagnosis",
        "alerts",
        "missing_items",
    }
)


class Invalid(Exception):
    """A problem inside one definition; ``catalog`` adds the file name (``CatalogError``)."""


def _obj(value: Any, where: str, *, required: set[str], optional: Iterable[str] = ()) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"{where} must be a JSON object, got {type(value).__name__}")
    missing = sorted(required - value.keys())
    if missing:
        raise Invalid(f"{where} is missing {', '.join(missing)}")
    # Unknown keys are rejected so a misspelt optional key cannot be silently ignored.
    unknown = sorted(value.keys() - required - set(optional))
    if unknown:
        raise Invalid(f"{where} has unknown key(s) {', '.join(unknown)}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{where} must be a non-empty string")
    return value


def _int(value: Any, where: str) -> int:
    # JSON true/false arrive as Python bools, which are ints; they are not valid numbers here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{where} must be an integer, got {json.dumps(value)}")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        raise Invalid(f"{where} must be a non-empty list")
    return value


def parse_instrument(raw: Any) -> Instrument:
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
            "response_options",
            "items",
            "subscales",
            "scoring",
            "source",
            "licence",
            "attribution",
        },
        optional={"stem", "form_version", "display_note"},
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
        stem=_str(data["stem"], "stem") if "stem" in data else "",
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
        raise Invalid(f"response_options has duplicate values: {values}")
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
        raise Invalid(f"items has duplicate item numbers: {duplicates}")
    # Answers are stored and scored by position, so item k must sit at position k.
    expected = list(range(1, len(items) + 1))
    if numbers != expected:
        raise Invalid(f"items must be numbered 1 to {len(items)} in order, got {numbers}")
    return tuple(items)


def _parse_subscales(raw: Any, item_numbers: set[int]) -> tuple[Subscale, ...]:
    if not isinstance(raw, dict):
        raise Invalid("subscales must be a JSON object (use {} when there are none)")
    subscales = []
    for key, entry in raw.items():
        where = f"subscales.{key}"
        entry = _obj(entry, where, required={"label", "items"})
        numbers = [_int(n, f"{where}.items") for n in _list(entry["items"], f"{where}.items")]
        unknown = sorted(set(numbers) - item_numbers)
        if unknown:
            raise Invalid(f"{where} refers to unknown item(s) {unknown}")
        if len(set(numbers)) != len(numbers):
            raise Invalid(f"{where} lists an item more than once: {numbers}")
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
        optional={"provisional_diagnosis", "cutoff", "severity", "item_alerts"},
    )
    method = _str(data["method"], "scoring.method")
    if method != "sum":
        raise Invalid(f"scoring.method {method!r} is not supported (only 'sum')")
    # The stated range must follow from the items and options: a mismatch means a typo.
    values = [option.value for option in options]
    low, high = len(items) * min(values), len(items) * max(values)
    minimum, maximum = _int(data["min"], "scoring.min"), _int(data["max"], "scoring.max")
    if (minimum, maximum) != (low, high):
        raise Invalid(
            f"scoring.min/max are {minimum}/{maximum} but {len(items)} items scored "
            f"{min(values)}-{max(values)} give {low}/{high}"
        )
    diagnosis = None
    if "provisional_diagnosis" in data:
        diagnosis = _parse_diagnosis(data["provisional_diagnosis"], values, subscales)
    cutoff = None
    if "cutoff" in data:
        cutoff = _parse_cutoff(data["cutoff"], low, high)
    severity = None
    if "severity" in data:
        severity = _parse_severity(data["severity"], low, high)
    alerts: tuple[ItemAlert, ...] = ()
    if "item_alerts" in data:
        alerts = _parse_item_alerts(data["item_alerts"], values, items)
    return ScoringRule(
        method=method,
        min=minimum,
        max=maximum,
        provisional_diagnosis=diagnosis,
        cutoff=cutoff,
        severity=severity,
        item_alerts=alerts,
    )


def _parse_diagnosis(raw: Any, values: list[int], subscales: tuple[Subscale, ...]) -> DiagnosisRule:
    where = "scoring.provisional_diagnosis"
    data = _obj(raw, where, required={"endorsed_at_least", "require", "source"}, optional={"note"})
    threshold = _int(data["endorsed_at_least"], f"{where}.endorsed_at_least")
    if threshold not in values:
        raise Invalid(f"{where}.endorsed_at_least {threshold} is not a response option value")
    if not isinstance(data["require"], dict) or not data["require"]:
        raise Invalid(f"{where}.require must be a non-empty object of subscale: count")
    sizes = {subscale.key: len(subscale.items) for subscale in subscales}
    require = []
    for key, count in data["require"].items():
        if key not in sizes:
            raise Invalid(f"{where}.require names unknown subscale {key!r}")
        count = _int(count, f"{where}.require.{key}")
        if not 1 <= count <= sizes[key]:
            raise Invalid(f"{where}.require.{key} must be between 1 and {sizes[key]}")
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
        raise Invalid(f"{where}.default {default} is outside the score range {low}-{high}")
    flag = _str(data["flag"], f"{where}.flag")
    if not flag.isidentifier() or flag in RESERVED_RESULT_KEYS:
        raise Invalid(f"{where}.flag {flag!r} must be an identifier not used by the score itself")
    return CutoffRule(
        clinic_setting=_str(data["clinic_setting"], f"{where}.clinic_setting"),
        default=default,
        flag=flag,
        label=_str(data["label"], f"{where}.label"),
        source=_str(data["source"], f"{where}.source"),
        note=_str(data["note"], f"{where}.note") if "note" in data else "",
    )


def _parse_severity(raw: Any, low: int, high: int) -> SeverityRule:
    where = "scoring.severity"
    data = _obj(raw, where, required={"bands", "source"}, optional={"note"})
    bands = []
    for index, entry in enumerate(_list(data["bands"], f"{where}.bands")):
        at = f"{where}.bands[{index}]"
        entry = _obj(entry, at, required={"min", "max", "label"})
        band = SeverityBand(
            min=_int(entry["min"], f"{at}.min"),
            max=_int(entry["max"], f"{at}.max"),
            label=_str(entry["label"], f"{at}.label"),
        )
        if band.min > band.max:
            raise Invalid(f"{at} runs backwards: min {band.min} is above max {band.max}")
        bands.append(band)
    # Every total in low..high must fall in exactly one band: walk them in order.
    expected = low
    for index, band in enumerate(bands):
        at = f"{where}.bands[{index}]"
        if band.min > expected:
            raise Invalid(f"{at} starts at {band.min}, leaving a gap: {expected} is in no band")
        if band.min < expected:
            raise Invalid(
                f"{at} starts at {band.min}, overlapping the band before it "
                f"(bands must be in ascending order, this one starting at {expected})"
            )
        expected = band.max + 1
    if bands[-1].max != high:
        raise Invalid(
            f"{where}.bands end at {bands[-1].max} but the score range ends at {high}; "
            f"the last band must end at {high}"
        )
    labels = [band.label for band in bands]
    if len(set(labels)) != len(labels):
        raise Invalid(f"{where}.bands repeat a label: {labels}")
    return SeverityRule(
        bands=tuple(bands),
        source=_str(data["source"], f"{where}.source"),
        note=_str(data["note"], f"{where}.note") if "note" in data else "",
    )


def _parse_item_alerts(
    raw: Any, values: list[int], items: tuple[Item, ...]
) -> tuple[ItemAlert, ...]:
    where = "scoring.item_alerts"
    numbers = {item.number for item in items}
    alerts = []
    for index, entry in enumerate(_list(raw, where)):
        at = f"{where}[{index}]"
        entry = _obj(
            entry,
            at,
            required={"item", "above", "code", "label", "urgency", "source"},
            optional={"note"},
        )
        item = _int(entry["item"], f"{at}.item")
        if item not in numbers:
            raise Invalid(f"{at}.item {item} is not an item (items are 1-{len(items)})")
        above = _int(entry["above"], f"{at}.above")
        if above not in values:
            raise Invalid(f"{at}.above {above} is not a response option value {values}")
        if above >= max(values):
            raise Invalid(
                f"{at}.above {above} is the highest answer, so the alert could never fire"
            )
        code = _str(entry["code"], f"{at}.code")
        if not code.isidentifier():
            raise Invalid(f"{at}.code {code!r} must be an identifier (letters, digits, _)")
        urgency = _str(entry["urgency"], f"{at}.urgency")
        if urgency not in ALERT_URGENCIES:
            raise Invalid(f"{at}.urgency {urgency!r} must be one of {', '.join(ALERT_URGENCIES)}")
        alerts.append(
            ItemAlert(
                item=item,
                above=above,
                code=code,
                label=_str(entry["label"], f"{at}.label"),
                urgency=urgency,
                source=_str(entry["source"], f"{at}.source"),
                note=_str(entry["note"], f"{at}.note") if "note" in entry else "",
            )
        )
    codes = [alert.code for alert in alerts]
    if len(set(codes)) != len(codes):
        raise Invalid(f"{where} repeat a code: {codes}")
    return tuple(alerts)
