"""The dashboard's Plotly figures as plain JSON dicts, drawn by the local plotly.js.

Each function takes numbers the dashboard already computed (``analytics.dashboard``),
draws only what is shown (hidden cells are left out, never drawn as zero) and returns
a figure dict ``{"data": [...], "layout": {...}}`` ready for ``json_script``. Plotly.js
reads JSON; building plotly's Python figure objects (validation, deep copies) cost most
of the page's time, so none is built at request time. Every figure has a table of the
same numbers on the page. Individual patient lines carry no hover, no name and no id.

Weekly means break where a week has no shown mean (no data, or fewer than the minimum
N): the line and its band stop there instead of running across the empty weeks, and
each point's hover gives its n (as the table beside it does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from afterglow.analytics.dashboard import Dashboard
from afterglow.analytics.forms import column_label, value_label

Figure = dict[str, Any]
Trace = dict[str, Any]

MEAN_COLOUR = "#1f4e79"
BAND_COLOUR = "rgba(31, 78, 121, 0.18)"
LINE_COLOUR = "rgba(107, 114, 128, 0.18)"
INTRUSION_COLOUR = "#b45309"
INTRUSION_BAND = "rgba(180, 83, 9, 0.18)"
DIARY_COLOUR = "#0f766e"
DIARY_BAND = "rgba(15, 118, 110, 0.18)"
CUTOFF_COLOUR = "#7f1d1d"
GRID_COLOUR = "#e5e7eb"
SEVERITY_COLOURS = {"mild": "#93c5fd", "moderate": "#f59e0b", "severe": "#b91c1c"}
#: Subgroup labels longer than this are cut on the forest plot (hover shows them whole):
#: about what a 320 px phone fits on one line.
LABEL_CHARS = 40
#: Short column names for the forest plot's rows.
FOREST_PREFIX = {
    "age_band": "Age",
    "baseline_severity_band": "Baseline",
    "dose_band": "Dose",
    "psychotherapy_in_window": "Therapy",
}
FONT = {"family": "system-ui, sans-serif", "size": 13}


def dashboard_figures(board: Dashboard, *, cutoff: int) -> dict[str, Figure]:
    """Every figure of the page that has something to show, by name."""
    figures: dict[str, Figure] = {}
    if board.shown and any(w["shown"] for w in board.trajectory):
        figures["trajectory"] = trajectory_figure(board.trajectory, board.lines, cutoff=cutoff)
    if any(w["shown"] for w in board.intrusion):
        figures["intrusion"] = weekly_figure(
            board.intrusion,
            y_title="Cluster B (0–20)",
            y_max=20,
            colour=INTRUSION_COLOUR,
            band=INTRUSION_BAND,
            name="Mean intrusion score",
        )
    if any(w["shown"] for w in board.diary):
        figures["diary"] = weekly_figure(
            board.diary,
            y_title="Intrusions per week",
            y_max=None,
            colour=DIARY_COLOUR,
            band=DIARY_BAND,
            name="Mean diary intrusions per week",
        )
    if board.km is not None:
        figures["km"] = km_figure(board.km)
    if board.safety.shown:
        figures["adverse"] = adverse_figure(board.safety.adverse)
        if any(row["shown"] for row in board.safety.cadss):
            figures["cadss"] = cadss_figure(board.safety.cadss)
    subgroups = [
        (table["column"], row) for table in board.subgroups for row in table["rows"] if row["shown"]
    ]
    if subgroups:
        figures["subgroups"] = forest_figure(subgroups)
    if board.model is not None:
        figures["calibration"] = calibration_figure(board.model["calibration"])
    return figures


# --- plain JSON helpers -----------------------------------------------------------------------


def plain(value: Any) -> Any:
    """``value`` with numpy numbers as Python numbers and NaN/inf as None (JSON null):
    ``json_script`` cannot encode numpy, and JSON has no NaN."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _axis(title: str, **changes: Any) -> dict[str, Any]:
    # Fixed axes: on a phone a drag scrolls the page instead of panning the chart.
    return {
        "title": {"text": title},
        "showgrid": True,
        "gridcolor": GRID_COLOUR,
        "zeroline": False,
        "fixedrange": True,
        **changes,
    }


