"""``afterglow analyze`` at registry scale: DuckDB reads CSV and Parquet, same figures."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from afterglow.analytics.engine import (
    AnalysisConfig,
    AnalysisInputError,
    analyze,
    analyze_csv,
)
from afterglow.analytics.engine.frame import load_csv
from afterglow.analytics.engine.scan import analyze_file, connect, file_format
from afterglow.demo import synthetic_registry
from afterglow.demo.synthetic_registry import generate, write_csv, write_parquet


def same(a: object, b: object, path: str = "") -> None:
    """Every number equal (floats to 1e-9 relative), every key and list length too."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for key in a:
            same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), path
    else:
        assert a == b and type(a) is type(b), path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scan")
    csv, parquet = folder / "registry.csv", folder / "registry.parquet"
    write_parquet(1500, parquet, seed=11, csv_path=csv)
    return {"csv": csv, "parquet": parquet}


@pytest.mark.parametrize(
    "by", [None, "sex", "age", "trauma_context", "age_band", "baseline_severity_band"]
)
def test_csv_and_parquet_give_every_number_of_the_in_memory_engine(files, by):
    expected = analyze_csv(files["csv"], by=by)

    same(analyze_file(files["csv"], by=by), expected)
    same(analyze_file(files["parquet"], by=by), expected)


def test_other_rules_give_the_same_numbers(files):
    config = AnalysisConfig(
        days=(7, 28),
        loss_confirmations=3,
        durability_from=28,
        response_requires_reliable=True,
        mixed_window=(0, 14),
    )

    same(
        analyze_file(files["parquet"], config, by="protocol"),
        analyze_csv(files["csv"], config, by="protocol"),
    )


def test_numeric_bins_group_patients_by_left_closed_bands(files):
    result = analyze_file(files["parquet"], by="age", bins=(30.0, 40.0, 50.0))
    observations = pd.read_csv(files["csv"], dtype={"patient_id": str})
    first_age = observations.sort_values("day").groupby("patient_id")["age"].first()

    assert list(result["by"]) == ["<30", "30–<40", "40–<50", "≥50"]
    in_band = first_age[(first_age >= 30) & (first_age < 40)].index
    same(
        result["by"]["30–<40"],
        {
            k: v
            for k, v in analyze(observations[observations["patient_id"].isin(in_band)]).items()
            if k != "config"
        },
    )


def test_bins_refuse_a_text_column_and_unordered_edges(files):
    with pytest.raises(
        AnalysisInputError, match="--bins needs a numeric --by column; sex holds text"
    ):
        analyze_file(files["parquet"], by="sex", bins=(1.0,))
    with pytest.raises(AnalysisInputError, match="--bins must be increasing"):
        analyze_file(files["parquet"], by="age", bins=(40.0, 30.0))


