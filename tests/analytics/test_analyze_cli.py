"""``afterglow analyze``: JSON from a CSV, and exit 2 with one line for bad input."""

from __future__ import annotations

import io
import json
import math
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from afterglow.analytics.engine import AnalysisConfig, analyze_csv
from afterglow.demo.synthetic_registry import generate, write_csv
from tests.cli import afterglow_script, cli_environment


@pytest.fixture(scope="module")
def registry_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("analyze") / "registry.csv"
    write_csv(generate(400, seed=9).observations, path)
    return path


def analyze_command(*args: str) -> dict:
    out = io.StringIO()
    call_command("analyze", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_engines_figures_as_json(registry_csv):
    printed = analyze_command("--csv", str(registry_csv))

    assert printed == analyze_csv(registry_csv)
    assert printed["n_patients"] == 400
    assert list(printed["timepoints"]) == ["1", "14", "28", "90"]
    assert printed["mixed_model"]["slope_per_week"] < 0


def test_options_reach_the_engine(registry_csv):
    printed = analyze_command(
        "--csv",
        str(registry_csv),
        "--days",
        "28, 7",
        "--cutoff",
        "29",
        "--response-percent",
        "50",
        "--reliable-points",
        "15",
        "--mixed-window",
        "0,14",
        "--by",
        "sex",
    )

    config = AnalysisConfig(
        days=(7, 28), cutoff=29, response_percent=50, reliable_points=15, mixed_window=(0, 14)
    )
    assert printed == analyze_csv(registry_csv, config, by="sex")
    assert printed["config"]["days"] == [7, 28]
    assert set(printed["by"]) == {"female", "male", "undisclosed"}


def reference_durability(csv: Path, from_day: int, confirmations: int) -> dict:
    """Durability computed independently of the engine: a loop per patient, then lifelines.

    Rules as issue 9 §2 states them: baseline = the last total at or before day 0; the
    follow-up standing for ``from_day`` is the one nearest to it within
    max(1, round(d/4)) days (earlier on a tie); a responder there has fallen at least
    30 %; time runs from that day to the first day of the first run of
    ``confirmations`` later follow-ups that are not responses, else censored at the
    last follow-up.
    """
    import pandas as pd
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    half = max(1, round(from_day / 4 + 1e-9))
    frame = pd.read_csv(csv, dtype={"patient_id": str})
    durations, events = [], []
    for _, rows in frame.groupby("patient_id"):
        series = sorted(zip(rows["day"], rows["pcl5_total"], strict=True))
        before = [total for day, total in series if day <= 0]
        if not before:
            continue
        baseline = before[-1]
        later = [(day, total) for day, total in series if day > 0]

        def response(total: int, baseline: int = baseline) -> bool:
            return baseline > 0 and (baseline - total) / baseline >= 0.30 - 1e-12

        window = [(abs(day - from_day), day, total) for day, total in later
                  if max(1, from_day - half) <= day <= from_day + half]  # fmt: skip
        if not window:
            continue
        _, start, total = min(window)
        if not response(total):
            continue
        run: list[int] = []
        lost_on = None
        for day, total in later:
            if day <= start:
                continue
            run = [] if response(total) else [*run, day]
            if len(run) == confirmations:
                lost_on = run[0]
                break
        durations.append((lost_on if lost_on is not None else later[-1][0]) - start)
        events.append(lost_on is not None)
    kmf = KaplanMeierFitter().fit(durations, event_observed=events)
    limits = median_survival_times(kmf.confidence_interval_survival_function_)
    finite = [float(v) if math.isfinite(float(v)) else None for v in limits.iloc[0]]
    median = float(kmf.median_survival_time_)
    return {
        "from_day": from_day,
        "n_responders": len(durations),
        "n_lost": sum(events),
        "median_days_to_loss_of_response": median if math.isfinite(median) else None,
        "ci95": finite,
    }


@pytest.mark.parametrize(("from_day", "confirmations"), [(14, 2), (14, 1), (28, 3)])
def test_durability_from_a_day_equals_an_independent_lifelines_reference(
    registry_csv, from_day, confirmations
):
    printed = analyze_command(
        "--csv",
        str(registry_csv),
        "--durability-from",
        str(from_day),
        "--confirm-loss",
        str(confirmations),
    )

    expected = reference_durability(registry_csv, from_day, confirmations)
    assert expected["n_responders"] > 50 and expected["n_lost"] > 10  # a real test
    durability = printed["durability"]
    assert {k: durability[k] for k in ("from_day", "n_responders", "n_lost")} == {
        k: expected[k] for k in ("from_day", "n_responders", "n_lost")
    }
    assert durability["median_days_to_loss_of_response"] == pytest.approx(
        expected["median_days_to_loss_of_response"]
    )
    assert durability["ci95"] == pytest.approx(expected["ci95"])
    assert printed["config"]["durability_from"] == from_day
    assert printed["config"]["loss_confirmations"] == confirmations


def test_the_default_durability_starts_at_day_14_with_two_confirmations(registry_csv):
    printed = analyze_command("--csv", str(registry_csv))

    assert printed["durability"]["from_day"] == 14
    assert printed["config"]["loss_confirmations"] == 2
    assert printed["config"]["response_requires_reliable"] is False
    strict = analyze_command("--csv", str(registry_csv), "--response-requires-reliable")
    assert strict["config"]["response_requires_reliable"] is True
    assert strict == analyze_csv(registry_csv, AnalysisConfig(response_requires_reliable=True))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--confirm-loss", "0"], "--confirm-loss must be a whole number from 1 to 4"),
        (["--confirm-loss", "x"], "--confirm-loss must be a whole number, got 'x'"),
        (["--durability-from", "0"], "--durability-from must be a whole number of at least 1"),
        (["--durability-from", "two"], "--durability-from must be a whole number, got 'two'"),
        (["--days", "1,x"], "--days must be whole numbers separated by commas, got '1,x'"),
        (["--days", "0,14"], "--days must be whole numbers of at least 1"),
        (["--days", "14,14"], "--days lists a timepoint twice: [14, 14]"),
        (["--cutoff", "81"], "--cutoff must be a whole number from 0 to 80 (default 33), got 81"),
        (["--response-percent", "ten"], "--response-percent must be a whole number, got 'ten'"),
        (["--mixed-window", "0"], "--mixed-window must be two days FIRST,LAST, got (0,)"),
        (["--by", "shoe_size"], "--by column 'shoe_size' is not in the CSV"),
    ],
)
def test_bad_options_are_one_line_errors(registry_csv, args, message):
    with pytest.raises(CommandError) as caught:
        analyze_command("--csv", str(registry_csv), *args)

    assert caught.value.returncode == 2
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(CommandError, match=r"^no such file: .*missing\.csv$") as caught:
        analyze_command("--csv", str(tmp_path / "missing.csv"))

    assert caught.value.returncode == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "patient_id,day,total\na,0,50\n",
            "CommandError: missing column(s) pcl5_total; the data needs patient_id, day, "
            "pcl5_total (columns found: patient_id, day, total)",
        ),
        (
            "patient_id,day,pcl5_total\na,0,50\na,14,81\n",
            "CommandError: pcl5_total must be a whole number from 0 to 80 (a complete PCL-5's "
            "total), got 81 in data row 2",
        ),
        (
            "",
            "CommandError: {path} is empty; it needs a header row with patient_id, day, pcl5_total",
        ),
    ],
)
def test_the_real_command_exits_2_with_one_line_on_stderr(tmp_path, content, message):
    path = tmp_path / "input.csv"
    path.write_text(content, encoding="utf-8")
    env = cli_environment(tmp_path)

    done = subprocess.run(
        [afterglow_script(), "analyze", "--csv", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == message.format(path=path) + "\n"


def test_parquet_input_format_option_bins_and_covariate_reach_the_engine(tmp_path, registry_csv):
    from afterglow.analytics.engine.scan import analyze_file
    from afterglow.demo.synthetic_registry import write_parquet

    parquet = tmp_path / "registry.parquet"
    write_parquet(300, parquet, seed=4)
    renamed = tmp_path / "registry.data"
    renamed.write_bytes(parquet.read_bytes())

    printed = analyze_command("--input", str(parquet), "--by", "age", "--bins", "30,50")
    assert printed == analyze_file(parquet, by="age", bins=(30.0, 50.0))
    assert list(printed["by"]) == ["<30", "30–<50", "≥50"]
    assert analyze_command("--input", str(renamed), "--format", "parquet") == analyze_file(parquet)
    with_age = analyze_command("--csv", str(registry_csv), "--covariate", "age")
    assert with_age["mixed_model"]["covariate"] == "age"
    assert with_age == analyze_file(registry_csv, covariate="age")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bins", "30,50"], "--bins needs --by COLUMN"),
        (["--by", "age", "--bins", "50,30"], "--bins must be increasing numbers, got '50,30'"),
        (["--by", "age", "--bins", "x"], "--bins must be numbers separated by commas"),
        (["--covariate", "sex"], "--covariate needs a numeric column; sex holds text"),
        (["--covariate", "shoe_size"], "--covariate column 'shoe_size' is not in the CSV"),
    ],
)
def test_bad_bins_and_covariates_are_one_line_errors(registry_csv, args, message):
    with pytest.raises(CommandError) as caught:
        analyze_command("--csv", str(registry_csv), *args)

    assert caught.value.returncode == 2
    assert str(caught.value).startswith(message)


def test_a_file_of_unknown_kind_asks_for_format(tmp_path):
    path = tmp_path / "cohort.xlsx"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(CommandError, match="add --format csv or --format parquet") as caught:
        analyze_command("--input", str(path))

    assert caught.value.returncode == 2
