"""The research export's variables: names, labels, types, value labels and scoring rules.
No Django.

One place describes every column of every table; the codebook file, the Stata variable and
value labels and the SPSS ones are all read from :func:`variables`. Instrument columns are
generated from the catalog definition (the item's wording, the response options as value
labels, the scoring rule of totals and subscales), so a new instrument needs no code here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from afterglow.instruments.catalog import Instrument

__all__ = ["NO_YES", "Variable", "codebook_frame", "instrument_prefix", "variables"]

#: Value labels of every yes/no column (stored as 0/1).
NO_YES = {0: "no", 1: "yes"}


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str  # "integer", "number", "text", "date", "yes/no"
    values: Mapping[int, str] = field(default_factory=dict)
    source: str = "Afterglow"
    rule: str = ""


def instrument_prefix(instrument: Instrument) -> str:
    return instrument.code


def _common() -> list[Variable]:
    return [
        Variable("patient_id", "Keyed pseudonym of the patient (per recipient)", "text"),
        Variable("date", "Date, shifted by the patient's date shift", "date"),
        Variable("day", "Days from the first signed dose of the course (day 0)", "integer"),
        Variable("timepoint", "Timepoint label (rare labels read 'other')", "text"),
        Variable("source", "Who entered it: patient_link or staff", "text"),
        Variable("complete", "Every item answered", "yes/no", NO_YES),
        Variable("sex", "Sex (suppressed in small cells)", "text"),
        Variable("age", "Age at day 0 in years, top-coded at 90 (90 = 90 or older)", "number"),
        Variable("age_band", "Age band at day 0 (suppressed in small cells)", "text"),
        Variable("population", "veteran, civilian or unknown (suppressed in small cells)", "text"),
        Variable("protocol", "Protocol of the course", "text"),
        Variable("route", "Route of administration", "text"),
        Variable("mg_per_kg", "Mean actual dose per kg of the course's signed doses", "number"),
        Variable(
            "psychotherapy_in_window",
            "Any therapy session in the post-dose window of a dose",
            "yes/no",
            NO_YES,
        ),
        Variable("infusions", "Signed doses of the course", "integer"),
        Variable("baseline_severity_band", "Baseline PCL-5 band", "text"),
        Variable("course", "Course number of the patient (1 = first)", "integer"),
        Variable("status", "Status", "text"),
        Variable("planned_sessions", "Planned dosing sessions of the protocol", "integer"),
        Variable("signed_doses", "Signed dosing sessions", "integer"),
        Variable("session", "Dosing session number within the course", "integer"),
        Variable("weight_kg", "Weight at the session (kg)", "number"),
        Variable("planned_dose_mg", "Planned dose (mg)", "number"),
        Variable("actual_dose_mg", "Actual dose given (mg)", "number"),
        Variable(
            "dose_mg_per_kg",
            "Actual dose per kg of body weight",
            "number",
            rule="actual_dose_mg / weight_kg, rounded to 3 decimals; blank without either",
        ),
        Variable("infusion_minutes", "Minutes from dose start to stop", "number"),
        Variable("peak_cadss", "Highest CADSS total of the session (0-92)", "integer"),
        Variable("severity", "Severity", "text"),
        Variable("serious", "Serious adverse event", "yes/no", NO_YES),
        Variable("action", "Action taken", "text"),
        Variable("onset_minute", "Minutes from dose start to onset", "integer"),
        Variable("modality", "Psychotherapy modality", "text"),
        Variable("duration_minutes", "Session length (minutes)", "integer"),
        Variable("none_today", "Patient reported no intrusions today", "yes/no", NO_YES),
        Variable("intrusive_memories", "Intrusive memories that day (count)", "integer"),
        Variable("flashbacks", "Flashbacks that day (count)", "integer"),
        Variable("nightmares", "Nightmares that night", "yes/no", NO_YES),
        Variable("peak_distress", "Peak distress that day (0-10)", "integer"),
        Variable("pcl5_total", "PCL-5 total (0-80), past-month form", "integer", source="pcl5"),
    ]


def _instrument_variables(instrument: Instrument) -> list[Variable]:
    code = instrument_prefix(instrument)
    options = {o.value: o.label for o in instrument.response_options}
    out = []
    for item in instrument.items:
        out.append(
            Variable(
                f"{code}_{item.number}",
                f"{instrument.short_name} {item.number}: {item.short_label}",
                "integer",
                options,
                source=code,
            )
        )
    complete = "blank unless every item is answered (missing never counts as 0)"
    out.append(
        Variable(
            f"{code}_total",
            f"{instrument.short_name} total ({instrument.scoring.min}-{instrument.scoring.max})",
            "integer",
            source=code,
            rule=f"sum of items 1-{len(instrument.items)}; {complete}",
        )
    )
    for subscale in instrument.subscales:
        items = ", ".join(str(n) for n in subscale.items)
        out.append(
            Variable(
                f"{code}_{subscale.key.lower()}",
                f"{instrument.short_name} {subscale.label}",
                "integer",
                source=code,
                rule=f"sum of items {items}; blank unless each is answered",
            )
        )
    if instrument.scoring.severity is not None:
        bands = "; ".join(f"{b.min}-{b.max} {b.label}" for b in instrument.scoring.severity.bands)
        out.append(
            Variable(
                f"{code}_severity",
                f"{instrument.short_name} severity band",
                "text",
                source=code,
                rule=f"{bands} ({instrument.scoring.severity.source})",
            )
        )
    return out


def variables(instruments: Sequence[Instrument]) -> dict[str, Variable]:
    """Every exportable column by name (a name means the same in every table)."""
    found = {v.name: v for v in _common()}
    for instrument in instruments:
        found.update({v.name: v for v in _instrument_variables(instrument)})
    return found


def codebook_frame(
    tables: Mapping[str, pd.DataFrame], known: Mapping[str, Variable]
) -> pd.DataFrame:
    """One row per table and column: variable, label, type, values, source, scoring rule.

    A column without a description is a programming error and raises ``KeyError``: nothing
    leaves the clinic undocumented.
    """
    rows = []
    for table, frame in tables.items():
        for column in frame.columns:
            variable = known[column]
            values = "; ".join(f"{k} = {v}" for k, v in variable.values.items())
            rows.append(
                {
                    "table": table,
                    "variable": variable.name,
                    "label": variable.label,
                    "type": variable.type,
                    "values": values,
                    "source_instrument": variable.source,
                    "scoring_rule": variable.rule,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "table",
            "variable",
            "label",
            "type",
            "values",
            "source_instrument",
            "scoring_rule",
        ],
    )
