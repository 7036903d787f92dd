"""The intrusion diary chart: daily bars, the 7-day rolling mean, doses and the PCL-5.

Two rows sharing one time axis, so a dose, a change in daily intrusions and the next
PCL-5 line up vertically:

- top: intrusive memories and flashbacks stacked per day (a "none today" day is a
  visible 0 marker, a missing day is an empty slot, and so is a count the patient
  left unanswered on an urgent note: a gap, never a 0), and the trailing 7-day mean
  of their sum (``rules.rolling_mean``: missing and unanswered days are left out, a
  mean needs 4 of 7);
- bottom: PCL-5 totals (0–80).

Doses are dotted vertical lines across both rows, with hover details on a marker.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from afterglow.diary.rules import rolling_mean
from afterglow.diary.selectors import DiaryDay
from afterglow.patients.charts import DOSE_COLOUR, ChartPoint, DoseMark

MEMORY_COLOUR = "#1f4e79"
FLASHBACK_COLOUR = "#b45309"
MEAN_COLOUR = "#111827"
PCL5_COLOUR = "#0f766e"
PCL5_MAX = 80


def diary_means(days: Sequence[DiaryDay]) -> list[tuple[dt.date, float | None]]:
    """The 7-day rolling mean of intrusions (memories + flashbacks) for each day."""
    return rolling_mean([(d.day, d.total) for d in days])


def _count(value: int | None) -> str:
    return "not answered" if value is None else str(value)


def diary_figure(
    days: Sequence[DiaryDay],
    *,
    doses: Sequence[DoseMark] = (),
    pcl5: Sequence[ChartPoint] = (),
) -> go.Figure:
    """The figure described in the module docstring; ``days`` are consecutive, oldest
    first (``selectors.diary_series``). Doses and PCL-5 outside the days' range are
    dropped so the axis stays on the diary period."""
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.06
    )
    recorded = [d for d in days if d.entry is not None]
    x = [d.day for d in recorded]
    hover = [
        f"{_count(d.entry.intrusive_memories)} memories, {_count(d.entry.flashbacks)} flashbacks"
        f"{', nightmares' if d.entry.nightmares else ''}"
        f"{'' if d.entry.peak_distress is None else f', distress {d.entry.peak_distress}/10'}"
        for d in recorded
        if d.entry is not None
    ]
    figure.add_trace(
        go.Bar(
            x=x,
            y=[d.entry.intrusive_memories for d in recorded if d.entry],
            name="Intrusive memories",
            marker={"color": MEMORY_COLOUR},
            customdata=hover,
            hovertemplate="%{x|%a %d %b}<br>%{customdata}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Bar(
            x=x,
            y=[d.entry.flashbacks for d in recorded if d.entry],
            name="Flashbacks",
            marker={"color": FLASHBACK_COLOUR},
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    zero_days = [d.day for d in recorded if d.total == 0]
    if zero_days:
        figure.add_trace(
            go.Scatter(
                x=zero_days,
                y=[0] * len(zero_days),
                name="None that day (0)",
                mode="markers",
                marker={"color": MEMORY_COLOUR, "symbol": "line-ew-open", "size": 12},
                hovertemplate="%{x|%a %d %b}<br>None that day<extra></extra>",
                cliponaxis=False,
            ),
            row=1,
            col=1,
        )
    means = diary_means(days)
    figure.add_trace(
        go.Scatter(
            x=[day for day, _ in means],
            y=[mean for _, mean in means],
            name="7-day mean (needs 4 of 7 days)",
            mode="lines",
            connectgaps=False,
            line={"color": MEAN_COLOUR, "width": 2.5},
            hovertemplate="%{x|%a %d %b}<br>7-day mean %{y:.1f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    top = max([d.total or 0 for d in recorded] + [m or 0 for _, m in means] + [4])
    y_max = top * 1.15
    if days:
        first = dt.datetime.combine(days[0].day, dt.time.min)
        last = dt.datetime.combine(days[-1].day, dt.time.max)
        shown_doses = [d for d in doses if first <= d.when.replace(tzinfo=None) <= last]
        shown_pcl5 = [
            p for p in pcl5 if p.complete and first <= p.when.replace(tzinfo=None) <= last
        ]
    else:
        shown_doses, shown_pcl5 = [], []
    # Dates on both panels whatever they hold: an empty lower panel must not turn the
    # shared axis numeric, and the whole period shows, so missing days read as gaps.
    figure.update_xaxes(type="date")
    if days:
        half_day = dt.timedelta(hours=12)
        figure.update_xaxes(
            range=[
                dt.datetime.combine(days[0].day, dt.time.min) - half_day,
                dt.datetime.combine(days[-1].day, dt.time.min) + half_day,
            ]
        )
    if not shown_pcl5:
        # An empty trace keeps the lower panel's axes (and the shared date labels) drawn.
        figure.add_trace(go.Scatter(x=[], y=[], showlegend=False, hoverinfo="skip"), row=2, col=1)
        figure.add_annotation(
            text="No PCL-5 in this period",
            xref="x2 domain",
            yref="y2 domain",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"color": "#6b7280"},
        )
    else:
        figure.add_trace(
            go.Scatter(
                x=[p.when.replace(tzinfo=None) for p in shown_pcl5],
                y=[p.total for p in shown_pcl5],
                name="PCL-5 total (0–80)",
                mode="lines+markers",
                line={"color": PCL5_COLOUR, "width": 2},
                marker={"size": 8},
                hovertemplate="%{x|%d %b %Y}<br>PCL-5 %{y}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    for row, height in ((1, y_max), (2, PCL5_MAX)):
        if not shown_doses:
            break
        line_x: list[dt.datetime | None] = []
        line_y: list[float | None] = []
        for dose in shown_doses:
            when = dose.when.replace(tzinfo=None)
            line_x += [when, when, None]
            line_y += [0, height, None]
        figure.add_trace(
            go.Scatter(
                x=line_x,
                y=line_y,
                name="Doses",
                legendgroup="doses",
                showlegend=row == 1,
                mode="lines",
                line={"color": DOSE_COLOUR, "width": 1.5, "dash": "dot"},
                hoverinfo="skip",
            ),
            row=row,
            col=1,
        )
    if shown_doses:
        figure.add_trace(
            go.Scatter(
                x=[d.when.replace(tzinfo=None) for d in shown_doses],
                y=[y_max] * len(shown_doses),
                name="Dose details",
                legendgroup="doses",
                showlegend=False,
                mode="markers",
                marker={"color": DOSE_COLOUR, "size": 9, "symbol": "triangle-down"},
                cliponaxis=False,
                text=[
                    f"Dose {d.number}"
                    + (f" · {d.dose_mg} mg" if d.dose_mg is not None else "")
                    + f" · {d.route}"
                    for d in shown_doses
                ],
                hovertemplate="%{x|%d %b %Y %H:%M}<br>%{text}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    figure.update_layout(
        barmode="stack",
        bargap=0.15,
        height=420,
        margin={"l": 44, "r": 12, "t": 16, "b": 40},
        legend={"orientation": "h", "y": -0.12},
        hovermode="closest",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": "system-ui, sans-serif", "size": 13},
    )
    figure.update_yaxes(
        title_text="Per day", range=[0, y_max], fixedrange=True, gridcolor="#e5e7eb", row=1
    )
    figure.update_yaxes(
        title_text="PCL-5", range=[0, PCL5_MAX], fixedrange=True, gridcolor="#e5e7eb", row=2
    )
    if days:
        span = [
            dt.datetime.combine(days[0].day, dt.time.min) - dt.timedelta(hours=12),
            dt.datetime.combine(days[-1].day, dt.time.min) + dt.timedelta(hours=12),
        ]
        figure.update_xaxes(range=span, gridcolor="#e5e7eb")
    return figure


def diary_chart_context(
    days: Sequence[DiaryDay], *, doses: Sequence[DoseMark], pcl5: Sequence[ChartPoint]
) -> dict[str, Any]:
    """Template context for ``diary/_chart.html``: the figure as JSON (for json_script,
    None when no day has an entry) and the table rows ``(day, mean)``, newest first.

    Shared by the staff diary page and the patient chart; it runs no queries.
    """
    means = dict(diary_means(days))
    recorded = sum(1 for d in days if d.entry is not None)
    figure = json.loads(diary_figure(days, doses=doses, pcl5=pcl5).to_json()) if recorded else None
    return {
        "diary_figure": figure,
        "diary_rows": [(d, means.get(d.day)) for d in reversed(days)],
        "diary_recorded": recorded,
        "diary_days": len(days),
    }
