"""The de-identified research tables, built from a clinic's identified rows. No Django.

Input: the frames of ``research.selectors.ResearchSource`` (database keys, real dates).
Output: one long table per topic plus the wide table, with every rule of ``research.deid``
applied: research consent only, keyed pseudonyms, one date shift per patient, ages
top-coded, k-anonymity over sex × age band × population, timepoint labels used by fewer than
``k`` patients read ``other`` (a rare label could be a typed note).

Tables (``table name``: one row per …):

- ``participants``: patient; ``outcomes``: PCL-5 past-month total in the shape of
  ``afterglow analyze --csv`` (columns of ``analytics.export.EXPORT_COLUMNS``);
- ``responses_<code>``: administration of each catalog instrument, item level, with the
  total, subscales and severity as stored by the scoring module;
- ``diary_days``, ``doses``, ``adverse_events``, ``therapy_sessions``, ``courses``;
- ``wide``: patient × timepoint, the totals and subscales of each instrument side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from afterglow.analytics.export import EXPORT_COLUMNS
from afterglow.instruments.catalog import Instrument
from afterglow.research.deid import (
    date_shift_days,
    pseudonym,
    pseudonyms_unique,
    shift_date,
    suppress_small_cells,
    top_code_age,
)

__all__ = ["DeidParameters", "ResearchTables", "research_tables"]

PARTICIPANT_COLUMNS = (
    "patient_id",
    "sex",
    "age",
    "age_band",
    "population",
    "protocol",
    "route",
    "mg_per_kg",
    "psychotherapy_in_window",
    "infusions",
    "baseline_severity_band",
)
OTHER_TIMEPOINT = "other"


@dataclass(frozen=True)
class DeidParameters:
    key: str  # the pseudonym key (settings.RESEARCH_PSEUDONYM_KEY)
    recipient: str
    shift_days: int
    k: int  # the clinic's minimum N
    namespace: str  # e.g. the clinic's slug: pseudonyms differ between clinics


@dataclass(frozen=True)
class ResearchTables:
    tables: dict[str, pd.DataFrame]
    patients: int
    suppressed: int  # patients whose quasi-identifiers were suppressed


def _yes_no(series: pd.Series) -> pd.Series:
    return series.map(lambda v: pd.NA if v is None or pd.isna(v) else int(bool(v))).astype("Int64")


def _ints(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype(object), errors="coerce").astype("Int64")


def research_tables(
    source: object, *, instruments: Sequence[Instrument], params: DeidParameters
) -> ResearchTables:
    """The tables (module docstring) from ``source`` (a ``ResearchSource``)."""
    people: pd.DataFrame = source.patients  # type: ignore[attr-defined]
    people = people[people["consent_research"].astype(bool)].copy()
    subject = {pid: f"{params.namespace}:{int(pid)}" for pid in people["patient_id"]}
    names = {
        pid: pseudonym(key=params.key, recipient=params.recipient, subject=s)
        for pid, s in subject.items()
    }
    pseudonyms_unique(names)
    shifts = {
        pid: date_shift_days(
            key=params.key, recipient=params.recipient, subject=s, shift_days=params.shift_days
        )
        for pid, s in subject.items()
    }
    day0 = dict(zip(people["patient_id"], people["day0"], strict=True))

    participants = people.assign(
        age=people["age"].map(top_code_age).astype(float),
        psychotherapy_in_window=_yes_no(people["psychotherapy_in_window"]),
        infusions=_ints(people["infusions"]),
    )
    participants, suppressed = suppress_small_cells(participants, k=params.k)
    for column in ("age_band", "baseline_severity_band", "sex", "population"):
        participants[column] = participants[column].astype(object)
    covariates = participants[list(PARTICIPANT_COLUMNS)]

    def deid(frame: pd.DataFrame, *, dated: bool = True) -> pd.DataFrame:
        """Keep consented patients, add ``date`` (shifted) and ``day``, pseudonymise."""
        rows = frame[frame["patient_id"].isin(names)].copy()
        if dated:
            real = rows["date"]
            rows["day"] = pd.array(
                [
                    (d - day0[p]).days if d is not None and day0.get(p) is not None else pd.NA
                    for p, d in zip(rows["patient_id"], real, strict=True)
                ],
                dtype="Int64",
            )
            rows["date"] = [
                shift_date(d, shifts[p]) for p, d in zip(rows["patient_id"], real, strict=True)
            ]
        rows["patient_id"] = rows["patient_id"].map(names)
        return rows

    tables: dict[str, pd.DataFrame] = {}
    tables["participants"] = covariates.assign(
        patient_id=covariates["patient_id"].map(names)
    ).sort_values("patient_id", kind="stable")

    outcomes = source.outcomes  # type: ignore[attr-defined]
    outcomes = outcomes[outcomes["patient_id"].isin(names)][["patient_id", "day", "pcl5_total"]]
    outcomes = outcomes.merge(covariates, on="patient_id", how="left")
    outcomes["patient_id"] = outcomes["patient_id"].map(names)
    tables["outcomes"] = outcomes[[c for c in EXPORT_COLUMNS if c in outcomes.columns]].sort_values(
        ["patient_id", "day"], kind="stable"
    )

    responses = deid(source.responses)  # type: ignore[attr-defined]
    responses["timepoint"] = common_labels(responses, params.k)
    wide_parts = []
    for instrument in instruments:
        table = _instrument_table(responses[responses["instrument"] == instrument.code], instrument)
        tables[f"responses_{instrument.code}"] = table
        score_columns = [
            c
            for c in table.columns
            if c.startswith(f"{instrument.code}_")
            and not c.removeprefix(f"{instrument.code}_").isdigit()
        ]
        wide_parts.append(
            table[["patient_id", "timepoint", "day", *score_columns]].drop_duplicates(
                ["patient_id", "timepoint"], keep="last"
            )
        )
    tables["wide"] = _wide(wide_parts)

    diary = deid(source.diary)  # type: ignore[attr-defined]
    tables["diary_days"] = diary.assign(
        none_today=_yes_no(diary["none_today"]),
        nightmares=_yes_no(diary["nightmares"]),
        intrusive_memories=_ints(diary["intrusive_memories"]),
        flashbacks=_ints(diary["flashbacks"]),
        peak_distress=_ints(diary["peak_distress"]),
    )[
        [
            "patient_id",
            "date",
            "day",
            "none_today",
            "intrusive_memories",
            "flashbacks",
            "nightmares",
            "peak_distress",
        ]
    ]

    courses = source.courses  # type: ignore[attr-defined]
    course_number = {
        cid: n
        for _, group in courses.groupby("patient_id", sort=False)
        for n, cid in enumerate(group["course_id"], start=1)
    }
    doses = deid(source.doses)  # type: ignore[attr-defined]
    doses["course"] = doses["course_id"].map(course_number).astype("Int64")
    per_kg = pd.to_numeric(doses["actual_dose_mg"], errors="coerce") / pd.to_numeric(
        doses["weight_kg"], errors="coerce"
    )
    doses["dose_mg_per_kg"] = per_kg.round(3)
    doses["peak_cadss"] = _ints(doses["peak_cadss"])
    doses["session"] = _ints(doses["session"])
    tables["doses"] = doses[
        [
            "patient_id",
            "course",
            "session",
            "date",
            "day",
            "route",
            "weight_kg",
            "planned_dose_mg",
            "actual_dose_mg",
            "dose_mg_per_kg",
            "infusion_minutes",
            "peak_cadss",
        ]
    ]
    adverse = deid(source.adverse)  # type: ignore[attr-defined]
    tables["adverse_events"] = adverse.assign(
        serious=_yes_no(adverse["serious"]), onset_minute=_ints(adverse["onset_minute"])
    )[["patient_id", "date", "day", "severity", "serious", "action", "onset_minute"]]
    therapy = deid(source.therapy)  # type: ignore[attr-defined]
    tables["therapy_sessions"] = therapy.assign(
        duration_minutes=_ints(therapy["duration_minutes"])
    )[["patient_id", "date", "day", "modality", "duration_minutes"]]
    signed = source.doses.groupby("course_id").size()  # type: ignore[attr-defined]
    courses = deid(courses)
    tables["courses"] = courses.assign(
        course=courses["course_id"].map(course_number).astype("Int64"),
        planned_sessions=_ints(courses["planned_sessions"]),
        signed_doses=courses["course_id"].map(signed).fillna(0).astype("Int64"),
    )[
        [
            "patient_id",
            "course",
            "date",
            "day",
            "protocol",
            "route",
            "status",
            "planned_sessions",
            "signed_doses",
        ]
    ]
    return ResearchTables(
        tables={name: t.reset_index(drop=True) for name, t in tables.items()},
        patients=len(names),
        suppressed=suppressed,
    )


def common_labels(responses: pd.DataFrame, k: int) -> pd.Series:
    """Timepoint labels used by at least ``k`` patients; others read ``other``, blanks stay."""
    labels = responses["timepoint"].fillna("").astype(str).str.strip()
    if labels.empty:
        return labels
    patients = responses.assign(label=labels).groupby("label")["patient_id"].nunique()
    common = {label for label, n in patients.items() if n >= k}
    return labels.map(lambda v: v if v == "" or v in common else OTHER_TIMEPOINT)


def _instrument_table(rows: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    code = instrument.code
    items = [f"{code}_{n}" for n in instrument.item_numbers]
    answers = pd.DataFrame(
        [list(a) for a in rows["answers"]] if len(rows) else [], columns=items, index=rows.index
    )
    out = rows[["patient_id", "date", "day", "timepoint", "source"]].copy()
    out["complete"] = _yes_no(rows["complete"])
    for column in items:
        out[column] = _ints(answers[column]) if len(rows) else pd.Series(dtype="Int64")
    out[f"{code}_total"] = _ints(rows["total"])
    for subscale in instrument.subscales:
        key = subscale.key
        out[f"{code}_{key.lower()}"] = (
            _ints(rows["subscales"].map(lambda s, key=key: (s or {}).get(key)))
            if len(rows)
            else pd.Series(dtype="Int64")
        )
    if instrument.scoring.severity is not None:
        out[f"{code}_severity"] = rows["severity"].replace("", pd.NA)
    return out


def _wide(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Outer join of each instrument's scores on patient × timepoint; ``day`` is the first."""
    if not parts:
        return pd.DataFrame(columns=["patient_id", "timepoint", "day"])
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(
            part, on=["patient_id", "timepoint"], how="outer", suffixes=("", "_r")
        )
        merged["day"] = merged[["day", "day_r"]].min(axis=1).astype("Int64")
        merged = merged.drop(columns=["day_r"])
    return merged.sort_values(["patient_id", "day", "timepoint"], kind="stable")
