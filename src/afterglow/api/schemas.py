"""What the API sends and accepts (pydantic models through django-ninja).

Times are ISO 8601 with their zone (UTC, written ``Z``); days are ``YYYY-MM-DD``. A
value that was never recorded is ``null``, never 0: an incomplete questionnaire has no
total, an unanswered diary count is ``null``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from afterglow.diary.models import MAX_DAILY_COUNT


class PatientOut(Schema):
    """A patient's record (free-text notes are not part of the API)."""

    id: int
    mrn: str = Field(description="The clinic's record number, e.g. AG-000042.")
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex: str
    email: str
    phone: str
    preferred_channel: str = Field(
        description="How the patient asked to receive messages: `email`, `sms`, or empty "
        "(not chosen: email when the record has an address, else a text message). Read only."
    )
    sms_opted_out_at: dt.datetime | None = Field(
        description="When the patient texted STOP to the clinic's number: no text message "
        "goes to them while it is set; null when they have not opted out (or texted START "
        "since). Read only."
    )
    trauma_context: str
    veteran_status: str
    status: str = Field(description="Status in care: screening, active, follow_up, ...")
    consent_contact: bool
    consent_research: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class PatientPage(Schema):
    items: list[PatientOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class ResponseOut(Schema):
    """One administration of a questionnaire with the scores computed when it was stored."""

    id: int
    patient_id: int
    instrument: str
    answers: list[int | None] = Field(description="Item values in item order; null = skipped.")
    administered_at: dt.datetime
    source: str
    timepoint: str
    complete: bool
    total: int | None = Field(description="null when any item is missing (never scored as 0).")
    subscales: dict[str, int | None]
    provisional_diagnosis: bool | None
    flag: bool | None = Field(description="At or above the clinic's cutoff (PCL-5: probable PTSD).")
    cutoff_used: int | None
    severity: str
    alerts: list[str]
    missing_items: list[int]
    created_at: dt.datetime
    voided_at: dt.datetime | None


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None


class ResponseIn(Schema):
    """Answers to score through the instrument catalog and store (alerts run as on the page)."""

    patient_id: int = Field(ge=1)
    instrument: str = Field(
        min_length=1, max_length=40, description="Catalog code: see GET /instruments."
    )
    answers: list[int | None] = Field(
        max_length=200,
        description="One value per item in item order, each a response option value; "
        "null for a skipped item (the response is then stored as incomplete, with no total).",
    )
    administered_at: dt.datetime | None = Field(
        default=None, description="When it was answered, with a time zone; default now."
    )
    timepoint: str = Field(default="", max_length=40, description="e.g. baseline, week 2.")


class InstrumentOut(Schema):
    code: str
    title: str
    items: int
    option_values: list[int]
    version: str


class DiaryEntryOut(Schema):
    id: int
    patient_id: int
    day: dt.date
    none_today: bool
    intrusive_memories: int | None
    flashbacks: int | None
    nightmares: bool
    peak_distress: int | None
    triggers: str
    note: str
    urgent: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class DiaryEntryPage(Schema):
    items: list[DiaryEntryOut]
    next_cursor: str | None


class DiaryEntryIn(Schema):
    """One day's diary, as the patient's own diary page takes it (same rules)."""

    patient_id: int = Field(ge=1)
    day: dt.date = Field(description="The day, in the clinic's time zone; not in the future.")
    none_today: bool = False
    intrusive_memories: int | None = Field(default=None, ge=0, le=MAX_DAILY_COUNT)
    flashbacks: int | None = Field(default=None, ge=0, le=MAX_DAILY_COUNT)
    nightmares: bool = False
    peak_distress: int | None = Field(default=None, ge=0, le=10)
    triggers: str = Field(default="", max_length=300)
    note: str = Field(default="", max_length=2000)
    urgent: bool = False


class ProtocolOut(Schema):
    id: int
    name: str
    route: str
    dose_mg_per_kg: float | None
    fixed_dose_mg: int | None
    infusion_minutes: int | None
    sessions: int
    sessions_per_week: int


class CourseOut(Schema):
    id: int
    patient_id: int
    protocol: ProtocolOut
    start_date: dt.date
    status: str
    status_reason: str
    status_changed_at: dt.datetime | None
    created_at: dt.datetime


class CoursePage(Schema):
    items: list[CourseOut]
    next_cursor: str | None


class DosingSessionOut(Schema):
    id: int
    patient_id: int
    course_id: int
    number: int
    route: str
    status: str = Field(description="in_progress, signed or not_dosed.")
    weight_kg: float | None
    planned_dose_mg: float | None
    actual_dose_mg: float | None
    dose_capped: bool
    concentration_mg_per_ml: float | None
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    discharged_at: dt.datetime | None
    not_dosed_reason: str
    signed_at: dt.datetime | None
    created_at: dt.datetime


class DosingSessionPage(Schema):
    items: list[DosingSessionOut]
    next_cursor: str | None


class OutcomeOut(Schema):
    """The PCL-5 outcome of the patient's latest course, by the clinic's outcome rules."""

    patient_id: int
    instrument: str
    available: bool
    reason: str | None = Field(description="Why there is no outcome (no dose, no baseline).")
    first_dose_at: dt.datetime | None
    baseline_response_id: int | None
    baseline: int | None
    rules: dict[str, Any]
    outcome: dict[str, Any] | None = Field(
        description="Exactly what `afterglow outcome pcl5` prints for this course."
    )


class CohortAnalysisOut(Schema):
    """``afterglow analyze`` for the clinic's cohort, with small groups hidden."""

    min_n: int = Field(description="The clinic's smallest group shown (analytics_min_n).")
    shown: bool
    reason: str | None
    analysis: dict[str, Any] | None
