"""The patient progress report for a referring clinician: what it shows, from stored rows.

One selector, :func:`patient_report`, in a fixed number of queries whatever the
number of questionnaires, doses or diary days: the patient chart (8 without research
imaging, ``charts.selectors.patient_chart``) and adverse events (1).

It reads the same :class:`~afterglow.charts.selectors.PatientChart` as the chart page
and the diary page, so the report and the chart always agree. What it leaves out on
purpose, because a letter travels: item-level answers (in particular PHQ-9 item 9:
only "positive on <date> — see record"), free-text notes, and contact details.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Field
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.charts.marks import ChartPoint, Phq9Point
from afterglow.charts.selectors import patient_chart
from afterglow.charts.treatment import ChartTreatment
from afterglow.diary.rules import MIN_DAYS
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response
from afterglow.outcomes.rules import TimepointOutcome
from afterglow.outcomes.selectors import ChartOutcome
from afterglow.patients.models import Patient
from afterglow.reports.summaries import WeekMean, outcome_sentences, weekly_means
from afterglow.treatment.models import AdverseEvent, Course
from afterglow.treatment.models.sessions import Severity

if TYPE_CHECKING:
    from afterglow.reports.figures import Chart

#: Weeks of intrusion diary summarised (from the first week with an entry).
DIARY_WEEKS = 12
PHQ9 = "phq9"
#: Clinic settings whose value and documented source are printed as footnotes.
RULE_SETTINGS = ("outcome_response_percent", "outcome_reliable_points", "pcl5_cutoff")


@dataclass(frozen=True)
class Pcl5Row:
    """One PCL-5 in the report's table (oldest first)."""

    when: dt.datetime  # in the clinic's timezone
    version: str
    timepoint: str  # the label stored with the response, e.g. "baseline"
    complete: bool
    total: int | None
    cluster_b: int | None
    at_or_above_cutoff: bool | None
    cutoff_used: int | None
    missing_items: list[int]
    is_baseline: bool
    outcome: TimepointOutcome | None  # against the latest course's baseline
    loss_of_response: bool  # the first day of a confirmed loss
    possible_loss: bool = False  # the first day of a run too short to confirm a loss

    @property
    def timepoint_note(self) -> str:
        """The stored timepoint label, unless it only repeats "baseline"."""
        if self.is_baseline and self.timepoint.strip().lower() == "baseline":
            return ""
        return self.timepoint


@dataclass(frozen=True)
class CourseRow:
    course: Course
    first_dose: dt.date | None  # clinic timezone
    last_dose: dt.date | None
    signed: int  # signed course sessions (of the protocol's plan)
    planned: int
    dose_mg: Decimal  # signed sessions of this course, as given
    adverse_events: int
    adverse_by_severity: list[tuple[str, int]]  # ("Moderate", 2), most severe first
    serious_adverse_events: int
    therapy: int  # therapy sessions after a dose of this course
    therapy_in_window: int
    is_outcome_course: bool


@dataclass(frozen=True)
class Phq9Summary:
    count: int
    latest_total: int | None  # the latest complete PHQ-9
    latest_on: dt.date | None
    latest_severity: str
    item9_positive_on: dt.date | None  # the most recent PHQ-9 with item 9 above 0


@dataclass(frozen=True)
class RuleNote:
    label: str
    value: int
    source: str


@dataclass(frozen=True)
class PatientReport:
    patient: Patient
    clinic: Clinic
    today: dt.date  # clinic timezone
    rows: list[Pcl5Row]
    outcome: ChartOutcome | None
    outcome_lines: list[str]  # plain-language summary, or why there is no outcome
    courses: list[CourseRow]
    treatment: ChartTreatment
    phq9: Phq9Summary
    diary_weeks: list[WeekMean]
    pcl5_figure: Chart | None
    diary_figure: Chart | None
    rules: list[RuleNote]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """``afterglow-<mrn>-<date>.pdf``, the MRN reduced to safe filename characters."""
        mrn = re.sub(r"[^A-Za-z0-9_-]+", "-", self.patient.mrn).strip("-") or "patient"
        return f"afterglow-{mrn}-{self.today.isoformat()}.pdf"

    @property
    def complete_rows(self) -> list[Pcl5Row]:
        return [row for row in self.rows if row.complete]

    @property
    def diary_min_days(self) -> int:
        return MIN_DAYS

    @property
    def diary_has_means(self) -> bool:
        return any(week.mean is not None for week in self.diary_weeks)


