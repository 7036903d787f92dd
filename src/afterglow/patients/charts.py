"""The PCL-5 trajectory chart (Plotly figure built server-side, drawn by plotly.js)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

PCL5_CODES = ("pcl5", "pcl5_past_week")


@dataclass(frozen=True)
class ChartPoint:
    when: dt.datetime  # aware, already in the clinic's timezone
    total: int | None
    intrusion: int | None
    complete: bool
    missing_items: Sequence[int]
    version: str


def pcl5_figure(points: Sequence[ChartPoint], *, cutoff: int) -> go.Figure:
    """Total and intrusion cluster (B) over time, with the clinic's cutoff line.

    Incomplete responses have no total; they are left out of the lines rather
    than drawn as zero, and listed in the table under the chart.
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
    figure.update_layout(
        margin={"l": 48, "r": 16, "t": 24, "b": 40},
        height=340,
        yaxis={"range": [0, 80], "title": "Score", "fixedrange": True},
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
