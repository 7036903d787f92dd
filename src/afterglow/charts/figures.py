"""The PCL-5 trajectory and PHQ-9 figures as Plotly JSON (plain dicts, drawn by plotly.js).

No ``plotly.graph_objects`` at request time: its validation and deep copies cost
more than the rest of the chart page together, and plotly.js only needs the JSON.
The dicts use the figure schema's own keys (``data``, ``layout``, ``shapes``,
``annotations``), so ``plotly.graph_objects.Figure(figure)`` validates one in a test.

Doses and therapy sessions are overlaid on the same time axis: each dose a dotted
vertical line labelled "dose n" (hover: mg, route, date), each therapy session a star
just above the time axis, filled when it fell inside the clinic's post-dose window.
Overlay traces are added only when there is something to overlay. Colours, dashes,
markers and the layout come from :mod:`afterglow.charts.style`. Django-free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from afterglow.charts import style
from afterglow.charts.marks import (
    PCL5_MAX,
    ChartPoint,
    DoseMark,
    OutcomeMarks,
    Phq9Point,
    TherapyMark,
)

if TYPE_CHECKING:
    from afterglow.instruments.catalog import SeverityBand

Figure = dict[str, Any]
THERAPY_Y = 3  # therapy stars sit just above the time axis
T = style.plotly_time


def pcl5_figure(
    points: Sequence[ChartPoint],
    *,
    cutoff: int,
    doses: Sequence[DoseMark] = (),
    therapy: Sequence[TherapyMark] = (),
    window: tuple[int, int] = (24, 72),
    outcome: OutcomeMarks | None = None,
    scans: Sequence[tuple[dt.date, str]] = (),
) -> Figure:
    """Total and intrusion cluster (B) over time, with the clinic's cutoff line.

    ``scans`` (day, label) are research imaging sessions, drawn as grey dashed lines
    labelled "scan <label>" at the top of the plot.

    Incomplete responses have no total; they are left out of the lines rather
    than drawn as zero, and listed in the table under the chart. ``doses`` and
    ``therapy`` are overlaid (module docstring); ``window`` is the clinic's post-dose
    therapy window in hours, named in the legend.
    """
    complete = [p for p in points if p.complete]
    x = [T(p.when) for p in complete]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": x,
            "y": [p.total for p in complete],
            "name": "PCL-5 total (0–80)",
            "mode": "lines+markers",
            "line": dict(style.MAIN_LINE),
            "marker": dict(style.MAIN_MARKER),
            "customdata": [p.version for p in complete],
            "hovertemplate": "%{x|%d %b %Y}<br>Total %{y}<br>%{customdata}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": x,
            "y": [p.intrusion for p in complete],
            "name": "Intrusion, cluster B (0–20)",
            "mode": "lines+markers",
            "line": dict(style.SECONDARY_LINE),
            "marker": dict(style.SECONDARY_MARKER),
            "hovertemplate": "%{x|%d %b %Y}<br>Intrusion (B) %{y}<extra></extra>",
        },
    ]
    shapes: list[dict[str, Any]] = [_hline(cutoff, style.CUTOFF_LINE)]
    annotations: list[dict[str, Any]] = [
        {
            "text": f"Cutoff {cutoff}",
            "xref": "x domain",
            "x": 0,
            "yref": "y",
            "y": cutoff,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
        }
    ]
    data += dose_traces(doses, y_max=PCL5_MAX)
    annotations += dose_labels(doses, y_max=PCL5_MAX)
    data += _therapy_traces(therapy, window)
    if outcome is not None:
        data += _outcome_traces(outcome)
        shapes += _outcome_lines(outcome, annotations)
    for day, label in scans:
        shapes.append({**_vline(day), "line": dict(style.SCAN_LINE)})
        annotations.append(
            {
                "text": f"scan {label}",
                "name": "dose-label",  # hidden on a phone like the dose labels
                "x": T(day),
                "xref": "x",
                "y": 1,
                "yref": "y domain",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 11, "color": style.SCAN_LINE["color"]},
            }
        )
    moments: list[dt.date | dt.datetime] = [p.when for p in complete]
    moments += [d.when for d in doses] + [t.when for t in therapy] + [day for day, _ in scans]
    return {
        "data": data,
        "layout": style.base_layout(
            height=340,
            xaxis=style.time_axis(moments),
            yaxis={
                "range": [0, PCL5_MAX],
                "title": {"text": "Score"},
                "fixedrange": True,
                "showgrid": True,
                "gridcolor": style.GRID,
            },
            shapes=shapes,
            annotations=annotations,
        ),
    }


def _vline(day: dt.date) -> dict[str, Any]:
    return {
        "type": "line",
        "xref": "x",
        "x0": T(day),
        "x1": T(day),
        "yref": "y domain",
        "y0": 0,
        "y1": 1,
    }


def _hline(y: float, line: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": dict(line),
    }


def _outcome_traces(outcome: OutcomeMarks) -> list[dict[str, Any]]:
    when, total = outcome.baseline
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [T(when)],
            "y": [total],
            "name": "Baseline",
            "mode": "markers",
            "marker": dict(style.BASELINE_MARKER),
            "hovertemplate": "%{x|%d %b %Y}<br>Baseline %{y}<extra></extra>",
        }
    ]
    if outcome.responses:
        traces.append(
            {
                "type": "scatter",
                "x": [T(w) for w, _ in outcome.responses],
                "y": [t for _, t in outcome.responses],
                "name": outcome.label,
                "mode": "markers",
                "marker": dict(style.RESPONSE_MARKER),
                "hovertemplate": "%{x|%d %b %Y}<br>Response: total %{y}<extra></extra>",
            }
        )
    return traces


def _outcome_lines(
    outcome: OutcomeMarks, annotations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The loss (and possible loss) of response: vertical lines, labelled at the top."""
    shapes = []
    for at, text, colour, dash in (
        (outcome.loss_at, "Loss of response", style.LOSS, style.LOSS_DASH),
        (
            outcome.possible_loss_at,
            "Possible loss of response — confirm at the next measurement",
            style.POSSIBLE_LOSS,
            style.POSSIBLE_LOSS_DASH,
        ),
    ):
        if at is None:
            continue
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": T(at),
                "x1": T(at),
                "yref": "y domain",
                "y0": 0,
                "y1": 1,
                "line": {"color": colour, "dash": dash, "width": 1.5},
            }
        )
        annotations.append(
            {
                "text": text,
                "xref": "x",
                "x": T(at),
                "yref": "y domain",
                "y": 1,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"color": colour, "size": 11},
            }
        )
    return shapes


