"""Reads for the patient list and chart (PCL-5 trajectory, PHQ-9, and the treatment
beside them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response, Source
from afterglow.patients.charts import (
    PCL5_CODES,
    PHQ9_CODE,
    ChartPoint,
    DoseMark,
    Phq9Point,
    TherapyMark,
)
from afterglow.patients.models import Patient
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    Screening,
    TherapySession,
)
from afterglow.treatment.selectors_courses import treatment_summary
from afterglow.treatment.selectors_sessions import ketamine_exposure
from afterglow.treatment.selectors_therapy import TherapyRow, link_therapy


def patient_list_page(
    *,
    clinic: Clinic,
    text: str = "",
    status: str = "",
    number: str | int | None = 1,
    per_page: int = 25,
) -> Page[Patient]:
    """One page of :func:`patient_list`, in three queries whatever the clinic's size: the
    count, the page's patients (by name, on the patients table alone), and their PCL-5
    counts and last answers for those patients only. Counting every patient's responses
    before taking 25 grew with the clinic (a 10,000-patient clinic: every response read
    for each page)."""
    page = Paginator(_patients(clinic=clinic, text=text, status=status).order_by(*ORDER), per_page)
    current = page.get_page(number)
    ids = [patient.pk for patient in current.object_list]
    counted = {p.pk: p for p in _with_pcl5_counts(Patient.objects.filter(pk__in=ids))}
    current.object_list = [counted[pk] for pk in ids]
    return current


ORDER = ("family_name", "given_name", "pk")


def _patients(*, clinic: Clinic, text: str, status: str) -> QuerySet[Patient]:
    patients = Patient.objects.for_clinic(clinic)
    if text:
        patients = patients.search(text)
    if status:
        patients = patients.filter(status=status)
    return patients


def patient_list(*, clinic: Clinic, text: str = "", status: str = "") -> QuerySet[Patient]:
    return _with_pcl5_counts(_patients(clinic=clinic, text=text, status=status)).order_by(*ORDER)


def _with_pcl5_counts(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    return patients.annotate(
        # Joins bypass Response.objects, so voided responses are left out here by hand.
        n_pcl5=Count(
            "responses",
            filter=Q(responses__instrument__in=PCL5_CODES, responses__voided_at__isnull=True),
        ),
        last_response_at=Max(
            "responses__administered_at", filter=Q(responses__voided_at__isnull=True)
        ),
    )


def pcl5_points(*, responses: list[Response], clinic: Clinic) -> list[ChartPoint]:
    versions = {code: get_instrument(code).version_label for code in PCL5_CODES}
    return [
        ChartPoint(
            when=timezone.localtime(r.administered_at, clinic.tzinfo),
            total=r.total,
            intrusion=(r.subscales or {}).get("B"),
            complete=r.complete,
            missing_items=r.missing_items,
            version=versions.get(r.instrument, r.instrument),
        )
        for r in responses
    ]


def pcl5_responses(*, patient: Patient) -> list[Response]:
    """Every PCL-5 (past month and past week) for the chart, oldest first, one query."""
    return list(
        Response.objects.filter(patient=patient, instrument__in=PCL5_CODES)
        .select_related("entered_by")
        .order_by("administered_at", "pk")
    )


#: The PHQ-9's item alert the chart marks (item 9 above "Not at all"), by catalog code.
SELF_HARM_ALERT = "self_harm_thoughts"


def phq9_points(*, patient: Patient) -> list[Phq9Point]:
    """Every PHQ-9 of the patient for the chart, oldest first: one query.

    The severity label is the catalog's band for the stored total; the item that
    raises the self-harm alert, and its threshold, come from the definition too.
    """
    instrument = get_instrument(PHQ9_CODE)
    alert = next(a for a in instrument.scoring.item_alerts if a.code == SELF_HARM_ALERT)
    severity = instrument.scoring.severity
    tz = patient.clinic.tzinfo
    points: list[Phq9Point] = []
    for r in (
        Response.objects.filter(patient=patient, instrument=PHQ9_CODE)
        .select_related("entered_by")
        .order_by("administered_at", "pk")
    ):
        answers = r.answers or []
        value = answers[alert.item - 1] if len(answers) >= alert.item else None
        complete = r.complete and r.total is not None
        points.append(
            Phq9Point(
                pk=r.pk,
                when=timezone.localtime(r.administered_at, tz),
                total=r.total if complete else None,
                complete=complete,
                # As stored with the response; the catalog's band if it predates that.
                severity=(
                    (r.severity or (severity.label_for(r.total) if severity else ""))
                    if complete and r.total is not None
                    else ""
                ),
                missing_items=r.missing_items,
                alert_item=alert.item,
                alert_value=value,
                alert_answer=instrument.option_label(value) if value is not None else "",
                alerted=value is not None and value > alert.above,
                source=_source(r),
            )
        )
    return points


def _source(response: Response) -> str:
    if response.source != Source.STAFF:
        return "Patient link"
    user = response.entered_by
    return f"Staff ({user.get_full_name() or user.username})" if user else "Staff"


@dataclass(frozen=True)
class ChartEvent:
    """One row of the chart's "Doses and therapy" table."""

    when: dt.datetime  # in the clinic's timezone
    kind: str  # "dose" or "therapy"
    title: str
    detail: str
    pk: int
    in_window: bool | None = None  # therapy only