def _figure(
    data: list[Trace],
    *,
    height: int = 320,
    xaxis: dict[str, Any],
    yaxis: dict[str, Any],
    shapes: list[dict[str, Any]] | None = None,
    annotations: list[dict[str, Any]] | None = None,
    **changes: Any,
) -> Figure:
    layout: dict[str, Any] = {
        "margin": {"l": 52, "r": 12, "t": 16, "b": 44},
        "height": height,
        "legend": {"orientation": "h", "y": -0.22},
        "hovermode": "closest",
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": FONT,
        "xaxis": xaxis,
        "yaxis": yaxis,
        **changes,
    }
    if shapes:
        layout["shapes"] = shapes
    if annotations:
        layout["annotations"] = annotations
    return {"data": plain(data), "layout": plain(layout)}


def _hline(y: float, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dotted reference line across the plot at ``y``, labelled at its right end."""
    shape = {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": {"color": CUTOFF_COLOUR, "dash": "dot", "width": 1.5},
    }
    note = {
        "text": text,
        "showarrow": False,
        "xref": "x domain",
        "x": 1,
        "xanchor": "right",
        "yref": "y",
        "y": y,
        "yanchor": "bottom",
    }
    return shape, note


def _vline(x: float, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dashed line up the plot at ``x``, labelled at its top right."""
    shape = {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "y domain",
        "y0": 0,
        "y1": 1,
        "line": {"color": CUTOFF_COLOUR, "dash": "dash", "width": 1.5},
    }
    note = {
        "text": text,
        "showarrow": False,
        "xref": "x",
        "x": x,
        "xanchor": "left",
        "yref": "y domain",
        "y": 1,
        "yanchor": "top",
    }
    return shape, note


def runs(weeks: Sequence[int]) -> list[list[int]]:
    """Consecutive weeks grouped: ``[0, 1, 2, 5, 6]`` → ``[[0, 1, 2], [5, 6]]``."""
    groups: list[list[int]] = []
    for week in weeks:
        if groups and week == groups[-1][-1] + 1:
            groups[-1].append(week)
        else:
            groups.append([week])
    return groups


# --- figures -----------------------------------------------------------------------------------


def trajectory_figure(
    weeks: Sequence[dict[str, Any]], lines: Sequence[Sequence[tuple[float, int]]], *, cutoff: int
) -> Figure:
    """Mean PCL-5 total ± 95 % CI by week, individual patients faint behind it."""
    data: list[Trace] = []
    if lines:
        x: list[float | None] = []
        y: list[int | None] = []
        for points in lines:
            x += [p[0] for p in points] + [None]
            y += [p[1] for p in points] + [None]
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "lines",
                "line": {"color": LINE_COLOUR, "width": 1},
                "name": "Individual patients",
                "hoverinfo": "skip",
                "connectgaps": False,
            }
        )
    data += _weekly_mean(weeks, colour=MEAN_COLOUR, band=BAND_COLOUR, name="Mean PCL-5 total")
    shape, note = _hline(cutoff, f"Cutoff {cutoff}")
    return _figure(
        data,
        height=360,
        xaxis=_axis("Weeks since first dose (0 = baseline)"),
        yaxis=_axis("PCL-5 total", range=[0, 80]),
        shapes=[shape],
        annotations=[note],
    )


def weekly_figure(
    weeks: Sequence[dict[str, Any]],
    *,
    y_title: str,
    y_max: float | None,
    colour: str,
    band: str,
    name: str,
) -> Figure:
    """A weekly mean ± 95 % CI (cluster B, diary counts)."""
    y_axis = _axis(y_title, rangemode="tozero")
    if y_max is not None:
        y_axis["range"] = [0, y_max]
    return _figure(
        _weekly_mean(weeks, colour=colour, band=band, name=name),
        xaxis=_axis("Weeks since first dose"),
        yaxis=y_axis,
    )


