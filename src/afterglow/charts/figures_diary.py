"""The intrusion diary figure as Plotly JSON (plain dicts): daily bars, the 7-day rolling
mean, doses and the PCL-5.

Two rows sharing one time axis, so a dose, a change in daily intrusions and the next
PCL-5 line up vertically:

- top: intrusive memories and flashbacks stacked per day (a "none today" day is a
  visible 0 marker, a missing day is an empty slot, and so is a count the patient
  left unanswered on an urgent note: a gap, never a 0), and the trailing 7-day mean
  of their sum (``diary.rules.rolling_mean``: missing and unanswered days are left
  out, a mean needs 4 of 7);
- bottom: PCL-5 totals (0–80).

Doses are dotted vertical lines across both rows, with hover details on a marker.
The two rows are what ``plotly.subplots.make_subplots(rows=2, shared_xaxes=True,
row_heights=[0.68, 0.32], vertical_spacing=0.06)`` lays out, written out here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from afterglow.charts import style
from afterglow.charts.figures import Figure, dose_traces
from afterglow.charts.marks import PCL5_MAX, ChartPoint, DoseMark
from afterglow.diary.rules import rolling_mean
from afterglow.diary.selectors import DiaryDay

#: The rows' vertical domains: heights 0.68 and 0.32 of the room left by a 0.06 gap.
TOP_ROW = [0.3608, 1.0]
BOTTOM_ROW = [0.0, 0.3008]


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
    means: Sequence[tuple[dt.date, float | None]] | None = None,
) -> Figure:
    """The figure described in the module docstring; ``days`` are consecutive, oldest
    first (``diary.selectors.diary_series``). Doses and PCL-5 outside the days' range
    are dropped so the axis stays on the diary period. ``means`` defaults to
    :func:`diary_means` of ``days``."""
    recorded = [(d, d.entry) for d in days if d.entry is not None]
    x = [d.day.isoformat() for d, _ in recorded]
    hover = [
        f"{_count(e.intrusive_memories)} memories, {_count(e.flashbacks)} flashbacks"
        f"{', nightmares' if e.nightmares else ''}"
        f"{'' if e.peak_distress is None else f', distress {e.peak_distress}/10'}"
        for _, e in recorded
    ]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": x,
            "y": [e.intrusive_memories for _, e in recorded],
            "xaxis": "x",
            "yaxis": "y",
            "name": "Intrusive memories",
            "marker": {"color": style.MEMORY},
            "customdata": hover,
            "hovertemplate": "%{x|%a %d %b}<br>%{customdata}<extra></extra>",
        },
        {
            "type": "bar",
            "x": x,
            "y": [e.flashbacks for _, e in recorded],
            "xaxis": "x",
            "yaxis": "y",
            "name": "Flashbacks",
            "marker": {"color": style.FLASHBACK},
            "hoverinfo": "skip",
        },
    ]
    zero_days = [d.day.isoformat() for d, _ in recorded if d.total == 0]
    if zero_days:
        data.append(
            {
                "type": "scatter",
                "x": zero_days,
                "y": [0] * len(zero_days),
                "xaxis": "x",
                "yaxis": "y",
                "name": "None that day (0)",
                "mode": "markers",
                "marker": dict(style.ZERO_DAY_MARKER),
                "hovertemplate": "%{x|%a %d %b}<br>None that day<extra></extra>",
                "cliponaxis": False,
            }
        )
    means = list(diary_means(days) if means is None else means)
    data.append(
        {
            "type": "scatter",
            "x": [day.isoformat() for day, _ in means],
            "y": [mean for _, mean in means],
            "xaxis": "x",
            "yaxis": "y",
            "name": "7-day mean (needs 4 of 7 days)",
            "mode": "lines",
            "connectgaps": False,
            "line": {"color": style.INK, "width": 2.5},
            "hovertemplate": "%{x|%a %d %b}<br>7-day mean %{y:.1f}<extra></extra>",
        }
    )
    top = max([d.total or 0 for d, _ in recorded] + [m or 0 for _, m in means] + [4])
    y_max = top * 1.15
    annotations: list[dict[str, Any]] = []
    if days:
        first = dt.datetime.combine(days[0].day, dt.time.min)
        last = dt.datetime.combine(days[-1].day, dt.time.max)
        shown_doses = [d for d in doses if first <= d.when.replace(tzinfo=None) <= last]
        shown_pcl5 = [
            p for p in pcl5 if p.complete and first <= p.when.replace(tzinfo=None) <= last
        ]
    else:
        shown_doses, shown_pcl5 = [], []
    if not shown_pcl5:
        # An empty trace keeps the lower panel's axes (and the shared date labels) drawn.
        data.append(
            {
                "type": "scatter",
                "x": [],
                "y": [],
                "xaxis": "x2",
                "yaxis": "y2",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        annotations.append(
            {
                "text": style.EMPTY_DIARY_PCL5,
                "xref": "x2 domain",
                "yref": "y2 domain",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": dict(style.EMPTY_FONT),
            }
        )
    else:
        data.append(
            {
                "type": "scatter",
                "x": [style.plotly_time(p.when.replace(tzinfo=None)) for p in shown_pcl5],
                "y": [p.total for p in shown_pcl5],
                "xaxis": "x2",
                "yaxis": "y2",
                "name": "PCL-5 total (0–80)",
                "mode": "lines+markers",
                "line": {"color": style.DIARY_PCL5, "width": 2},
                "marker": {"size": 8},
                "hovertemplate": "%{x|%d %b %Y}<br>PCL-5 %{y}<extra></extra>",
            }
        )
    naive = [
        DoseMark(d.number, d.when.replace(tzinfo=None), d.dose_mg, d.route) for d in shown_doses
    ]
    data += dose_traces(naive, y_max=y_max, details=False)
    data += dose_traces(naive, y_max=PCL5_MAX, axes=("x2", "y2"), details=False, showlegend=False)
    if naive:
        data.append(
            {
                "type": "scatter",
                "x": [style.plotly_time(d.when) for d in naive],
                "y": [y_max] * len(naive),
                "xaxis": "x",
                "yaxis": "y",
                "name": "Dose details",
                "legendgroup": "doses",
                "showlegend": False,
                "mode": "markers",
                "marker": dict(style.DOSE_MARKER),
                "cliponaxis": False,
                "text": [
                    f"Dose {d.number}"
                    + (f" · {d.dose_mg} mg" if d.dose_mg is not None else "")
                    + f" · {d.route}"
                    for d in naive
                ],
                "hovertemplate": "%{x|%d %b %Y %H:%M}<br>%{text}<extra></extra>",
            }
        )
    # Dates on both panels whatever they hold: an empty lower panel must not turn the
    # shared axis numeric, and the whole period shows, so missing days read as gaps.
    span = (
        [
            style.plotly_time(dt.datetime.combine(days[0].day, dt.time(12)) - dt.timedelta(days=1)),
            style.plotly_time(dt.datetime.combine(days[-1].day, dt.time(12))),
        ]
        if days
        else None
    )
    x_top = style.time_axis([], anchor="y", matches="x2", showticklabels=False)
    x_bottom = style.time_axis([], anchor="y2")
    if span is not None:
        x_top["range"] = x_bottom["range"] = span
    return {
        "data": data,
        "layout": style.base_layout(
            height=420,
            margin={"l": 44, "r": 12, "t": 16, "b": 40},
            legend={"orientation": "h", "y": -0.12},
            barmode="stack",
            bargap=0.15,
            xaxis=x_top,
            xaxis2=x_bottom,
            yaxis={
                "domain": TOP_ROW,
                "anchor": "x",
                "title": {"text": "Per day"},
                "range": [0, y_max],
                "fixedrange": True,
                "gridcolor": style.GRID,
            },
            yaxis2={
                "domain": BOTTOM_ROW,
                "anchor": "x2",
                "title": {"text": "PCL-5"},
                "range": [0, PCL5_MAX],
                "fixedrange": True,
                "gridcolor": style.GRID,
            },
            annotations=annotations,
        ),
    }
