"""REDCap's formats, generated from the instrument catalog. No Django.

One catalog definition drives every field: each instrument becomes one REDCap instrument
(form) named after its code, with

- ``<code>_date`` — text, validation ``date_ymd``: the day it was answered;
- ``<code>_<n>`` — one radio field per item, choices ``0, Not at all | 1, A little bit | …``
  from the definition's response options, label = the item's official wording;
- ``<code>_total`` and ``<code>_<subscale>`` — calculated fields.

**Missing answers are never scored as zero.** REDCap's ``sum()`` adds the fields that are
filled in and skips blank ones, so ``sum([pcl5_1], …)`` would give a PCL-5 of 3 items a
"total". Afterglow's calculated fields therefore guard the addition explicitly:
``if([pcl5_1]='' or [pcl5_2]='' or …, '', [pcl5_1]+[pcl5_2]+…)`` — blank unless every item
of the total (or subscale) is answered, as Afterglow's own scoring (``instruments.scoring``).

Besides the instruments, ``participant`` holds the record's demographics (``mrn`` and
``date_of_birth`` are flagged as identifiers, ``Identifier? = y``, and are filled only in an
identified export) and ``diary`` the daily intrusion diary, a repeating instrument of the
``Daily diary`` event.

The longitudinal design: event ``Enrolment`` (participant form), one event per timepoint
label found in the responses (``baseline``, ``week 2 (end of course)``, …; a second
administration of one instrument at the same timepoint goes to ``<label> #2``, an
unlabelled one to ``unscheduled``), and ``Daily diary``. Unique event names follow REDCap's
pattern: the label in lower case, other characters as ``_``, at most 18 characters, then
``_arm_1``.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from afterglow.instruments.catalog import Instrument

__all__ = [
    "DIARY_EVENT",
    "DIARY_FORM",
    "ENROLMENT_EVENT",
    "EVENT_COLUMNS",
    "HEADERS",
    "MAPPING_COLUMNS",
    "PARTICIPANT_FORM",
    "Field",
    "RedcapResponse",
    "calc_expression",
    "dictionary_fields",
    "event_plan",
    "records",
    "unique_event_name",
]

#: REDCap's data dictionary columns, exactly as REDCap writes them.
HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
#: Columns of the event list and of the instrument–event mapping (REDCap's import formats).
EVENT_COLUMNS = ("event_name", "arm_num", "unique_event_name")
MAPPING_COLUMNS = ("arm_num", "unique_event_name", "form")

PARTICIPANT_FORM = "participant"
DIARY_FORM = "diary"
ENROLMENT_EVENT = "Enrolment"
DIARY_EVENT = "Daily diary"
_ARM = 1

SEX_CHOICES = (("female", "Female"), ("male", "Male"), ("intersex", "Intersex"))
POPULATION_CHOICES = (("veteran", "Veteran or military trauma"), ("civilian", "Civilian"))
_SEX_CODES = {code: n for n, (code, _) in enumerate(SEX_CHOICES, start=1)}
_POPULATION_CODES = {code: n for n, (code, _) in enumerate(POPULATION_CHOICES, start=1)}
#: Largest daily count the diary accepts (``diary.models.MAX_DAILY_COUNT`` says the same).
DIARY_MAX_COUNT = 99


@dataclass(frozen=True)
class Field:
    """One row of the data dictionary."""

    name: str
    form: str
    type: str  # text, radio, calc, yesno, notes
    label: str
    choices: str = ""
    note: str = ""
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    identifier: bool = False
    section: str = ""
    annotation: str = ""

    def row(self) -> list[str]:
        values = {
            "Variable / Field Name": self.name,
            "Form Name": self.form,
            "Section Header": self.section,
            "Field Type": self.type,
            "Field Label": self.label,
            "Choices, Calculations, OR Slider Labels": self.choices,
            "Field Note": self.note,
            "Text Validation Type OR Show Slider Number": self.validation,
            "Text Validation Min": self.minimum,
            "Text Validation Max": self.maximum,
            "Identifier?": "y" if self.identifier else "",
            "Field Annotation": self.annotation,
        }
        return [values.get(header, "") for header in HEADERS]


def item_field(instrument: Instrument, number: int) -> str:
    return f"{instrument.code}_{number}"


def date_field(form: str) -> str:
    return f"{form}_date"


def score_fields(instrument: Instrument) -> dict[str, tuple[int, ...]]:
    """Calculated field name → the item numbers it adds up (total first, then subscales)."""
    fields = {f"{instrument.code}_total": instrument.item_numbers}
    for subscale in instrument.subscales:
        fields[f"{instrument.code}_{subscale.key.lower()}"] = subscale.items
    return fields


def calc_expression(names: Sequence[str]) -> str:
    """REDCap calculation adding ``names``, blank when any of them is blank (module doc)."""
    blank = " or ".join(f"[{name}]=''" for name in names)
    total = "+".join(f"[{name}]" for name in names)
    return f"if({blank}, '', {total})"


def _choices(pairs: Iterable[tuple[object, str]]) -> str:
    return " | ".join(f"{value}, {label}" for value, label in pairs)


def instrument_fields(instrument: Instrument) -> list[Field]:
    code = instrument.code
    fields = [
        Field(
            name=date_field(code),
            form=code,
            type="text",
            label=f"Date {instrument.short_name} was answered",
            validation="date_ymd",
            section=f"{instrument.title}. {instrument.instructions}",
        )
    ]
    choices = _choices((o.value, o.label) for o in instrument.response_options)
    for item in instrument.items:
        fields.append(
            Field(
                name=item_field(instrument, item.number),
                form=code,
                type="radio",
                label=f"{item.number}. {item.text}",
                choices=choices,
                annotation=f"criterion {item.criterion}" if item.criterion else "",
            )
        )
    for name, items in score_fields(instrument).items():
        part = name.removeprefix(f"{code}_")
        what = "total" if part == "total" else instrument.subscale(part.upper()).label
        low = min(o.value for o in instrument.response_options) * len(items)
        high = max(o.value for o in instrument.response_options) * len(items)
        fields.append(
            Field(
                name=name,
                form=code,
                type="calc",
                label=f"{instrument.short_name} {what} ({low}-{high})",
                choices=calc_expression([item_field(instrument, n) for n in items]),
                note="Blank unless every item it adds is answered (missing is never zero).",
            )
        )
    fields.append(
        Field(
            name=f"{code}_source",
            form=code,
            type="text",
            label="Afterglow source (patient_link or staff)",
        )
    )
    return fields


def participant_fields() -> list[Field]:
    form = PARTICIPANT_FORM
    return [
        Field(name="record_id", form=form, type="text", label="Record ID"),
        Field(
            name="mrn",
            form=form,
            type="text",
            label="Medical record number",
            identifier=True,
            note="Identified exports only.",
        ),
        Field(
            name="date_of_birth",
            form=form,
            type="text",
            label="Date of birth",
            validation="date_ymd",
            identifier=True,
            note="Identified exports only.",
        ),
        Field(
            name="age",
            form=form,
            type="text",
            label="Age at enrolment (years; 90 = 90 or older)",
            validation="integer",
            minimum="0",
            maximum="90",
        ),
        Field(
            name="sex", form=form, type="radio", label="Sex", choices=_choices(_coded(SEX_CHOICES))
        ),
        Field(
            name="population",
            form=form,
            type="radio",
            label="Population",
            choices=_choices(_coded(POPULATION_CHOICES)),
        ),
    ]


def _coded(pairs: Sequence[tuple[str, str]]) -> list[tuple[int, str]]:
    return [(n, label) for n, (_, label) in enumerate(pairs, start=1)]


def diary_fields() -> list[Field]:
    form = DIARY_FORM
    count: dict[str, Any] = {
        "validation": "integer",
        "minimum": "0",
        "maximum": str(DIARY_MAX_COUNT),
    }
    return [
        Field(
            name=date_field(form),
            form=form,
            type="text",
            label="Day the entry is about",
            validation="date_ymd",
        ),
        Field(
            name="diary_intrusive_memories",
            form=form,
            type="text",
            label="Intrusive memories",
            **count,
        ),
        Field(name="diary_flashbacks", form=form, type="text", label="Flashbacks", **count),
        Field(name="diary_nightmares", form=form, type="yesno", label="Nightmares"),
        Field(
            name="diary_peak_distress",
            form=form,
            type="text",
            label="Peak distress (0-10)",
            validation="integer",
            minimum="0",
            maximum="10",
        ),
    ]


def dictionary_fields(instruments: Sequence[Instrument], *, diary: bool = True) -> list[Field]:
    """The data dictionary: participant form, then each instrument, then the diary."""
    fields = participant_fields()
    for instrument in instruments:
        fields.extend(instrument_fields(instrument))
    if diary:
        fields.extend(diary_fields())
    return fields


# --- longitudinal design and records ------------------------------------------------------------


def unique_event_name(label: str, taken: Iterable[str] = ()) -> str:
    """REDCap's pattern: lower case, other characters as ``_``, 18 characters, ``_arm_1``."""
    stem = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:18].strip("_") or "event"
    used = set(taken)
    name, n = f"{stem}_arm_{_ARM}", 2
    while name in used:
        suffix = f"_{n}"
        name, n = f"{stem[: 18 - len(suffix)]}{suffix}_arm_{_ARM}", n + 1
    return name