def patient_report(*, patient: Patient, now: dt.datetime | None = None) -> PatientReport:
    """Everything the progress report prints for ``patient`` (queries: module docstring)."""
    clinic = patient.clinic
    tz = clinic.tzinfo
    today = timezone.localdate(now or timezone.now(), tz)
    chart = patient_chart(patient=patient, today=today, diary_weeks=DIARY_WEEKS)
    treatment, outcome = chart.treatment, chart.outcome
    rows = _pcl5_rows(chart.pcl5_responses, chart.pcl5, outcome)
    weeks = weekly_means([(d.day, d.total) for d in chart.diary_days], end=today, weeks=DIARY_WEEKS)
    return PatientReport(
        patient=patient,
        clinic=clinic,
        today=today,
        rows=rows,
        outcome=outcome,
        outcome_lines=_outcome_lines(outcome, rows, treatment, clinic),
        courses=_course_rows(patient, treatment, outcome),
        treatment=treatment,
        phq9=_phq9_summary(chart.phq9),
        diary_weeks=weeks,
        pcl5_figure=_pcl5_figure(rows, treatment, clinic),
        diary_figure=_diary_figure(weeks),
        rules=[_rule_note(clinic, name) for name in RULE_SETTINGS],
        sources={
            "pcl5": get_instrument("pcl5").source,
            "phq9_severity": _phq9_severity_source(),
        },
    )


def _pcl5_rows(
    responses: list[Response], points: list[ChartPoint], outcome: ChartOutcome | None
) -> list[Pcl5Row]:
    by_response = outcome.by_response if outcome else {}
    loss_at = outcome.loss_of_response_at if outcome else None
    possible_at = outcome.possible_loss_at if outcome else None
    return [
        Pcl5Row(
            when=point.when,
            version=point.version,
            timepoint=response.timepoint,
            complete=response.complete,
            total=response.total,
            cluster_b=point.intrusion,
            at_or_above_cutoff=response.flag,
            cutoff_used=response.cutoff_used,
            missing_items=list(response.missing_items or []),
            is_baseline=outcome is not None and response.pk == outcome.baseline.pk,
            outcome=by_response.get(response.pk),
            loss_of_response=loss_at is not None
            and response.pk in by_response
            and response.administered_at == loss_at,
            possible_loss=possible_at is not None
            and response.pk in by_response
            and response.administered_at == possible_at,
        )
        for response, point in zip(responses, points, strict=True)
    ]


def _outcome_lines(
    outcome: ChartOutcome | None, rows: list[Pcl5Row], treatment: ChartTreatment, clinic: Clinic
) -> list[str]:
    if outcome is None:
        if not treatment.dose_marks:
            return ["No ketamine dose is recorded yet, so there is no change from baseline."]
        return [
            "There is no complete past-month PCL-5 on or before the first dose of the latest "
            "course, so change from baseline cannot be computed."
        ]
    tz = clinic.tzinfo
    trajectory = outcome.trajectory
    latest = trajectory.latest
    latest_row = next(
        (
            row
            for row in reversed(rows)
            if latest is not None and row.outcome is not None and row.outcome.day == latest.day
        ),
        None,
    )
    return outcome_sentences(
        baseline=trajectory.baseline,
        baseline_on=timezone.localtime(outcome.baseline.administered_at, tz).date(),
        first_dose_on=timezone.localtime(outcome.first_dose_at, tz).date(),
        latest=latest,
        latest_on=latest_row.when.date() if latest_row else None,
        first_response_day=trajectory.first_response_day,
        loss_of_response_day=trajectory.loss_of_response_day,
        possible_loss_day=trajectory.possible_loss_day,
        rules=outcome.rules,
    )


