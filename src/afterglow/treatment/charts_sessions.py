"""The session's vitals chart: BP and heart rate over session minutes, SpO2 below.

Built server-side as a Plotly figure and drawn by the plotly.js bundle served
from the installed package; the page shows a table of the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from afterglow.treatment.safety import EXPECTED_BP_PEAK, ExpectedPeak, Reading, Thresholds

SYSTOLIC = "#1f4e79"
DIASTOLIC = "#0f766e"
HEART_RATE = "#7c3aed"
SPO2 = "#b45309"
PAUSE = "#991b1b"
REASSESS = "#92400e"


class Point(Reading, Protocol):
    """A vitals row as the chart reads it (``treatment.models.VitalsReading`` fits)."""

    @property
    def phase(self) -> str: ...


def vitals_figure(
    points: Sequence[Point],
    *,
    thresholds: Thresholds,
    stop_minute: int | None = None,
    peak: ExpectedPeak = EXPECTED_BP_PEAK,
) -> go.Figure:
    """BP and heart rate (top) and SpO2 (bottom) against minutes from the dose start.

    Threshold lines are the clinic's: the BP pause levels and the heart-rate
    pause level across the session, the pre-dose reassessment levels before
    minute 0, and the SpO2 pause level on the SpO2 panel. A dotted vertical
    line marks the expected BP peak (40 min); when a pre-dose BP exists, hollow
    markers show baseline + the mean rise (+16/+11 mmHg) there, for context, not
    as a limit. The infusion (0 to the stop) is shaded. Empty values are gaps,
    never zeros.
    """
    rows = sorted(points, key=lambda p: p.minute)
    x = [p.minute for p in rows]
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.72, 0.28],
        vertical_spacing=0.06,
    )
    _line(figure, x, [p.systolic for p in rows], "Systolic (mmHg)", SYSTOLIC, "circle", 1)
    _line(figure, x, [p.diastolic for p in rows], "Diastolic (mmHg)", DIASTOLIC, "square", 1)
    _line(figure, x, [p.heart_rate for p in rows], "Heart rate (/min)", HEART_RATE, "diamond", 1)
    _line(figure, x, [p.spo2 for p in rows], "SpO2 (%)", SPO2, "triangle-up", 2)

    left = min([*x, -10])
    right = max([*x, peak.minute + 20, (stop_minute or 0) + 10])
    t = thresholds
    _level(figure, t.systolic_pause, 0, right, f"Pause SBP {t.systolic_pause}", PAUSE, "dot", 1)
    _level(figure, t.diastolic_pause, 0, right, f"Pause DBP {t.diastolic_pause}", PAUSE, "dash", 1)
    _level(
        figure,
        t.heart_rate_pause_above,
        0,
        right,
        f"Pause HR >{t.heart_rate_pause_above}",
        HEART_RATE,
        "dot",
        1,
    )
    _level(figure, t.predose_systolic_reassess, left, 0, "", REASSESS, "dot", 1)
    _level(figure, t.predose_diastolic_reassess, left, 0, "", REASSESS, "dash", 1)
    _level(
        figure, t.spo2_pause_below, left, right, f"Pause <{t.spo2_pause_below}%", PAUSE, "dot", 2
    )
    if stop_minute is not None and stop_minute > 0:
        figure.add_vrect(
            x0=0, x1=stop_minute, fillcolor="#dbeafe", opacity=0.35, line_width=0, layer="below"
        )
    figure.add_vline(x=peak.minute, line={"color": "#6b7280", "dash": "dot", "width": 1})
    figure.add_annotation(
        x=peak.minute,
        y=1.0,
        yref="paper",
        text=f"expected peak ~{peak.minute} min",
        showarrow=False,
        yanchor="bottom",
        font={"size": 11, "color": "#4b5563"},
    )
    baseline = next(
        (p for p in reversed(rows) if p.phase == "pre" and p.systolic and p.diastolic), None
    )
    if baseline is not None and baseline.systolic and baseline.diastolic:
        figure.add_trace(
            go.Scatter(
                x=[peak.minute, peak.minute],
                y=[
                    baseline.systolic + peak.systolic_rise,
                    baseline.diastolic + peak.diastolic_rise,
                ],
                name=f"Baseline + mean rise (+{peak.systolic_rise:g}/+{peak.diastolic_rise:g})",
                mode="markers",
                marker={"symbol": "x-thin-open", "size": 12, "color": "#374151", "line_width": 2},
                hovertemplate="Expected at ~%{x} min: %{y:.0f} mmHg<extra></extra>",
            ),
            row=1,
            col=1,
        )

    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 28, "b": 40},
        height=440,
        legend={"orientation": "h", "y": -0.14},
        hovermode="x unified",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 12},
    )
    figure.update_xaxes(
        showgrid=True, gridcolor="#e5e7eb", zeroline=True, zerolinecolor="#9ca3af", dtick=10
    )
    figure.update_xaxes(title_text="Minutes from the dose start", row=2, col=1)
    figure.update_yaxes(showgrid=True, gridcolor="#e5e7eb", fixedrange=True)
    figure.update_yaxes(title_text="mmHg · /min", range=_range(rows, t), row=1, col=1)
    figure.update_yaxes(title_text="SpO2 %", range=[min(85, _low_spo2(rows)), 100.5], row=2, col=1)
    return figure


def _line(
    figure: go.Figure, x: list[int], y: list[Any], name: str, color: str, symbol: str, row: int
) -> None:
    figure.add_trace(
        go.Scatter(
            x=x,
            y=y,
            name=name,
            mode="lines+markers",
            connectgaps=True,
            line={"color": color, "width": 2},
            marker={"size": 7, "symbol": symbol},
            hovertemplate=f"{name.split(' (')[0]} %{{y}}<extra></extra>",
        ),
        row=row,
        col=1,
    )


def _level(
    figure: go.Figure,
    y: int,
    x0: int,
    x1: int,
    label: str,
    color: str,
    dash: str,
    row: int,
) -> None:
    """A threshold as a horizontal segment from ``x0`` to ``x1`` (labelled at its right end)."""
    figure.add_shape(
        type="line",
        x0=x0,
        x1=x1,
        y0=y,
        y1=y,
        line={"color": color, "dash": dash, "width": 1.5},
        row=row,
        col=1,
    )
    if label:
        figure.add_annotation(
            x=x1,
            y=y,
            text=label,
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font={"size": 10, "color": color},
            row=row,
            col=1,
        )


def _range(rows: Sequence[Point], t: Thresholds) -> list[int]:
    values = [
        v for p in rows for v in (p.systolic, p.diastolic, p.heart_rate) if v is not None
    ] or [t.predose_diastolic_reassess]
    return [min(40, min(values) - 10), max(t.systolic_pause + 15, max(values) + 10)]


def _low_spo2(rows: Sequence[Point]) -> int:
    values = [p.spo2 for p in rows if p.spo2 is not None]
    return min(values) - 2 if values else 85