def test_the_covariate_model_equals_statsmodels_mixedlm(files):
    result = analyze_file(files["parquet"], covariate="age")["mixed_model"]
    data = duckdb.sql(
        f"SELECT * FROM read_parquet('{files['parquet']}') WHERE day BETWEEN 0 AND 28"
    ).df()
    data = data.assign(weeks=data["day"] / 7.0, total=data["pcl5_total"].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(
            "total ~ weeks + age", data, groups=data["patient_id"], re_formula="~weeks"
        )
        fit = model.fit(reml=True, method=["lbfgs"])

    assert result["covariate"] == "age"
    assert result["n_obs"] == len(data)
    assert result["intercept"] == pytest.approx(fit.fe_params["Intercept"], rel=1e-5)
    assert result["slope_per_week"] == pytest.approx(fit.fe_params["weeks"], rel=1e-5)
    assert result["covariate_effect"] == pytest.approx(fit.fe_params["age"], rel=1e-4, abs=1e-6)
    assert result["covariate_se"] == pytest.approx(fit.bse_fe["age"], rel=1e-3)
    assert result["slope_se"] == pytest.approx(fit.bse_fe["weeks"], rel=1e-3)
    assert result["reml_log_likelihood"] == pytest.approx(fit.llf, rel=1e-7)


def test_patients_without_the_covariate_are_counted_and_left_out(tmp_path):
    frame = generate(60, seed=3).observations
    frame["weight"] = np.where(
        frame["patient_id"].cat.codes < 5, np.nan, 70.0 + frame["patient_id"].cat.codes
    )
    path = tmp_path / "w.csv"
    write_csv(frame, path)

    block = analyze_file(path, covariate="weight")["mixed_model"]

    assert block["n_covariate_missing"] == 5
    assert block["n_patients"] == 55


def test_a_text_covariate_is_refused(files):
    with pytest.raises(
        AnalysisInputError, match="--covariate needs a numeric column; sex holds text"
    ):
        analyze_file(files["parquet"], covariate="sex")


BAD_CSVS = [
    "patient_id,day,pcl5_total\na,0,50\n ,14,30\n",
    "patient_id,day,pcl5_total\na,0,50\na,,30\n",
    "patient_id,day,pcl5_total\na,0,50\na,x,30\n",
    "patient_id,day,pcl5_total\na,0,50\na,1.5,30\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,lots\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,12.5\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,81\n",
    "patient_id,day,pcl5_total\nb,0,50\na,0,50\nb,14,30\nb,14,31\na,3,3\n",
    "patient_id,day,pcl5_total\n",
    "patient_id,days,total\na,0,50\n",
    # pandas' missing-value texts: blank ids, days and totals, quoted or not
    "patient_id,day,pcl5_total\na,0,50\nNA,14,30\n",
    'patient_id,day,pcl5_total\na,0,50\n"NULL",14,30\n',
    "patient_id,day,pcl5_total\na,0,50\nb,0,40\nn/a,14,30\nb,14,30\nb,14,31\n",
    "patient_id,day,pcl5_total\na,0,50\na,NA,30\n",
    "patient_id,day,pcl5_total\na,0,50\na,nan,30\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,-1.#IND\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,<NA>\n",
    "patient_id,day,pcl5_total\na,0,50\na,14,NaN\n",
]


@pytest.mark.parametrize("text", BAD_CSVS)
def test_bad_csvs_get_the_in_memory_engines_one_line_reason(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnalysisInputError) as expected:
        load_csv(path)

    with pytest.raises(AnalysisInputError) as got:
        analyze_file(path)

    assert str(got.value) == str(expected.value)


def test_missing_value_texts_mean_the_same_with_and_without_a_by_column(tmp_path):
    path = tmp_path / "ids.csv"
    rows = ["patient_id,day,pcl5_total,sex", "a,0,50,f", "a,14,20,f", "b,0,60,m", "b,14,50,m"]
    path.write_text("\n".join([*rows, "None,14,30,f", ""]), encoding="utf-8")
    for by in (None, "sex"):
        with pytest.raises(AnalysisInputError, match=r"^patient_id is blank in data row 5$"):
            analyze_file(path, by=by)
    # Texts near them are ids like any other.
    path.write_text("\n".join([*rows, " NA,0,30,f", "NAN,0,40,m", "NA ,14,9,f", ""]))
    for by in (None, "sex"):
        same(analyze_file(path, by=by), analyze_csv(path, by=by))
        result = analyze_file(path, by=by)
        assert (result["n_patients"], result["n_excluded_no_baseline"]) == (4, 1)


def test_bad_parquet_values_and_repeats_are_found_with_their_data_row(tmp_path):
    path = tmp_path / "bad.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('a', 0, 50), ('a', 14, 90)) "
        "AS t(patient_id, day, pcl5_total)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    with pytest.raises(
        AnalysisInputError,
        match=r"^pcl5_total must be a whole number from 0 to 80 .* got 90 in data row 2$",
    ):
        analyze_file(path)
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('a', 0, 50), ('b', 0, 40), ('a', 0, 51)) "
        "AS t(patient_id, day, pcl5_total)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    with pytest.raises(
        AnalysisInputError, match=r"^patient a has two totals on day 0 \(data rows 1 and 3\)"
    ):
        analyze_file(path)


def test_file_problems_are_one_line(tmp_path):
    with pytest.raises(AnalysisInputError, match=r"^no such file: .*nope\.parquet$"):
        analyze_file(tmp_path / "nope.parquet")
    with pytest.raises(AnalysisInputError, match=r"cannot tell the format of .*data\.xlsx"):
        file_format(str(tmp_path / "data.xlsx"))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(AnalysisInputError, match=r"broken\.parquet is not a valid Parquet file"):
        analyze_file(broken)
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("patient_id,day,pcl5_total\nJosé,0,50\n".encode("latin-1"))
    with pytest.raises(AnalysisInputError, match="is not UTF-8 text"):
        analyze_file(latin)


def test_a_registry_of_one_chunk_equals_generate_and_chunks_continue_the_ids(tmp_path, monkeypatch):
    path = tmp_path / "one.parquet"
    write_parquet(300, path, seed=5)
    written = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()
    drawn = generate(300, seed=(5, 0)).observations
    assert written["patient_id"].tolist() == drawn["patient_id"].astype(str).tolist()
    assert written["pcl5_total"].tolist() == drawn["pcl5_total"].tolist()

    monkeypatch.setattr(synthetic_registry, "CHUNK_PATIENTS", 100)
    write_parquet(250, path, seed=5)
    ids = duckdb.sql(f"SELECT DISTINCT patient_id FROM read_parquet('{path}')").df()["patient_id"]
    assert sorted(ids) == [f"R{i:06d}" for i in range(250)]


def test_the_scan_connection_draws_no_progress_bar(tmp_path) -> None:
    # DuckDB draws a progress bar on the terminal for long queries, over the CLI's output.
    connection = connect(memory_limit="1GB", spill=str(tmp_path))
    try:
        setting = connection.execute("SELECT current_setting('enable_progress_bar')").fetchone()
        assert setting == (False,)
    finally:
        connection.close()
