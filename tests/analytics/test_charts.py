"""The dashboard's figures as plain JSON: shape, gaps at empty weeks, n on every point."""

from __future__ import annotations

import json

import numpy as np
from django.utils.html import escape

from afterglow.analytics.charts import plain, runs, trajectory_figure, weekly_figure
from afterglow.analytics.templatetags.analytics_format import contrast
from tests.analytics.cohort import cohort


def _week(week: int, mean: float, n: int, shown: bool = True) -> dict:
    return {"week": week, "mean": mean, "n": n, "ci95": (mean - 2, mean + 2), "shown": shown}


def test_consecutive_weeks_are_grouped_into_runs() -> None:
    assert runs([0, 1, 2, 5, 6, 9]) == [[0, 1, 2], [5, 6], [9]]
    assert runs([]) == []


def test_the_mean_line_breaks_at_weeks_without_data_and_hidden_weeks() -> None:
    weeks = [_week(0, 50, 12), _week(1, 40, 11), _week(2, 38, 4, shown=False), _week(3, 35, 10)]
    weeks.append(_week(6, 33, 10))  # weeks 4 and 5 have no data at all

    figure = weekly_figure(weeks, y_title="t", y_max=None, colour="#000", band="#eee", name="Mean")

    mean = next(t for t in figure["data"] if t["name"] == "Mean")
    assert mean["x"] == [0, 1, None, 3, None, 6]
    assert mean["y"] == [50, 40, None, 35, None, 33]
    assert mean["connectgaps"] is False
    assert [n[0] for n in mean["customdata"]] == [12, 11, None, 10, None, 10]
    assert "n = %{customdata[0]}" in mean["hovertemplate"]
    band = next(t for t in figure["data"] if t["name"] == "95% CI")
    # One closed polygon per run: weeks 0-1, then 3, then 6, separated by gaps.
    assert band["x"] == [0, 1, 1, 0, None, 3, 3, None, 6, 6]
    assert band["y"] == [52, 42, 38, 48, None, 37, 33, None, 35, 31]
    assert band["fill"] == "toself"


def test_figures_are_plain_json_with_no_plotly_objects() -> None:
    weeks = [_week(0, np.float64(50.5), np.int64(10)), _week(1, np.float64(45.0), np.int64(10))]
    lines = [[(0.0, np.int64(50)), (1.0, np.int64(40))]]

    figure = trajectory_figure(weeks, lines, cutoff=33)

    assert set(figure) == {"data", "layout"}
    assert all(isinstance(trace, dict) and trace["type"] == "scatter" for trace in figure["data"])
    text = json.dumps(figure)  # numpy would raise here
    assert "NaN" not in text
    assert figure["layout"]["yaxis"]["title"] == {"text": "PCL-5 total"}
    assert figure["layout"]["shapes"][0]["y0"] == 33
    assert figure["layout"]["annotations"][0]["text"] == "Cutoff 33"


def test_plain_turns_numpy_into_python_and_nan_into_null() -> None:
    assert plain({"a": [np.int64(3), np.float64("nan"), (np.float32(1.5),)]}) == {
        "a": [3, None, [1.5]]
    }


def test_odds_ratios_of_a_yes_no_feature_read_with_vs_without() -> None:
    row = {"feature": "psychotherapy_in_window", "level": "yes", "reference": "no"}
    assert contrast(row) == "with vs without"
    assert contrast({"feature": "sex", "level": "female", "reference": "male"}) == (
        "Female vs Male"
    )


def test_the_dashboard_headline_gives_durability_beside_day_14_response(clinic, researcher) -> None:
    cohort(clinic, 12)

    response = researcher.client.get("/staff/outcomes/")

    text = response.content.decode()
    board = response.context["board"]
    headline = text[text.index('id="headline"') : text.index("</dl>", text.index('id="headline"'))]
    assert 'id="response-rate"' in headline
    assert 'id="durability-headline"' in headline
    assert headline.index("response-rate") < headline.index("durability-headline")
    if board.km is None:
        assert board.km_reason in headline
    else:
        assert f"{board.km['n_responders']} responders" in headline


def test_each_caveat_is_shown_once_on_the_dashboard(clinic, researcher) -> None:
    cohort(clinic, 12)

    response = researcher.client.get("/staff/outcomes/")

    text = response.content.decode()
    caveats = {
        c for comparison in response.context["board"].comparisons for c in comparison.caveats
    }
    counts = {c: text.count(f"<li>{escape(c)}</li>") for c in caveats if c}
    wrong = {c[:60]: n for c, n in counts.items() if n != 1}
    assert counts and not wrong, wrong