def _course_rows(
    patient: Patient, treatment: ChartTreatment, outcome: ChartOutcome | None
) -> list[CourseRow]:
    tz = patient.clinic.tzinfo
    adverse: dict[int, Counter[str]] = {}
    serious: Counter[int] = Counter()
    for item in (
        AdverseEvent.objects.filter(session__patient=patient)
        .values("session__course_id", "severity", "serious")
        .annotate(n=Count("pk"))
    ):
        course_id = item["session__course_id"]
        adverse.setdefault(course_id, Counter())[item["severity"]] += item["n"]
        if item["serious"]:
            serious[course_id] += item["n"]
    outcome_course = next(
        (
            s.course_id
            for s in treatment.sessions
            if outcome is not None and s.started_at == outcome.first_dose_at
        ),
        None,
    )
    rows = []
    for course in treatment.courses:
        sessions = [s for s in treatment.sessions if s.course_id == course.pk]
        doses = sorted(
            timezone.localtime(s.started_at, tz).date() for s in sessions if s.started_at
        )
        therapy = [row for row in treatment.therapy if row.dose and row.dose.course_id == course.pk]
        counts = adverse.get(course.pk, Counter())
        rows.append(
            CourseRow(
                course=course,
                first_dose=doses[0] if doses else None,
                last_dose=doses[-1] if doses else None,
                signed=getattr(course, "n_done", 0),
                planned=getattr(course, "n_planned", 0),
                dose_mg=sum(
                    (s.actual_dose_mg for s in sessions if s.is_signed and s.actual_dose_mg),
                    Decimal(0),
                ),
                adverse_events=sum(counts.values()),
                adverse_by_severity=[
                    (label, counts[value])
                    for value, label in reversed(Severity.choices)
                    if counts[value]
                ],
                serious_adverse_events=serious[course.pk],
                therapy=len(therapy),
                therapy_in_window=sum(row.in_window for row in therapy),
                is_outcome_course=course.pk == outcome_course,
            )
        )
    return rows


def _phq9_summary(points: list[Phq9Point]) -> Phq9Summary:
    """The latest complete PHQ-9 and the latest with item 9 above 0, from the chart's
    PHQ-9 points (the same rows the chart's PHQ-9 card shows)."""
    latest = next((p for p in reversed(points) if p.complete and p.total is not None), None)
    positive = next((p for p in reversed(points) if p.alerted), None)
    return Phq9Summary(
        count=len(points),
        latest_total=latest.total if latest else None,
        latest_on=latest.when.date() if latest else None,
        latest_severity=latest.severity if latest else "",
        item9_positive_on=positive.when.date() if positive else None,
    )


def _rule_note(clinic: Clinic, name: str) -> RuleNote:
    setting = Clinic._meta.get_field(name)
    assert isinstance(setting, Field)  # a plain model field, never a relation
    return RuleNote(
        label=str(setting.verbose_name),
        value=getattr(clinic, name),
        source=str(setting.help_text),
    )


def _phq9_severity_source() -> str:
    severity = get_instrument(PHQ9).scoring.severity
    return severity.source if severity else ""


def _pcl5_figure(rows: list[Pcl5Row], treatment: ChartTreatment, clinic: Clinic) -> Chart | None:
    complete = [row for row in rows if row.complete and row.total is not None]
    if not complete:
        return None
    # matplotlib takes about a second to import: only when a report is drawn.
    from afterglow.reports import figures

    x = [row.when for row in complete]
    notes = []
    for row in complete:
        if row.total is not None and row.is_baseline:
            notes.append(figures.Note(row.when, row.total, "baseline"))
        if row.total is not None and row.loss_of_response:
            notes.append(figures.Note(row.when, row.total, "loss of response"))
        if row.total is not None and row.possible_loss:
            notes.append(figures.Note(row.when, row.total, "possible loss — confirm next time"))
    return figures.line_chart(
        [
            figures.Series("PCL-5 total (0–80)", x, [row.total for row in complete]),
            figures.Series("Intrusion cluster B (0–20)", x, [row.cluster_b for row in complete]),
        ],
        y_label="PCL-5 score",
        y_limits=(0, 80),
        ref_lines=[figures.RefLine(clinic.pcl5_cutoff, f"Cutoff {clinic.pcl5_cutoff}")],
        events=[figures.EventMark(mark.when, str(mark.number)) for mark in treatment.dose_marks],
        events_label="Doses (session number)" if treatment.dose_marks else "",
        notes=notes,
        description="PCL-5 total and intrusion cluster B over time; the table below has "
        "the same numbers.",
        # Labels known in advance (0-80, dates, dose numbers): drawn once, not measured.
        margins=figures.Margins(top=0.45 if treatment.dose_marks else 0.2),
    )


def _diary_figure(weeks: list[WeekMean]) -> Chart | None:
    if not any(week.mean is not None for week in weeks):
        return None
    from afterglow.reports import figures

    return figures.bar_chart(
        [f"{week.start.day} {week.start:%b}" for week in weeks],
        [
            figures.BarGroup(
                "Intrusions per recorded day (memories + flashbacks)",
                [None if week.mean is None else round(week.mean, 1) for week in weeks],
            )
        ],
        y_label="Mean per day",
        description="Weekly mean intrusions per recorded day; the table beside it has the "
        "same numbers.",
        height=2.2,
    )
