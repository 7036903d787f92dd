"""The chart page's tables as display rows: every date, label, link and cell text worked
out once in Python, so each table is one compact template loop without filters or
per-row lookups (issue 13 §2). Runs no queries.

The text is what the template filters gave before: dates as ``date:"d M Y"`` (and
``"d M Y H:i"``) in the active timezone (the clinic's, set by the membership
middleware), through ``core.daytext.day_formatter`` (month names looked up once, not per
row), numbers through ``localize``, like ``{{ value }}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from afterglow.charts.marks import Phq9Point
from afterglow.charts.selectors import Pcl5Row, response_source
from afterglow.charts.treatment import ChartEvent
from afterglow.core.choices import choice_labels
from afterglow.core.daytext import day_formatter
from afterglow.core.links import pk_links
from afterglow.imaging.models import ImagingSession
from afterglow.outcomes.selectors import ChartOutcome
from afterglow.treatment.models import (
    Course,
    DosingSession,
    Screening,
    SessionStatus,
    TherapyModality,
)
from afterglow.treatment.selectors_therapy import TherapyRow


def _missing(items: Sequence[int]) -> str:
    plural = "" if len(items) == 1 else "s"
    return f"Incomplete — item{plural} {', '.join(str(i) for i in items)} not answered; not scored"


def _cell(value: Any) -> str:
    return "" if value is None else str(localize(value))


@dataclass(frozen=True)
class Pcl5Line:
    """One row of the PCL-5 table (newest first)."""

    url: str
    date: str
    timepoint: str
    version: str
    complete: bool
    total: str
    # The cluster subscores, each its own field: ``{{ l.b }}`` is a plain attribute in
    # the template, where ``{{ l.clusters.0 }}`` tries a key and an attribute first.
    b: str
    c: str
    d: str
    e: str
    diagnosis: str
    cutoff: SafeString
    vs_baseline: SafeString
    missing: str
    source: str


def pcl5_lines(rows: Sequence[Pcl5Row], outcome: ChartOutcome | None) -> list[Pcl5Line]:
    """The PCL-5 table's rows in the order given (the chart passes newest first)."""
    url, day = pk_links("instruments:response_detail"), day_formatter()
    lines = []
    for row in rows:
        r = row.response
        subscales = r.subscales or {}
        lines.append(
            Pcl5Line(
                url=url(r.pk),
                date=day(row.point.when),
                timepoint=r.timepoint,
                version=row.point.version,
                complete=r.complete,
                total=_cell(r.total),
                b=_cluster(subscales, "B"),
                c=_cluster(subscales, "C"),
                d=_cluster(subscales, "D"),
                e=_cluster(subscales, "E"),
                diagnosis="Yes" if r.provisional_diagnosis else "No",
                cutoff=(
                    format_html('<span class="flag flag-review">Yes ({})</span>', r.cutoff_used)
                    if r.flag
                    else mark_safe("No")
                ),
                vs_baseline=_vs_baseline(row, outcome),
                missing="" if r.complete else _missing(r.missing_items),
                source=response_source(r),
            )
        )
    return lines


def _cluster(subscales: dict[str, Any], key: str) -> str:
    return "" if key not in subscales else str(localize(subscales[key]))


def _vs_baseline(row: Pcl5Row, outcome: ChartOutcome | None) -> SafeString:
    o = row.outcome
    if o is None or outcome is None:
        if outcome is not None and row.response.pk == outcome.baseline.pk:
            return mark_safe("baseline")
        return mark_safe("—")
    parts = [format_html("{}", f"{o.change:+d}")]
    if o.percent_change is not None:
        parts.append(format_html(" ({} %)", localize(o.percent_change)))
    if o.response:
        parts.append(mark_safe(" · response"))
    if o.within_measurement_error:
        parts.append(mark_safe(" · response within measurement error"))
    if o.reliable_deterioration:
        parts.append(mark_safe(" · <strong>reliable deterioration</strong>"))
    if outcome.trajectory.loss_of_response_day == o.day:
        parts.append(mark_safe(" · <strong>loss of response</strong>"))
    if outcome.trajectory.possible_loss_day == o.day:
        parts.append(mark_safe(" · possible loss of response — confirm at the next measurement"))
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class Phq9Line:
    """One row of the PHQ-9 table (newest first): the point's cells as text."""

    url: str
    date: str
    complete: bool
    total: str
    severity: str
    missing: str
    alerted: bool  # item 9 above "Not at all": the row is marked
    item9: SafeString
    source: str


def phq9_lines(points: Sequence[Phq9Point]) -> list[Phq9Line]:
    url, day = pk_links("instruments:response_detail"), day_formatter()
    return [
        Phq9Line(
            url=url(p.pk),
            date=day(p.when),
            complete=p.complete,
            total=_cell(p.total),
            severity=p.severity,
            missing="" if p.complete else _missing(p.missing_items),
            alerted=p.alerted,
            item9=_item9(p),
            source=p.source,
        )
        for p in points
    ]


