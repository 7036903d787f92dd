"""The session's vitals chart: BP and heart rate over session minutes, SpO2 below.

Built server-side as a plain Plotly JSON dict (``{"data": [...], "layout": {...}}``,
two stacked panels sharing the minute axis) and drawn by the vendored plotly.js; the
page shows a table of the same numbers. No plotly Python objects at request time: they
cost more than the rest of the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from afterglow.treatment.safety import EXPECTED_BP_PEAK, ExpectedPeak, Reading, Thresholds

SYSTOLIC = "#1f4e79"
DIASTOLIC = "#0f766e"
HEART_RATE = "#7c3aed"
SPO2 = "#b45309"
PAUSE = "#991b1b"
REASSESS = "#92400e"
GRID = "#e5e7eb"
#: The two panels' vertical extents (top: BP and heart rate; bottom: SpO2), as plotly's
#: ``make_subplots(rows=2, row_heights=[0.72, 0.28], vertical_spacing=0.06)`` lays them.
TOP_DOMAIN = [0.3232, 1.0]
BOTTOM_DOMAIN = [0.0, 0.2632]

Figure = dict[str, Any]


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
) -> Figure:
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
    data = [
        _line(x, [p.systolic for p in rows], "Systolic (mmHg)", SYSTOLIC, "circle", 1),
        _line(x, [p.diastolic for p in rows], "Diastolic (mmHg)", DIASTOLIC, "square", 1),
        _line(x, [p.heart_rate for p in rows], "Heart rate (/min)", HEART_RATE, "diamond", 1),
        _line(x, [p.spo2 for p in rows], "SpO2 (%)", SPO2, "triangle-up", 2),
    ]
    left = min([*x, -10])
    right = max([*x, peak.minute + 20, (stop_minute or 0) + 10])
    t = thresholds
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for level in (
        (t.systolic_pause, 0, right, f"Pause SBP {t.systolic_pause}", PAUSE, "dot", 1),
        (t.diastolic_pause, 0, right, f"Pause DBP {t.diastolic_pause}", PAUSE, "dash", 1),
        (
            t.heart_rate_pause_above,
            0,
            right,
            f"Pause HR >{t.heart_rate_pause_above}",
            HEART_RATE,
            "dot",
            1,
        ),
        (t.predose_systolic_reassess, left, 0, "", REASSESS, "dot", 1),
        (t.predose_diastolic_reassess, left, 0, "", REASSESS, "dash", 1),
        (t.spo2_pause_below, left, right, f"Pause <{t.spo2_pause_below}%", PAUSE, "dot", 2),
    ):
        _level(shapes, notes, *level)
    for row in (1, 2):
        if stop_minute is not None and stop_minute > 0:
            shapes.append(
                {
                    "type": "rect",
                    "xref": _x(row),
                    "x0": 0,
                    "x1": stop_minute,
                    "yref": f"{_y(row)} domain",
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": "#dbeafe",
                    "opacity": 0.35,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
        shapes.append(
            {
                "type": "line",
                "xref": _x(row),
                "x0": peak.minute,
                "x1": peak.minute,
                "yref": f"{_y(row)} domain",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#6b7280", "dash": "dot", "width": 1},
            }
        )
    notes.append(
        {
            "x": peak.minute,
            "xref": "x",
            "y": 1.0,
            "yref": "paper",
            "text": f"expected peak ~{peak.minute} min",
            "showarrow": False,
            "yanchor": "bottom",
            "font": {"size": 11, "color": "#4b5563"},
        }
    )
    baseline = next(
        (p for p in reversed(rows) if p.phase == "pre" and p.systolic and p.diastolic), None
    )
    if baseline is not None and baseline.systolic and baseline.diastolic:
        data.append(
            {
                "type": "scatter",
                "x": [peak.minute, peak.minute],
                "y": [
                    baseline.systolic + peak.systolic_rise,
                    baseline.diastolic + peak.diastolic_rise,
                ],
                "name": (
                    f"Baseline + mean rise (+{peak.systolic_rise:g}/+{peak.diastolic_rise:g})"
                ),
                "mode": "markers",
                "marker": {
                    "symbol": "x-thin-open",
                    "size": 12,
                    "color": "#374151",
                    "line": {"width": 2},
                },
                "hovertemplate": "Expected at ~%{x} min: %{y:.0f} mmHg<extra></extra>",
                "xaxis": "x",
                "yaxis": "y",
            }
        )
    x_axis = {"showgrid": True, "gridcolor": GRID, "zeroline": True, "zerolinecolor": "#9ca3af"}
    y_axis = {"showgrid": True, "gridcolor": GRID, "fixedrange": True}
    layout = {
        "margin": {"l": 48, "r": 16, "t": 28, "b": 40},
        "height": 440,
        "legend": {"orientation": "h", "y": -0.14},
        "hovermode": "x unified",
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": "system-ui, sans-serif", "size": 12},
        # The top panel's minute axis follows the bottom one's, without its own labels.
        "xaxis": {
            **x_axis,
            "anchor": "y",
            "domain": [0.0, 1.0],
            "matches": "x2",
            "dtick": 10,
            "showticklabels": False,
        },
        "xaxis2": {
            **x_axis,
            "anchor": "y2",
            "domain": [0.0, 1.0],
            "dtick": 10,
            "title": {"text": "Minutes from the dose start"},
        },
        "yaxis": {
            **y_axis,
            "anchor": "x",
            "domain": TOP_DOMAIN,
            "title": {"text": "mmHg · /min"},
            "range": _range(rows, t),
        },
        "yaxis2": {
            **y_axis,
            "anchor": "x2",
            "domain": BOTTOM_DOMAIN,
            "title": {"text": "SpO2 %"},
            "range": [min(85, _low_spo2(rows)), 100.5],
        },
        "shapes": shapes,
        "annotations": notes,
    }
    return {"data": _plain(data), "layout": _plain(layout)}


def _x(row: int) -> str:
    return "x" if row == 1 else f"x{row}"


def _y(row: int) -> str:
    return "y" if row == 1 else f"y{row}"


def _plain(value: Any) -> Any:
    """Decimals and other numbers as JSON numbers, NaN as null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    number = float(value)
    return number if math.isfinite(number) else None


