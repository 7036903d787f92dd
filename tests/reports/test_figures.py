"""Report charts read in black and white: styles, hatching, labelled cutoff and doses."""

from __future__ import annotations

import base64
import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from afterglow.reports import figures as f

DAY0 = dt.datetime(2026, 3, 2, 9, 0)
X = [DAY0 + dt.timedelta(days=d) for d in (-1, 1, 14, 28)]


def pcl5_chart() -> f.Chart:
    return f.line_chart(
        [
            f.Series("PCL-5 total", X, [50, 34, None, 38]),
            f.Series("Cluster B", X, [13, 9, 8, 10]),
        ],
        y_label="PCL-5 score",
        y_limits=(0, 80),
        ref_lines=[f.RefLine(33, "Cutoff 33")],
        events=[f.EventMark(DAY0 + dt.timedelta(days=2 * n), str(n + 1)) for n in range(3)],
        events_label="Doses (session number)",
        notes=[f.Note(X[0], 50, "baseline")],
    )


def line_paths(svg: str) -> dict[str, str]:
    """``id -> style`` of every drawn line (matplotlib names them line2d_n)."""
    return {
        match[1]: match[2]
        for match in re.finditer(r'<g id="(line2d_\d+)">\s*<path [^>]*style="([^"]*)"', svg)
    }


def test_every_colour_in_a_chart_is_a_grey() -> None:
    svg = pcl5_chart().svg + f.bar_chart(["a", "b"], [f.BarGroup("n", [1, 2])], y_label="n").svg
    colours = set(re.findall(r"#([0-9a-fA-F]{6})\b", svg))
    assert colours, "no colours found: the SVG format changed"
    for colour in colours:
        red, green, blue = colour[0:2], colour[2:4], colour[4:6]
        assert red == green == blue, f"#{colour} is not a grey"


def test_series_differ_by_dash_pattern_and_marker_not_by_colour() -> None:
    svg = pcl5_chart().svg
    styles = list(line_paths(svg).values())
    dashed = [s for s in styles if "stroke-dasharray" in s]
    # Series 2 is dashed, the cutoff is dashed with another pattern; series 1 is solid.
    patterns = {re.search(r"stroke-dasharray: ([\d.,]+)", s)[1] for s in dashed}
    assert len(patterns) >= 2
    # Markers: series 1 filled circles, series 2 open squares — two shapes, one drawn
    # filled black and the other filled white.
    shapes = {  # closed marker shapes (tick marks are open strokes)
        d for _, d in re.findall(r'<path id="(m[0-9a-f]+)" d="([^"]*)"', svg) if "z" in d
    }
    drawn = re.findall(r'<path d="([^"]*)" transform="translate\([^)]*\)" style="([^"]*)"', svg)
    fills: dict[str, set[str]] = {}
    for d, style in drawn:  # each marker's path, moved into place (f.inline_markers)
        if d in shapes:
            fill = re.search(r"fill: (#[0-9a-f]{6})", style)
            fills.setdefault(d, set()).add(fill[1] if fill else "#000000")  # SVG default
    assert sorted(fills.values(), key=sorted) == [{"#000000"}, {"#ffffff"}]


def test_the_cutoff_is_labelled_in_text_and_the_doses_are_labelled_ticks() -> None:
    svg = pcl5_chart().svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "Cutoff 33" in texts
    assert "Doses (session number)" in texts
    assert {"1", "2", "3"} <= set(texts)
    assert "baseline" in texts


def test_markers_are_drawn_as_paths_in_place_not_as_uses() -> None:
    svg = (
        '<svg><defs><path id="m1" d="M 0 2 L 2 0 z" style="fill: #ffffff"/></defs>'
        '<use xlink:href="#m1" x="10.5" y="-3" style="fill: #000000; stroke: #000000"/>'
        '<use xlink:href="#elsewhere" x="1" y="1"/></svg>'
    )
    assert f.inline_markers(svg) == (
        '<svg><defs><path id="m1" d="M 0 2 L 2 0 z" style="fill: #ffffff"/></defs>'
        '<path d="M 0 2 L 2 0 z" transform="translate(10.5 -3)"'
        ' style="fill: #ffffff; stroke: #000000"/>'  # the path's own fill wins
        '<use xlink:href="#elsewhere" x="1" y="1"/></svg>'  # unknown: left as it was
    )
    chart = pcl5_chart().svg
    assert "<use " not in chart
    # One marker per point drawn, 3 totals (one missing) and 4 cluster B values, and
    # one beside each of the legend's two names.
    points = re.findall(r'<path d="[^"]*z\s*" transform="translate', chart)
    assert len(points) == 3 + 4 + 2


