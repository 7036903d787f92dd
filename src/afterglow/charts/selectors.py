"""The patient chart as one read model: :func:`patient_chart` returns a
:class:`PatientChart`, shared by the chart page, the staff diary page and the patient
PDF (``reports.patient_report``), so the three always show the same numbers.

Queries, whatever the number of rows: PCL-5s and PHQ-9s (1), treatment (5,
:func:`afterglow.charts.treatment.chart_treatment`), diary days (1), open alerts (1),
research imaging sessions (1, only ``with_imaging``: the chart of a role with the imaging
capability).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import Alert
from afterglow.charts.figures_diary import diary_means
from afterglow.charts.marks import (
    PCL5_CODES,
    PHQ9_CODE,
    ChartPoint,
    DoseMark,
    OutcomeMarks,
    Phq9Point,
    TherapyMark,
)
from afterglow.charts.treatment import ChartTreatment, chart_treatment
from afterglow.diary.selectors import DiaryDay, diary_series
from afterglow.imaging.models import ImagingSession
from afterglow.imaging.selectors import imaging_sessions_for
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response, Source
from afterglow.outcomes.rules import TimepointOutcome
from afterglow.outcomes.selectors import ChartOutcome, pcl5_outcome
from afterglow.patients.models import Patient

#: Weeks of intrusion diary on the patient chart (the diary page shows more).
CHART_DIARY_WEEKS = 8
#: The response columns the chart, the diary page and the patient PDF use (the user
#: who entered it only by name: ``response_source``).
RESPONSE_FIELDS = (
    "patient",
    "instrument",
    "answers",
    "administered_at",
    "source",
    "timepoint",
    "complete",
    "total",
    "subscales",
    "provisional_diagnosis",
    "flag",
    "cutoff_used",
    "severity",
    "missing_items",
    "entered_by__username",
    "entered_by__first_name",
    "entered_by__last_name",
)
#: The PHQ-9's item alert the chart marks (item 9 above "Not at all"), by catalog code.
SELF_HARM_ALERT = "self_harm_thoughts"


@dataclass(frozen=True)
class Pcl5Row:
    """One PCL-5 with its chart point and, after the latest course's first dose, its
    outcome against that course's baseline."""

    response: Response
    point: ChartPoint
    outcome: TimepointOutcome | None


@dataclass(frozen=True)
class PatientChart:
    """Everything the chart, the diary page and the patient PDF show about one patient."""

    patient: Patient
    clinic: Clinic
    today: dt.date  # in the clinic's timezone
    pcl5_responses: list[Response]  # oldest first
    pcl5: list[ChartPoint]  # one per response, same order
    outcome: ChartOutcome | None  # of the latest course (``outcomes.selectors``)
    outcome_marks: OutcomeMarks | None  # the outcome placed on the time axis
    phq9: list[Phq9Point]  # oldest first
    treatment: ChartTreatment
    diary_days: list[DiaryDay]  # consecutive, oldest first, ending today
    diary_means: list[tuple[dt.date, float | None]]  # the 7-day mean of each day
    open_alerts: list[Alert]  # urgent first, newest first
    imaging: list[ImagingSession]  # research imaging, oldest first (``with_imaging``; no images)

    @property
    def doses(self) -> list[DoseMark]:
        return self.treatment.dose_marks

    @property
    def therapy(self) -> list[TherapyMark]:
        return self.treatment.therapy_marks

    @property
    def pcl5_rows(self) -> list[Pcl5Row]:
        """Each PCL-5 with its point and outcome, oldest first."""
        by_response = self.outcome.by_response if self.outcome else {}
        return [
            Pcl5Row(response=r, point=p, outcome=by_response.get(r.pk))
            for r, p in zip(self.pcl5_responses, self.pcl5, strict=True)
        ]

    @property
    def diary_weeks(self) -> int:
        return len(self.diary_days) // 7

    @property
    def diary_recorded(self) -> int:
        return sum(1 for d in self.diary_days if d.entry is not None)


