"""``make bench-web`` (``python -m afterglow.bench_web``): every staff page, served.

1. **Build**, in a temporary folder (a throwaway SQLite file): ``afterglow migrate``,
   ``afterglow demo`` (the 120-patient demo clinic, through the services), then a clinic
   of at least ``BENCH_WEB_PATIENTS`` patients (default 10,000: 84 copies of the demo's
   120, 10,080) copied from it in bulk (``demo.bulk``), and a prescriber login for each.
2. **Serve** with ``afterglow serve --workers 2`` in production mode (collected, hashed,
   gzipped static files) under ``afterglow.bench_web_settings``, which adds
   ``/bench/bare/``: a view that does nothing behind the same middleware.
3. **Measure** each page of each clinic, signed in: after two warm-ups each,
   ``BENCH_WEB_RUNS`` requests of each page (default 20; PDFs 5), one at a time and
   interleaved (round by round, every page of both clinics in turn, the PDFs spread over
   the rounds: a spell of host contention slows every page alike), give the median and
   95th percentile of the server time, as the server itself measured it
   (``Server-Timing: app;dur=``, sent because the run sets ``AFTERGLOW_SERVER_TIMING``:
   the time its request log line reports, from the first middleware to the answer),
   beside the median round trip the client saw (the server time plus gunicorn, the
   loopback and this Python client: 1 to 2 ms on this virtual machine); then two client
   threads (one per worker) give each page's requests/s. The bare view is measured the
   same way in the same run, and the run ends with the host's steal time while it timed
   pages (``/proc/stat``; on a virtual machine, CPU time given to the host's other
   guests, which slows every figure of the run).
4. **Chromium**: the patient chart's first visit in a fresh browser profile (Debian's
   Chromium through Playwright) that has finished starting, the median of
   ``CHROMIUM_VISITS``: JavaScript bytes on the wire (compressed) and decoded, and the
   time from the navigation until every chart is drawn (the page's
   ``afterglow:charts-drawn`` mark), beside the harness's wall time (which adds the
   ``load`` event and Playwright's polling), the same with the navigation started while
   the browser is still starting (the figure before issue 13 round 4), and the chart reached from
   the patient list (plotly.js not cached).

Prints one table. Never part of ``make test`` (tests count queries, never time).
``BENCH_WEB_PATIENTS=2000 BENCH_WEB_RUNS=10 make bench-web`` for a quick look;
``BENCH_WEB_FROM=<sqlite file>`` starts from a copy of a database that already holds the
demo clinic (it is never changed).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterglow import bench_chromium

DEFAULT_PATIENTS = 10_000
DEFAULT_RUNS = 20
PDF_RUNS = 5
PASSWORD = "bench-web-" + secrets.token_hex(8)
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Result:
    page: str
    clinic: str
    #: The server's own time (``Server-Timing``), or None when it did not send one.
    median_ms: float | None
    p95_ms: float | None
    #: The time to the full answer, as this client saw it.
    round_trip_ms: float
    per_second: float
    status: int


# --- build -----------------------------------------------------------------------------------


def build(patients: int) -> dict[str, Any]:
    """Runs inside the bench environment (``--build``): seeds, copies, prints the URLs."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from django.urls import reverse

    from afterglow.accounts.models import Clinic, Membership, Role
    from afterglow.demo.bulk import clone_clinic
    from afterglow.patients.models import Patient
    from afterglow.treatment.models import DosingSession, SessionStatus

    call_command("migrate", verbosity=0)
    # Does nothing when the clinic exists (a copy of a database given in BENCH_WEB_FROM).
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    demo = Clinic.objects.get(slug="demo")
    started = time.perf_counter()
    per_copy = Patient.objects.filter(clinic=demo).count()
    large = clone_clinic(
        template=demo,
        slug="bench-large",
        name="Bench clinic",
        copies=-(-patients // per_copy),
        progress=lambda text: print(f"  bulk: {text}", file=sys.stderr),
    )
    copied = time.perf_counter() - started
    from django.contrib.auth.models import User

    pages: dict[str, Any] = {"copied_seconds": copied, "clinics": {}}
    for label, clinic in (("demo", demo), ("large", large)):
        user = User.objects.create_user(f"bench-{clinic.slug}", password=PASSWORD)
        Membership.objects.create(user=user, clinic=clinic, role=Role.PRESCRIBER)
        patient = (
            Patient.objects.filter(clinic=clinic)
            .annotate(n=Count("responses"))
            .order_by("-n", "pk")
            .first()
        )
        session = (
            DosingSession.objects.filter(clinic=clinic, status=SessionStatus.SIGNED)
            .order_by("-pk")
            .first()
        )
        assert patient is not None and session is not None
        pages["clinics"][label] = {
            "username": user.username,
            "patients": Patient.objects.filter(clinic=clinic).count(),
            "urls": {
                "bare Django view": "/bench/bare/",
                "patient chart": reverse("patients:chart", args=[patient.pk]),
                "dosing session": reverse("dosing:session", args=[session.pk]),
                "patient list": reverse("patients:list"),
                "worklist": reverse("schedules:worklist"),
                "alert inbox": reverse("alerts:inbox"),
                "intake queue": reverse("intake:queue"),
                "outcomes dashboard": reverse("analytics:dashboard"),
                "patient PDF": reverse("reports:patient_pdf", args=[patient.pk]),
                "clinic PDF": reverse("analytics:report_pdf"),
            },
        }
    return pages


# --- HTTP ------------------------------------------------------------------------------------


class Session:
    """A signed-in client (cookies by hand: production cookies are marked Secure)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, conn: Any = None
    ) -> tuple[int, bytes]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        response, data = self._exchange(conn, method, path, body)
        if own:
            conn.close()
        return response.status, data

    def timed_get(self, path: str, conn: Any) -> tuple[int, float, float | None]:
        """GET ``path`` on ``conn``: the status, the round trip (ms) and the server's own
        time (ms, from its ``Server-Timing`` header; None without one)."""
        started = time.perf_counter()
        response, _ = self._exchange(conn, "GET", path)
        round_trip = (time.perf_counter() - started) * 1000
        return response.status, round_trip, server_time(response.headers.get("Server-Timing"))

    def _exchange(
        self, conn: Any, method: str, path: str, body: str | None = None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """One request with this session's cookies, read to the end; keeps the cookies the
        answer sets."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data

    def sign_in(self, username: str) -> None:
        login = "/staff/accounts/login/"
        _, page = self.request("GET", login)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "username": username,
                "password": PASSWORD,
                "next": "/staff/",
            }
        )
        status, _ = self.request("POST", login, body)
        assert status == 302, f"sign-in failed ({status})"