def _item9(p: Phq9Point) -> SafeString:
    if p.alert_value is None:
        return mark_safe("not answered")
    if p.alerted:
        return format_html(
            '<span class="flag flag-review"><span aria-hidden="true">⚠ </span>{} — {}</span>',
            p.alert_value,
            p.alert_answer,
        )
    return format_html("{} — {}", p.alert_value, p.alert_answer)


@dataclass(frozen=True)
class EventLine:
    """One row of the "Doses and therapy" table (newest first)."""

    kind: str
    when: str
    url: str
    title: str
    detail: str


def event_lines(events: Sequence[ChartEvent]) -> list[EventLine]:
    dose_url, therapy_url = pk_links("dosing:session"), pk_links("therapy:detail")
    day_time = day_formatter(with_time=True)
    return [
        EventLine(
            kind=e.kind,
            when=day_time(e.when),
            url=dose_url(e.pk) if e.kind == "dose" else therapy_url(e.pk),
            title=e.title,
            detail=e.detail,
        )
        for e in events
    ]


@dataclass(frozen=True)
class SessionLine:
    """One dosing session in the Treatment card's list."""

    url: str
    number: int
    started: str  # the day, or "not started"
    dose: str  # " · 35.0 mg", or "" when not recorded
    status: str


def session_lines(sessions: Sequence[DosingSession]) -> list[SessionLine]:
    url, day = pk_links("dosing:session"), day_formatter()
    statuses = choice_labels(SessionStatus)
    return [
        SessionLine(
            url=url(s.pk),
            number=s.number,
            started=day(s.started_at) if s.started_at else "not started",
            dose=f" · {localize(s.actual_dose_mg)} mg" if s.actual_dose_mg is not None else "",
            status=statuses[s.status].lower(),
        )
        for s in sessions
    ]


@dataclass(frozen=True)
class CourseLine:
    """One course in the Treatment card's list."""

    url: str
    name: str
    start: str
    done: int
    planned: int
    status: str
    status_label: str


def course_lines(courses: Sequence[Course]) -> list[CourseLine]:
    """The courses as read by ``treatment_summary`` (protocol joined, counts annotated)."""
    url, day = pk_links("courses:detail"), day_formatter()
    return [
        CourseLine(
            url=url(c.pk),
            name=c.protocol.name,
            start=day(c.start_date),
            done=c.n_done,  # type: ignore[attr-defined]
            planned=c.n_planned,  # type: ignore[attr-defined]
            status=c.status,
            status_label=c.get_status_display(),
        )
        for c in courses
    ]


@dataclass(frozen=True)
class ScreeningLine:
    """One screening in the Treatment card's list."""

    url: str
    date: str
    decision: str


def screening_lines(screenings: Sequence[Screening]) -> list[ScreeningLine]:
    url, day = pk_links("screening:detail"), day_formatter()
    return [
        ScreeningLine(url=url(s.pk), date=day(s.assessed_at), decision=s.get_decision_display())
        for s in screenings
    ]


@dataclass(frozen=True)
class TherapyLine:
    """One therapy session in the Treatment card's list (the newest five)."""

    url: str
    date: str
    modality: str
    timing: str


def therapy_lines(rows: Sequence[TherapyRow], limit: int = 5) -> list[TherapyLine]:
    url, day = pk_links("therapy:detail"), day_formatter()
    modalities = choice_labels(TherapyModality)
    return [
        TherapyLine(
            url=url(row.session.pk),
            date=day(row.session.started_at),
            modality=modalities[row.session.modality],
            timing=row.label,
        )
        for row in rows[:limit]
    ]


@dataclass(frozen=True)
class ImagingLine:
    """One row of the research imaging table (oldest first)."""

    scan: str
    date: str
    day: str
    connectivity: str
    reactivity: str


def imaging_lines(sessions: Sequence[ImagingSession]) -> list[ImagingLine]:
    day = day_formatter()
    lines = []
    for s in sessions:
        connectivity = reactivity = "—"
        if s.amygdala_hippocampus_r is not None:
            connectivity = (
                f"{floatformat(s.amygdala_hippocampus_r, 2)} "
                f"({floatformat(s.amygdala_hippocampus_z, 2)})"
            )
        if s.amygdala_reactivity is not None:
            reactivity = str(floatformat(s.amygdala_reactivity, 2))
            if s.contrast:
                reactivity += f" ({s.contrast})"
        lines.append(
            ImagingLine(
                scan=(
                    f"{s.label} · {s.get_kind_display()}"
                    + (f" ({s.task_name})" if s.task_name else "")
                ),
                date=day(s.scanned_on),
                day=_cell(s.days_from_first_dose) if s.days_from_first_dose is not None else "—",
                connectivity=connectivity,
                reactivity=reactivity,
            )
        )
    return lines