def patient_chart(
    *,
    patient: Patient,
    today: dt.date,
    diary_weeks: int = CHART_DIARY_WEEKS,
    with_imaging: bool = False,
) -> PatientChart:
    """The patient's chart as of ``today`` (the clinic's date), with ``diary_weeks`` weeks
    of diary ending today, and with its research imaging sessions when ``with_imaging``
    (the chart, for roles with the imaging capability; the diary page and the PDF show
    none). Queries: module docstring."""
    clinic = patient.clinic
    responses, phq9 = chart_responses(patient=patient)
    points = pcl5_points(responses=responses, clinic=clinic)
    treatment = chart_treatment(patient=patient)
    outcome = pcl5_outcome(clinic=clinic, responses=responses, sessions=treatment.sessions)
    days = diary_series(
        patient=patient, start=today - dt.timedelta(days=7 * diary_weeks - 1), end=today
    )
    return PatientChart(
        patient=patient,
        clinic=clinic,
        today=today,
        pcl5_responses=responses,
        pcl5=points,
        outcome=outcome,
        outcome_marks=_outcome_marks(outcome, responses, points, clinic),
        phq9=phq9_points(patient=patient, responses=phq9),
        treatment=treatment,
        diary_days=days,
        diary_means=diary_means(days),
        open_alerts=list(
            Alert.objects.filter(patient=patient)
            .open()
            .only("patient", "label", "urgency", "created_at")
            .order_by("-urgency", "-created_at", "-pk")
        ),
        imaging=imaging_sessions_for(patient=patient) if with_imaging else [],
    )


def chart_responses(*, patient: Patient) -> tuple[list[Response], list[Response]]:
    """The chart's PCL-5s (:func:`pcl5_responses`) and PHQ-9s, each oldest first, in one
    query."""
    pcl5: list[Response] = []
    phq9: list[Response] = []
    for r in (
        Response.objects.filter(patient=patient, instrument__in=(*PCL5_CODES, PHQ9_CODE))
        .select_related("entered_by")
        .only(*RESPONSE_FIELDS)
        .order_by("administered_at", "pk")
    ):
        (phq9 if r.instrument == PHQ9_CODE else pcl5).append(r)
    return pcl5, phq9


def pcl5_responses(*, patient: Patient) -> list[Response]:
    """Every PCL-5 (past month and past week) for the chart, oldest first, one query."""
    return list(
        Response.objects.filter(patient=patient, instrument__in=PCL5_CODES)
        .select_related("entered_by")
        .order_by("administered_at", "pk")
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


def phq9_points(*, patient: Patient, responses: list[Response] | None = None) -> list[Phq9Point]:
    """Every PHQ-9 of the patient for the chart, oldest first: one query, none when
    ``responses`` (the PHQ-9s, oldest first: :func:`chart_responses`) are given.

    The severity label is the catalog's band for the stored total; the item that
    raises the self-harm alert, and its threshold, come from the definition too.
    """
    instrument = get_instrument(PHQ9_CODE)
    alert = next(a for a in instrument.scoring.item_alerts if a.code == SELF_HARM_ALERT)
    severity = instrument.scoring.severity
    tz = patient.clinic.tzinfo
    points: list[Phq9Point] = []
    if responses is None:
        responses = list(
            Response.objects.filter(patient=patient, instrument=PHQ9_CODE)
            .select_related("entered_by")
            .order_by("administered_at", "pk")
        )
    for r in responses:
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
                source=response_source(r),
            )
        )
    return points


def response_source(response: Response) -> str:
    """Who entered the response: "Staff (name)", "Staff" or "Patient link"."""
    if response.source != Source.STAFF:
        return "Patient link"
    user = response.entered_by
    return f"Staff ({user.get_full_name() or user.username})" if user else "Staff"


def _outcome_marks(
    outcome: ChartOutcome | None,
    responses: list[Response],
    points: list[ChartPoint],
    clinic: Clinic,
) -> OutcomeMarks | None:
    if outcome is None:
        return None
    at = {r.pk: p for r, p in zip(responses, points, strict=True)}
    baseline = at[outcome.baseline.pk]
    met = [
        (at[pk].when, state.total) for pk, state in outcome.by_response.items() if state.response
    ]
    tz = clinic.tzinfo
    loss, possible = outcome.loss_of_response_at, outcome.possible_loss_at
    return OutcomeMarks(
        baseline=(baseline.when, outcome.trajectory.baseline),
        responses=met,
        loss_at=timezone.localtime(loss, tz) if loss else None,
        possible_loss_at=timezone.localtime(possible, tz) if possible else None,
        label=(
            f"Response (≥{outcome.rules.response_percent} % below baseline "
            f"{outcome.trajectory.baseline})"
        ),
    )
