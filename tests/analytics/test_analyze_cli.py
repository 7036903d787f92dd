"""``afterglow analyze``: JSON from a CSV, and exit 2 with one line for bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from afterglow.analytics.engine import AnalysisConfig, analyze_csv
from afterglow.demo.synthetic_registry import generate, write_csv
from tests.outcomes.test_outcome_cli import afterglow_script


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


@pytest.mark.parametrize(
    ("args", "message"),
    [
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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "afterglow.settings"}
    env["AFTERGLOW_VAR_DIR"] = str(tmp_path)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

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