@dataclass(frozen=True)
class ChartTreatment:
    """The treatment part of the patient chart, in five queries whatever its size."""

    courses: list[Course]
    screenings: list[Screening]
    sessions: list[DosingSession]  # every dosing session, in course order
    therapy: list[TherapyRow]  # newest first
    exposure_sessions: int  # signed dosing sessions
    exposure_mg: Decimal  # their total actual dose
    dose_marks: list[DoseMark]
    therapy_marks: list[TherapyMark]
    events: list[ChartEvent]  # newest first

    @property
    def therapy_inside(self) -> int:
        return sum(row.in_window for row in self.therapy)

    @property
    def open_course(self) -> Course | None:
        """An active or paused course: a second one cannot start (``course_start``)."""
        open_statuses = (CourseStatus.ACTIVE, CourseStatus.PAUSED)
        return next((c for c in self.courses if c.status in open_statuses), None)

    @property
    def is_empty(self) -> bool:
        return not (self.courses or self.screenings or self.sessions or self.therapy)


def chart_treatment(*, patient: Patient) -> ChartTreatment:
    """Courses, screenings, dosing sessions, therapy and cumulative exposure for the chart.

    Queries: screenings and courses (``selectors_courses.treatment_summary``), dosing
    sessions, therapy sessions and the exposure sum (``selectors_sessions.ketamine_exposure``):
    five, however many rows.
    """
    clinic = patient.clinic
    tz = clinic.tzinfo
    # Screenings and courses (with planned/done counts) as the course pages count them.
    summary = treatment_summary(patient=patient)
    courses, screenings = list(summary.courses), list(summary.screenings)
    sessions = list(
        DosingSession.objects.filter(patient=patient)
        .select_related("course__protocol", "planned")
        .order_by("course__start_date", "course_id", "number")
    )
    doses = sorted(
        (s for s in sessions if s.started_at is not None),
        key=lambda s: (s.started_at, s.pk),
    )
    therapy = link_therapy(
        TherapySession.objects.filter(patient=patient)
        .select_related("therapist")
        .order_by("-started_at", "-pk"),
        doses,
        clinic,
    )
    exposure_sessions, exposure_mg = ketamine_exposure(patient)

    dose_marks = [
        DoseMark(
            number=s.number,
            when=timezone.localtime(s.started_at, tz),
            dose_mg=s.actual_dose_mg if s.actual_dose_mg is not None else s.planned_dose_mg,
            route=s.get_route_display(),
        )
        for s in doses
        if s.started_at is not None
    ]
    therapy_marks = [
        TherapyMark(
            when=timezone.localtime(row.session.started_at, tz),
            modality=row.session.get_modality_display(),
            timing=row.label,
            in_window=row.in_window,
        )
        for row in therapy
    ]
    window = f"{clinic.therapy_window_start_hours}–{clinic.therapy_window_end_hours} h window"
    events = [
        ChartEvent(
            when=mark.when,
            kind="dose",
            title=f"Dose {mark.number}",
            detail=" · ".join(
                part
                for part in (
                    f"{mark.dose_mg} mg" if mark.dose_mg is not None else "dose not recorded",
                    mark.route,
                    session.course.protocol.name if len(courses) > 1 else "",
                    session.get_status_display().lower(),
                )
                if part
            ),
            pk=session.pk,
        )
        for mark, session in zip(dose_marks, doses, strict=True)
    ] + [
        ChartEvent(
            when=mark.when,
            kind="therapy",
            title=mark.modality,
            detail=f"{mark.timing} · {'inside' if mark.in_window else 'outside'} the {window}",
            pk=row.session.pk,
            in_window=mark.in_window,
        )
        for mark, row in zip(therapy_marks, therapy, strict=True)
    ]
    events.sort(key=lambda event: event.when, reverse=True)
    return ChartTreatment(
        courses=courses,
        screenings=screenings,
        sessions=sessions,
        therapy=therapy,
        exposure_sessions=exposure_sessions,
        exposure_mg=exposure_mg,
        dose_marks=dose_marks,
        therapy_marks=therapy_marks,
        events=events,
    )
