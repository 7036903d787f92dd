"""The PCL-5 trajectory and PHQ-9 charts (Plotly figures built server-side, drawn by
plotly.js).

Doses and therapy sessions are overlaid on the same time axis: each dose a dotted
vertical line labelled "dose n" (hover: mg, route, date), each therapy session a star
just above the time axis, filled when it fell inside the clinic's post-dose window.
Overlay traces are added only when there is something to overlay.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from afterglow.instruments.catalog import SeverityBand, get_instrument

PCL5_CODES = ("pcl5", "pcl5_past_week")
PHQ9_CODE = "phq9"
Y_MAX = 80  # PCL-5 total range 0-80
DOSE_COLOUR = "#6d28d9"
THERAPY_IN_COLOUR = "#0f766e"
THERAPY_OUT_COLOUR = "#6b7280"
THERAPY_Y = 3  # therapy stars sit just above the time axis
#: Name of the "dose n" annotations, so the page can drop them on a narrow screen.
DOSE_LABEL = "dose-label"


@dataclass(frozen=True)
class ChartPoint:
    when: dt.datetime  # aware, already in the clinic's timezone
    total: int | None
    intrusion: int | None
    complete: bool
    missing_items: Sequence[int]
    version: str


@dataclass(frozen=True)
class DoseMark:
    number: int
    when: dt.datetime  # aware, in the clinic's timezone: when the dose started
    dose_mg: Decimal | None
    route: str  # display label, e.g. "Intravenous infusion"


@dataclass(frozen=True)
class TherapyMark:
    when: dt.datetime  # aware, in the clinic's timezone
    modality: str  # display label
    timing: str  # e.g. "+26 h after session 3"
    in_window: bool


def pcl5_figure(
    points: Sequence[ChartPoint],
    *,
    cutoff: int,
    doses: Sequence[DoseMark] = (),
    therapy: Sequence[TherapyMark] = (),
    window: tuple[int, int] = (24, 72),
    outcome: OutcomeMarks | None = None,
) -> go.Figure:
    """Total and intrusion cluster (B) over time, with the clinic's cutoff line.

    Incomplete responses have no total; they are left out of the lines rather
    than drawn as zero, and listed in the table under the chart. ``doses`` and
    ``therapy`` are overlaid (module docstring); ``window`` is the clinic's post-dose
    therapy window in hours, named in the legend.
    """
    complete = [p for p in points if p.complete]
    x = [p.when for p in complete]
    hover = [f"{p.version}" for p in complete]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[p.total for p in complete],
            name="PCL-5 total (0–80)",
            mode="lines+markers",
            line={"color": "#1f4e79", "width": 3},
            marker={"size": 8, "symbol": "circle"},
            customdata=hover,
            hovertemplate="%{x|%d %b %Y}<br>Total %{y}<br>%{customdata}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[p.intrusion for p in complete],
            name="Intrusion, cluster B (0–20)",
            mode="lines+markers",
            line={"color": "#b45309", "width": 2, "dash": "dash"},
            marker={"size": 7, "symbol": "diamond"},
            hovertemplate="%{x|%d %b %Y}<br>Intrusion (B) %{y}<extra></extra>",
        )
    )
    figure.add_hline(
        y=cutoff,
        line={"color": "#7f1d1d", "dash": "dot", "width": 1.5},
        annotation_text=f"Cutoff {cutoff}",
        annotation_position="top left",
    )
    _add_doses(figure, doses)
    _add_therapy(figure, therapy, window)
    if outcome is not None:
        _add_outcome(figure, outcome)
    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 24, "b": 40},
        height=340,
        yaxis={"range": [0, Y_MAX], "title": "Score", "fixedrange": True},
        xaxis={"title": None},
        legend={"orientation": "h", "y": -0.2},
        hovermode="closest",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 13},
    )
    figure.update_xaxes(showgrid=True, gridcolor="#e5e7eb")
    figure.update_yaxes(showgrid=True, gridcolor="#e5e7eb")
    return figure


@dataclass(frozen=True)
class OutcomeMarks:
    """What ``outcomes.selectors.pcl5_outcome`` found, placed on the time axis."""

    baseline: tuple[dt.datetime, int]
    responses: Sequence[tuple[dt.datetime, int]]  # follow-ups meeting the response rule
    loss_at: dt.datetime | None  # a confirmed loss (the first day of the confirming run)
    label: str  # e.g. "Response (≥30 % below baseline 52)"
    possible_loss_at: dt.datetime | None = None  # a trailing run too short to confirm


def _add_outcome(figure: go.Figure, outcome: OutcomeMarks) -> None:
    when, total = outcome.baseline
    figure.add_trace(
        go.Scatter(
            x=[when],
            y=[total],
            name="Baseline",
            mode="markers",
            marker={"size": 16, "symbol": "square-open", "color": "#111827", "line": {"width": 2}},
            hovertemplate="%{x|%d %b %Y}<br>Baseline %{y}<extra></extra>",
        )
    )
    if outcome.responses:
        figure.add_trace(
            go.Scatter(
                x=[w for w, _ in outcome.responses],
                y=[t for _, t in outcome.responses],
                name=outcome.label,
                mode="markers",
                marker={
                    "size": 17,
                    "symbol": "circle-open",
                    "color": "#15803d",
                    "line": {"width": 3},
                },
                hovertemplate="%{x|%d %b %Y}<br>Response: total %{y}<extra></extra>",
            )
        )
    if outcome.loss_at is not None:
        figure.add_vline(
            x=outcome.loss_at.timestamp() * 1000,
            line={"color": "#b91c1c", "dash": "dash", "width": 1.5},
            annotation_text="Loss of response",
            annotation_position="top right",
            annotation_font={"color": "#b91c1c", "size": 11},
        )
    if outcome.possible_loss_at is not None:
        figure.add_vline(
            x=outcome.possible_loss_at.timestamp() * 1000,
            line={"color": "#b45309", "dash": "dot", "width": 1.5},
            annotation_text="Possible loss of response — confirm at the next measurement",
            annotation_position="top right",
            annotation_font={"color": "#b45309", "size": 11},
        )


def _add_doses(figure: go.Figure, doses: Sequence[DoseMark], y_max: int = Y_MAX) -> None:
    if not doses:
        return
    # One trace draws every line (None breaks it between doses); a second carries the hover.
    line_x: list[dt.datetime | None] = []
    line_y: list[int | None] = []
    for dose in doses:
        line_x += [dose.when, dose.when, None]
        line_y += [0, y_max, None]
    figure.add_trace(
        go.Scatter(
            x=line_x,
            y=line_y,
            name="Doses",
            legendgroup="doses",
            mode="lines",
            line={"color": DOSE_COLOUR, "width": 1.5, "dash": "dot"},
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[dose.when for dose in doses],
            y=[y_max] * len(doses),
            name="Dose details",
            legendgroup="doses",
            showlegend=False,
            mode="markers",
            marker={"color": DOSE_COLOUR, "size": 9, "symbol": "triangle-down"},
            cliponaxis=False,  # the marker sits on the top edge: draw it whole
            text=[f"dose {dose.number}" for dose in doses],
            customdata=[
                [_mg(dose.dose_mg), dose.route, dose.when.strftime("%d %b %Y %H:%M")]
                for dose in doses
            ],
            hovertemplate="%{text}<br>%{customdata[0]} · %{customdata[1]}<br>"
            "%{customdata[2]}<extra></extra>",
        )
    )
    for dose in doses:
        figure.add_annotation(
            x=dose.when,
            y=y_max * (1 - 3 / Y_MAX),  # 3 points below the top on the PCL-5 scale
            text=f"dose {dose.number}",
            name=DOSE_LABEL,
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 10, "color": DOSE_COLOUR},
        )


def _add_therapy(
    figure: go.Figure, therapy: Sequence[TherapyMark], window: tuple[int, int]
) -> None:
    groups = (
        (True, f"Therapy inside the {window[0]}–{window[1]} h window", "star", THERAPY_IN_COLOUR),
        (False, "Therapy outside the window", "star-open", THERAPY_OUT_COLOUR),
    )
    for inside, name, symbol, colour in groups:
        marks = [mark for mark in therapy if mark.in_window == inside]
        if not marks:
            continue
        figure.add_trace(
            go.Scatter(
                x=[mark.when for mark in marks],
                y=[THERAPY_Y] * len(marks),
                name=name,
                mode="markers",
                marker={
                    "color": colour,
                    "size": 12,
                    "symbol": symbol,
                    "line": {"width": 1.5, "color": colour},
                },
                customdata=[[mark.modality, mark.timing] for mark in marks],
                hovertemplate="%{customdata[0]}<br>%{x|%d %b %Y %H:%M}<br>"
                "%{customdata[1]}<extra></extra>",
            )
        )


def _mg(dose_mg: Decimal | None) -> str:
    return "dose not recorded" if dose_mg is None else f"{dose_mg} mg"


# --- PHQ-9 ---------------------------------------------------------------------------------------

PHQ9_LINE_COLOUR = "#1f2937"
SELF_HARM_COLOUR = "#b91c1c"
#: Fill of the severity bands, lightest for the lowest band (the labels carry the meaning).
BAND_FILLS = ("#f0fdf4", "#fefce8", "#fef3c7", "#ffedd5", "#fee2e2")


@dataclass(frozen=True)
class Phq9Point:
    """One PHQ-9 for the chart and its table."""

    pk: int
    when: dt.datetime  # aware, in the clinic's timezone
    total: int | None  # None when incomplete: never scored from missing answers
    complete: bool
    severity: str  # the catalog's band label of the total; "" when incomplete
    missing_items: Sequence[int]
    alert_item: int  # the item whose answer raises the self-harm alert (9)
    alert_value: int | None  # its answer; None when not answered
    alert_answer: str  # the answer's wording, e.g. "Several days"; "" when not answered
    alerted: bool  # the answer is above the alert threshold (item 9 > 0)
    source: str  # "Staff (name)" or "Patient link"


def phq9_figure(
    points: Sequence[Phq9Point],
    *,
    bands: Sequence[SeverityBand],
    max_total: int,
    doses: Sequence[DoseMark] = (),
) -> go.Figure:
    """PHQ-9 total over time on the catalog's severity bands, item 9 above 0 marked.

    ``bands`` and ``max_total`` come from the instrument definition (PHQ-9: 0-4
    minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe;
    Kroenke 2001). Incomplete responses have no total and are not on the line; when
    their item 9 is above 0 the mark sits on the top edge, saying "not scored".
    """
    complete = [p for p in points if p.complete]
    figure = go.Figure()
    for band, fill in zip(bands, _fills(len(bands)), strict=True):
        # Bands of whole numbers drawn from min - 0.5 to max + 0.5, so they meet.
        figure.add_hrect(
            y0=max(band.min - 0.5, 0),
            y1=min(band.max + 0.5, max_total),
            fillcolor=fill,
            opacity=1,
            layer="below",
            line_width=0,
            annotation_text=f"{band.label} {band.min}–{band.max}",
            annotation_position="inside top left",
            annotation_font={"size": 10, "color": "#4b5563"},
        )
    figure.add_trace(
        go.Scatter(
            x=[p.when for p in complete],
            y=[p.total for p in complete],
            name=f"PHQ-9 total (0–{max_total})",
            mode="lines+markers",
            line={"color": PHQ9_LINE_COLOUR, "width": 3},
            marker={"size": 8},
            customdata=[p.severity for p in complete],
            hovertemplate="%{x|%d %b %Y}<br>Total %{y} · %{customdata}<extra></extra>",
        )
    )
    alerted = [p for p in points if p.alerted]
    if alerted:
        item = alerted[0].alert_item
        figure.add_trace(
            go.Scatter(
                x=[p.when for p in alerted],
                y=[p.total if p.total is not None else max_total for p in alerted],
                name=f"Item {item} above 0 (self-harm)",  # short: it fits a phone
                mode="markers",
                marker={
                    "size": 18,
                    "symbol": "circle-x-open",
                    "color": SELF_HARM_COLOUR,
                    "line": {"width": 2.5},
                },
                cliponaxis=False,
                customdata=[
                    [
                        p.alert_value,
                        p.alert_answer,
                        "" if p.complete else " (incomplete, not scored)",
                    ]
                    for p in alerted
                ],
                hovertemplate=f"%{{x|%d %b %Y}}<br>Item {item}: %{{customdata[0]}} — "
                "%{customdata[1]}%{customdata[2]}<extra></extra>",
            )
        )
    _add_doses(figure, doses, y_max=max_total)
    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 24, "b": 40},
        height=320,
        yaxis={"range": [0, max_total], "title": "PHQ-9 total", "fixedrange": True},
        xaxis={"title": None},
        legend={"orientation": "h", "y": -0.2},
        hovermode="closest",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 13},
    )
    figure.update_xaxes(showgrid=True, gridcolor="#e5e7eb")
    figure.update_yaxes(showgrid=False)
    return figure


def _fills(n: int) -> list[str]:
    """``n`` fills spread from the lightest to the strongest of ``BAND_FILLS``."""
    last = len(BAND_FILLS) - 1
    return [BAND_FILLS[round(i * last / max(n - 1, 1))] for i in range(n)]


def phq9_chart_context(
    points: Sequence[Phq9Point], *, doses: Sequence[DoseMark] = ()
) -> dict[str, Any]:
    """Template context for ``patients/_phq9.html``; runs no queries.

    ``phq9_rows`` (newest first) is empty when the patient has no PHQ-9, and the card
    is then left out; ``phq9_figure`` is the figure as JSON for json_script, None when
    nothing can be drawn (no complete PHQ-9 and no item-9 mark). The bands and the
    score range are the catalog's (``definitions/phq9.json``).
    """
    scoring = get_instrument(PHQ9_CODE).scoring
    bands = scoring.severity.bands if scoring.severity else ()
    drawable = any(p.complete or p.alerted for p in points)
    figure = (
        json.loads(phq9_figure(points, bands=bands, max_total=scoring.max, doses=doses).to_json())
        if drawable
        else None
    )
    return {
        "phq9_rows": list(reversed(points)),
        "phq9_figure": figure,
        "phq9_bands": list(bands),
        "phq9_bands_source": scoring.severity.source if scoring.severity else "",
        "phq9_max": scoring.max,
    }