def km_figure(km: dict[str, Any]) -> Figure:
    """Kaplan–Meier share of responders still responding, with its 95 % band and median."""
    timeline = km["timeline"]
    low = [v if v is not None else 0 for v in km["ci_low"]]
    high = [v if v is not None else 1 for v in km["ci_high"]]
    data: list[Trace] = [
        {
            "type": "scatter",
            "x": timeline,
            "y": high,
            "mode": "lines",
            "line": {"width": 0, "shape": "hv"},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "x": timeline,
            "y": low,
            "mode": "lines",
            "line": {"width": 0, "shape": "hv"},
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "name": "95% CI",
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": timeline,
            "y": km["survival"],
            "mode": "lines",
            "line": {"color": MEAN_COLOUR, "width": 3, "shape": "hv"},
            "name": "Still responding",
            "hovertemplate": "Day %{x}<br>%{y:.0%} still responding<extra></extra>",
        },
    ]
    median = km["median_days_to_loss_of_response"]
    marks = [_vline(median, f"Median {median:g} days")] if median is not None else []
    return _figure(
        data,
        xaxis=_axis("Days since the response at the durability timepoint"),
        yaxis=_axis("Share still responding", range=[0, 1.02], tickformat=".0%"),
        shapes=[shape for shape, _ in marks],
        annotations=[note for _, note in marks],
    )


def adverse_figure(rows: Sequence[dict[str, Any]]) -> Figure:
    bar = {
        "type": "bar",
        "x": [row["severity"].capitalize() for row in rows],
        "y": [row["per_100"] for row in rows],
        "marker": {"color": [SEVERITY_COLOURS[row["severity"]] for row in rows]},
        "customdata": [[row["events"]] for row in rows],
        "hovertemplate": "%{x}: %{y:.1f} per 100 sessions (%{customdata[0]} events)<extra></extra>",
        "name": "Adverse events per 100 sessions",
    }
    return _figure(
        [bar],
        height=260,
        showlegend=False,
        xaxis=_axis(""),
        yaxis=_axis("Per 100 sessions", rangemode="tozero"),
    )


def cadss_figure(rows: Sequence[dict[str, Any]]) -> Figure:
    shown = [row for row in rows if row["shown"]]
    errors = [
        (row["ci95"][1] - row["mean"], row["mean"] - row["ci95"][0]) if row["ci95"] else (0, 0)
        for row in shown
    ]
    trace = {
        "type": "scatter",
        "x": [row["number"] for row in shown],
        "y": [row["mean"] for row in shown],
        "mode": "lines+markers",
        "line": {"color": MEAN_COLOUR, "width": 2},
        "marker": {"size": 8},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [e[0] for e in errors],
            "arrayminus": [e[1] for e in errors],
            "color": MEAN_COLOUR,
        },
        "customdata": [[row["n_patients"]] for row in shown],
        "hovertemplate": "Infusion %{x}<br>Mean peak CADSS %{y:.1f}<br>n = %{customdata[0]}"
        "<extra></extra>",
        "name": "Mean peak CADSS",
    }
    return _figure(
        [trace],
        height=280,
        showlegend=False,
        xaxis=_axis("Infusion number", dtick=1),
        yaxis=_axis("Peak CADSS", rangemode="tozero"),
    )


def forest_figure(rows: Sequence[tuple[str, dict[str, Any]]]) -> Figure:
    """Response rate with its Wilson 95 % CI, one row per shown subgroup.

    Each row's label is written above its interval, across the plot, rather than as a
    tick label beside it: on a phone, tick labels as long as a protocol's name would
    leave the intervals no room."""
    full = [f"{column_label(column)}: {value_label(column, row['label'])}" for column, row in rows]
    short = [FOREST_PREFIX.get(column, column_label(column)) for column, _ in rows]
    labels = _short_labels(
        [
            f"{name}: {value_label(column, row['label'])}"
            for name, (column, row) in zip(short, rows, strict=True)
        ]
    )
    trace = {
        "type": "scatter",
        "x": [row["rate"] for _, row in rows],
        "y": labels,
        "mode": "markers",
        "marker": {"size": 9, "color": MEAN_COLOUR},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [row["ci95"][1] - row["rate"] for _, row in rows],
            "arrayminus": [row["rate"] - row["ci95"][0] for _, row in rows],
            "color": MEAN_COLOUR,
        },
        "customdata": [[row["n"], text] for (_, row), text in zip(rows, full, strict=True)],
        "hovertemplate": "%{customdata[1]}<br>%{x:.0%} responded, n = %{customdata[0]}"
        "<extra></extra>",
    }
    annotations = [
        {
            "x": 0,
            "xref": "paper",
            "y": label,
            "yshift": 12,
            "text": label,
            "showarrow": False,
            "xanchor": "left",
            "font": {"size": 12, "color": "#374151"},
        }
        for label in labels
    ]
    return _figure(
        [trace],
        height=70 + 44 * len(rows),
        showlegend=False,
        margin={"l": 12, "r": 12, "t": 24, "b": 44},
        xaxis=_axis("Response at the end of the course", range=[0, 1], tickformat=".0%"),
        yaxis={"autorange": "reversed", "showticklabels": False, "fixedrange": True},
        annotations=annotations,
    )