def dose_traces(
    doses: Sequence[DoseMark],
    *,
    y_max: float,
    axes: tuple[str, str] = ("x", "y"),
    details: bool = True,
    showlegend: bool = True,
) -> list[dict[str, Any]]:
    """Dotted vertical lines at each dose (one trace; ``None`` breaks it between doses)
    and, when ``details``, a marker on the top edge carrying the hover."""
    if not doses:
        return []
    line_x: list[str | None] = []
    line_y: list[float | None] = []
    for dose in doses:
        line_x += [T(dose.when), T(dose.when), None]
        line_y += [0, y_max, None]
    xaxis, yaxis = axes
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": line_x,
            "y": line_y,
            "xaxis": xaxis,
            "yaxis": yaxis,
            "name": "Doses",
            "legendgroup": "doses",
            "showlegend": showlegend,
            "mode": "lines",
            "line": dict(style.DOSE_LINE),
            "hoverinfo": "skip",
        }
    ]
    if details:
        traces.append(
            {
                "type": "scatter",
                "x": [T(dose.when) for dose in doses],
                "y": [y_max] * len(doses),
                "xaxis": xaxis,
                "yaxis": yaxis,
                "name": "Dose details",
                "legendgroup": "doses",
                "showlegend": False,
                "mode": "markers",
                "marker": dict(style.DOSE_MARKER),
                "cliponaxis": False,  # the marker sits on the top edge: draw it whole
                "text": [f"dose {dose.number}" for dose in doses],
                "customdata": [
                    [_mg(dose.dose_mg), dose.route, dose.when.strftime("%d %b %Y %H:%M")]
                    for dose in doses
                ],
                "hovertemplate": "%{text}<br>%{customdata[0]} · %{customdata[1]}<br>"
                "%{customdata[2]}<extra></extra>",
            }
        )
    return traces


def dose_labels(doses: Sequence[DoseMark], *, y_max: float) -> list[dict[str, Any]]:
    """ "dose n" written up each dose line, near the top (named, so a phone drops them)."""
    return [
        {
            "x": T(dose.when),
            "y": y_max * (1 - 3 / PCL5_MAX),  # 3 points below the top on the PCL-5 scale
            "xref": "x",
            "yref": "y",
            "text": f"dose {dose.number}",
            "name": style.DOSE_LABEL,
            "showarrow": False,
            "textangle": -90,
            "xanchor": "right",
            "yanchor": "top",
            "font": dict(style.DOSE_LABEL_FONT),
        }
        for dose in doses
    ]


