"""``make bench`` (part 2, ``python -m afterglow.bench_registry``): registry scale (issue 13 §3).

Times ``afterglow analyze``'s two readers on synthetic registries
(``demo.synthetic_registry.write_parquet``, seed ``SEED``), each run in its own
child process so that its peak memory is its own (``os.wait4``'s ``ru_maxrss``):

- **current**: the in-memory engine (pandas CSV read, ``analyze_csv``), CSV only;
- **duckdb**: ``engine.scan.analyze_file`` (the code path of ``afterglow analyze``),
  on the CSV and the Parquet file of the same rows.

Wall time is the child's whole life (interpreter start, imports, read, every figure,
the JSON). Sizes: ``BENCH_REGISTRY_SIZES`` (default ``1000000,10000000`` patients).
The current engine runs only up to ``BENCH_CURRENT_MAX`` patients (default 1 M: at
10 M it would need about 37 GB, ten times the 3.7 GB it takes at 1 M), and the
CSV only up to 1 M (a 10 M CSV is 7 GB of disk). Where both readers run, the
figures are compared (every number, relative tolerance 1e-9). The files are cached
in ``var/bench/`` (``BENCH_DIR``), keyed by size and seed; writing the 10 M
Parquet file takes a few minutes the first time.

Goals: 1 M patients end to end <= 8 s; 10 M (Parquet) <= 180 s with <= 8 GB peak.
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
from pathlib import Path
from typing import Any

SEED = 20240501
DEFAULT_SIZES = (1_000_000, 10_000_000)
CSV_MAX = 1_000_000
GOALS = {1_000_000: (8.0, None), 10_000_000: (180.0, 8.0)}  # seconds, GB


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--worker"]:
        return _worker(args[1], args[2], args[3])
    if args[:1] == ["--generate"]:
        from afterglow.demo.synthetic_registry import registry_file

        print(registry_file(int(args[1]), args[2], seed=SEED, fmt=args[3]))
        return 0
    try:
        sizes = _sizes(os.environ.get("BENCH_REGISTRY_SIZES"))
        current_max = int(os.environ.get("BENCH_CURRENT_MAX", "1000000"))
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    folder = Path(os.environ.get("BENCH_DIR", "var/bench"))

    print(f"\nAfterglow registry bench (issue 13 §3): sizes {', '.join(f'{s:,}' for s in sizes)}")
    print(
        f"machine: {os.cpu_count()} cores, {_memory_gb():.0f} GB RAM, "
        f"Python {sys.version.split()[0]}"
    )
    rows: list[dict[str, Any]] = []
    for size in sizes:
        started = time.perf_counter()
        files = {}
        if size <= CSV_MAX:
            files["csv"] = _generate(size, folder, "csv")
        files["parquet"] = _generate(size, folder, "parquet")
        print(
            f"\n{size:,} patients: files ready in {time.perf_counter() - started:.0f} s "
            f"({', '.join(f'{k} {os.path.getsize(v) / 1e6:,.0f} MB' for k, v in files.items())})"
        )
        outputs: dict[str, Any] = {}
        for engine, kind in (("current", "csv"), ("duckdb", "csv"), ("duckdb", "parquet")):
            if kind not in files:
                continue
            if engine == "current" and size > current_max:
                print(f"  current engine, {kind}: not run (needs ~{3.7 * size / 1e6:.0f} GB)")
                rows.append({"size": size, "engine": engine, "kind": kind, "seconds": None})
                continue
            row = _child(engine, files[kind])
            row.update(size=size, engine=engine, kind=kind)
            rows.append(row)
            outputs[f"{engine}-{kind}"] = row.pop("result", None)
            print(
                f"  {engine:7} {kind:7}: {row['seconds']:6.1f} s wall "
                f"(analysis {row['inner']:.1f} s), peak {row['peak_gb']:.2f} GB"
            )
        results = [v for v in outputs.values() if v is not None]
        if len(results) > 1:
            same = all(_close(results[0], other) for other in results[1:])
            print(f"  same figures ({', '.join(outputs)}): {'yes' if same else 'NO'}")
    _report(rows)
    return 0


def _generate(size: int, folder: Path, kind: str) -> str:
    """The cached file, written by a child process so that this one stays small.

    (Linux carries a process's peak memory across ``exec`` into its child's
    ``ru_maxrss``; a parent holding a generated registry would inflate every figure.)
    """
    command = [sys.executable, "-m", "afterglow.bench_registry", "--generate", str(size)]
    done = subprocess.run([*command, str(folder), kind], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def _child(engine: str, path: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        target = out.name
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "afterglow.bench_registry", "--worker", engine, path, target]
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    try:
        with open(target, encoding="utf-8") as handle:
            done = json.load(handle)
    finally:
        os.remove(target)
    if process.returncode != 0:
        raise SystemExit(f"bench: the {engine} worker failed on {path}")
    return {
        "seconds": seconds,
        "inner": done["seconds"],
        # The worker's own high-water mark (VmHWM); ru_maxrss (kilobytes on Linux) as a check.
        "peak_gb": max(done["peak_kb"], 0) * 1024 / 1e9 or usage.ru_maxrss * 1024 / 1e9,
        "maxrss_gb": usage.ru_maxrss * 1024 / 1e9,
        "result": done["result"],
    }


def _worker(engine: str, path: str, target: str) -> int:
    started = time.perf_counter()
    from afterglow.analytics.engine import AnalysisConfig, analyze_csv
    from afterglow.analytics.engine.scan import analyze_file

    config = AnalysisConfig()
    if engine == "current":
        text = json.dumps(analyze_csv(path, config))
    else:
        text = json.dumps(analyze_file(path, config))
    seconds = time.perf_counter() - started
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({"seconds": seconds, "peak_kb": _peak_kb(), "result": json.loads(text)}, handle)
    return 0


def _peak_kb() -> int:
    """This process's peak resident memory in kB (``VmHWM``), -1 where /proc has none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def _report(rows: list[dict[str, Any]]) -> None:
    print("\nSummary (wall seconds of the whole process; peak resident memory)")
    print(f"{'patients':>11} {'engine':>8} {'input':>8} {'seconds':>8} {'peak GB':>8}  goal")
    for row in rows:
        if row["seconds"] is None:
            print(f"{row['size']:>11,} {row['engine']:>8} {row['kind']:>8} {'not run':>8}")
            continue
        goal = ""
        limit_s, limit_gb = GOALS.get(row["size"], (None, None))
        if row["engine"] == "duckdb" and limit_s is not None:
            ok = row["seconds"] <= limit_s and (limit_gb is None or row["peak_gb"] <= limit_gb)
            goal = f"{'PASS' if ok else 'FAIL'} (<= {limit_s:.0f} s" + (
                f", <= {limit_gb:.0f} GB)" if limit_gb else ")"
            )
        print(
            f"{row['size']:>11,} {row['engine']:>8} {row['kind']:>8} {row['seconds']:>8.1f} "
            f"{row['peak_gb']:>8.2f}  {goal}"
        )


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError):
        return math.nan


def _sizes(text: str | None) -> tuple[int, ...]:
    if text is None or not text.strip():
        return DEFAULT_SIZES
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"BENCH_REGISTRY_SIZES must be whole numbers, got {text!r}") from None
    if any(size < 10 for size in sizes):
        raise ValueError(f"BENCH_REGISTRY_SIZES must be at least 10 patients, got {text!r}")
    return tuple(sorted(set(sizes)))


if __name__ == "__main__":
    raise SystemExit(main())
