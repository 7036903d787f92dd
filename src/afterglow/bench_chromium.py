"""The patient chart's first visit in Chromium, for ``make bench-web`` (``afterglow.bench_web``).

A fresh browser profile per visit (Debian's Chromium through Playwright), signed in with
the bench's session cookies; the figure is the time from the navigation to the page's
``afterglow:charts-drawn`` mark (``js/charts.js``: every chart drawn). See
``chart_first_visit`` for the three ways a visit is made and ``scripts/trace_first_visit.py``
for where the time goes.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

CHROMIUM_VISITS = 3
# Chromium's switches here (Playwright adds its automation defaults), each one what a clinic's
# browser on this machine would also have:
CHROMIUM_ARGS = [
    # The bench runs as root, where Chromium starts only unsandboxed (the sandbox costs a
    # clinic's browser its own start-up, not a page).
    "--no-sandbox",
    # No usable GPU on this machine: software compositing, what Chromium falls back to on a
    # PC whose GPU it cannot use. (Without it Playwright's --enable-unsafe-swiftshader
    # emulates a GPU in software: no faster, round 4 measured 1.10 → 1.20 s.)
    "--disable-gpu",
    # A clinic's browser is past its first-run screens.
    "--no-first-run",
]
# The browser has finished starting when its processes use at most IDLE_CPU_SECONDS of CPU
# in IDLE_WINDOW_SECONDS (at most IDLE_WAIT_SECONDS of waiting).
IDLE_WINDOW_SECONDS = 0.25
IDLE_CPU_SECONDS = 0.02
IDLE_WAIT_SECONDS = 15.0


def chart_first_visit(
    port: int, cookies: dict[str, str], path: str, list_path: str
) -> dict[str, float]:
    """The chart's first visit, ``CHROMIUM_VISITS`` times each way: the median of each figure.

    ``seconds`` (the bench's figure), ``harness_seconds`` and the JavaScript bytes: a fresh
    browser (new profile, empty caches) that has finished starting, then the chart.
    ``starting_seconds``: the same, but the navigation starts as soon as the browser is
    launched, while it is still starting (its own pages, e.g. the address bar's, compete
    for the CPU): the figure as measured before issue 13 §2 round 4.
    ``from_list_seconds``: a fresh browser that first shows the patient list, then the
    chart: a signed-in clinician's first chart of the day (the layout's CSS and scripts
    cached, plotly.js not: checked). The three are interleaved, one of each per round.
    """
    visits = []
    for _ in range(CHROMIUM_VISITS):
        visit = _first_visit(port, cookies, path)
        visit["starting_seconds"] = _first_visit(port, cookies, path, settle=False)["seconds"]
        visit["from_list_seconds"] = _first_visit(port, cookies, path, via=list_path)["seconds"]
        visits.append(visit)
    return {key: statistics.median(v[key] for v in visits) for key in visits[0]}


def _first_visit(
    port: int, cookies: dict[str, str], path: str, *, settle: bool = True, via: str | None = None
) -> dict[str, float]:
    """One first visit, in a fresh browser: time to every chart drawn, JS bytes.

    ``seconds``: from the navigation's start (just before ``page.goto``, wall clock) to
    the page's ``afterglow:charts-drawn`` performance mark, which ``js/charts.js`` sets
    once every ``Plotly.newPlot`` on the page has resolved (each chart fully drawn),
    read on the browser's clock (``performance.timeOrigin`` + the mark; same system
    clock). ``harness_seconds``: the figure measured before issue 13 §2's work, the
    wall time until Playwright, after the page's ``load`` event, has also seen a
    ``.main-svg`` in every chart (it adds the ``load`` event's wait and Playwright's
    polling); both are checked on the same visit.

    ``settle``: first open a blank page and wait until the browser has finished starting
    (``wait_browser_idle``). ``via``: first show this page (signed in), then wait the
    same way; plotly.js must still come from the network (else ``RuntimeError``).
    """
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("AFTERGLOW_CHROMIUM", "/usr/bin/chromium")
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context()
        context.add_cookies(
            [{"name": k, "value": v, "url": f"{base}/"} for k, v in cookies.items()]
        )
        page = context.new_page()
        if via is not None:
            page.goto(f"{base}{via}", wait_until="load")
            wait_browser_idle()
        elif settle:
            page.goto("about:blank")
            wait_browser_idle()
        started_epoch = time.time()
        started = time.perf_counter()
        page.goto(f"{base}{path}", wait_until="load")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart[data-figure], [id^=chart-]')]"
            ".every(el => el.querySelector('.main-svg'))",
            timeout=60_000,
        )
        harness = time.perf_counter() - started
        page.wait_for_function(
            "() => performance.getEntriesByName('afterglow:charts-drawn').length",
            timeout=60_000,
        )
        drawn_epoch_ms = page.evaluate(
            "() => performance.timeOrigin"
            " + performance.getEntriesByName('afterglow:charts-drawn')[0].startTime"
        )
        scripts = page.evaluate(
            "() => performance.getEntriesByType('resource')"
            ".filter(e => e.initiatorType === 'script')"
            ".map(e => [e.name, e.transferSize, e.decodedBodySize])"
        )
        browser.close()
    if not any("/plotly" in name and wire > 0 for name, wire, _ in scripts):
        raise RuntimeError("plotly.js did not come from the network: not a first visit")
    return {
        "seconds": drawn_epoch_ms / 1000 - started_epoch,
        "harness_seconds": harness,
        "js_wire": float(sum(s[1] for s in scripts)),
        "js_decoded": float(sum(s[2] for s in scripts)),
    }


def wait_browser_idle() -> float:
    """Waits until the browser launched from this process has finished starting.

    A clinic's browser is open long before a chart is: its start-up work (profile, its own
    pages such as the address bar's, which a fresh headless Chromium loads in a renderer of
    its own) is not the page's. Idle = the CPU time of this process's descendants
    (Playwright's driver and Chromium's processes, from ``/proc``) grew by at most
    ``IDLE_CPU_SECONDS`` in ``IDLE_WINDOW_SECONDS``. Returns the seconds waited (at most
    ``IDLE_WAIT_SECONDS``); without ``/proc`` it waits 2 s.
    """
    if not Path("/proc/self/stat").exists():
        time.sleep(2.0)
        return 2.0
    started = time.monotonic()
    used = _descendants_cpu_seconds()
    while time.monotonic() - started < IDLE_WAIT_SECONDS:
        time.sleep(IDLE_WINDOW_SECONDS)
        now = _descendants_cpu_seconds()
        if now - used <= IDLE_CPU_SECONDS:
            break
        used = now
    return time.monotonic() - started


def _descendants_cpu_seconds() -> float:
    """User + system CPU seconds of every process below this one (Linux ``/proc``)."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # the name may hold spaces
        parent, ticks = int(fields[1]), int(fields[11]) + int(fields[12])
        children.setdefault(parent, []).append((int(entry.name), ticks))
    total, todo = 0, [os.getpid()]
    while todo:
        for pid, ticks in children.get(todo.pop(), []):
            total += ticks
            todo.append(pid)
    return total / os.sysconf("SC_CLK_TCK")
