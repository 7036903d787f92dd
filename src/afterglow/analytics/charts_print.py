"""The clinic outcomes PDF's charts: the dashboard's figures in black and white.

Drawn with ``reports.figures`` (matplotlib SVG: line styles, markers and hatching, never
colour) from the same :class:`~afterglow.analytics.dashboard.Dashboard` as the page, so
the PDF and the page show the same numbers; every chart sits beside its table in the
report. Hidden cells (fewer than the clinic's minimum N) are left out, never drawn as 0.
Individual patient lines are not printed: on paper they would hide the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from afterglow.analytics.dashboard import Dashboard
from afterglow.reports.figures import BarGroup, Chart, RefLine, Series, bar_chart, line_chart

HEIGHT_IN = 2.6


def print_figures(board: Dashboard, *, cutoff: int) -> dict[str, Chart]:
    """Every chart of the report that has something to show, by name."""
    charts: dict[str, Chart] = {}
    if board.shown and any(w["shown"] for w in board.trajectory):
        charts["trajectory"] = _weekly(
            board.trajectory,
            label="Mean PCL-5 total",
            y_label="PCL-5 total (0–80)",
            y_limits=(0, 80),
            ref_lines=[RefLine(cutoff, f"Cutoff {cutoff}")],
            x_label="Weeks since the first dose (0 = baseline)",
        )
    if any(w["shown"] for w in board.intrusion):
        charts["intrusion"] = _weekly(
            board.intrusion,
            label="Mean cluster B",
            y_label="Cluster B (0–20)",
            y_limits=(0, 20),
            x_label="Weeks since the first dose",
        )
    if any(w["shown"] for w in board.diary):
        charts["diary"] = _weekly(
            board.diary,
            label="Mean diary intrusions per week",
            y_label="Intrusions per week",
            y_limits=None,
            x_label="Weeks since the first dose",
        )
    if board.km is not None:
        km = board.km
        charts["km"] = line_chart(
            [
                Series(
                    "Still responding (%)",
                    km["timeline"],
                    [_percent(v) for v in km["survival"]],
                    lower=[_percent(v) for v in km["ci_low"]],
                    upper=[_percent(v) for v in km["ci_high"]],
                    step=True,
                    markers=False,
                )
            ],
            y_label="Responders still responding (%)",
            x_label="Days since the response at the durability timepoint",
            y_limits=(0, 102),
            ref_lines=[RefLine(50, "Half")],
            description="Kaplan–Meier curve of the share of responders still responding.",
            height=HEIGHT_IN,
        )
    if board.safety.shown:
        rows = board.safety.adverse
        charts["adverse"] = bar_chart(
            [row["severity"].capitalize() for row in rows],
            [BarGroup("Per 100 sessions", [row["per_100"] for row in rows])],
            y_label="Adverse events per 100 sessions",
            description="Adverse events per 100 signed sessions by severity.",
            width=3.4,
            height=2.3,
        )
        cadss = [row for row in board.safety.cadss if row["shown"]]
        if cadss:
            charts["cadss"] = line_chart(
                [
                    Series(
                        "Mean peak CADSS",
                        [row["number"] for row in cadss],
                        [row["mean"] for row in cadss],
                        lower=[row["ci95"][0] if row["ci95"] else None for row in cadss],
                        upper=[row["ci95"][1] if row["ci95"] else None for row in cadss],
                    )
                ],
                y_label="Peak CADSS",
                x_label="Infusion number",
                description="Mean peak CADSS by infusion number with its 95% interval.",
                height=HEIGHT_IN,
            )
    if board.model is not None:
        bins = board.model["calibration"]
        charts["calibration"] = line_chart(
            [
                Series(
                    "Observed response (%)",
                    [100 * b["predicted_mean"] for b in bins],
                    [100 * b["observed_rate"] for b in bins],
                ),
                Series("Perfect calibration", [0, 100], [0, 100], markers=False),
            ],
            y_label="Observed (%)",
            x_label="Predicted chance of response (%)",
            y_limits=(0, 100),
            description="Calibration of the exploratory model's cross-validated predictions.",
            width=3.6,
            height=2.6,
        )
    return charts


def _weekly(
    weeks: Sequence[dict[str, Any]],
    *,
    label: str,
    y_label: str,
    y_limits: tuple[float, float] | None,
    x_label: str,
    ref_lines: Sequence[RefLine] = (),
) -> Chart:
    shown = [w for w in weeks if w["shown"]]
    return line_chart(
        [
            Series(
                label,
                [w["week"] for w in shown],
                [w["mean"] for w in shown],
                lower=[w["ci95"][0] if w["ci95"] else None for w in shown],
                upper=[w["ci95"][1] if w["ci95"] else None for w in shown],
            )
        ],
        y_label=y_label,
        x_label=x_label,
        y_limits=y_limits,
        ref_lines=ref_lines,
        description=f"{label} by week with its 95% interval.",
        height=HEIGHT_IN,
    )


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value