#: A kept-alive connection idle this long is opened again before its next timed request:
#: gunicorn closes one idle for 2 s (its ``keepalive``).
IDLE_RECONNECT_SECONDS = 1.0

Key = tuple[str, str]  # (clinic label, page)


def interleaved(counts: dict[Key, int]) -> list[Key]:
    """The order of the timed requests: round by round, every page of every clinic in
    turn, so that a spell of host contention slows every page alike rather than whichever
    page was being timed. A page timed fewer times than the most (the PDFs) is spread
    evenly over the rounds."""
    rounds = max(counts.values(), default=0)
    return [
        key
        for r in range(rounds)
        for key, n in counts.items()
        if (r + 1) * n // rounds > r * n // rounds
    ]


def measure(sessions: dict[str, Session], plan: dict[str, Any], runs: int) -> list[Result]:
    """Every page of every clinic in ``plan``: two warm-ups each, then the timed requests
    in :func:`interleaved` order (``runs`` each, the PDFs :data:`PDF_RUNS`), then each
    page's requests/s."""
    paths = {
        (label, page): path
        for label, clinic in plan["clinics"].items()
        for page, path in clinic["urls"].items()
    }
    counts = {key: PDF_RUNS if key[1].endswith("PDF") else runs for key in paths}
    conns, used, status = {}, {}, {}
    for key, path in paths.items():
        conns[key] = http.client.HTTPConnection("127.0.0.1", sessions[key[0]].port, timeout=120)
        for _ in range(2):
            status[key], _ = sessions[key[0]].request("GET", path, conn=conns[key])
        used[key] = time.monotonic()
    trips: dict[Key, list[float]] = {key: [] for key in paths}
    served: dict[Key, list[float]] = {key: [] for key in paths}
    for key in interleaved(counts):
        conn = conns[key]
        if time.monotonic() - used[key] > IDLE_RECONNECT_SECONDS:
            conn.close()
            conn.connect()  # outside the timed request
        status[key], trip, server = sessions[key[0]].timed_get(paths[key], conn)
        used[key] = time.monotonic()
        trips[key].append(trip)
        if server is not None:
            served[key].append(server)
    results = []
    for key, path in paths.items():
        conns[key].close()
        per_second = _throughput(sessions[key[0]], path, counts[key])
        n = counts[key]
        median, p95 = _median_p95(served[key]) if len(served[key]) == n else (None, None)
        label, page = key
        results.append(
            Result(page, label, median, p95, statistics.median(trips[key]), per_second, status[key])
        )
    return results