def test_a_missing_value_is_a_gap_not_a_zero() -> None:
    svg = pcl5_chart().svg
    total_line = re.search(r'<g id="line2d_\d+">\s*<path d="([^"]*)"[^>]*stroke-width: 1\.6', svg)
    assert total_line, "the total's line was not found"
    # Two pieces (50 → 34, then 38 alone) and never a point at y = 0.
    assert total_line[1].count("M ") == 2


def test_bars_are_hatched_and_a_missing_bar_is_marked_not_drawn() -> None:
    chart = f.bar_chart(
        ["w1", "w2", "w3"],
        [f.BarGroup("mean", [2.5, None, 1.0]), f.BarGroup("other", [1, 1, 1])],
        y_label="per day",
    )
    assert chart.svg.count("<pattern ") == 2  # one hatch per group
    assert re.findall(r"<text[^>]*>–</text>", chart.svg)
    bars = re.findall(r'<g id="patch_\d+">\s*<path d="[^"]*" clip-path=[^>]*url\(#h', chart.svg)
    assert len(bars) == 5  # 2 + 3: the missing value has no bar, not a zero-height one


def test_bar_groups_must_match_the_categories() -> None:
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        f.bar_chart(["a", "b", "c"], [f.BarGroup("n", [1, 2])], y_label="n")


def test_charts_drawn_at_the_same_time_do_not_mix() -> None:
    def draw(n: int) -> str:
        return f.line_chart([f.Series(f"series-{n}", [1, 2, 3], [n, n + 1, n])], y_label="y").svg

    f.line_chart.cache_clear()  # type: ignore[attr-defined]  # draw, not reuse
    with ThreadPoolExecutor(max_workers=2) as pool:
        svgs = list(pool.map(draw, range(4)))
    for n, svg in enumerate(svgs):
        labels = set(re.findall(r"series-\d+", svg))
        assert labels == {f"series-{n}"}


def test_a_chart_prints_as_an_image_with_its_description() -> None:
    chart = f.line_chart([f.Series("s", [1, 2], [1, 2])], y_label="y", description='A "x" & <y>')
    html = str(chart)
    assert html.startswith('<img class="chart" alt="A &quot;x&quot; &amp; &lt;y&gt;"')
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert data and base64.b64decode(data[1]).decode() == chart.svg


def test_a_chart_with_the_same_numbers_is_reused_and_new_numbers_draw_a_new_one() -> None:
    f.line_chart.cache_clear()  # type: ignore[attr-defined]
    first = pcl5_chart()
    assert pcl5_chart() is first
    changed = f.line_chart([f.Series("PCL-5 total", X, [50, 34, None, 39])], y_label="PCL-5 score")
    assert changed is not first and changed.svg != first.svg
    f.line_chart.cache_clear()  # type: ignore[attr-defined]
    redrawn = pcl5_chart()
    assert redrawn is not first
    assert redrawn.svg == first.svg  # the cached chart is exactly what a fresh draw makes


def test_the_chart_cache_keeps_only_the_latest_charts(monkeypatch) -> None:
    monkeypatch.setattr(f, "CACHE_SIZE", 2)
    f.bar_chart.cache_clear()  # type: ignore[attr-defined]

    def bars(n: int) -> f.Chart:
        return f.bar_chart(["a", "b"], [f.BarGroup("n", [n, n + 1])], y_label="n")

    one, two = bars(1), bars(2)
    assert bars(1) is one  # used again: now the newest
    bars(3)  # evicts 2, the least recently used
    assert bars(1) is one
    assert bars(2) is not two
