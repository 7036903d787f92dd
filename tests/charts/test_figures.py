"""The patient figures as plain Plotly JSON: valid for plotly.js, styled from one module,
and never a seconds axis for data on one day (on screen and in the PDF)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import plotly.graph_objects as go
import pytest

from afterglow.charts import style
from afterglow.charts.figures import pcl5_figure, phq9_figure
from afterglow.charts.marks import ChartPoint, DoseMark, OutcomeMarks, Phq9Point, TherapyMark
from afterglow.instruments.catalog import get_instrument
from afterglow.reports import figures as print_figures

TZ = zoneinfo.ZoneInfo("Europe/London")
MORNING = dt.datetime(2026, 3, 2, 9, 30, tzinfo=TZ)


def point(when: dt.datetime, total: int) -> ChartPoint:
    return ChartPoint(when, total, total // 4, True, (), "Past month")


def phq9_point(when: dt.datetime, total: int, item9: int) -> Phq9Point:
    return Phq9Point(1, when, total, True, "mild", (), 9, item9, "x", item9 > 0, "Staff")


def test_same_day_points_get_a_two_day_date_axis_that_never_shows_seconds() -> None:
    # Two PCL-5s 40 seconds apart: plotly.js would zoom to seconds.
    figure = pcl5_figure(
        [point(MORNING, 50), point(MORNING + dt.timedelta(seconds=40), 48)], cutoff=33
    )
    axis = figure["layout"]["xaxis"]
    assert axis["type"] == "date"
    start, end = (dt.datetime.fromisoformat(x) for x in axis["range"])
    assert end - start == dt.timedelta(days=2)
    assert start.replace(tzinfo=None) < MORNING.replace(tzinfo=None) < end.replace(tzinfo=None)
    formats = [stop["value"] for stop in axis["tickformatstops"]]
    assert formats and not any("%S" in f or "%L" in f for f in formats)
    # The finest zoom shows hours and the date.
    assert axis["tickformatstops"][0]["dtickrange"] == [None, style.DAY_MS]
    assert "%H:%M" in formats[0] and "%d %b" in formats[0]


def test_data_over_weeks_leaves_the_range_to_plotly() -> None:
    figure = pcl5_figure(
        [point(MORNING, 50), point(MORNING + dt.timedelta(days=30), 30)], cutoff=33
    )
    assert "range" not in figure["layout"]["xaxis"]


def test_every_figure_is_valid_plotly_json_with_the_style_modules_colours() -> None:
    dose = DoseMark(1, MORNING + dt.timedelta(days=1), Decimal("35.0"), "Intravenous infusion")
    therapy = TherapyMark(MORNING + dt.timedelta(days=2), "Integration", "+26 h", True)
    pcl5 = pcl5_figure(
        [point(MORNING, 50), point(MORNING + dt.timedelta(days=14), 30)],
        cutoff=33,
        doses=[dose],
        therapy=[therapy],
        outcome=OutcomeMarks(
            baseline=(MORNING, 50),
            responses=[(MORNING + dt.timedelta(days=14), 30)],
            loss_at=None,
            label="Response",
            possible_loss_at=MORNING + dt.timedelta(days=14),
        ),
    )
    scoring = get_instrument("phq9").scoring
    assert scoring.severity is not None
    phq9 = phq9_figure(
        [phq9_point(MORNING, 12, 2)],
        bands=scoring.severity.bands,
        max_total=scoring.max,
        doses=[dose],
    )
    for figure in (pcl5, phq9):
        go.Figure(figure)  # raises ValueError on any key plotly.js does not know
    by_name = {t["name"]: t for t in pcl5["data"]}
    assert by_name["PCL-5 total (0–80)"]["line"]["color"] == style.PCL5_TOTAL
    assert by_name["Doses"]["line"] == style.DOSE_LINE
    assert pcl5["layout"]["shapes"][0]["line"] == style.CUTOFF_LINE
    assert pcl5["layout"]["font"] == style.FONT
    assert {t["name"]: t for t in phq9["data"]}["Doses"]["line"]["color"] == style.DOSE
    # The doses are labelled on both, named so a phone can drop the labels.
    for figure in (pcl5, phq9):
        labels = [a for a in figure["layout"]["annotations"] if a.get("name") == style.DOSE_LABEL]
        assert [a["text"] for a in labels] == ["dose 1"]


def test_an_invalid_key_would_be_caught_by_the_validation() -> None:
    figure = pcl5_figure([point(MORNING, 50)], cutoff=33)
    figure["data"][0]["colour"] = "red"
    with pytest.raises(ValueError):
        go.Figure(figure)


def test_the_pdf_axis_for_same_day_data_reads_in_hours_not_seconds() -> None:
    chart = print_figures.line_chart(
        [print_figures.Series("PCL-5", [MORNING, MORNING + dt.timedelta(seconds=40)], [50, 48])],
        y_label="Score",
        y_limits=(0, 80),  # whole-number score ticks
        margins=print_figures.Margins(),
    )
    ticks = re.findall(r">([^<>]*\d[^<>]*)</text>", chart.svg)
    assert ticks, "the axis has labelled ticks"
    # Seconds would be "%S.%f" labels such as "10.000000" (the formatter's finest level).
    assert not [t for t in ticks if re.fullmatch(r"\d{1,2}\.\d+", t.strip())], ticks
    assert not [t for t in ticks if re.search(r"\d\d:\d\d:\d\d", t)], ticks
    # Two days around the data, labelled by day (before: five ticks all reading "09:30").
    assert {"02 Mar", "03 Mar"} <= {t.strip() for t in ticks}, ticks
