"""One look for every chart: colours, dash patterns, markers, marks and empty states.

Django-free and import-light (no Plotly, no matplotlib), so the patient figures
(:mod:`afterglow.charts.figures`, :mod:`afterglow.charts.figures_diary`), the PDF
figures (:mod:`afterglow.reports.figures`) and the dashboard figures can all read it.

Screen figures are Plotly JSON built as plain dicts: :func:`base_layout` and
:func:`time_axis` give every one the same fonts, grid, legend and date ticks.
Print figures are black and white (:data:`PRINT_LINE_STYLES`, :data:`HATCHES`): a
report is printed in grey and photocopied, so no print chart relies on colour.

Colours are tied to meanings, not to figures: a dose is :data:`DOSE` on the PCL-5,
PHQ-9 and diary charts alike, and the PCL-5 total is :data:`PCL5_TOTAL` wherever it is
the main line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# --- Colours (screen) --------------------------------------------------------------------------

INK = "#111827"  # baseline marks, the diary's mean line
PCL5_TOTAL = "#1f4e79"  # PCL-5 total; the dashboard's cohort mean
INTRUSION = "#b45309"  # PCL-5 cluster B; flashbacks on the diary
CUTOFF = "#7f1d1d"  # the clinic's PCL-5 cutoff line
DOSE = "#6d28d9"  # dose lines and markers on every patient chart
THERAPY_IN = "#0f766e"  # therapy inside the post-dose window
THERAPY_OUT = "#6b7280"  # therapy outside it
RESPONSE = "#15803d"  # follow-ups meeting the response rule
LOSS = "#b91c1c"  # a confirmed loss of response
POSSIBLE_LOSS = "#b45309"  # a loss too short to confirm
PHQ9_LINE = "#1f2937"
SELF_HARM = "#b91c1c"  # PHQ-9 item 9 above 0
MEMORY = "#1f4e79"  # diary: intrusive memories
FLASHBACK = "#b45309"  # diary: flashbacks
DIARY_PCL5 = "#0f766e"  # the PCL-5 panel under the diary; the dashboard's diary line
GRID = "#e5e7eb"
MUTED = "#6b7280"  # empty-state text
BAND_LABEL = "#4b5563"  # PHQ-9 severity band labels
#: PHQ-9 severity band fills, lightest for the lowest band (the labels carry the meaning).
BAND_FILLS = ("#f0fdf4", "#fefce8", "#fef3c7", "#ffedd5", "#fee2e2")

# Dashboard colours (``analytics/charts.py``), kept here so every figure reads one module.
COHORT_MEAN = PCL5_TOTAL
COHORT_BAND = "rgba(31, 78, 121, 0.18)"
PATIENT_LINE = "rgba(107, 114, 128, 0.18)"
INTRUSION_BAND = "rgba(180, 83, 9, 0.18)"
DIARY_BAND = "rgba(15, 118, 110, 0.18)"
SEVERITY_COLOURS = {"mild": "#93c5fd", "moderate": "#f59e0b", "severe": "#b91c1c"}
NOTE_TEXT = "#374151"
REFERENCE_LINE = "#9ca3af"

# --- Lines and markers (screen) --------------------------------------------------------------

#: Plotly dash names by meaning: a cutoff is dotted, a loss dashed, a dose dotted.
CUTOFF_DASH = "dot"
DOSE_DASH = "dot"
LOSS_DASH = "dash"
POSSIBLE_LOSS_DASH = "dot"
SECONDARY_DASH = "dash"  # the second series of a chart (cluster B)

MAIN_LINE = {"color": PCL5_TOTAL, "width": 3}
MAIN_MARKER = {"size": 8, "symbol": "circle"}
SECONDARY_LINE = {"color": INTRUSION, "width": 2, "dash": SECONDARY_DASH}
SECONDARY_MARKER = {"size": 7, "symbol": "diamond"}
CUTOFF_LINE = {"color": CUTOFF, "dash": CUTOFF_DASH, "width": 1.5}
#: A research imaging session on the PCL-5 timeline (grey dashes, thin).
SCAN_LINE = {"color": "#4b5563", "dash": "dash", "width": 1}
DOSE_LINE = {"color": DOSE, "width": 1.5, "dash": DOSE_DASH}
DOSE_MARKER = {"color": DOSE, "size": 9, "symbol": "triangle-down"}
THERAPY_SYMBOLS = {True: "star", False: "star-open"}  # inside / outside the window
BASELINE_MARKER = {"size": 16, "symbol": "square-open", "color": INK, "line": {"width": 2}}
RESPONSE_MARKER = {"size": 17, "symbol": "circle-open", "color": RESPONSE, "line": {"width": 3}}
SELF_HARM_MARKER = {
    "size": 18,
    "symbol": "circle-x-open",
    "color": SELF_HARM,
    "line": {"width": 2.5},
}
ZERO_DAY_MARKER = {"color": MEMORY, "symbol": "line-ew-open", "size": 12}

#: Name of the "dose n" annotations, so ``static/js/charts.js`` can drop them on a phone.
DOSE_LABEL = "dose-label"
DOSE_LABEL_FONT = {"size": 10, "color": DOSE}

# --- Empty states ----------------------------------------------------------------------------

EMPTY_PCL5 = "No complete PCL-5 yet."
EMPTY_PHQ9 = "No complete PHQ-9 yet."
EMPTY_DIARY = "No diary entries in this period."
EMPTY_DIARY_PCL5 = "No PCL-5 in this period"
EMPTY_FONT = {"color": MUTED}

# --- Layout (screen) ---------------------------------------------------------------------------

FONT = {"family": "system-ui, sans-serif", "size": 13}
MARGIN = {"l": 48, "r": 16, "t": 24, "b": 40}
DAY_MS = 86_400_000
#: Date ticks by zoom level, never seconds: hours within a day, days, then months.
DATE_TICK_STOPS = (
    {"dtickrange": [None, DAY_MS], "value": "%H:%M\n%d %b"},
    {"dtickrange": [DAY_MS, "M1"], "value": "%d %b"},
    {"dtickrange": ["M1", "M12"], "value": "%b %Y"},
    {"dtickrange": ["M12", None], "value": "%Y"},
)


def base_layout(
    *, height: int, margin: dict[str, int] | None = None, **extra: Any
) -> dict[str, Any]:
    """The layout every patient figure starts from: white, system font, legend under
    the plot, closest-point hover. ``extra`` keys are added (and win)."""
    return {
        "height": height,
        "margin": dict(margin or MARGIN),
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "closest",
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": dict(FONT),
        **extra,
    }


def time_axis(
    moments: Sequence[dt.date | dt.datetime], *, grid: bool = True, **extra: Any
) -> dict[str, Any]:
    """A date x axis that never shows seconds.

    Plotly zooms a single point, or several on one day, to a range of seconds; here the
    range is widened to a day either side of data that spans less than two days, and
    the tick format follows the zoom (:data:`DATE_TICK_STOPS`).
    """
    axis: dict[str, Any] = {
        "type": "date",
        "title": {"text": ""},
        "showgrid": grid,
        "gridcolor": GRID,
        "tickformatstops": [dict(stop) for stop in DATE_TICK_STOPS],
    }
    span = padded_span(moments)
    if span is not None:
        axis["range"] = [plotly_time(span[0]), plotly_time(span[1])]
    axis.update(extra)
    return axis


def padded_span(
    moments: Sequence[dt.date | dt.datetime], *, minimum: dt.timedelta = dt.timedelta(days=2)
) -> tuple[dt.datetime, dt.datetime] | None:
    """The range to show for ``moments`` when they span less than ``minimum``: centred on
    them and ``minimum`` wide, in whole hours; None when they span more (let the plot
    pick). Used on screen (:func:`time_axis`) and in print (``reports.figures``)."""
    if not moments:
        return None
    wall = [_wall(m) for m in moments]
    low, high = min(wall), max(wall)
    if high - low >= minimum:
        return None
    middle = low + (high - low) / 2
    start = (middle - minimum / 2).replace(minute=0, second=0, microsecond=0)
    return start, start + minimum


def plotly_time(moment: dt.date | dt.datetime) -> str:
    """How a figure's JSON writes a time: ISO 8601; an aware datetime keeps its offset
    (plotly.js draws the wall-clock time and ignores the offset)."""
    return moment.isoformat()


def _wall(moment: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment.replace(tzinfo=None)
    return dt.datetime.combine(moment, dt.time())


# --- Print (PDF reports, black and white) ----------------------------------------------------

PRINT_INK = "#000000"
PRINT_GREY = "#505050"
PRINT_GRID = "#c8c8c8"
PRINT_FONT_SIZE = 8.0


@dataclass(frozen=True)
class LineStyle:
    dashes: str | tuple[float, tuple[float, ...]]
    marker: str
    filled: bool  # filled or open marker: a second cue beside the marker's shape


#: Series 1, 2, … get these in turn: solid/filled circles, dashed/open squares, …
PRINT_LINE_STYLES: tuple[LineStyle, ...] = (
    LineStyle("-", "o", True),
    LineStyle((0, (5.0, 2.0)), "s", False),
    LineStyle((0, (1.0, 1.5)), "^", True),
    LineStyle((0, (6.0, 2.0, 1.0, 2.0)), "D", False),
    LineStyle((0, (2.5, 2.5)), "v", True),
    LineStyle((0, (8.0, 2.0, 1.0, 2.0, 1.0, 2.0)), "P", False),
)
#: Bars and bands of group 1, 2, … are hatched with these in turn.
HATCHES: tuple[str, ...] = ("///", "...", "xxx", "\\\\\\", "---", "ooo")
#: Reference lines (a cutoff): thin, grey and dashed, distinct from every series style.
REF_DASHES: tuple[float, tuple[float, ...]] = (0, (3.0, 3.0))