def _median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def server_time(header: str | None) -> float | None:
    """The ``app`` metric's duration (ms) in a ``Server-Timing`` header, or None."""
    for metric in (header or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        if name != "app":
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "dur":
                try:
                    return float(value.strip().strip('"'))
                except ValueError:
                    return None
    return None


def _throughput(session: Session, path: str, runs: int, threads: int = 2) -> float:
    """Requests/s with one client thread per server worker, ``runs`` requests each."""

    def work() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=120)
        for _ in range(runs):
            session.request("GET", path, conn=conn)
        conn.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * runs / (time.perf_counter() - started)


# --- run ---------------------------------------------------------------------------------------


def build_in(env: dict[str, str], patients: int) -> dict[str, Any] | None:
    """:func:`build` in a child process with ``env`` (:func:`_environment`): the plan, or
    None after printing the child's errors."""
    built = subprocess.run(
        [sys.executable, "-m", "afterglow.bench_web", "--build", str(patients)],
        env={**env, "BENCH_WEB_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        print(built.stderr, file=sys.stderr)
        return None
    plan: dict[str, Any] = json.loads(built.stdout.strip().splitlines()[-1])
    return plan


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(folder: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AFTERGLOW_MODE": "production",
            "DJANGO_SETTINGS_MODULE": "afterglow.bench_web_settings",
            "AFTERGLOW_VAR_DIR": folder,
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "AFTERGLOW_AUDIT_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1",
            "AFTERGLOW_BASE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "false",
            "AFTERGLOW_REQUIRE_MFA": "false",
            "LOG_LEVEL": "WARNING",
            # Each answer says how long the server took (Server-Timing): measured there,
            # not through the client and the loopback.
            "AFTERGLOW_SERVER_TIMING": "true",
            "PORT": str(port),
            # What a clinic runs (deploy/afterglow.env): connections reused for a minute.
            "DB_CONN_MAX_AGE": _deployed_setting("DB_CONN_MAX_AGE"),
        }
    )
    return env


def _deployed_setting(name: str) -> str:
    """A value from deploy/afterglow.env, the production settings docs/deploy.md installs."""
    path = Path(__file__).resolve().parents[2] / "deploy" / "afterglow.env"
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    raise LookupError(f"{name} is not set in {path}")


def main() -> int:
    try:
        patients = int(os.environ.get("BENCH_WEB_PATIENTS", DEFAULT_PATIENTS))
        runs = int(os.environ.get("BENCH_WEB_RUNS", DEFAULT_RUNS))
    except ValueError:
        print(
            "bench-web: BENCH_WEB_PATIENTS and BENCH_WEB_RUNS must be whole numbers",
            file=sys.stderr,
        )
        return 2
    if patients < 120 or runs < 3:
        print("bench-web: BENCH_WEB_PATIENTS >= 120 and BENCH_WEB_RUNS >= 3", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="afterglow-bench-web-") as folder:
        port = _free_port()
        env = _environment(folder, port)
        if os.environ.get("BENCH_WEB_FROM"):
            # A database already migrated and seeded with the demo (saves ten minutes).
            shutil.copyfile(os.environ["BENCH_WEB_FROM"], f"{folder}/bench.sqlite3")
        print(f"Afterglow bench-web: demo clinic and a {patients:,}-patient clinic, {runs} runs")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        started = time.perf_counter()
        plan = build_in(env, patients)
        if plan is None:
            return 1
        print(
            f"built in {time.perf_counter() - started:.0f} s "
            f"(bulk copy {plan['copied_seconds']:.0f} s)"
        )
        server = subprocess.Popen(
            [str(BIN / "afterglow"), "serve", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(port)
            return _run(port, plan, runs)
        finally:
            server.terminate()
            server.wait(timeout=60)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not answer /healthz within 3 minutes")


def cpu_times(stat: str) -> tuple[int, int] | None:
    """(steal, total) CPU time in ticks from the text of ``/proc/stat``, or None when it
    has no ``cpu`` line with a steal column (not Linux, or an old kernel)."""
    for line in stat.splitlines():
        fields = line.split()
        if fields[:1] == ["cpu"] and len(fields) >= 9:
            ticks = [int(value) for value in fields[1:]]
            # user nice system idle iowait irq softirq steal [guest guest_nice]: the guest
            # columns are already counted in user and nice.
            return ticks[7], sum(ticks[:8])
    return None


def _cpu_times() -> tuple[int, int] | None:
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            return cpu_times(stat.read())
    except OSError:
        return None


def steal_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time the hypervisor gave to other guests between two readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def _run(port: int, plan: dict[str, Any], runs: int) -> int:
    browser: dict[str, float] | None = None
    sessions = {label: Session(port) for label in plan["clinics"]}
    for label, clinic in plan["clinics"].items():
        sessions[label].sign_in(clinic["username"])
    before = _cpu_times()
    results = measure(sessions, plan, runs)
    for result in results:
        print(
            f"  {result.clinic:>7} {result.page:<20} server {_ms(result.median_ms)} / "
            f"{_ms(result.p95_ms)} ms  round trip {result.round_trip_ms:8.1f} ms  "
            f"{result.per_second:8.1f}/s  ({result.status})",
            flush=True,
        )
    if "demo" in plan["clinics"]:
        try:
            urls = plan["clinics"]["demo"]["urls"]
            browser = bench_chromium.chart_first_visit(
                port, sessions["demo"].cookies, urls["patient chart"], urls["patient list"]
            )
        except Exception as error:
            print(f"  Chromium: not measured ({error.__class__.__name__}: {error})")
    _table(results, plan, browser)
    steal = steal_share(before, _cpu_times())
    if steal is not None:
        # On a virtual machine, time the host gave to other guests while this run timed
        # pages: every figure above is slower by it, the bare view's too.
        print(
            f"\nHost steal time while timing: {steal:.1%} of CPU time (/proc/stat); "
            "above about 1 %, other guests of the host slowed this run."
        )
    return 0 if all(r.status == 200 for r in results) else 1


def _ms(value: float | None) -> str:
    return f"{value:8.1f}" if value is not None else f"{'-':>8}"


def _table(results: list[Result], plan: dict[str, Any], browser: dict[str, float] | None) -> None:
    clinics = list(plan["clinics"])
    print(
        "\nServer time per page (median / p95 ms, as the server measured it), the client's "
        "median round trip, and requests/s, beside the bare view"
    )
    header = f"{'page':<20}" + "".join(
        f" | {c + ' (' + str(plan['clinics'][c]['patients']) + ' patients)':^45}" for c in clinics
    )
    print(header)
    pages = list(next(iter(plan["clinics"].values()))["urls"])
    for page in pages:
        cells = []
        for clinic in clinics:
            r = next(x for x in results if x.page == page and x.clinic == clinic)
            cells.append(
                f" | {_ms(r.median_ms)} / {_ms(r.p95_ms)} ms (trip {r.round_trip_ms:7.1f})"
                f" {r.per_second:6.1f}/s" + ("" if r.status == 200 else f" HTTP {r.status}")
            )
        print(f"{page:<20}" + "".join(cells))
    if browser is not None:
        print(
            f"\nChart first visit in Chromium (demo): {browser['seconds']:.2f} s to every chart "
            f"drawn (fresh profile, browser started; page clock, from the navigation; "
            f"{browser['harness_seconds']:.2f} s harness wall: load event and Playwright's "
            f"polling too); JavaScript {browser['js_wire'] / 1e6:.2f} MB on the wire, "
            f"{browser['js_decoded'] / 1e6:.2f} MB decoded"
        )
        print(
            f"  beside it: {browser['starting_seconds']:.2f} s with the navigation started "
            f"while the browser is still starting (as measured before issue 13 round 4); "
            f"{browser['from_list_seconds']:.2f} s arriving from the patient list, signed in "
            f"(plotly.js not cached)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build"]:
        PASSWORD = os.environ["BENCH_WEB_PASSWORD"]
        print(json.dumps(build(int(sys.argv[2]))))
        sys.exit(0)
    sys.exit(main())
