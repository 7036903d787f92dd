"""Charts for PDF reports: matplotlib figures as SVG images, readable in black and white.

Reports get printed in grey and photocopied, so no chart here relies on colour:

- every line series has its own line style *and* marker (:data:`LINE_STYLES`), and
  the legend names them;
- areas (bars, confidence bands) are hatched (:data:`HATCHES`), never colour-filled;
- a reference level such as the PCL-5 cutoff is a thin dashed line labelled in text
  at its right end (:class:`RefLine`);
- moments such as doses are labelled tick marks along the top edge (:class:`EventMark`),
  so they never hide the data;
- a missing value (``None``) is a gap in a line or an empty slot marked "–" under a
  bar, never a zero.

Every chart in a report must sit beside a table of the same numbers.

Threads: figures are :class:`matplotlib.figure.Figure` objects saved by the SVG
backend directly. ``pyplot`` and its process-wide "current figure" are never used, so
two requests drawing at once cannot draw into each other's figure. The one
process-wide setting is made once, below, at import: text stays text in the SVG (so
the PDF's words can be searched and copied) and ids are deterministic.

Cache: :func:`line_chart` and :func:`bar_chart` are pure functions of their arguments,
so their last :data:`CACHE_SIZE` charts are kept in memory by the ``repr`` of those
arguments: a report downloaded again with the same numbers reuses its chart instead of
drawing it again (matplotlib takes most of the patient report's chart time). New
numbers make a new key, so a cached chart is never stale.

Dates: pass dates or datetimes already in the clinic's timezone; an aware datetime is
drawn at its wall-clock time (its ``tzinfo`` dropped), so the axis reads in clinic time.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

import matplotlib
from django.utils.html import format_html
from django.utils.safestring import SafeString
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from afterglow.charts import style

# Set once for the process and never changed again (see the module docstring).
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "afterglow-reports"

X = dt.date | dt.datetime | float | int

# The print look is one module shared with the screen figures (``charts.style``).
INK = style.PRINT_INK
GREY = style.PRINT_GREY
FONT_SIZE = style.PRINT_FONT_SIZE
#: Default size in inches: the A4 text width of ``print_base.html`` is about 6.8 in.
WIDTH_IN = 6.6
HEIGHT_IN = 2.9

LineStyle = style.LineStyle
#: Series 1, 2, … get these in turn: solid/filled circles, dashed/open squares, …
LINE_STYLES = style.PRINT_LINE_STYLES
#: Bars and bands of group 1, 2, … are hatched with these in turn.
HATCHES = style.HATCHES
#: Reference lines: thin, grey and dashed, distinct from every series style.
REF_DASHES = style.REF_DASHES


@dataclass(frozen=True)
class Series:
    """One line. ``y`` may hold ``None`` (a gap). ``lower``/``upper`` draw a hatched
    band (e.g. a 95% CI); ``step`` draws a step function (e.g. Kaplan–Meier)."""

    label: str
    x: Sequence[X]
    y: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None
    step: bool = False
    markers: bool = True


@dataclass(frozen=True)
class RefLine:
    """A horizontal reference level, labelled in text (e.g. "Cutoff 33")."""

    y: float
    label: str


@dataclass(frozen=True)
class EventMark:
    """A moment on the x axis, drawn as a labelled tick mark on the top edge."""

    x: X
    label: str


@dataclass(frozen=True)
class Note:
    """A short text pointing at one data point (e.g. "baseline")."""

    x: X
    y: float
    text: str


@dataclass(frozen=True)
class BarGroup:
    """One set of bars, one value per category; ``None`` is an empty slot marked "–".
    ``lower``/``upper`` draw error bars (e.g. a 95% CI)."""

    label: str
    values: Sequence[float | None]
    lower: Sequence[float | None] | None = None
    upper: Sequence[float | None] | None = None


@dataclass(frozen=True)
class Margins:
    """Fixed margins in inches around the plot, the legend in the bottom one.

    Constrained layout (the default) draws every chart twice, once to measure its labels;
    a chart whose labels are known in advance (the patient report's PCL-5 chart: totals
    0-80, dates, "dose n" ticks) passes fixed margins and is drawn once, in half the time.
    """

    left: float = 0.5
    right: float = 0.15
    top: float = 0.2
    bottom: float = 0.75


def new_figure(
    width: float = WIDTH_IN, height: float = HEIGHT_IN, margins: Margins | None = None
) -> Figure:
    """A blank figure with the report's fonts; constrained layout keeps labels inside,
    unless ``margins`` fixes them (:class:`Margins`)."""
    if margins is None:
        figure = Figure(figsize=(width, height), layout="constrained")
    else:
        figure = Figure(figsize=(width, height))
        figure.subplots_adjust(
            left=margins.left / width,
            right=1 - margins.right / width,
            top=1 - margins.top / height,
            bottom=margins.bottom / height,
        )
    figure.set_facecolor("white")
    return figure


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its SVG text, and an ``<img>`` for the report template.

    In a template ``{{ chart }}`` prints the ``<img>`` (a ``data:`` URI). Each SVG
    stays its own document that way: two charts on a page cannot collide on element
    ids, and the HTML's CSS never applies inside them.
    """

    svg: str
    description: str

    def img(self) -> SafeString:
        data = base64.b64encode(self.svg.encode()).decode("ascii")
        return format_html(
            '<img class="chart" alt="{}" src="data:image/svg+xml;base64,{}">',
            self.description,
            data,
        )

    def __html__(self) -> SafeString:
        return self.img()

    def __str__(self) -> str:
        return self.img()


