"""Reads for research exports and REDCap: one clinic's rows as plain frames, before any
de-identification (``research.tables`` does that, without Django).

Every query is filtered by the clinic first and the number of queries does not grow with
the number of patients. Free-text columns (notes, adverse-event descriptions, diary notes
and triggers, reasons, lot numbers) are never selected, so they cannot leak by mistake.
The patients are those of ``analytics.selectors.cohort_data`` (at least one signed dose),
with their covariates; day 0 is the local calendar day of their first signed dose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from django.db.models import Max

from afterglow.accounts.models import Clinic
from afterglow.analytics.dashboard import banded
from afterglow.analytics.selectors import cohort_data
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.treatment.models import (
    AdverseEvent,
    Course,
    DosingSession,
    SessionStatus,
    TherapySession,
)

__all__ = ["RedcapSource", "ResearchSource", "redcap_source", "research_source"]


@dataclass(frozen=True)
class ResearchSource:
    """Identified rows (``patient_id`` is the database key; dates are real local dates).

    - ``patients``: ``patient_id, mrn, date_of_birth, day0, consent_research`` + the
      cohort covariates (``sex, age, age_band, population, protocol, route, mg_per_kg,
      psychotherapy_in_window, infusions, baseline_severity_band``);
    - ``outcomes``: the analytics long frame (``patient_id, day, pcl5_total`` + covariates);
    - ``responses``: ``patient_id, instrument, date, timepoint, source, answers, complete,
      total, subscales, severity``;
    - ``diary``, ``doses``, ``adverse``, ``therapy``, ``courses``: one row per entry.
    """

    patients: pd.DataFrame
    outcomes: pd.DataFrame
    responses: pd.DataFrame
    diary: pd.DataFrame
    doses: pd.DataFrame
    adverse: pd.DataFrame
    therapy: pd.DataFrame
    courses: pd.DataFrame


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns)


def research_source(*, clinic: Clinic) -> ResearchSource:
    """The clinic's research rows (class docstring), a fixed number of queries."""
    tz = clinic.tzinfo
    cohort = banded(cohort_data(clinic=clinic))
    people = cohort.patients.copy()
    ids = [int(i) for i in people["patient_id"]]

    def local(moment: dt.datetime | None) -> dt.date | None:
        return moment.astimezone(tz).date() if moment is not None else None

    identity = _frame(
        list(
            Patient.objects.filter(clinic=clinic, pk__in=ids).values_list(
                "id", "mrn", "date_of_birth"
            )
        ),
        ["patient_id", "mrn", "date_of_birth"],
    )
    sessions = list(
        DosingSession.objects.filter(clinic=clinic, patient_id__in=ids, status=SessionStatus.SIGNED)
        .annotate(peak_cadss=Max("dissociation__cadss_total"))
        .values_list(
            "id",
            "patient_id",
            "course_id",
            "number",
            "route",
            "weight_kg",
            "planned_dose_mg",
            "actual_dose_mg",
            "started_at",
            "stopped_at",
            "signed_at",
            "peak_cadss",
        )
    )
    doses = _frame(
        [
            (
                sid,
                pid,
                course,
                number,
                route,
                _float(kg),
                _float(planned),
                _float(actual),
                local(started or signed),
                _minutes(started, stopped),
                peak,
            )
            for (
                sid,
                pid,
                course,
                number,
                route,
                kg,
                planned,
                actual,
                started,
                stopped,
                signed,
                peak,
            ) in sessions
        ],
        [
            "session_id",
            "patient_id",
            "course_id",
            "session",
            "route",
            "weight_kg",
            "planned_dose_mg",
            "actual_dose_mg",
            "date",
            "infusion_minutes",
            "peak_cadss",
        ],
    )
    day0 = doses.groupby("patient_id")["date"].min() if len(doses) else pd.Series(dtype=object)
    people = people.merge(identity, on="patient_id", how="left")
    people["day0"] = people["patient_id"].map(day0)

    responses = _frame(
        [
            (pid, code, local(at), timepoint, source, answers, complete, total, subscales, severity)
            for pid, code, at, timepoint, source, answers, complete, total, subscales, severity in (
                Response.objects.filter(clinic=clinic, patient_id__in=ids)
                .order_by("patient_id", "administered_at", "pk")
                .values_list(
                    "patient_id",
                    "instrument",
                    "administered_at",
                    "timepoint",
                    "source",
                    "answers",
                    "complete",
                    "total",
                    "subscales",
                    "severity",
                )
            )
        ],
        [
            "patient_id",
            "instrument",
            "date",
            "timepoint",
            "source",
            "answers",
            "complete",
            "total",
            "subscales",
            "severity",
        ],
    )
    diary = _frame(
        list(
            DiaryEntry.objects.filter(clinic=clinic, patient_id__in=ids)
            .order_by("patient_id", "day")
            .values_list(
                "patient_id",
                "day",
                "none_today",
                "intrusive_memories",
                "flashbacks",
                "nightmares",
                "peak_distress",
            )
        ),
        [
            "patient_id",
            "date",
            "none_today",
            "intrusive_memories",
            "flashbacks",
            "nightmares",
            "peak_distress",
        ],
    )
    adverse_rows = (
        AdverseEvent.objects.filter(session__clinic=clinic, session__patient_id__in=ids)
        .order_by("session__patient_id", "session__started_at", "pk")
        .values_list(
            "session__patient_id",
            "session__started_at",
            "session__signed_at",
            "severity",
            "serious",
            "action",
            "onset_minute",
        )
    )
    adverse = _frame(
        [
            (pid, local(started or signed), severity, serious, action, onset)
            for pid, started, signed, severity, serious, action, onset in adverse_rows
        ],
        ["patient_id", "date", "severity", "serious", "action", "onset_minute"],
    )
    therapy = _frame(
        [
            (pid, local(started), modality, minutes)
            for pid, started, modality, minutes in TherapySession.objects.filter(
                clinic=clinic, patient_id__in=ids
            )
            .order_by("patient_id", "started_at")
            .values_list("patient_id", "started_at", "modality", "duration_minutes")
        ],
        ["patient_id", "date", "modality", "duration_minutes"],
    )
    courses = _frame(
        list(
            Course.objects.filter(clinic=clinic, patient_id__in=ids)
            .order_by("patient_id", "start_date", "pk")
            .values_list(
                "id",
                "patient_id",
                "start_date",
                "protocol__name",
                "protocol__route",
                "status",
                "protocol__sessions",
            )
        ),
        ["course_id", "patient_id", "date", "protocol", "route", "status", "planned_sessions"],
    )
    return ResearchSource(
        patients=people,
        outcomes=cohort.frame,
        responses=responses,
        diary=diary,
        doses=doses,
        adverse=adverse,
        therapy=therapy,
        courses=courses,
    )


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _minutes(started: dt.datetime | None, stopped: dt.datetime | None) -> float | None:
    if started is None or stopped is None:
        return None
    return round((stopped - started).total_seconds() / 60, 1)


