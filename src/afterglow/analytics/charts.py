"""The dashboard's Plotly figures, built server-side and drawn by the local plotly.js.

Each function takes numbers the dashboard already computed (``analytics.dashboard``),
draws only what is shown (hidden cells are left out, never drawn as zero) and returns
a figure dict ready for ``json_script``. Every figure has a table of the same numbers
on the page. Individual patient lines carry no hover, no name and no id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from afterglow.analytics.dashboard import Dashboard
from afterglow.analytics.forms import column_label, value_label

MEAN_COLOUR = "#1f4e79"
BAND_COLOUR = "rgba(31, 78, 121, 0.18)"
LINE_COLOUR = "rgba(107, 114, 128, 0.18)"
INTRUSION_COLOUR = "#b45309"
INTRUSION_BAND = "rgba(180, 83, 9, 0.18)"
DIARY_COLOUR = "#0f766e"
DIARY_BAND = "rgba(15, 118, 110, 0.18)"
CUTOFF_COLOUR = "#7f1d1d"
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


def dashboard_figures(board: Dashboard, *, cutoff: int) -> dict[str, dict[str, Any]]:
    """Every figure of the page that has something to show, by name."""
    figures: dict[str, go.Figure] = {}
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
    return {name: _plain(figure) for name, figure in figures.items()}


def _plain(figure: go.Figure) -> dict[str, Any]:
    # Plotly's own encoder handles numpy and its types; json_script then embeds it safely.
    result: dict[str, Any] = json.loads(figure.to_json())
    return result


def _layout(figure: go.Figure, *, height: int = 320, **changes: Any) -> go.Figure:
    layout: dict[str, Any] = {
        "margin": {"l": 52, "r": 12, "t": 16, "b": 44},
        "height": height,
        "legend": {"orientation": "h", "y": -0.22},
        "hovermode": "closest",
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": FONT,
    }
    figure.update_layout(**{**layout, **changes})
    # Fixed axes: on a phone a drag scrolls the page instead of panning the chart.
    figure.update_xaxes(showgrid=True, gridcolor="#e5e7eb", zeroline=False, fixedrange=True)
    figure.update_yaxes(showgrid=True, gridcolor="#e5e7eb", zeroline=False, fixedrange=True)
    return figure


def _band(
    figure: go.Figure, x: Sequence[float], low: Sequence[float], high: Sequence[float], colour: str
) -> None:
    """A 95 % CI band: the upper edge, then the lower edge filled up to it."""
    figure.add_trace(
        go.Scatter(
            x=list(x),
            y=list(high),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=list(x),
            y=list(low),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=colour,
            name="95% CI",
            hoverinfo="skip",
        )
    )


def trajectory_figure(
    weeks: Sequence[dict[str, Any]], lines: Sequence[Sequence[tuple[float, int]]], *, cutoff: int
) -> go.Figure:
    """Mean PCL-5 total ± 95 % CI by week, individual patients faint behind it."""
    figure = go.Figure()
    if lines:
        x: list[float | None] = []
        y: list[int | None] = []
        for points in lines:
            x += [p[0] for p in points] + [None]
            y += [p[1] for p in points] + [None]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={"color": LINE_COLOUR, "width": 1},
                name="Individual patients",
                hoverinfo="skip",
                connectgaps=False,
            )
        )
    _weekly_mean(figure, weeks, colour=MEAN_COLOUR, band=BAND_COLOUR, name="Mean PCL-5 total")
    figure.add_hline(
        y=cutoff,
        line={"color": CUTOFF_COLOUR, "dash": "dot", "width": 1.5},
        annotation_text=f"Cutoff {cutoff}",
        annotation_position="top right",
    )
    return _layout(
        figure,
        height=360,
        xaxis={"title": "Weeks since first dose (0 = baseline)"},
        yaxis={"title": "PCL-5 total", "range": [0, 80]},
    )


def weekly_figure(
    weeks: Sequence[dict[str, Any]],
    *,
    y_title: str,
    y_max: float | None,
    colour: str,
    band: str,
    name: str,
) -> go.Figure:
    """A weekly mean ± 95 % CI (cluster B, diary counts)."""
    figure = go.Figure()
    _weekly_mean(figure, weeks, colour=colour, band=band, name=name)
    y_axis: dict[str, Any] = {"title": y_title, "rangemode": "tozero"}
    if y_max is not None:
        y_axis["range"] = [0, y_max]
    return _layout(figure, xaxis={"title": "Weeks since first dose"}, yaxis=y_axis)


def km_figure(km: dict[str, Any]) -> go.Figure:
    """Kaplan–Meier share of responders still responding, with its 95 % band and median."""
    figure = go.Figure()
    timeline = km["timeline"]
    low = [v if v is not None else 0 for v in km["ci_low"]]
    high = [v if v is not None else 1 for v in km["ci_high"]]
    figure.add_trace(
        go.Scatter(
            x=timeline,
            y=high,
            mode="lines",
            line={"width": 0, "shape": "hv"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=timeline,
            y=low,
            mode="lines",
            line={"width": 0, "shape": "hv"},
            fill="tonexty",
            fillcolor=BAND_COLOUR,
            name="95% CI",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=timeline,
            y=km["survival"],
            mode="lines",
            line={"color": MEAN_COLOUR, "width": 3, "shape": "hv"},
            name="Still responding",
            hovertemplate="Day %{x}<br>%{y:.0%} still responding<extra></extra>",
        )
    )
    median = km["median_days_to_loss_of_response"]
    if median is not None:
        figure.add_vline(
            x=median,
            line={"color": CUTOFF_COLOUR, "dash": "dash", "width": 1.5},
            annotation_text=f"Median {median:g} days",
            annotation_position="top right",
        )
    return _layout(
        figure,
        xaxis={"title": "Days since the response at the durability timepoint"},
        yaxis={"title": "Share still responding", "range": [0, 1.02], "tickformat": ".0%"},
    )


def adverse_figure(rows: Sequence[dict[str, Any]]) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=[row["severity"].capitalize() for row in rows],
            y=[row["per_100"] for row in rows],
            marker={"color": [SEVERITY_COLOURS[row["severity"]] for row in rows]},
            customdata=[[row["events"]] for row in rows],
            hovertemplate="%{x}: %{y:.1f} per 100 sessions (%{customdata[0]} events)"
            "<extra></extra>",
            name="Adverse events per 100 sessions",
        )
    )
    return _layout(
        figure,
        height=260,
        showlegend=False,
        yaxis={"title": "Per 100 sessions", "rangemode": "tozero"},
    )


def cadss_figure(rows: Sequence[dict[str, Any]]) -> go.Figure:
    shown = [row for row in rows if row["shown"]]
    errors = [
        (row["ci95"][1] - row["mean"], row["mean"] - row["ci95"][0]) if row["ci95"] else (0, 0)
        for row in shown
    ]
    figure = go.Figure(
        go.Scatter(
            x=[row["number"] for row in shown],
            y=[row["mean"] for row in shown],
            mode="lines+markers",
            line={"color": MEAN_COLOUR, "width": 2},
            marker={"size": 8},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [e[0] for e in errors],
                "arrayminus": [e[1] for e in errors],
                "color": MEAN_COLOUR,
            },
            customdata=[[row["n_patients"]] for row in shown],
            hovertemplate="Infusion %{x}<br>Mean peak CADSS %{y:.1f}<br>n = %{customdata[0]}"
            "<extra></extra>",
            name="Mean peak CADSS",
        )
    )
    return _layout(
        figure,
        height=280,
        showlegend=False,
        xaxis={"title": "Infusion number", "dtick": 1},
        yaxis={"title": "Peak CADSS", "rangemode": "tozero"},
    )


def forest_figure(rows: Sequence[tuple[str, dict[str, Any]]]) -> go.Figure:
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
    figure = go.Figure(
        go.Scatter(
            x=[row["rate"] for _, row in rows],
            y=labels,
            mode="markers",
            marker={"size": 9, "color": MEAN_COLOUR},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [row["ci95"][1] - row["rate"] for _, row in rows],
                "arrayminus": [row["rate"] - row["ci95"][0] for _, row in rows],
                "color": MEAN_COLOUR,
            },
            customdata=[[row["n"], text] for (_, row), text in zip(rows, full, strict=True)],
            hovertemplate="%{customdata[1]}<br>%{x:.0%} responded, n = %{customdata[0]}"
            "<extra></extra>",
        )
    )
    for label in labels:
        figure.add_annotation(
            x=0,
            xref="paper",
            y=label,
            yshift=12,
            text=label,
            showarrow=False,
            xanchor="left",
            font={"size": 12, "color": "#374151"},
        )
    return _layout(
        figure,
        height=70 + 44 * len(rows),
        showlegend=False,
        margin={"l": 12, "r": 12, "t": 24, "b": 44},
        xaxis={"title": "Response at the end of the course", "range": [0, 1], "tickformat": ".0%"},
        yaxis={"autorange": "reversed", "showticklabels": False, "fixedrange": True},
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


def calibration_figure(bins: Sequence[dict[str, Any]]) -> go.Figure:
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"color": "#9ca3af", "dash": "dash", "width": 1},
            name="Perfect calibration",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[b["predicted_mean"] for b in bins],
            y=[b["observed_rate"] for b in bins],
            mode="lines+markers",
            line={"color": MEAN_COLOUR, "width": 2},
            marker={"size": 9},
            name="Cross-validated predictions",
            customdata=[[b["n"]] for b in bins],
            hovertemplate="Predicted %{x:.0%}<br>Observed %{y:.0%}<br>n = %{customdata[0]}"
            "<extra></extra>",
        )
    )
    return _layout(
        figure,
        height=300,
        xaxis={"title": "Predicted chance of response", "range": [0, 1], "tickformat": ".0%"},
        yaxis={"title": "Observed response", "range": [0, 1], "tickformat": ".0%"},
    )


def _weekly_mean(
    figure: go.Figure, weeks: Sequence[dict[str, Any]], *, colour: str, band: str, name: str
) -> None:
    """The shown weeks' mean as a line with markers over its 95 % CI band."""
    shown = [w for w in weeks if w["shown"]]
    with_ci = [w for w in shown if w["ci95"]]
    _band(
        figure,
        [w["week"] for w in with_ci],
        [w["ci95"][0] for w in with_ci],
        [w["ci95"][1] for w in with_ci],
        band,
    )
    figure.add_trace(
        go.Scatter(
            x=[w["week"] for w in shown],
            y=[w["mean"] for w in shown],
            mode="lines+markers",
            line={"color": colour, "width": 3},
            marker={"size": 8},
            name=name,
            customdata=[[w["n"]] for w in shown],
            hovertemplate="Week %{x}<br>Mean %{y:.1f}<br>n = %{customdata[0]}<extra></extra>",
        )
    )
