"""``make bench`` (``python -m afterglow.bench``): the analysis engine against plain baselines.

For each registry size (``BENCH_SIZES``, default ``10000,100000`` patients, about 15
PCL-5 totals each, from the seeded ``demo.synthetic_registry``), written as a CSV to a
temporary folder:

1. **engine, end to end**: ``analyze_csv`` (the code path of ``afterglow analyze``:
   CSV read, validation, every figure) plus the JSON encoding;
2. **outcome figures** (baseline, timepoints with CIs, response and below-cutoff rates,
   Kaplan–Meier durability): the engine against a plain pandas implementation that
   loops over patients with ``groupby().apply`` (below, deliberately not vectorised);
   the two must give the same numbers. That loop costs ~5-15 ms per patient, so it
   runs on the first ``BENCH_PANDAS_PATIENTS`` patients (default 2000) and its time is
   scaled linearly to the full size (marked "extrapolated"); the engine is timed on
   the same subset for the agreement check and on the full size for the ratio;
3. **mixed model** (days 0-28): the engine's REML fit against statsmodels'
   ``MixedLM(...).fit(reml=True, method=["lbfgs"])`` (L-BFGS: MixedLM's default BFGS
   often stops short on these data, and is slower), on the largest size MixedLM
   finishes within a minute (sizes tried in increasing order, each in a subprocess
   with a time limit); estimates must match.

Goals (issue 5 §6): 100k patients end to end under 20 s; the mixed model at least 50
times faster than MixedLM at 10k patients with matching estimates. Run
``BENCH_SIZES=1000,5000 make bench`` for a quick look. Never part of ``make test``.
No Django import.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from afterglow.analytics.engine import AnalysisConfig, analyze, analyze_csv, timepoint_window
from afterglow.analytics.engine.durability import durations, km_from_durations
from afterglow.analytics.engine.frame import prepare, read_csv
from afterglow.analytics.engine.mixed import fit_reml, pool
from afterglow.analytics.engine.patients import match_timepoint, patient_arrays
from afterglow.analytics.engine.stats import mean_ci, rate_ci
from afterglow.analytics.engine.table import _timepoint
from afterglow.demo.synthetic_registry import generate, write_csv

SEED = 20240501
DEFAULT_SIZES = (10_000, 100_000)
MIXEDLM_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
PANDAS_PATIENTS = 2_000
OVER_LIMIT_EXIT = 3  # the MixedLM worker's exit status when the fit passes the limit
MIXEDLM_LIMIT_SECONDS = 60.0
END_TO_END_GOAL_SECONDS = 20.0
MIXED_SPEEDUP_GOAL = 50.0
GOAL_SIZE_END_TO_END = 100_000
GOAL_SIZE_MIXED = 10_000


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--mixedlm-worker"]:
        return _mixedlm_worker(int(args[1]))
    try:
        sizes = _sizes(os.environ.get("BENCH_SIZES"))
        pandas_patients = _positive(os.environ.get("BENCH_PANDAS_PATIENTS"), PANDAS_PATIENTS)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    config = AnalysisConfig()
    print(f"Afterglow bench: sizes {', '.join(f'{s:,}' for s in sizes)} patients, seed {SEED}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    rows: list[dict[str, Any]] = []
    # Warm up: import everything and run each code path once, so no figure pays for it.
    analyze(generate(50, seed=1).observations, config)
    with tempfile.TemporaryDirectory(prefix="afterglow-bench-") as folder:
        for size in sizes:
            rows.append(_run_size(size, Path(folder), config, pandas_patients))
    mixedlm = _mixedlm_ladder(max(sizes))
    _report(rows, mixedlm)
    return 0


# --- one registry size ------------------------------------------------------------------------


def _run_size(
    size: int, folder: Path, config: AnalysisConfig, pandas_patients: int
) -> dict[str, Any]:
    started = time.perf_counter()
    registry = generate(size, seed=SEED).observations
    generated = time.perf_counter() - started
    path = folder / f"registry-{size}.csv"
    write_csv(registry, path)
    print(
        f"\n{size:,} patients: {len(registry):,} PCL-5 rows "
        f"({len(registry) / size:.1f} each), generated in {generated:.1f} s"
    )
    del registry

    end_to_end, result = _timed(lambda: json.dumps(analyze_csv(path, config)))
    print(f"  engine end to end (read + analyze + JSON): {end_to_end:.2f} s")
    read, frame = _timed(lambda: read_csv(path))
    engine_figures, _ = _timed(lambda: _engine_outcome_figures(frame, config))
    sample = frame[frame["patient_id"].isin(sorted(frame["patient_id"].unique())[:pandas_patients])]
    n_sample = sample["patient_id"].nunique()
    sample_pandas, reference = _timed(lambda: _pandas_outcome_figures(sample, config))
    agree = _same_figures(_engine_outcome_figures(sample, config), reference)
    pandas_figures = sample_pandas * size / n_sample
    label = "" if n_sample == size else f", extrapolated from {n_sample:,} patients"
    print(
        f"  outcome figures: engine {engine_figures:.2f} s, plain pandas {pandas_figures:.1f} s"
        f"{label} ({pandas_figures / engine_figures:.0f}x); "
        f"same numbers on {n_sample:,} patients: {'yes' if agree else 'NO'}"
    )
    cohort = prepare(frame)
    mixed_seconds, fit = _best_of(3, lambda: _engine_mixed(cohort, config))
    print(f"  engine mixed model: {mixed_seconds:.3f} s (slope {fit.slope:.4f}/week)")
    return {
        "size": size,
        "end_to_end": end_to_end,
        "read": read,
        "engine_figures": engine_figures,
        "pandas_figures": pandas_figures,
        "pandas_extrapolated": n_sample != size,
        "figures_agree": agree,
        "engine_mixed": mixed_seconds,
        "slope": json.loads(result)["mixed_model"]["slope_per_week"],
    }


def _engine_outcome_figures(frame: pd.DataFrame, config: AnalysisConfig) -> dict[str, Any]:
    cohort = prepare(frame)
    arrays = patient_arrays(cohort, config)
    timepoints = {
        day: _timepoint(
            arrays.baseline, match_timepoint(cohort, arrays.has_baseline, day)[0], day, config
        )
        for day in config.days
    }
    km = km_from_durations(*durations(cohort, arrays, config))
    return {
        "n_patients": int(arrays.has_baseline.sum()),
        "timepoints": timepoints,
        "median": km["median_days_to_loss_of_response"],
    }


def _engine_mixed(cohort: Any, config: AnalysisConfig) -> Any:
    has_baseline = patient_arrays(cohort, config).has_baseline
    low, high = config.mixed_window
    rows = (cohort.day >= low) & (cohort.day <= high) & has_baseline[cohort.code]
    return fit_reml(pool(cohort.code[rows], cohort.day[rows], cohort.total[rows]))


# --- the plain pandas baseline (a loop over patients, on purpose) ------------------------------


def _pandas_outcome_figures(frame: pd.DataFrame, config: AnalysisConfig) -> dict[str, Any]:
    """The outcome figures the obvious way: one Python function call per patient."""
    per_patient = frame.groupby("patient_id", sort=True, observed=True)[
        ["day", "pcl5_total"]
    ].apply(lambda rows: _pandas_patient(rows, config))
    have = per_patient[per_patient["baseline"].notna()]
    timepoints = {}
    for day in config.days:
        seen = have[have[f"total_{day}"].notna()]
        base, total = seen["baseline"].to_numpy(), seen[f"total_{day}"].to_numpy()
        mean_change, _, ci = mean_ci(total - base)
        percent = config.response_percent
        responded = (base > 0) & (100 * (base - total) >= percent * base)
        response_rate, response_ci = rate_ci(responded)
        below_rate, below_ci = rate_ci(total < config.cutoff)
        timepoints[day] = {
            "n": len(seen),
            "mean_change": mean_change,
            "ci95": ci,
            "response_rate": response_rate,
            "response_ci95": response_ci,
            "below_cutoff_rate": below_rate,
            "below_cutoff_ci95": below_ci,
        }
    responders = have[have["durability_start"].notna()]
    lost = responders["loss"].notna().to_numpy()
    end = np.where(lost, responders["loss"], responders["last_day"])
    km = km_from_durations(end - responders["durability_start"].to_numpy(), lost)
    return {
        "n_patients": len(have),
        "timepoints": timepoints,
        "median": km["median_days_to_loss_of_response"],
    }


def _pandas_patient(rows: pd.DataFrame, config: AnalysisConfig) -> pd.Series:
    rows = rows.sort_values("day")
    before = rows[rows["day"] <= 0]
    out: dict[str, float] = {"baseline": math.nan}
    for day in {*config.days, config.durability_from}:
        out[f"total_{day}"] = math.nan
    out.update(durability_start=math.nan, loss=math.nan, last_day=math.nan)
    if before.empty:
        return pd.Series(out)
    baseline = float(before["pcl5_total"].iloc[-1])
    out["baseline"] = baseline
    followups = rows[rows["day"] > 0]
    nearest_day: dict[int, float] = {}
    for day in {*config.days, config.durability_from}:
        low, high = timepoint_window(day)
        inside = followups[(followups["day"] >= low) & (followups["day"] <= high)]
        if not inside.empty:
            nearest = (inside["day"] - day).abs().idxmin()  # first of equals = earlier day
            out[f"total_{day}"] = float(inside.loc[nearest, "pcl5_total"])
            nearest_day[day] = float(inside.loc[nearest, "day"])
    responded = (baseline > 0) & (
        100 * (baseline - followups["pcl5_total"]) >= config.response_percent * baseline
    )
    # Durability: responders at the durability timepoint, from that follow-up's day, to the
    # first day of the first run of ``loss_confirmations`` later follow-ups out of response.
    start = nearest_day.get(config.durability_from)
    if start is not None and responded[followups["day"] == start].all():
        out["durability_start"] = start
        run: list[float] = []
        for day, meets in zip(followups["day"], responded, strict=True):
            if day <= start:
                continue
            run = [] if meets else [*run, float(day)]
            if len(run) == config.loss_confirmations:
                out["loss"] = run[0]
                break
    if not followups.empty:
        out["last_day"] = float(followups["day"].iloc[-1])
    return pd.Series(out)


def _same_figures(engine: dict[str, Any], reference: dict[str, Any]) -> bool:
    if engine["n_patients"] != reference["n_patients"]:
        return False
    if engine["median"] != reference["median"]:
        return False
    for day, expected in reference["timepoints"].items():
        got = engine["timepoints"][day]
        for key, value in expected.items():
            if not np.allclose(
                np.array(got[key], dtype=float), np.array(value, dtype=float), rtol=1e-9
            ):
                return False
    return True


# --- statsmodels MixedLM, each size in a subprocess with a time limit ---------------------------


def _mixedlm_ladder(largest: int) -> list[dict[str, Any]]:
    print(
        f"\nstatsmodels MixedLM (L-BFGS), sizes up to the first over {MIXEDLM_LIMIT_SECONDS:.0f} s:"
    )
    results = []
    for size in [s for s in MIXEDLM_SIZES if s <= largest]:
        entry = _mixedlm_subprocess(size)
        results.append(entry)
        if entry.get("seconds") is None or entry["seconds"] > MIXEDLM_LIMIT_SECONDS:
            print(f"  {size:,} patients: {entry['status']}")
            break
        engine = _engine_on_window(size)
        entry.update(engine)
        ratio = entry["seconds"] / engine["engine_seconds"]
        entry["ratio"] = ratio
        entry["match"] = bool(
            math.isclose(engine["engine_slope"], entry["slope"], rel_tol=1e-3)
            and math.isclose(engine["engine_slope_se"], entry["slope_se"], rel_tol=1e-3)
            and math.isclose(engine["engine_intercept"], entry["intercept"], rel_tol=1e-3)
        )
        print(
            f"  {size:,} patients ({entry['n_obs']:,} obs): MixedLM {entry['seconds']:.1f} s, "
            f"engine {engine['engine_seconds']:.3f} s ({ratio:.0f}x); slope "
            f"{entry['slope']:.5f} vs {engine['engine_slope']:.5f}, SE {entry['slope_se']:.5f} "
            f"vs {engine['engine_slope_se']:.5f}: {'match' if entry['match'] else 'DIFFER'}"
            + ("" if entry["converged"] else " (MixedLM: not converged)")
        )
    return results


def _window(size: int) -> pd.DataFrame:
    obs = generate(size, seed=SEED).observations
    obs = obs[(obs["day"] >= 0) & (obs["day"] <= 28)]
    return obs.assign(weeks=obs["day"] / 7.0, total=obs["pcl5_total"].astype(float))


def _engine_on_window(size: int) -> dict[str, Any]:
    data = _window(size)
    codes = data["patient_id"].cat.codes.to_numpy()
    day, total = data["day"].to_numpy(), data["pcl5_total"].to_numpy()
    seconds, fit = _best_of(3, lambda: fit_reml(pool(codes, day, total)))
    return {
        "engine_seconds": seconds,
        "engine_slope": fit.slope,
        "engine_slope_se": fit.slope_se,
        "engine_intercept": fit.intercept,
    }


def _mixedlm_subprocess(size: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "afterglow.bench", "--mixedlm-worker", str(size)]
    # The worker stops itself when the fit passes the limit (exit 3); the timeout here
    # is only a backstop for a worker that hangs before the fit.
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=MIXEDLM_LIMIT_SECONDS + 180
        )
    except subprocess.TimeoutExpired:
        return {"size": size, "seconds": None, "status": "did not finish (worker hung)"}
    if done.returncode == OVER_LIMIT_EXIT:
        return {"size": size, "seconds": None, "status": f"over {MIXEDLM_LIMIT_SECONDS:.0f} s"}
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"size": size, "seconds": None, "status": f"failed: {reason}"}
    return {"size": size, **json.loads(done.stdout), "status": "finished"}


def _mixedlm_worker(size: int) -> int:
    """Fit MixedLM on the window of a ``size``-patient registry; print time and estimates."""
    import threading
    import warnings

    import statsmodels.formula.api as smf

    data = _window(size)
    # statsmodels cannot be interrupted from inside; a timer ends the process instead.
    timer = threading.Timer(MIXEDLM_LIMIT_SECONDS, os._exit, args=(OVER_LIMIT_EXIT,))
    timer.daemon = True
    started = time.perf_counter()
    timer.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm("total ~ weeks", data, groups=data["patient_id"], re_formula="~weeks")
        fit = model.fit(reml=True, method=["lbfgs"])
    seconds = time.perf_counter() - started
    timer.cancel()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "n_obs": len(data),
                "intercept": float(fit.fe_params.iloc[0]),
                "slope": float(fit.fe_params.iloc[1]),
                "slope_se": float(fit.bse_fe.iloc[1]),
                "converged": bool(fit.converged),
            }
        )
    )
    return 0


# --- report -----------------------------------------------------------------------------------


def _report(rows: list[dict[str, Any]], mixedlm: list[dict[str, Any]]) -> None:
    print("\nSummary (seconds; ratio = baseline / engine)")
    header = (
        f"{'patients':>9} {'end to end':>10} {'CSV read':>9} {'figures':>8} {'pandas':>8} "
        f"{'ratio':>6} {'mixed':>7}"
    )
    print(header)
    for row in rows:
        print(
            f"{row['size']:>9,} {row['end_to_end']:>10.2f} {row['read']:>9.2f} "
            f"{row['engine_figures']:>8.2f} {row['pandas_figures']:>8.2f} "
            f"{row['pandas_figures'] / row['engine_figures']:>5.0f}x {row['engine_mixed']:>7.3f}"
            + ("  (pandas extrapolated)" if row["pandas_extrapolated"] else "")
        )
    print("\nGoals")
    goal = next((r for r in rows if r["size"] == GOAL_SIZE_END_TO_END), None)
    if goal is None:
        print(f"  end to end at {GOAL_SIZE_END_TO_END:,}: not run (BENCH_SIZES)")
    else:
        verdict = "PASS" if goal["end_to_end"] < END_TO_END_GOAL_SECONDS else "FAIL"
        print(
            f"  {verdict}: {GOAL_SIZE_END_TO_END:,} patients end to end in "
            f"{goal['end_to_end']:.1f} s (goal < {END_TO_END_GOAL_SECONDS:.0f} s)"
        )
    finished = [m for m in mixedlm if m.get("ratio") is not None]
    at_goal = next((m for m in finished if m["size"] == GOAL_SIZE_MIXED), None)
    if at_goal is not None:
        ok = at_goal["ratio"] >= MIXED_SPEEDUP_GOAL and at_goal["match"]
        print(
            f"  {'PASS' if ok else 'FAIL'}: mixed model {at_goal['ratio']:.0f}x faster than "
            f"MixedLM at {GOAL_SIZE_MIXED:,} patients, estimates "
            f"{'match' if at_goal['match'] else 'DIFFER'} (goal >= {MIXED_SPEEDUP_GOAL:.0f}x)"
        )
    elif finished:
        last = finished[-1]
        beyond = [m for m in mixedlm if m.get("ratio") is None]
        note = f"; over {MIXEDLM_LIMIT_SECONDS:.0f} s at {beyond[0]['size']:,}" if beyond else ""
        print(
            f"  MixedLM finished up to {last['size']:,} patients within a minute "
            f"({last['ratio']:.0f}x slower than the engine there, estimates "
            f"{'match' if last['match'] else 'DIFFER'}){note}"
        )
        engine_10k = next((r for r in rows if r["size"] == GOAL_SIZE_MIXED), None)
        if beyond and beyond[0]["size"] <= GOAL_SIZE_MIXED and engine_10k is not None:
            bound = MIXEDLM_LIMIT_SECONDS / engine_10k["engine_mixed"]
            ok = bound >= MIXED_SPEEDUP_GOAL and last["match"]
            print(
                f"  {'PASS' if ok else 'FAIL'}: at {GOAL_SIZE_MIXED:,} patients MixedLM takes over "
                f"{MIXEDLM_LIMIT_SECONDS:.0f} s and the engine {engine_10k['engine_mixed']:.3f} s: "
                f"at least {bound:.0f}x faster (goal >= {MIXED_SPEEDUP_GOAL:.0f}x, estimates "
                f"matched at {last['size']:,})"
            )
    agree = all(r["figures_agree"] for r in rows)
    print(f"  {'PASS' if agree else 'FAIL'}: outcome figures equal to the plain pandas baseline")


def _sizes(text: str | None) -> tuple[int, ...]:
    if text is None or not text.strip():
        return DEFAULT_SIZES
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(
            f"BENCH_SIZES must be whole numbers like 1000,5000, got {text!r}"
        ) from None
    if any(size < 10 for size in sizes):
        raise ValueError(f"BENCH_SIZES must be at least 10 patients each, got {text!r}")
    return tuple(sorted(set(sizes)))


def _positive(text: str | None, default: int) -> int:
    if text is None or not text.strip():
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"BENCH_PANDAS_PATIENTS must be a whole number >= 1, got {text!r}")
    return int(text)


def _best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``runs`` timings (as ``timeit`` reports), and the last result."""
    best, value = math.inf, None
    for _ in range(runs):
        seconds, value = _timed(work)
        best = min(best, seconds)
    return best, value


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


if __name__ == "__main__":
    raise SystemExit(main())