@dataclass(frozen=True)
class RedcapResponse:
    """One response, as the export needs it: the record, the form and the values."""

    record_id: str
    code: str
    day: dt.date  # already shifted in a pseudonymous export
    timepoint: str
    answers: Sequence[int | None]
    source: str
    order: int = 0  # days from the patient's first response, to order events


@dataclass(frozen=True)
class EventPlan:
    events: list[tuple[str, str]]  # (label, unique name), in order
    assignment: dict[int, str]  # index of the response → unique event name


def event_plan(responses: Sequence[RedcapResponse], *, diary: bool) -> EventPlan:
    """Events in the order their first administration comes after the patient's first."""
    labels: dict[int, str] = {}
    seen: dict[tuple[str, str, str], int] = {}
    first_order: dict[str, int] = {}
    for index, response in sorted(enumerate(responses), key=lambda pair: (pair[1].day, pair[0])):
        base = response.timepoint.strip() or "unscheduled"
        key = (response.record_id, response.code, base)
        seen[key] = seen.get(key, 0) + 1
        label = base if seen[key] == 1 else f"{base} #{seen[key]}"
        labels[index] = label
        first_order[label] = min(first_order.get(label, response.order), response.order)
    ordered = sorted(first_order, key=lambda label: (first_order[label], label))
    events: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    for label in [ENROLMENT_EVENT, *ordered, *([DIARY_EVENT] if diary else [])]:
        names[label] = unique_event_name(label, names.values())
        events.append((label, names[label]))
    return EventPlan(events=events, assignment={i: names[label] for i, label in labels.items()})