def _therapy_traces(
    therapy: Sequence[TherapyMark], window: tuple[int, int]
) -> list[dict[str, Any]]:
    groups = (
        (True, f"Therapy inside the {window[0]}–{window[1]} h window", style.THERAPY_IN),
        (False, "Therapy outside the window", style.THERAPY_OUT),
    )
    traces = []
    for inside, name, colour in groups:
        marks = [mark for mark in therapy if mark.in_window == inside]
        if not marks:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": [T(mark.when) for mark in marks],
                "y": [THERAPY_Y] * len(marks),
                "name": name,
                "mode": "markers",
                "marker": {
                    "color": colour,
                    "size": 12,
                    "symbol": style.THERAPY_SYMBOLS[inside],
                    "line": {"width": 1.5, "color": colour},
                },
                "customdata": [[mark.modality, mark.timing] for mark in marks],
                "hovertemplate": "%{customdata[0]}<br>%{x|%d %b %Y %H:%M}<br>"
                "%{customdata[1]}<extra></extra>",
            }
        )
    return traces


def _mg(dose_mg: Decimal | None) -> str:
    return "dose not recorded" if dose_mg is None else f"{dose_mg} mg"


# --- PHQ-9 ---------------------------------------------------------------------------------------


def phq9_figure(
    points: Sequence[Phq9Point],
    *,
    bands: Sequence[SeverityBand],
    max_total: int,
    doses: Sequence[DoseMark] = (),
) -> Figure:
    """PHQ-9 total over time on the catalog's severity bands, item 9 above 0 marked.

    ``bands`` and ``max_total`` come from the instrument definition (PHQ-9: 0-4
    minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe;
    Kroenke 2001). Incomplete responses have no total and are not on the line; when
    their item 9 is above 0 the mark sits on the top edge, saying "not scored".
    """
    complete = [p for p in points if p.complete]
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for band, fill in zip(bands, band_fills(len(bands)), strict=True):
        # Bands of whole numbers drawn from min - 0.5 to max + 0.5, so they meet.
        top = min(band.max + 0.5, max_total)
        shapes.append(
            {
                "type": "rect",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": max(band.min - 0.5, 0),
                "y1": top,
                "fillcolor": fill,
                "opacity": 1,
                "layer": "below",
                "line": {"width": 0},
            }
        )
        annotations.append(
            {
                "text": f"{band.label} {band.min}–{band.max}",
                "xref": "x domain",
                "x": 0,
                "yref": "y",
                "y": top,
                "xanchor": "left",
                "yanchor": "top",
                "showarrow": False,
                "font": {"size": 10, "color": style.BAND_LABEL},
            }
        )
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [T(p.when) for p in complete],
            "y": [p.total for p in complete],
            "name": f"PHQ-9 total (0–{max_total})",
            "mode": "lines+markers",
            "line": {"color": style.PHQ9_LINE, "width": 3},
            "marker": {"size": 8},
            "customdata": [p.severity for p in complete],
            "hovertemplate": "%{x|%d %b %Y}<br>Total %{y} · %{customdata}<extra></extra>",
        }
    ]
    alerted = [p for p in points if p.alerted]
    if alerted:
        item = alerted[0].alert_item
        data.append(
            {
                "type": "scatter",
                "x": [T(p.when) for p in alerted],
                "y": [p.total if p.total is not None else max_total for p in alerted],
                "name": f"Item {item} above 0 (self-harm)",  # short: it fits a phone
                "mode": "markers",
                "marker": dict(style.SELF_HARM_MARKER),
                "cliponaxis": False,
                "customdata": [
                    [
                        p.alert_value,
                        p.alert_answer,
                        "" if p.complete else " (incomplete, not scored)",
                    ]
                    for p in alerted
                ],
                "hovertemplate": f"%{{x|%d %b %Y}}<br>Item {item}: %{{customdata[0]}} — "
                "%{customdata[1]}%{customdata[2]}<extra></extra>",
            }
        )
    data += dose_traces(doses, y_max=max_total)
    annotations += dose_labels(doses, y_max=max_total)
    moments = [p.when for p in complete] + [p.when for p in alerted] + [d.when for d in doses]
    return {
        "data": data,
        "layout": style.base_layout(
            height=320,
            xaxis=style.time_axis(moments),
            yaxis={
                "range": [0, max_total],
                "title": {"text": "PHQ-9 total"},
                "fixedrange": True,
                "showgrid": False,
            },
            shapes=shapes,
            annotations=annotations,
        ),
    }


def band_fills(n: int) -> list[str]:
    """``n`` fills spread from the lightest to the strongest of ``style.BAND_FILLS``."""
    fills = style.BAND_FILLS
    last = len(fills) - 1
    return [fills[round(i * last / max(n - 1, 1))] for i in range(n)]
