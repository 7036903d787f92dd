"""Template context from a :class:`~afterglow.charts.selectors.PatientChart`: the figures
as Plotly JSON and the rows of the tables beside them (display rows: ``charts.tables``).
Runs no queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from afterglow.charts.figures import pcl5_figure, phq9_figure
from afterglow.charts.figures_diary import diary_figure, diary_means
from afterglow.charts.marks import PHQ9_CODE, ChartPoint, DoseMark
from afterglow.charts.selectors import PatientChart
from afterglow.charts.tables import pcl5_lines, phq9_lines
from afterglow.charts.tables_diary import diary_lines
from afterglow.diary.selectors import DiaryDay
from afterglow.instruments.catalog import get_instrument


def pcl5_context(chart: PatientChart, *, show_imaging: bool = False) -> dict[str, Any]:
    """``figure`` (None without a complete PCL-5), ``rows`` (newest first), ``outcome``,
    and with ``show_imaging`` the research imaging sessions on the timeline."""
    clinic = chart.clinic
    figure = (
        pcl5_figure(
            chart.pcl5,
            cutoff=clinic.pcl5_cutoff,
            doses=chart.doses,
            therapy=chart.therapy,
            window=(clinic.therapy_window_start_hours, clinic.therapy_window_end_hours),
            outcome=chart.outcome_marks,
            scans=[(s.scanned_on, s.label) for s in chart.imaging] if show_imaging else (),
        )
        if any(p.complete for p in chart.pcl5)
        else None
    )
    newest_first = chart.pcl5_rows[::-1]
    return {
        "figure": figure,
        "rows": [(row.response, row.point, row.outcome) for row in newest_first],
        "pcl5_lines": pcl5_lines(newest_first, chart.outcome),
        "outcome": chart.outcome,
        "imaging_sessions": chart.imaging if show_imaging else [],
    }


def phq9_context(chart: PatientChart) -> dict[str, Any]:
    """Context for ``charts/_phq9.html``.

    ``phq9_rows`` (newest first) is empty when the patient has no PHQ-9, and the card
    is then left out; ``phq9_figure`` is None when nothing can be drawn (no complete
    PHQ-9 and no item-9 mark). The bands and the score range are the catalog's
    (``definitions/phq9.json``).
    """
    scoring = get_instrument(PHQ9_CODE).scoring
    bands = scoring.severity.bands if scoring.severity else ()
    points = chart.phq9
    drawable = any(p.complete or p.alerted for p in points)
    newest_first = points[::-1]
    return {
        "phq9_rows": newest_first,
        "phq9_lines": phq9_lines(newest_first),
        "phq9_figure": (
            phq9_figure(points, bands=bands, max_total=scoring.max, doses=chart.doses)
            if drawable
            else None
        ),
        "phq9_bands": list(bands),
        "phq9_bands_source": scoring.severity.source if scoring.severity else "",
        "phq9_max": scoring.max,
    }


def diary_context(chart: PatientChart) -> dict[str, Any]:
    """Context for ``charts/_diary_chart.html`` from the chart's diary days."""
    return {
        **diary_days_context(
            chart.diary_days, doses=chart.doses, pcl5=chart.pcl5, means=chart.diary_means
        ),
        "diary_weeks": chart.diary_weeks,
    }


def diary_days_context(
    days: Sequence[DiaryDay],
    *,
    doses: Sequence[DoseMark],
    pcl5: Sequence[ChartPoint],
    means: Sequence[tuple[dt.date, float | None]] | None = None,
) -> dict[str, Any]:
    """The figure (None when no day has an entry), the table rows ``(day, mean)`` and
    their display rows ``diary_lines`` (``charts.tables_diary``), newest first; ``means``
    defaults to ``figures_diary.diary_means(days)``."""
    means = list(diary_means(days) if means is None else means)
    by_day = dict(means)
    recorded = sum(1 for d in days if d.entry is not None)
    return {
        "diary_figure": (
            diary_figure(days, doses=doses, pcl5=pcl5, means=means) if recorded else None
        ),
        "diary_rows": [(d, by_day.get(d.day)) for d in reversed(days)],
        "diary_lines": diary_lines(days, means),
        "diary_recorded": recorded,
        "diary_days": len(days),
    }
