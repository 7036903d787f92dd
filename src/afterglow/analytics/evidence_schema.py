"""The shape of ``data/trials.json`` and its checks (Django-free; used by ``evidence``).

An entry (every field required; ``null`` where the source gives nothing)::

    id                lower-case letters, digits, underscores; unique
    short_name        "Feder 2021"
    kind              rct | open_label | observational | meta_analysis | review
    status            published | no_results | planned
    design            the design as evidence.md words it
    n, n_note         participants (whole number or null) and a note ("target 12")
    n_studies         studies pooled (meta-analyses, reviews) or null
    arms              [{"label", "n"}] where the source gives arm sizes
    population        as evidence.md words it
    population_group  civilian | veteran | mixed | unknown
    regimen           {"description", "drug", "route", "dose_mg_per_kg": [..],
                       "infusions", "frequency", "comparator", "psychotherapy"};
                      required for studies, null allowed for meta-analyses/reviews
    primary_measure   "CAPS-5", "PCL-5", "IES-R", ... or null; measures: [..]
    figures           result figures, below
    result            one plain-language sentence
    citation, doi, pmid, nct, pmcid
    unconfirmed       what evidence.md marks UNCONFIRMED or unverified, as sentences
    caveats           short sentences shown beside the entry

A figure::

    key               unique within the entry
    label, statistic  statistic: one of STATISTICS below
    measure, timepoint
    value             number; null only for "qualitative" (then direction is required)
    ci95              [low, high] containing value, or null
    se, sd, n, p      or null
    comparator        {"label", "value", "n", "sd"} or null
    direction         favours_ketamine | no_difference | favours_comparator | null
    quote             the text of evidence.md the numbers were copied from
    unconfirmed       true when evidence.md doubts the figure
    note              or null
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

KINDS = ("rct", "open_label", "observational", "meta_analysis", "review")
STATUSES = ("published", "no_results", "planned")
POPULATION_GROUPS = ("civilian", "veteran", "mixed", "unknown")
DIRECTIONS = ("favours_ketamine", "no_difference", "favours_comparator")
STATISTICS = (
    "proportion",  # 0-1
    "mean_change",  # after - before
    "mean_difference",  # ketamine - comparator
    "cohens_d",
    "d_prime",
    "hedges_g",
    "standardized_effect",
    "median_days",
    "mean_days",
    "risk_ratio",
    "score",  # a group's score on the measure
    "qualitative",  # no number: see direction and quote
)


class TrialDataError(ValueError):
    """The trials data file is malformed; names the entry id and the field."""

    def __init__(self, entry_id: str, field: str, reason: str) -> None:
        super().__init__(f"{entry_id}: {field} {reason}")
        self.entry_id = entry_id
        self.field = field
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Arm:
    label: str
    n: int | None


@dataclasses.dataclass(frozen=True)
class Regimen:
    description: str
    drug: str
    route: str | None
    dose_mg_per_kg: tuple[float, ...]
    infusions: int | None
    frequency: str | None
    comparator: str | None
    psychotherapy: str | None


@dataclasses.dataclass(frozen=True)
class Comparator:
    label: str
    value: float
    n: int | None
    sd: float | None


@dataclasses.dataclass(frozen=True)
class Figure:
    key: str
    label: str
    statistic: str
    measure: str
    timepoint: str | None
    value: float | None
    ci95: tuple[float, float] | None
    se: float | None
    sd: float | None
    n: int | None
    p: float | None
    comparator: Comparator | None
    direction: str | None
    quote: str
    unconfirmed: bool
    note: str | None


@dataclasses.dataclass(frozen=True)
class Trial:
    id: str
    short_name: str
    kind: str
    status: str
    design: str
    n: int | None
    n_note: str | None
    n_studies: int | None
    arms: tuple[Arm, ...]
    population: str
    population_group: str
    regimen: Regimen | None
    primary_measure: str | None
    measures: tuple[str, ...]
    figures: tuple[Figure, ...]
    result: str
    citation: str
    doi: str | None
    pmid: str | None
    nct: str | None
    pmcid: str | None
    unconfirmed: tuple[str, ...]
    caveats: tuple[str, ...]

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        known = ", ".join(f.key for f in self.figures) or "none"
        raise KeyError(f"{self.id} has no figure {key!r} (known: {known})")


# --- checks --------------------------------------------------------------------------------------

Check = Callable[[Any, str], Any]  # (value, field path) -> value, or raises _Bad


class _Bad(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).replace("None", "null")


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(field, f"must be non-empty text, got {_show(value)}")
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(field, f"must be a number, got {_show(value)}")
    return float(value)


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad(field, f"must be a whole number of at least 0, got {_show(value)}")
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _Bad(field, f"must be true or false, got {_show(value)}")
    return value


def _optional(check: Check) -> Check:
    return lambda value, field: None if value is None else check(value, field)


def _choice(*options: str) -> Check:
    def check(value: Any, field: str) -> str:
        if value not in options:
            raise _Bad(field, f"must be one of {', '.join(options)}, got {_show(value)}")
        return str(value)

    return check


def _pattern(regex: str, example: str) -> Check:
    compiled = re.compile(regex)

    def check(value: Any, field: str) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise _Bad(field, f"must look like {example}, got {_show(value)}")
        return value

    return check


def _list(check: Check) -> Check:
    def check_list(value: Any, field: str) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad(field, f"must be a list, got {_show(value)}")
        return tuple(check(item, f"{field}[{i}]") for i, item in enumerate(value))

    return check_list


def _ci(value: Any, field: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _Bad(field, f"must be [low, high], got {_show(value)}")
    low, high = _number(value[0], field), _number(value[1], field)
    if low > high:
        raise _Bad(field, f"must have low <= high, got {_show(value)}")
    return low, high


def _fields(obj: Any, field: str, spec: Mapping[str, Check]) -> dict[str, Any]:
    """Check every field of ``obj`` against ``spec``; unknown and missing fields are errors."""
    if not isinstance(obj, dict):
        raise _Bad(field or "entry", f"must be an object, got {_show(obj)}")
    prefix = f"{field}." if field else ""
    for name in obj:
        if name not in spec:
            raise _Bad(f"{prefix}{name}", f"is not a known field (known: {', '.join(spec)})")
    for name in spec:
        if name not in obj:
            raise _Bad(f"{prefix}{name}", "is missing (use null when the source gives nothing)")
    return {name: check(obj[name], f"{prefix}{name}") for name, check in spec.items()}


def _arm(value: Any, field: str) -> Arm:
    return Arm(**_fields(value, field, {"label": _text, "n": _optional(_count)}))


def _comparator(value: Any, field: str) -> Comparator:
    spec = {"label": _text, "value": _number, "n": _optional(_count), "sd": _optional(_number)}
    return Comparator(**_fields(value, field, spec))


def _regimen(value: Any, field: str) -> Regimen:
    spec: dict[str, Check] = {
        "description": _text,
        "drug": _choice("ketamine", "esketamine"),
        "route": _optional(_choice("IV", "intranasal")),
        "dose_mg_per_kg": _list(_number),
        "infusions": _optional(_count),
        "frequency": _optional(_text),
        "comparator": _optional(_text),
        "psychotherapy": _optional(_text),
    }
    return Regimen(**_fields(value, field, spec))


_FIGURE_SPEC: dict[str, Check] = {
    "key": _pattern(r"[a-z0-9_]+", "snake_case"),
    "label": _text,
    "statistic": _choice(*STATISTICS),
    "measure": _text,
    "timepoint": _optional(_text),
    "value": _optional(_number),
    "ci95": _optional(_ci),
    "se": _optional(_number),
    "sd": _optional(_number),
    "n": _optional(_count),
    "p": _optional(_number),
    "comparator": _optional(_comparator),
    "direction": _optional(_choice(*DIRECTIONS)),
    "quote": _text,
    "unconfirmed": _flag,
    "note": _optional(_text),
}


def _figure(value: Any, field: str) -> Figure:
    figure = Figure(**_fields(value, field, _FIGURE_SPEC))
    if figure.statistic == "qualitative":
        if figure.value is not None:
            raise _Bad(f"{field}.value", "must be null for a qualitative figure")
        if figure.direction is None:
            raise _Bad(f"{field}.direction", "is required for a qualitative figure")
        return figure
    if figure.value is None:
        raise _Bad(f"{field}.value", f"is required for a {figure.statistic} figure")
    if figure.ci95 is not None and not figure.ci95[0] <= figure.value <= figure.ci95[1]:
        raise _Bad(f"{field}.ci95", f"must contain the value {figure.value:g}")
    if figure.statistic == "proportion":
        for name, number in (("value", figure.value), ("comparator.value", _other(figure))):
            if number is not None and not 0 <= number <= 1:
                raise _Bad(f"{field}.{name}", f"must be a proportion from 0 to 1, got {number:g}")
    if figure.p is not None and not 0 <= figure.p <= 1:
        raise _Bad(f"{field}.p", f"must be from 0 to 1, got {figure.p:g}")
    return figure


def _other(figure: Figure) -> float | None:
    return None if figure.comparator is None else figure.comparator.value


_ENTRY_SPEC: dict[str, Check] = {
    "id": _pattern(r"[a-z0-9_]+", "feder2021"),
    "short_name": _text,
    "kind": _choice(*KINDS),
    "status": _choice(*STATUSES),
    "design": _text,
    "n": _optional(_count),
    "n_note": _optional(_text),
    "n_studies": _optional(_count),
    "arms": _list(_arm),
    "population": _text,
    "population_group": _choice(*POPULATION_GROUPS),
    "regimen": _optional(_regimen),
    "primary_measure": _optional(_text),
    "measures": _list(_text),
    "figures": _list(_figure),
    "result": _text,
    "citation": _text,
    "doi": _optional(_pattern(r"10\.\d{4,9}/\S+", "10.1176/appi.ajp.2020.20050596")),
    "pmid": _optional(_pattern(r"\d{1,9}", "35046508")),
    "nct": _optional(_pattern(r"NCT\d{8}", "NCT02397889")),
    "pmcid": _optional(_pattern(r"PMC\d+", "PMC10316217")),
    "unconfirmed": _list(_text),
    "caveats": _list(_text),
}


def parse_entry(raw: Any, position: int) -> Trial:
    """One entry as a :class:`Trial`; errors name its id (or its position if it has none)."""
    entry_id = raw.get("id") if isinstance(raw, dict) else None
    name = entry_id if isinstance(entry_id, str) and entry_id else f"entries[{position}]"
    try:
        trial = Trial(**_fields(raw, "", _ENTRY_SPEC))
        if trial.regimen is None and trial.kind not in ("meta_analysis", "review"):
            raise _Bad("regimen", f"is required for a {trial.kind} entry")
        keys = [figure.key for figure in trial.figures]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                raise _Bad(f"figures[{i}].key", f"repeats {key!r}")
    except _Bad as bad:
        raise TrialDataError(name, bad.field, bad.reason) from None
    return trial


def parse_file(raw: Any) -> list[Trial]:
    """Every entry of a parsed ``trials.json``, checked; ids must be unique."""
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise TrialDataError("(file)", "entries", "must be a list of entries")
    trials: list[Trial] = []
    seen: set[str] = set()
    for position, item in enumerate(raw["entries"]):
        trial = parse_entry(item, position)
        if trial.id in seen:
            raise TrialDataError(trial.id, "id", "is used by an earlier entry")
        seen.add(trial.id)
        trials.append(trial)
    return trials
