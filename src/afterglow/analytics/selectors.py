"""Reads for the cohort outcomes dashboard: one clinic's database as the engine's input.

:func:`cohort_data` runs a fixed number of queries whatever the number of patients
(``values()`` rows into pandas, never a query per patient) and filters every query by
the clinic first, so nothing of another clinic is ever read. The statistics are the
Django-free ``analytics.engine``; this module only decides which rows go in.

Choices, shown on the dashboard ("How these numbers are made"):

- **Patients**: every patient of the clinic with at least one signed dose. Each counts
  once, with their *first* course that has a signed dose (the course whose first signed
  dose is earliest): like the trials, the baseline is then before any ketamine. The
  patient chart shows the *latest* course instead, because it follows one person's
  present care; for a patient with one course (most) the two agree.
- **Follow-up ends at the next course**: PCL-5s from the first dose of a later course on
  are left out, or a re-treatment would read as the first course's durability.
- **Day 0** is the calendar day, in the clinic's timezone, of that course's first signed
  dose (when it started; the signature time if a start was never recorded). ``day`` is
  whole days from it, counted as the patient chart counts them
  (``outcomes.selectors``), so day 1 is the day after the first dose.
- **Observations**: complete past-month PCL-5s (``pcl5``) only. The past-week form is
  for frequent monitoring between visits; baseline and follow-ups share the past-month
  time frame, as in the trials and on the patient chart. Incomplete responses have no
  total and are never scored.
- A PCL-5 taken on day 0 *after* the dose started is left out: it is neither a
  pre-dose baseline nor a day-1 follow-up. Two PCL-5s on one day: the later counts (as on
  the chart); baseline candidates are those at or before the first dose.

Covariates (one value per patient, repeated on each row): ``population`` (``veteran``
for a veteran, active-duty or reserve service member or military trauma, ``civilian``
for civilian trauma and no service, else ``unknown``), ``sex``, ``age`` (whole years at
day 0), ``protocol`` (name), ``route``, ``mg_per_kg`` (mean actual dose per kg over the
course's signed doses that have both a dose and a weight, else the protocol's planned
mg/kg; empty for fixed-dose protocols without weights), ``psychotherapy_in_window``
(any therapy session inside the clinic's post-dose window of a dose of that course,
linked by ``treatment.therapy_window``) and ``infusions`` (signed doses of the course).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db.models import Count, Exists, Max, OuterRef, Q

from afterglow.accounts.models import Clinic
from afterglow.analytics.engine import AnalysisConfig
from afterglow.diary.models import DiaryEntry
from afterglow.diary.rules import MIN_DAYS, WINDOW_DAYS
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient, TraumaContext, VeteranStatus
from afterglow.treatment.models import (
    AdverseEvent,
    Course,
    DissociationRating,
    DosingSession,
    SessionAlert,
    SessionStatus,
    TherapySession,
)
from afterglow.treatment.therapy_window import in_window, nearest_dose

__all__ = [
    "BP_ALERT_CODES",
    "COVARIATES",
    "PCL5_CODE",
    "CohortData",
    "clinic_config",
    "cohort_data",
    "population_of",
]

#: The instrument of cohort outcomes: the past-month PCL-5 (module docstring).
PCL5_CODE = "pcl5"
#: Session alert codes that are blood-pressure alerts (``treatment.safety``).
BP_ALERT_CODES = ("predose_bp", "bp_pause")
#: Patient-level columns repeated on every row of the engine's frame.
COVARIATES = (
    "population",
    "sex",
    "age",
    "protocol",
    "route",
    "mg_per_kg",
    "psychotherapy_in_window",
    "infusions",
)
_SERVICE = {VeteranStatus.VETERAN, VeteranStatus.ACTIVE, VeteranStatus.RESERVE}
_MILITARY_TRAUMA = {TraumaContext.MILITARY, TraumaContext.BOTH}


@dataclass(frozen=True)
class CohortData:
    """Everything the dashboard draws, for one clinic, before any filter.

    - ``patients``: one row per patient (``patient_id`` + :data:`COVARIATES` +
      ``consent_research``, which is never part of the frame);
    - ``frame``: the engine's long frame, ``patient_id, day, pcl5_total`` + covariates;
    - ``intrusion``: ``patient_id, day, intrusion`` (PCL-5 cluster B, items 1-5, 0-20) of
      the same responses;
    - ``diary``: ``patient_id, week, days_recorded, intrusions_per_week`` (see
      :func:`_diary_weeks`);
    - ``sessions``: ``patient_id, sessions`` (signed doses of any course);
    - ``adverse``: ``patient_id, severity, events, serious``;
    - ``bp_alerts``: ``patient_id, code, alerts, sessions`` (sessions with such an alert);
    - ``cadss``: ``patient_id, number, peak`` (peak CADSS of each signed session).
    """

    patients: pd.DataFrame
    frame: pd.DataFrame
    intrusion: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame
    adverse: pd.DataFrame
    bp_alerts: pd.DataFrame
    cadss: pd.DataFrame

    def for_patients(self, patient_ids: Iterable[int]) -> CohortData:
        """The same data restricted to ``patient_ids`` (no query)."""
        keep = set(patient_ids)

        def cut(table: pd.DataFrame) -> pd.DataFrame:
            return table[table["patient_id"].isin(keep)].reset_index(drop=True)

        return CohortData(
            patients=cut(self.patients),
            frame=cut(self.frame),
            intrusion=cut(self.intrusion),
            diary=cut(self.diary),
            sessions=cut(self.sessions),
            adverse=cut(self.adverse),
            bp_alerts=cut(self.bp_alerts),
            cadss=cut(self.cadss),
        )


def population_of(trauma_context: str, veteran_status: str) -> str:
    """``veteran`` (service member or military trauma), ``civilian`` or ``unknown``."""
    if veteran_status in _SERVICE or trauma_context in _MILITARY_TRAUMA:
        return "veteran"
    if trauma_context == TraumaContext.CIVILIAN:
        return "civilian"
    return "unknown"


def cohort_data(*, clinic: Clinic) -> CohortData:
    """The clinic's cohort as data frames (module docstring), in eleven queries."""
    tz = clinic.tzinfo
    doses = _doses(clinic)
    signed = doses[doses["signed"]]
    courses = _first_courses(signed, tz)
    patients = _patients(clinic, courses, doses)
    responses = _responses(clinic, courses, tz)
    row_columns = ["patient_id", "day"]
    frame = responses[[*row_columns, "pcl5_total"]].merge(
        patients[["patient_id", *COVARIATES]], on="patient_id"
    )
    intrusion = responses.loc[responses["intrusion"].notna(), [*row_columns, "intrusion"]]
    return CohortData(
        patients=patients,
        frame=frame.sort_values(row_columns, kind="stable").reset_index(drop=True),
        intrusion=intrusion.astype({"intrusion": int}).reset_index(drop=True),
        diary=_diary_weeks(clinic, courses),
        sessions=(
            signed.groupby("patient_id").size().rename("sessions").reset_index()
            if len(signed)
            else pd.DataFrame({"patient_id": [], "sessions": []}, dtype=int)
        ),
        adverse=_adverse(clinic),
        bp_alerts=_bp_alerts(clinic),
        cadss=_cadss(clinic),
    )