def _line(x: list[int], y: list[Any], name: str, color: str, symbol: str, row: int) -> Figure:
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "name": name,
        "mode": "lines+markers",
        "connectgaps": True,
        "line": {"color": color, "width": 2},
        "marker": {"size": 7, "symbol": symbol},
        "hovertemplate": f"{name.split(' (')[0]} %{{y}}<extra></extra>",
        "xaxis": _x(row),
        "yaxis": _y(row),
    }


def _level(
    shapes: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    y: int,
    x0: int,
    x1: int,
    label: str,
    color: str,
    dash: str,
    row: int,
) -> None:
    """A threshold as a horizontal segment from ``x0`` to ``x1`` (labelled at its right end)."""
    shapes.append(
        {
            "type": "line",
            "xref": _x(row),
            "yref": _y(row),
            "x0": x0,
            "x1": x1,
            "y0": y,
            "y1": y,
            "line": {"color": color, "dash": dash, "width": 1.5},
        }
    )
    if label:
        notes.append(
            {
                "x": x1,
                "y": y,
                "xref": _x(row),
                "yref": _y(row),
                "text": label,
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"size": 10, "color": color},
            }
        )


def _range(rows: Sequence[Point], t: Thresholds) -> list[int]:
    values = [
        v for p in rows for v in (p.systolic, p.diastolic, p.heart_rate) if v is not None
    ] or [t.predose_diastolic_reassess]
    return [min(40, min(values) - 10), max(t.systolic_pause + 15, max(values) + 10)]


def _low_spo2(rows: Sequence[Point]) -> int:
    values = [p.spo2 for p in rows if p.spo2 is not None]
    return min(values) - 2 if values else 85
