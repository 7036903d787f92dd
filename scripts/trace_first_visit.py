"""Where the patient chart's first visit in Chromium spends its time (a Chromium trace).

    AFTERGLOW_CHROMIUM=$(scripts/ensure-chromium.sh) .venv/bin/python \\
        scripts/trace_first_visit.py DB.sqlite3 [--visits 5] [--keep-trace FILE] [--while-starting]

Serves a *copy* of DB (a database holding the demo clinic, e.g. /tmp/benchdemo.sqlite3)
the way ``make bench-web`` does (``afterglow serve`` in production mode, a prescriber
signed in) and makes ``--visits`` fresh-profile visits to the demo chart, each recorded
with Chromium's tracing, in a browser that has finished starting, as ``make bench-web``'s
(``--while-starting``: navigate straight after the launch, as before issue 13 round 4). Per visit
it prints ``make bench-web``'s figure (navigation → the ``afterglow:charts-drawn`` mark,
wall clock) beside what the trace says, in
**thread CPU time** (steady on a loaded machine, unlike wall time):

- ``main``: the renderer main thread's CPU until the mark (parse, style, layout, scripts);
- ``draw``: the part of it inside ``js/charts.js`` (every ``Plotly.newPlot``);
- ``compile``: plotly.js's compile on the background streaming thread (the bundle's
  ``allFunctionsCalledOnLoad`` hint), wall / CPU; the bundle cannot run before it ends;
- ``eval→mark``: wall time from plotly.js starting to run until the mark;
- ``browser`` / ``others``: CPU of the browser process, and of every other process but the
  page's renderer (GPU, Chromium's own pages' renderers), from the trace's start (just
  before the navigation) until the mark: what competes for the machine's cores.

A helper for finding where time goes, not a benchmark (tests never time anything).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from afterglow import bench_chromium, bench_web

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8.execute",
    "blink.user_timing",
    "loading",
    "toplevel",  # every process's tasks: the browser's, the GPU's, other renderers'
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="a SQLite database holding the demo clinic (copied)")
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--keep-trace", help="write the last visit's trace here (JSON)")
    parser.add_argument(
        "--while-starting",
        action="store_true",
        help="navigate while the browser is still starting (the bench before issue 13 round 4)",
    )
    args = parser.parse_args()
    if not Path(args.db).is_file() or args.visits < 1:
        print("trace_first_visit: DB must be a file and --visits >= 1", file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="afterglow-trace-")
    port = bench_web._free_port()
    env = bench_web._environment(folder, port)
    shutil.copyfile(args.db, f"{folder}/bench.sqlite3")
    plan = bench_web.build_in(env, 120)
    if plan is None:
        return 1
    clinic = plan["clinics"]["demo"]
    server = subprocess.Popen(
        [
            str(bench_web.BIN / "afterglow"),
            "serve",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        bench_web._wait_ready(port)
        session = bench_web.Session(port)
        session.sign_in(clinic["username"])
        path = clinic["urls"]["patient chart"]
        trace = args.keep_trace or f"{folder}/trace.json"
        settle = not args.while_starting
        _visit(port, session, path, trace, settle)  # warms the server's caches
        rows = []
        for _ in range(args.visits):
            row = _visit(port, session, path, trace, settle)
            rows.append(row)
            print(
                " ".join(
                    f"{k} {v:7.3f}" if k == "seconds" else f"{k} {v:5.0f}" for k, v in row.items()
                )
            )
        print(
            "median "
            + " ".join(f"{k} {statistics.median(r[k] for r in rows):.3f}" for k in rows[0])
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _visit(
    port: int, session: bench_web.Session, path: str, trace: str, settle: bool
) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("AFTERGLOW_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=bench_chromium.CHROMIUM_ARGS,
        )
        context = browser.new_context()
        context.add_cookies(
            [
                {"name": k, "value": v, "url": f"http://127.0.0.1:{port}/"}
                for k, v in session.cookies.items()
            ]
        )
        page = context.new_page()
        if settle:
            page.goto("about:blank")
            bench_chromium.wait_browser_idle()
        browser.start_tracing(page=page, path=trace, categories=CATEGORIES)
        started = time.time()
        page.goto(f"http://127.0.0.1:{port}{path}", wait_until="load")
        page.wait_for_function(
            "() => performance.getEntriesByName('afterglow:charts-drawn').length",
            timeout=60_000,
        )
        drawn_ms = page.evaluate(
            "() => performance.timeOrigin"
            " + performance.getEntriesByName('afterglow:charts-drawn')[0].startTime"
        )
        browser.stop_tracing()
        browser.close()
    return {"seconds": drawn_ms / 1000 - started, **_breakdown(trace)}


def _url(event: dict[str, Any]) -> str:
    data = event.get("args", {}).get("data", {})
    return str(data.get("url", "")) if isinstance(data, dict) else ""


def _breakdown(trace: str) -> dict[str, float]:
    loaded = json.loads(Path(trace).read_text())
    events: list[dict[str, Any]] = loaded["traceEvents"] if isinstance(loaded, dict) else loaded
    mark = next(e for e in events if e.get("name") == "afterglow:charts-drawn")
    main_tid = next(
        e["tid"]
        for e in events
        if e.get("pid") == mark["pid"]
        and e.get("name") == "thread_name"
        and e["args"]["name"] == "CrRendererMain"
    )
    main = [
        e
        for e in events
        if e.get("pid") == mark["pid"] and e.get("tid") == main_tid and e.get("ph") == "X"
    ]
    tasks = [e for e in main if e["name"] == "RunTask" and e["ts"] <= mark["ts"]]
    # charts.js's calls (DOMContentLoaded / plotly.js's load event), outermost only.
    calls = [e for e in main if e["name"] == "FunctionCall" and "/js/charts." in _url(e)]
    outer = [
        e
        for e in calls
        if not any(o is not e and o["ts"] <= e["ts"] < o["ts"] + o["dur"] for o in calls)
    ]
    compile_ = [
        e for e in events if e.get("name") == "v8.parseOnBackground" and "plotly" in _url(e)
    ]
    run = [e for e in main if e["name"] == "EvaluateScript" and "plotly" in _url(e)]
    browser_pid = next(
        (
            e["pid"]
            for e in events
            if e.get("name") == "process_name" and e["args"].get("name") == "Browser"
        ),
        None,
    )
    cpu = _cpu_by_process(events, mark["ts"])
    return {
        "main": sum(e.get("tdur", 0) for e in tasks) / 1000,
        "draw": sum(e.get("tdur", 0) for e in outer) / 1000,
        "compile_wall": sum(e["dur"] for e in compile_) / 1000,
        "compile_cpu": sum(e.get("tdur", 0) for e in compile_) / 1000,
        "eval_to_mark": (mark["ts"] - run[0]["ts"]) / 1000 if run else -1.0,
        "browser": cpu.get(browser_pid, 0.0) if browser_pid is not None else -1.0,
        "others": sum(v for k, v in cpu.items() if k not in (browser_pid, mark["pid"])),
    }


def _cpu_by_process(events: list[dict[str, Any]], until: float) -> dict[int, float]:
    """CPU ms per process until ``until``: each thread's outermost complete events."""
    threads: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in events:
        if e.get("ph") == "X" and "tdur" in e and e["ts"] <= until:
            threads.setdefault((e["pid"], e["tid"]), []).append(e)
    cpu: dict[int, float] = {}
    for (pid, _), slices in threads.items():
        end = -1.0
        for e in sorted(slices, key=lambda e: (e["ts"], -e["dur"])):
            if e["ts"] >= end:
                cpu[pid] = cpu.get(pid, 0.0) + e["tdur"] / 1000
                end = e["ts"] + e["dur"]
    return cpu


if __name__ == "__main__":
    sys.exit(main())
