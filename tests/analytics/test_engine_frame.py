"""The engine reads and checks observations, and refuses bad data with one clear line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from afterglow.analytics.engine import (
    AnalysisConfig,
    AnalysisInputError,
    add_bands,
    load_csv,
    timepoint_window,
    validate_frame,
)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_returns_typed_columns_and_keeps_covariates_and_text_ids(tmp_path):
    path = write(tmp_path, "patient_id,day,pcl5_total,sex\n007,0,50,F\n007,14,30,F\n")

    frame = load_csv(path)

    assert list(frame.columns) == ["patient_id", "day", "pcl5_total", "sex"]
    assert frame["patient_id"].tolist() == ["007", "007"]
    assert frame["day"].dtype == np.int64
    assert frame["pcl5_total"].tolist() == [50, 30]


def test_validate_frame_accepts_whole_floats_and_numeric_text():
    frame = pd.DataFrame({"patient_id": [1, 1], "day": [0.0, 7.0], "pcl5_total": ["50", "40"]})

    clean = validate_frame(frame)

    assert clean["day"].tolist() == [0, 7]
    assert clean["pcl5_total"].tolist() == [50, 40]


@pytest.mark.parametrize(
    ("columns", "rows", "message"),
    [
        (
            {"patient_id": ["a"], "day": [0]},
            None,
            "missing column(s) pcl5_total; the data needs patient_id, day, pcl5_total "
            "(columns found: patient_id, day)",
        ),
        (
            {"patient_id": ["a", "a"], "day": [0, 14], "pcl5_total": [50, 81]},
            None,
            "pcl5_total must be a whole number from 0 to 80 (a complete PCL-5's total), "
            "got 81 in data row 2",
        ),
        (
            {"patient_id": ["a"], "day": [0], "pcl5_total": [-1]},
            None,
            "pcl5_total must be a whole number from 0 to 80 (a complete PCL-5's total), "
            "got -1 in data row 1",
        ),
        (
            {"patient_id": ["a", "a"], "day": [0, 1], "pcl5_total": ["50", "lots"]},
            None,
            "pcl5_total must be a number (a complete PCL-5's total), got 'lots' in data row 2",
        ),
        (
            {"patient_id": ["a", "a"], "day": [0, 1], "pcl5_total": [50, 12.5]},
            None,
            "pcl5_total must be a whole number (a complete PCL-5's total), got 12.5 in data row 2",
        ),
        (
            {"patient_id": ["a", "a"], "day": [0, 1], "pcl5_total": [50, None]},
            None,
            "pcl5_total is blank in data row 2 (a complete PCL-5's total)",
        ),
        (
            {"patient_id": ["a", "a"], "day": [0, 1.5], "pcl5_total": [50, 40]},
            None,
            "day must be a whole number (days after the first dose, day 0), got 1.5 in data row 2",
        ),
        (
            {"patient_id": ["a", " "], "day": [0, 1], "pcl5_total": [50, 40]},
            None,
            "patient_id is blank in data row 2",
        ),
        (
            {"patient_id": ["a", "b", "a"], "day": [0, 0, 0], "pcl5_total": [50, 40, 45]},
            None,
            "patient a has two totals on day 0 (data rows 1 and 3); "
            "keep one PCL-5 per patient and day",
        ),
        (
            {"patient_id": [], "day": [], "pcl5_total": []},
            None,
            "no observations: the data has a header but no rows of patient_id, day, pcl5_total",
        ),
    ],
)
def test_validate_frame_names_the_first_problem(columns, rows, message):
    with pytest.raises(AnalysisInputError) as caught:
        validate_frame(pd.DataFrame(columns))

    assert str(caught.value) == message


def test_a_zero_total_is_a_real_score_not_a_missing_one():
    frame = validate_frame(pd.DataFrame({"patient_id": ["a"], "day": [0], "pcl5_total": [0]}))

    assert frame["pcl5_total"].tolist() == [0]


def test_load_csv_reports_file_problems_in_one_line(tmp_path):
    with pytest.raises(AnalysisInputError, match=r"^no such file: .*nope\.csv$"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(AnalysisInputError, match="is empty; it needs a header row"):
        load_csv(write(tmp_path, "", "empty.csv"))
    with pytest.raises(AnalysisInputError, match="is not UTF-8 text"):
        path = tmp_path / "latin1.csv"
        path.write_bytes("patient_id,day,pcl5_total\nJosé,0,50\n".encode("latin-1"))
        load_csv(path)
    with pytest.raises(AnalysisInputError, match=r"missing column\(s\) day, pcl5_total"):
        load_csv(write(tmp_path, "patient_id,days,total\na,0,50\n", "renamed.csv"))


def test_timepoint_windows_are_a_quarter_of_the_day_each_side_and_never_reach_day_0():
    assert timepoint_window(1) == (1, 2)
    assert timepoint_window(2) == (1, 3)
    assert timepoint_window(14) == (10, 18)  # 3.5 rounds up to 4
    assert timepoint_window(28) == (21, 35)
    assert timepoint_window(90) == (67, 113)  # 22.5 rounds up to 23


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": ()}, "days must list at least one timepoint"),
        ({"days": (0, 14)}, "days must be whole numbers of at least 1"),
        ({"days": (14, 14)}, "days lists a timepoint twice"),
        ({"cutoff": 81}, "cutoff must be a whole number from 0 to 80"),
        ({"response_percent": 0}, "response_percent must be a whole number from 1 to 100"),
        ({"mixed_window": (28, 0)}, "mixed_window must be two whole numbers, first below last"),
    ],
)
def test_config_refuses_bad_settings(kwargs, message):
    with pytest.raises(AnalysisInputError, match=message.replace("(", r"\(")):
        AnalysisConfig(**kwargs)


def test_config_sorts_the_days():
    assert AnalysisConfig(days=(28, 1, 14)).days == (1, 14, 28)


def test_add_bands_on_observations_uses_each_patients_baseline_and_age():
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b", "c", "d"],
            "day": [-7, 0, 14, 0, 14, 0, 3],
            "pcl5_total": [60, 49, 20, 50, 30, 32, 40],
            "age": [17, 17, 17, 18, 18, 60, 40],
        }
    )

    banded = add_bands(frame)

    # a: baseline is day 0 (49), not the screening 60; d has no baseline.
    assert banded["baseline_severity_band"].astype(object).where(
        banded["baseline_severity_band"].notna(), None
    ).tolist() == ["33–49", "33–49", "33–49", "50–80", "50–80", "<33", None]
    assert banded["age_band"].astype(str).tolist() == [
        "<18",
        "<18",
        "<18",
        "18–29",
        "18–29",
        "60+",
        "40–49",
    ]
    assert "baseline_severity_band" not in frame.columns  # a copy, not in place


def test_add_bands_on_patient_outcomes_uses_the_baseline_column():
    banded = add_bands(pd.DataFrame({"baseline": [0, 32, 33, 49, 50, 80]}))

    assert banded["baseline_severity_band"].astype(str).tolist() == [
        "<33",
        "<33",
        "33–49",
        "33–49",
        "50–80",
        "50–80",
    ]
    assert "age_band" not in banded.columns