def records(
    *,
    instruments: Mapping[str, Instrument],
    participants: Sequence[Mapping[str, object]],
    responses: Sequence[RedcapResponse],
    diary: Sequence[Mapping[str, object]] | None,
) -> tuple[list[list[str]], list[list[str]], list[str], list[dict[str, object]]]:
    """(events rows, mapping rows, record columns, record rows) in REDCap's import formats.

    ``participants``: ``record_id`` and optionally ``mrn``, ``date_of_birth``, ``age``,
    ``sex``, ``population`` (Afterglow's codes, coded here). ``diary``: ``record_id``,
    ``day``, ``intrusive_memories``, ``flashbacks``, ``nightmares``, ``peak_distress``.
    One row per record and event; diary days are instances of the repeating ``diary``
    instrument of the ``Daily diary`` event.
    """
    plan = event_plan(responses, diary=diary is not None)
    enrolment = plan.events[0][1]
    mapping = [[str(_ARM), enrolment, PARTICIPANT_FORM]]
    per_event_forms: dict[str, set[str]] = {}
    for index, response in enumerate(responses):
        per_event_forms.setdefault(plan.assignment[index], set()).add(response.code)
    for _, name in plan.events[1:]:
        for form in sorted(per_event_forms.get(name, ())):
            mapping.append([str(_ARM), name, form])
    if diary is not None:
        mapping.append([str(_ARM), plan.events[-1][1], DIARY_FORM])
    columns = ["record_id", "redcap_event_name"]
    if diary is not None:
        columns += ["redcap_repeat_instrument", "redcap_repeat_instance"]
    columns += [f.name for f in participant_fields() if f.name != "record_id"]
    for instrument in instruments.values():
        columns += [f.name for f in instrument_fields(instrument) if f.type != "calc"]
    if diary is not None:
        columns += [f.name for f in diary_fields()]

    rows: dict[tuple[str, str, int], dict[str, object]] = {}
    for person in participants:
        row = rows.setdefault((str(person["record_id"]), enrolment, 0), {})
        for key in ("mrn", "date_of_birth", "age"):
            if person.get(key) not in (None, ""):
                row[key] = _text(person[key])
        if person.get("sex") in _SEX_CODES:
            row["sex"] = _SEX_CODES[str(person["sex"])]
        if person.get("population") in _POPULATION_CODES:
            row["population"] = _POPULATION_CODES[str(person["population"])]
    for index, response in enumerate(responses):
        instrument = instruments[response.code]
        row = rows.setdefault((response.record_id, plan.assignment[index], 0), {})
        row[date_field(response.code)] = response.day.isoformat()
        row[f"{response.code}_source"] = response.source
        for number, value in zip(instrument.item_numbers, response.answers, strict=True):
            if value is not None:
                row[item_field(instrument, number)] = value
    if diary is not None:
        instance: dict[str, int] = {}
        for entry in sorted(diary, key=lambda e: (str(e["record_id"]), e["day"])):  # type: ignore[return-value]
            record = str(entry["record_id"])
            instance[record] = instance.get(record, 0) + 1
            row = rows.setdefault((record, plan.events[-1][1], instance[record]), {})
            row["redcap_repeat_instrument"] = DIARY_FORM
            row["redcap_repeat_instance"] = instance[record]
            row[date_field(DIARY_FORM)] = _text(entry["day"])
            for key in ("intrusive_memories", "flashbacks", "peak_distress"):
                cell = entry.get(key)
                # A blank (None or a frame's NaN) stays blank; counts are whole numbers.
                if isinstance(cell, numbers.Real) and cell == cell:
                    row[f"diary_{key}"] = round(float(cell))
            row["diary_nightmares"] = 1 if entry.get("nightmares") else 0
    order = {name: n for n, (_, name) in enumerate(plan.events)}
    out = []
    for (record, event, _repeat), values in sorted(
        rows.items(), key=lambda item: (item[0][0], order[item[0][1]], item[0][2])
    ):
        out.append({"record_id": record, "redcap_event_name": event, **values})
    events = [[label, str(_ARM), name] for label, name in plan.events]
    return events, mapping, columns, out


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)