def _short_labels(texts: Sequence[str]) -> list[str]:
    """Cut long labels (protocol names would push the plot off a phone screen; the hover
    shows them whole) and keep them distinct: plotly would put two equal labels on one row."""
    labels: list[str] = []
    for text in texts:
        label = text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
        number = 2
        while label in labels:
            label = f"{label.rstrip('…')[: LABEL_CHARS - 5]}… ({number})"
            number += 1
        labels.append(label)
    return labels


def calibration_figure(bins: Sequence[dict[str, Any]]) -> Figure:
    data: list[Trace] = [
        {
            "type": "scatter",
            "x": [0, 1],
            "y": [0, 1],
            "mode": "lines",
            "line": {"color": "#9ca3af", "dash": "dash", "width": 1},
            "name": "Perfect calibration",
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": [b["predicted_mean"] for b in bins],
            "y": [b["observed_rate"] for b in bins],
            "mode": "lines+markers",
            "line": {"color": MEAN_COLOUR, "width": 2},
            "marker": {"size": 9},
            "name": "Cross-validated predictions",
            "customdata": [[b["n"]] for b in bins],
            "hovertemplate": "Predicted %{x:.0%}<br>Observed %{y:.0%}<br>n = %{customdata[0]}"
            "<extra></extra>",
        },
    ]
    return _figure(
        data,
        height=300,
        xaxis=_axis("Predicted chance of response", range=[0, 1], tickformat=".0%"),
        yaxis=_axis("Observed response", range=[0, 1], tickformat=".0%"),
    )


def _weekly_mean(
    weeks: Sequence[dict[str, Any]], *, colour: str, band: str, name: str
) -> list[Trace]:
    """The shown weeks' mean as a line with markers over its 95 % CI band, both broken
    where a week has no shown mean (never drawn across empty weeks)."""
    shown = {int(w["week"]): w for w in weeks if w["shown"]}
    x: list[int | None] = []
    y: list[float | None] = []
    n: list[list[int | None]] = []
    band_x: list[int | None] = []
    band_y: list[float | None] = []
    for run in runs(sorted(shown)):
        if x:
            x.append(None)
            y.append(None)
            n.append([None])
        x += run
        y += [shown[week]["mean"] for week in run]
        n += [[shown[week]["n"]] for week in run]
        # The band of a run: its upper edge forward, the lower edge back, closed on itself.
        with_ci = [week for week in run if shown[week]["ci95"]]
        if with_ci:
            if band_x:
                band_x.append(None)
                band_y.append(None)
            band_x += with_ci + with_ci[::-1]
            band_y += [shown[w]["ci95"][1] for w in with_ci]
            band_y += [shown[w]["ci95"][0] for w in with_ci[::-1]]
    traces: list[Trace] = []
    if band_x:
        traces.append(
            {
                "type": "scatter",
                "x": band_x,
                "y": band_y,
                "mode": "lines",
                "line": {"width": 0},
                "fill": "toself",
                "fillcolor": band,
                "name": "95% CI",
                "hoverinfo": "skip",
                "connectgaps": False,
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "mode": "lines+markers",
            "line": {"color": colour, "width": 3},
            "marker": {"size": 8},
            "name": name,
            "connectgaps": False,
            "customdata": n,
            "hovertemplate": "Week %{x}<br>Mean %{y:.1f}<br>n = %{customdata[0]}<extra></extra>",
        }
    )
    return traces
