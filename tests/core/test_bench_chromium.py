"""``make bench-web``'s Chromium visit waits until the freshly launched browser has finished
starting (its processes idle) before the navigation it times (issue 13 §2, round 4)."""

from __future__ import annotations

import subprocess
import sys

from pytest import MonkeyPatch

from afterglow import bench_chromium

# Burns about 0.3 s of CPU, says so, then sleeps until killed.
BURN_THEN_SLEEP = (
    "import time\n"
    "start = time.process_time()\n"
    "while time.process_time() - start < 0.3: pass\n"
    "print('burnt', flush=True)\n"
    "time.sleep(60)\n"
)
BURN_FOREVER = "while True: pass\n"


def test_the_cpu_time_of_processes_started_from_here_is_counted() -> None:
    before = bench_chromium._descendants_cpu_seconds()
    child = subprocess.Popen([sys.executable, "-c", BURN_THEN_SLEEP], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"burnt\n"
        assert bench_chromium._descendants_cpu_seconds() - before >= 0.25
    finally:
        child.kill()
        child.wait()


def test_a_busy_browser_is_waited_for_until_the_limit(monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setattr(bench_chromium, "IDLE_WAIT_SECONDS", 0.6)
    child = subprocess.Popen([sys.executable, "-c", BURN_FOREVER])
    try:
        assert bench_chromium.wait_browser_idle() >= 0.6
    finally:
        child.kill()
        child.wait()


def test_an_idle_browser_is_not_waited_for_longer(monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setattr(bench_chromium, "IDLE_WAIT_SECONDS", 5.0)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert bench_chromium.wait_browser_idle() < 5.0
    finally:
        child.kill()
        child.wait()
