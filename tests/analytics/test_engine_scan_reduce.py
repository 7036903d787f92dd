"""The DuckDB per-patient aggregates (``scan_reduce``) against the in-memory engine.

A registry built to hit the edge cases of every rule: patients with only a baseline or
no baseline, a screening total before the baseline, a baseline of 0, ties on distance
to a timepoint (the earlier day counts), visits outside every window, runs of
non-response of every length (confirmed, open at the end, broken by a response), and
days 127 apart (the repeat check's residues collide, and must not report a repeat).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from afterglow.analytics.engine import AnalysisConfig, AnalysisInputError, analyze
from afterglow.analytics.engine.scan import analyze_file

from .test_engine_scan import same

# (patient, [(day, total), ...]) -- baseline 50 unless said otherwise; response is <= 35.
EDGE_PATIENTS: dict[str, list[tuple[int, int]]] = {
    "only-baseline": [(0, 50)],
    "no-baseline": [(3, 40), (14, 20), (28, 30)],
    "screening-then-baseline": [(-14, 70), (-1, 60), (1, 55), (14, 40), (28, 20)],
    "baseline-zero": [(0, 0), (1, 0), (14, 0), (28, 5)],
    "tie-at-14": [(0, 50), (12, 30), (16, 45), (28, 50), (35, 52)],
    "tie-at-28": [(0, 50), (14, 30), (25, 36), (31, 20)],
    "out-of-window": [(0, 50), (5, 40), (45, 30), (150, 20)],
    "lost-after-two": [(0, 50), (14, 30), (21, 40), (28, 45), (35, 20)],
    "open-run": [(0, 50), (14, 30), (21, 30), (28, 45)],
    "broken-runs": [(0, 50), (14, 30), (18, 40), (21, 30), (25, 45), (28, 30), (35, 44)],
    "long-loss": [(0, 50), (14, 34), (16, 40), (20, 41), (24, 42), (28, 43), (60, 44)],
    "exactly-thirty-percent": [(0, 40), (14, 28), (28, 29), (90, 40)],
    "one-reliable-short": [(0, 20), (14, 11), (28, 10)],
    "days-127-apart": [(-100, 60), (0, 50), (27, 30), (1, 45), (14, 30), (141, 44)],
    "late-only": [(0, 50), (90, 30), (100, 25)],
}


def _edge_frame(seed: int = 5, n_random: int = 300) -> pd.DataFrame:
    """The edge patients and ``n_random`` random ones (ragged visits, some missing)."""
    rows = [(p, d, t) for p, visits in EDGE_PATIENTS.items() for d, t in visits]
    rng = np.random.default_rng(seed)
    candidates = np.array([-7, 0, 1, 2, 7, 10, 13, 14, 15, 18, 21, 28, 35, 60, 67, 90, 113, 120])
    for i in range(n_random):
        days = rng.choice(candidates, size=rng.integers(1, 10), replace=False)
        start = int(rng.integers(20, 81))
        for day in sorted(days):
            rows.append((f"r{i:04d}", int(day), int(np.clip(start - rng.integers(-5, 30), 0, 80))))
    order = rng.permutation(len(rows))  # no reader may rely on the file's order
    frame = pd.DataFrame(rows, columns=["patient_id", "day", "pcl5_total"]).iloc[order]
    frame["sex"] = frame["patient_id"].map(lambda p: "female" if hash(p) % 2 else "male")
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def edge_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, str]]:
    folder = tmp_path_factory.mktemp("edges")
    frame = _edge_frame()
    csv, parquet = folder / "edges.csv", folder / "edges.parquet"
    frame.to_csv(csv, index=False)
    duckdb.from_df(frame).write_parquet(str(parquet))
    return frame, {"csv": str(csv), "parquet": str(parquet)}


CONFIGS = [
    AnalysisConfig(),
    AnalysisConfig(loss_confirmations=1),
    AnalysisConfig(loss_confirmations=3, response_requires_reliable=True),
    AnalysisConfig(loss_confirmations=4, durability_from=28, days=(2, 14, 90)),
    AnalysisConfig(cutoff=40, response_percent=50, reliable_points=5, mixed_window=(-7, 35)),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"k{c.loss_confirmations}")
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_every_figure_of_the_edge_registry_equals_the_in_memory_engine(edge_files, config, kind):
    frame, paths = edge_files

    same(analyze_file(paths[kind], config, by="sex"), analyze(frame, config, by="sex"))


def test_the_edge_registry_counts_what_the_rules_say(edge_files):
    frame, paths = edge_files
    edge = frame[frame["patient_id"].isin(EDGE_PATIENTS)]
    path = paths["parquet"].replace("edges.parquet", "only-edges.parquet")
    duckdb.from_df(edge).write_parquet(path)

    result = analyze_file(path)

    # Worked by hand from EDGE_PATIENTS: only "no-baseline" lacks a total at or before day 0.
    assert result["n_excluded_no_baseline"] == 1
    assert result["n_patients"] == len(EDGE_PATIENTS) - 1
    # Timepoint 14 (window 10-18): every patient with a baseline but only-baseline,
    # out-of-window and late-only; baseline-zero's 0 counts (0 is a total, not "missing").
    at_14 = result["timepoints"]["14"]
    assert at_14["n"] == 11
    assert result["timepoints"]["90"]["n"] == 2  # exactly-thirty-percent and late-only
    # Durability from 14: responders are the patients whose day-14 match is <= 70 % of
    # baseline with baseline > 0: screening-then-baseline (40 <= 42), tie-at-14 (30),
    # tie-at-28, lost-after-two, open-run, broken-runs, long-loss, exactly-thirty-percent,
    # one-reliable-short and days-127-apart (its baseline is day 0's 50, not day -100's).
    # Confirmed losses (2 failing follow-ups in a row after the day-14 match):
    # lost-after-two (21), long-loss (16), tie-at-14 (16, after its day-12 match) and
    # exactly-thirty-percent (28: 29 > 28); broken-runs, open-run and tie-at-28 never
    # fail twice in a row.
    durability = result["durability"]
    assert durability["n_responders"] == 10
    assert durability["n_lost"] == 4


def test_a_repeat_is_found_among_days_whose_residues_collide(tmp_path):
    path = tmp_path / "repeat.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('a', 0, 50), ('a', 127, 40), ('b', 0, 40), "
        "('b', 14, 20), ('a', 127, 41)) AS t(patient_id, day, pcl5_total)) "
        f"TO '{path}' (FORMAT parquet)"
    )

    with pytest.raises(
        AnalysisInputError, match=r"^patient a has two totals on day 127 \(data rows 2 and 5\)"
    ):
        analyze_file(path)