#: How many drawn charts :func:`cached_chart` keeps (about 15–20 kB of SVG each).
CACHE_SIZE = 256
P = ParamSpec("P")


def cached_chart(draw: Callable[P, Chart]) -> Callable[P, Chart]:
    """Keep the last :data:`CACHE_SIZE` charts ``draw`` made, by the ``repr`` of its
    arguments (dataclasses, dates and numbers, whose ``repr`` is their whole value)."""
    charts: OrderedDict[str, Chart] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(draw)
    def cached(*args: P.args, **kwargs: P.kwargs) -> Chart:
        key = repr((args, sorted(kwargs.items())))
        with lock:
            chart = charts.get(key)
            if chart is not None:
                charts.move_to_end(key)
                return chart
        chart = draw(*args, **kwargs)
        with lock:
            charts[key] = chart
            while len(charts) > CACHE_SIZE:
                charts.popitem(last=False)
        return chart

    cached.cache_clear = charts.clear  # type: ignore[attr-defined]
    return cached


def figure_chart(figure: Figure, *, description: str = "") -> Chart:
    """Save ``figure`` as SVG (text kept as text, no timestamp) into a :class:`Chart`."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return Chart(svg=inline_markers(buffer.getvalue()), description=description)


_MARKER_DEF = re.compile(
    r'<path id="(?P<id>[\w-]+)" d="(?P<d>[^"]*)"(?: style="(?P<style>[^"]*)")?\s*/>'
)
_MARKER_USE = re.compile(
    r'<use xlink:href="#(?P<id>[\w-]+)" x="(?P<x>[-\d.e]+)" y="(?P<y>[-\d.e]+)"'
    r'(?: style="(?P<style>[^"]*)")?\s*/>'
)


def inline_markers(svg: str) -> str:
    """``svg`` with each ``<use>`` of a marker (a data point, a tick mark) replaced by the
    marker's own ``<path>``, moved into place: the same drawing.

    matplotlib draws every marker as a ``<use>`` of one path in ``<defs>``. WeasyPrint
    resolves each ``<use>`` against the image's URL, which for a chart is its whole
    ``data:`` URI, so the 40-odd markers of a PCL-5 chart cost ≈ 10 ms of every PDF.
    The path's own style wins over the ``<use>``'s, as SVG's cascade has it (the
    ``<use>`` is the path's parent). A ``<use>`` in another form is left as it is.
    """
    paths = {m["id"]: m for m in _MARKER_DEF.finditer(svg)}

    def path(use: re.Match[str]) -> str:
        marker = paths.get(use["id"])
        if marker is None:
            return use[0]
        style = _style_items(use["style"]) | _style_items(marker["style"])
        declarations = "; ".join(f"{name}: {value}" for name, value in style.items())
        return (
            f'<path d="{marker["d"]}" transform="translate({use["x"]} {use["y"]})"'
            f' style="{declarations}"/>'
        )

    return _MARKER_USE.sub(path, svg)


def _style_items(style: str | None) -> dict[str, str]:
    items = (part.split(":", 1) for part in (style or "").split(";") if ":" in part)
    return {name.strip(): value.strip() for name, value in items}


@cached_chart
def line_chart(
    series: Sequence[Series],
    *,
    y_label: str,
    x_label: str = "",
    y_limits: tuple[float, float] | None = None,
    ref_lines: Sequence[RefLine] = (),
    events: Sequence[EventMark] = (),
    events_label: str = "",
    notes: Sequence[Note] = (),
    description: str = "",
    width: float = WIDTH_IN,
    height: float = HEIGHT_IN,
    margins: Margins | None = None,
) -> Chart:
    """Lines over time (dates) or over a number (e.g. days since the first dose).

    Styles follow :data:`LINE_STYLES` in order; ``margins``: :class:`Margins`.
    """
    figure = new_figure(width, height, margins)
    ax = figure.add_subplot()
    _style_axes(ax)
    all_x = [x for s in series for x in s.x] + [e.x for e in events]
    dates = any(isinstance(x, dt.date) for x in all_x)
    for index, one in enumerate(series):
        style = LINE_STYLES[index % len(LINE_STYLES)]
        xs = [_num(x) for x in one.x]
        ys = [_value(y) for y in one.y]
        common: dict[str, Any] = {
            "color": INK,
            "linestyle": style.dashes,
            "linewidth": 1.6 if index == 0 else 1.3,
            "label": one.label,
        }
        if one.markers:
            common |= {
                "marker": style.marker,
                "markersize": 4.5,
                "markerfacecolor": INK if style.filled else "white",
                "markeredgecolor": INK,
            }
        if one.step:
            ax.step(xs, ys, where="post", **common)
        else:
            ax.plot(xs, ys, **common)
        if one.lower is not None and one.upper is not None:
            ax.fill_between(
                xs,
                [_value(v) for v in one.lower],
                [_value(v) for v in one.upper],
                step="post" if one.step else None,
                facecolor="none",
                edgecolor=GREY,
                hatch=HATCHES[index % len(HATCHES)],
                linewidth=0,
                label=f"{one.label}: 95% CI",
            )
    for ref in ref_lines:
        _ref_line(ax, ref)
    for note in notes:
        ax.annotate(
            note.text,
            xy=(_num(note.x), note.y),
            xytext=(4, 8),
            textcoords="offset points",
            fontsize=FONT_SIZE - 1,
            arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.6},
        )
    if y_limits is not None:
        ax.set_ylim(*y_limits)
    _x_limits(ax, [_num(x) for x in all_x], dates=[x for x in all_x if isinstance(x, dt.date)])
    if dates:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(
            mdates.ConciseDateFormatter(
                locator,
                # Never seconds: same-day data is widened to two days (``_x_limits``).
                formats=["%Y", "%b", "%d %b", "%H:%M", "%H:%M", "%H:%M"],
                zero_formats=["", "%Y", "%b", "%d %b", "%H:%M", "%H:%M"],
                offset_formats=["", "%Y", "%Y", "%Y", "%d %b %Y", "%d %b %Y %H:%M"],
            )
        )
        ax.xaxis.get_offset_text().set_fontsize(FONT_SIZE - 0.5)
    if events:
        _event_ticks(ax, events, events_label, width)
    ax.set_ylabel(y_label)
    if x_label:
        ax.set_xlabel(x_label)
    if series:
        figure.legend(
            loc="outside lower center" if margins is None else "lower center",
            ncols=min(len(series), 3),
            frameon=False,
            fontsize=FONT_SIZE,
        )
    return figure_chart(figure, description=description)


@cached_chart
def bar_chart(
    categories: Sequence[str],
    groups: Sequence[BarGroup],
    *,
    y_label: str,
    y_limits: tuple[float, float] | None = None,
    ref_lines: Sequence[RefLine] = (),
    description: str = "",
    width: float = WIDTH_IN,
    height: float = HEIGHT_IN,
) -> Chart:
    """Bars per category, one hatched set per group (:data:`HATCHES` in order).

    A ``None`` value leaves its slot empty and marks it "–" on the axis, so a
    missing figure is never read as zero.
    """
    figure = new_figure(width, height)
    ax = figure.add_subplot()
    _style_axes(ax)
    n = max(len(groups), 1)
    bar_width = 0.8 / n
    for index, group in enumerate(groups):
        if len(group.values) != len(categories):
            raise ValueError(
                f"bar group {group.label!r} has {len(group.values)} values for "
                f"{len(categories)} categories"
            )
        offsets = [i - 0.4 + bar_width * (index + 0.5) for i in range(len(categories))]
        heights = [_value(v) for v in group.values]
        shown = [(x, h) for x, h in zip(offsets, heights, strict=True) if not math.isnan(h)]
        ax.bar(
            [x for x, _ in shown],
            [h for _, h in shown],
            width=bar_width * 0.92,
            facecolor="white",
            edgecolor=INK,
            linewidth=0.8,
            hatch=HATCHES[index % len(HATCHES)],
            label=group.label,
        )
        for x, h in zip(offsets, heights, strict=True):
            if math.isnan(h):
                ax.annotate(
                    "–",
                    xy=(x, 0),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=FONT_SIZE,
                )
        if group.lower is not None and group.upper is not None:
            low = [_value(v) for v in group.lower]
            high = [_value(v) for v in group.upper]
            ax.errorbar(
                offsets,
                heights,
                yerr=[
                    [h - lo for h, lo in zip(heights, low, strict=True)],
                    [hi - h for h, hi in zip(heights, high, strict=True)],
                ],  # NaN (missing) values draw no error bar
                fmt="none",
                ecolor=INK,
                elinewidth=0.8,
                capsize=2.5,
            )
    for ref in ref_lines:
        _ref_line(ax, ref)
    ax.set_xticks(range(len(categories)), labels=list(categories))
    ax.set_xlim(-0.6, len(categories) - 0.4)
    if y_limits is not None:
        ax.set_ylim(*y_limits)
    else:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(y_label)
    if len(categories) > 8:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    if len(groups) > 1:
        figure.legend(
            loc="outside lower center", ncols=min(len(groups), 3), frameon=False, fontsize=FONT_SIZE
        )
    return figure_chart(figure, description=description)


def _style_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=FONT_SIZE - 0.5, color=INK)
    ax.yaxis.label.set_fontsize(FONT_SIZE)
    ax.xaxis.label.set_fontsize(FONT_SIZE)
    ax.grid(axis="y", color=style.PRINT_GRID, linewidth=0.5)
    ax.set_axisbelow(True)


def _ref_line(ax: Axes, ref: RefLine) -> None:
    ax.axhline(ref.y, color=GREY, linewidth=1.0, linestyle=REF_DASHES, zorder=1.5)
    ax.annotate(
        ref.label,
        xy=(1.0, ref.y),
        xycoords=("axes fraction", "data"),
        xytext=(-2, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=FONT_SIZE - 1,
        color=INK,
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
    )


def _event_ticks(ax: Axes, events: Sequence[EventMark], label: str, width: float) -> None:
    """Tick marks on the top edge, one per event, labelled where there is room.

    Every event keeps its tick; a label is skipped when it would overlap the one
    before it (the report's table lists every event).
    """
    positions = [_num(e.x) for e in events]
    low, high = ax.get_xlim()
    span = (high - low) or 1.0
    room = span * 0.22 / max(width - 1.0, 1.0)  # ~0.22 in between label centres
    labels: list[str] = []
    last: float | None = None
    for position, event in sorted(zip(positions, events, strict=True), key=lambda p: p[0]):
        if last is None or position - last >= room:
            labels.append(event.label)
            last = position
        else:
            labels.append("")
    top = ax.secondary_xaxis("top")
    top.set_xticks(sorted(positions), labels=labels)
    top.tick_params(direction="inout", length=9, width=1.2, labelsize=FONT_SIZE - 1.5, pad=1)
    top.spines["top"].set_visible(False)
    if label:
        top.set_xlabel(label, fontsize=FONT_SIZE - 1, labelpad=2)


def _x_limits(ax: Axes, xs: Sequence[float], dates: Sequence[dt.date] = ()) -> None:
    """Data plus a 3 % margin; dates spanning under two days get two days around them
    (``charts.style.padded_span``), so the axis reads in days and hours, never seconds."""
    span = style.padded_span(dates) if dates else None
    if span is not None:
        ax.set_xlim(_num(span[0]), _num(span[1]))
        return
    finite = [x for x in xs if not math.isnan(x)]
    if not finite:
        return
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.03 or 1.0
    ax.set_xlim(low - pad, high + pad)


def _num(x: X) -> float:
    """A position on the x axis: matplotlib date numbers for dates, else the number."""
    if isinstance(x, dt.datetime):
        return float(mdates.date2num(x.replace(tzinfo=None)))
    if isinstance(x, dt.date):
        return float(mdates.date2num(dt.datetime.combine(x, dt.time())))
    return float(x)


def _value(y: float | None) -> float:
    """``None`` becomes NaN, which matplotlib leaves as a gap (never a zero)."""
    return math.nan if y is None else float(y)