@dataclass(frozen=True)
class RedcapSource:
    """Rows for a REDCap export: ``patients`` (``patient_id, mrn, date_of_birth, sex,
    population``), ``responses`` (``patient_id, instrument, date, timepoint, source,
    answers``) and ``diary`` (``patient_id, date, intrusive_memories, flashbacks,
    nightmares, peak_distress``); patients with at least one response or diary entry."""

    patients: pd.DataFrame
    responses: pd.DataFrame
    diary: pd.DataFrame


def redcap_source(*, clinic: Clinic, consented_only: bool, instruments: list[str]) -> RedcapSource:
    """The clinic's rows for REDCap (three queries); ``consented_only`` keeps the patients
    who consented to research use."""
    from afterglow.analytics.selectors import population_of

    tz = clinic.tzinfo
    patients = Patient.objects.filter(clinic=clinic)
    if consented_only:
        patients = patients.filter(consent_research=True)
    people = _frame(
        [
            (pid, mrn, born, sex, population_of(context, veteran))
            for pid, mrn, born, sex, context, veteran in patients.values_list(
                "id", "mrn", "date_of_birth", "sex", "trauma_context", "veteran_status"
            )
        ],
        ["patient_id", "mrn", "date_of_birth", "sex", "population"],
    )
    ids = set(people["patient_id"])
    responses = _frame(
        [
            (pid, code, at.astimezone(tz).date(), timepoint, source, answers)
            for pid, code, at, timepoint, source, answers in Response.objects.filter(
                clinic=clinic, instrument__in=instruments
            )
            .order_by("patient_id", "administered_at", "pk")
            .values_list(
                "patient_id", "instrument", "administered_at", "timepoint", "source", "answers"
            )
            if pid in ids
        ],
        ["patient_id", "instrument", "date", "timepoint", "source", "answers"],
    )
    diary = _frame(
        [
            row
            for row in DiaryEntry.objects.filter(clinic=clinic)
            .order_by("patient_id", "day")
            .values_list(
                "patient_id",
                "day",
                "intrusive_memories",
                "flashbacks",
                "nightmares",
                "peak_distress",
            )
            if row[0] in ids
        ],
        ["patient_id", "date", "intrusive_memories", "flashbacks", "nightmares", "peak_distress"],
    )
    active = set(responses["patient_id"]) | set(diary["patient_id"])
    return RedcapSource(
        patients=people[people["patient_id"].isin(active)].reset_index(drop=True),
        responses=responses,
        diary=diary,
    )