# --- doses and the analysed course ---------------------------------------------------------


def _doses(clinic: Clinic) -> pd.DataFrame:
    """Started or signed dosing sessions: ``patient_id, course_id, number, at, signed,
    mg, kg`` (one query). ``at`` is the dose start (the signature time as a fallback)."""
    rows = (
        DosingSession.objects.filter(clinic=clinic)
        .filter(Q(started_at__isnull=False) | Q(status=SessionStatus.SIGNED))
        .values_list(
            "patient_id",
            "course_id",
            "number",
            "started_at",
            "signed_at",
            "status",
            "actual_dose_mg",
            "weight_kg",
        )
    )
    records = [
        (patient, course, number, started or signed_at, status == SessionStatus.SIGNED, mg, kg)
        for patient, course, number, started, signed_at, status, mg, kg in rows
        if (started or signed_at) is not None
    ]
    columns = ["patient_id", "course_id", "number", "at", "signed", "mg", "kg"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    for column in ("mg", "kg"):
        frame[column] = pd.to_numeric(frame[column].astype(object), errors="coerce")
    return frame


def _first_courses(signed: pd.DataFrame, tz: dt.tzinfo) -> pd.DataFrame:
    """Per patient the analysed course (module docstring): ``patient_id, course_id,
    first_dose_at, day0, next_course_at, infusions, mean_mg_per_kg``. No query."""
    columns = [
        "patient_id",
        "course_id",
        "first_dose_at",
        "day0",
        "next_course_at",
        "infusions",
        "mean_mg_per_kg",
    ]
    if signed.empty:
        return pd.DataFrame(columns=columns)
    per_course = (
        signed.assign(per_kg=signed["mg"] / signed["kg"])
        .groupby(["patient_id", "course_id"], as_index=False)
        .agg(
            first_dose_at=("at", "min"),
            infusions=("at", "size"),
            mean_mg_per_kg=("per_kg", "mean"),
        )
        .sort_values(["patient_id", "first_dose_at", "course_id"], kind="stable")
    )
    per_course["rank"] = per_course.groupby("patient_id").cumcount()
    first = per_course[per_course["rank"] == 0].drop(columns="rank")
    later = (
        per_course[per_course["rank"] == 1][["patient_id", "first_dose_at"]]
        .rename(columns={"first_dose_at": "next_course_at"})
        .set_index("patient_id")["next_course_at"]
    )
    first = first.assign(next_course_at=first["patient_id"].map(later))
    first["day0"] = _local_dates(first["first_dose_at"], tz)
    return first[columns].reset_index(drop=True)


def _patients(clinic: Clinic, courses: pd.DataFrame, doses: pd.DataFrame) -> pd.DataFrame:
    """One row per analysed patient with the covariates (three queries)."""
    people = pd.DataFrame.from_records(
        list(
            Patient.objects.filter(clinic=clinic)
            .filter(
                Exists(
                    DosingSession.objects.filter(
                        patient=OuterRef("pk"), status=SessionStatus.SIGNED
                    )
                )
            )
            .values_list(
                "id", "sex", "date_of_birth", "trauma_context", "veteran_status", "consent_research"
            )
        ),
        columns=[
            "patient_id",
            "sex",
            "date_of_birth",
            "trauma_context",
            "veteran_status",
            "consent_research",
        ],
    )
    plans = pd.DataFrame.from_records(
        list(
            Course.objects.filter(clinic=clinic).values_list(
                "id", "protocol__name", "protocol__route", "protocol__dose_mg_per_kg"
            )
        ),
        columns=["course_id", "protocol", "route", "planned_mg_per_kg"],
    )
    table = courses.merge(people, on="patient_id").merge(plans, on="course_id")
    planned = pd.to_numeric(table["planned_mg_per_kg"].astype(object), errors="coerce")
    table["mg_per_kg"] = table["mean_mg_per_kg"].astype(float).fillna(planned).round(2)
    table["population"] = [
        population_of(context, status)
        for context, status in zip(table["trauma_context"], table["veteran_status"], strict=True)
    ]
    table["age"] = [
        _age(born, day0) for born, day0 in zip(table["date_of_birth"], table["day0"], strict=True)
    ]
    in_window_ids = _therapy_in_window(clinic, table, doses)
    table["psychotherapy_in_window"] = table["patient_id"].isin(in_window_ids)
    table["infusions"] = table["infusions"].astype(int)
    columns = ["patient_id", *COVARIATES, "consent_research"]
    return table[columns].sort_values("patient_id").reset_index(drop=True)


def _therapy_in_window(clinic: Clinic, table: pd.DataFrame, doses: pd.DataFrame) -> set[int]:
    """Patients with a therapy session inside the post-dose window of a dose of their
    analysed course (one query). Links follow ``treatment.therapy_window``: the nearest
    preceding started dose of any course, window inclusive, a later dose ends it."""
    course_of = dict(zip(table["patient_id"], table["course_id"], strict=True))
    therapy = TherapySession.objects.filter(clinic=clinic).values_list("patient_id", "started_at")
    by_patient: dict[int, list[dt.datetime]] = {}
    for patient_id, started_at in therapy:
        if patient_id in course_of:
            by_patient.setdefault(patient_id, []).append(started_at)
    if not by_patient:
        return set()
    start_h, end_h = clinic.therapy_window_start_hours, clinic.therapy_window_end_hours
    started = doses[doses["patient_id"].isin(by_patient.keys())]
    found: set[int] = set()
    for patient_id, rows in started.groupby("patient_id"):
        pid = int(patient_id)
        pairs = [
            (int(n), at.to_pydatetime()) for n, at in zip(rows["number"], rows["at"], strict=True)
        ]
        course_ids = list(rows["course_id"])
        for when in by_patient[pid]:
            link = nearest_dose(when, pairs)
            if (
                link.index is not None
                and course_ids[link.index] == course_of[pid]
                and in_window(link.hours_after, start_h, end_h)
            ):
                found.add(pid)
                break
    return found


# --- observations -----------------------------------------------------------------------------


def _responses(clinic: Clinic, courses: pd.DataFrame, tz: dt.tzinfo) -> pd.DataFrame:
    """Complete past-month PCL-5s of analysed patients as ``patient_id, day, pcl5_total,
    intrusion`` (one query), with the rules of the module docstring."""
    rows = (
        Response.objects.filter(clinic=clinic, instrument=PCL5_CODE, complete=True)
        .filter(total__isnull=False)
        .values_list("patient_id", "administered_at", "pk", "total", "subscales")
    )
    records = [
        (patient, at, pk, total, (sub or {}).get("B")) for patient, at, pk, total, sub in rows
    ]
    columns = ["patient_id", "day", "pcl5_total", "intrusion"]
    table = pd.DataFrame.from_records(
        records, columns=["patient_id", "at", "pk", "pcl5_total", "intrusion"]
    )
    if table.empty or courses.empty:
        return pd.DataFrame(columns=columns)
    table["at"] = pd.to_datetime(table["at"], utc=True)
    table = table.merge(
        courses[["patient_id", "first_dose_at", "day0", "next_course_at"]], on="patient_id"
    )
    table["day"] = [
        (local - day0).days
        for local, day0 in zip(_local_dates(table["at"], tz), table["day0"], strict=True)
    ]
    before_dose = table["at"] <= table["first_dose_at"]
    follow_up = (table["day"] >= 1) & ~(table["at"] >= table["next_course_at"])
    table = table[before_dose | follow_up]
    # The later of two on one day counts (as on the patient chart).
    table = table.sort_values(["patient_id", "day", "at", "pk"], kind="stable")
    table = table.drop_duplicates(["patient_id", "day"], keep="last")
    table["intrusion"] = pd.to_numeric(table["intrusion"], errors="coerce")
    return table[columns].astype({"patient_id": int, "day": int, "pcl5_total": int})


def _diary_weeks(clinic: Clinic, courses: pd.DataFrame) -> pd.DataFrame:
    """Diary intrusions (memories + flashbacks) per patient-week (one query).

    Week ``k`` holds days ``7k`` to ``7k + 6`` from day 0 (week -1 is the week before
    the first dose). Missing days are never zero (``diary.rules``): a week needs
    ``MIN_DAYS`` (4) recorded days, and its count is the mean recorded day times 7.
    An entry whose counts were not answered (an urgent note saved without them) has a
    NaN count: it is not a recorded day here and adds nothing to the total.
    """
    columns = ["patient_id", "week", "days_recorded", "intrusions_per_week"]
    entries = pd.DataFrame.from_records(
        list(
            DiaryEntry.objects.filter(clinic=clinic).values_list(
                "patient_id", "day", "intrusive_memories", "flashbacks"
            )
        ),
        columns=["patient_id", "day", "memories", "flashbacks"],
    )
    if entries.empty or courses.empty:
        return pd.DataFrame(columns=columns)
    entries = entries.merge(courses[["patient_id", "day0", "next_course_at"]], on="patient_id")
    if entries.empty:
        return pd.DataFrame(columns=columns)
    offset = [(day - day0).days for day, day0 in zip(entries["day"], entries["day0"], strict=True)]
    entries["week"] = [days // WINDOW_DAYS for days in offset]
    # Not answered (None) becomes NaN, and NaN + anything is NaN: never 0.
    entries["count"] = pd.to_numeric(entries["memories"], errors="coerce") + pd.to_numeric(
        entries["flashbacks"], errors="coerce"
    )
    entries = entries[entries["count"].notna()]
    weeks = entries.groupby(["patient_id", "week"], as_index=False).agg(
        days_recorded=("count", "size"), total=("count", "sum")
    )
    weeks = weeks[weeks["days_recorded"] >= MIN_DAYS]
    weeks["intrusions_per_week"] = weeks["total"] / weeks["days_recorded"] * WINDOW_DAYS
    return weeks[columns].reset_index(drop=True)


# --- safety, aggregated in the database --------------------------------------------------------


def _adverse(clinic: Clinic) -> pd.DataFrame:
    rows = (
        AdverseEvent.objects.filter(session__clinic=clinic, session__status=SessionStatus.SIGNED)
        .values("session__patient_id", "severity")
        .annotate(events=Count("id"), serious=Count("id", filter=Q(serious=True)))
        .order_by()
        .values_list("session__patient_id", "severity", "events", "serious")
    )
    return _table(rows, ["patient_id", "severity", "events", "serious"])


def _bp_alerts(clinic: Clinic) -> pd.DataFrame:
    rows = (
        SessionAlert.objects.filter(
            session__clinic=clinic, session__status=SessionStatus.SIGNED, code__in=BP_ALERT_CODES
        )
        .values("session__patient_id", "code")
        .annotate(alerts=Count("id"), sessions=Count("session_id", distinct=True))
        .order_by()
        .values_list("session__patient_id", "code", "alerts", "sessions")
    )
    return _table(rows, ["patient_id", "code", "alerts", "sessions"])


def _cadss(clinic: Clinic) -> pd.DataFrame:
    rows = (
        DissociationRating.objects.filter(
            session__clinic=clinic, session__status=SessionStatus.SIGNED
        )
        .values("session_id", "session__patient_id", "session__number")
        .annotate(peak=Max("cadss_total"))
        .order_by()
        .values_list("session__patient_id", "session__number", "peak")
    )
    return _table(rows, ["patient_id", "number", "peak"])


# --- helpers --------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _local_dates(moments: pd.Series, tz: dt.tzinfo) -> list[dt.date]:
    """The calendar date of each aware moment in the clinic's timezone."""
    return [moment.date() for moment in pd.to_datetime(moments, utc=True).dt.tz_convert(tz)]


def _age(born: dt.date, on: dt.date) -> int:
    """Whole years from ``born`` to ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def clinic_config(clinic: Clinic) -> AnalysisConfig:
    """The engine's settings from the clinic's outcome rules (timepoints: the defaults)."""
    return AnalysisConfig(
        cutoff=clinic.pcl5_cutoff,
        response_percent=clinic.outcome_response_percent,
        reliable_points=clinic.outcome_reliable_points,
        loss_confirmations=clinic.loss_confirmations,
        response_requires_reliable=clinic.response_requires_reliable,
    )
