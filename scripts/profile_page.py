"""Time (and optionally profile) one staff page in-process, through the full middleware.

    .venv/bin/python scripts/profile_page.py DB.sqlite3 /staff/patients/ [--runs 50]
        [--queries] [--profile [--sort tottime] [--top 40] [--dump FILE]]
        [--clinic demo] [--save FILE] [--instructions]

Works on a *copy* of DB (a database holding the demo clinic, e.g. one built by
``afterglow migrate && afterglow demo`` with ``DATABASE_URL=sqlite:////tmp/demo.sqlite3``),
in a temporary folder, with the production settings ``make bench-web`` serves
(``afterglow.bench_web_settings``: DEBUG off, cached templates, hashed static files, and
``/bench/bare/``). Signs in a prescriber of ``--clinic`` with ``force_login`` and prints the
status, size, query count, then the median and 95th percentile of ``--runs`` requests after
two warm-ups. A helper for finding where time goes, not a benchmark: ``make bench-web``
measures served pages, and tests count queries, never time.

``--instructions`` runs the same requests under Valgrind's callgrind (``apt-get install
valgrind``), counting only during the ``--runs`` timed requests, and prints the machine
instructions per request: on a shared virtual machine, whose speed moves by more than a
small change saves, this count repeats to within 0.2 % and shows what a change saves
(about 6 M instructions per millisecond on this project's machine; issue 13 §2, round 7).
Switching the count on and off adds about 0.5 M instructions, spread over the runs.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("path")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--clinic", default="demo")
    parser.add_argument("--queries", action="store_true", help="print each query of one request")
    parser.add_argument("--profile", action="store_true", help="cProfile --runs more requests")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", metavar="FILE", help="write the page's body to FILE (to diff)")
    parser.add_argument("--dump", metavar="FILE", help="with --profile, write the stats to FILE")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per request (Valgrind)"
    )
    parser.add_argument("--under-callgrind", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not os.path.isfile(args.database) or args.runs < 1:
        print("profile_page: DATABASE must be a SQLite file and --runs >= 1", file=sys.stderr)
        return 2
    if args.instructions and not args.under_callgrind:
        return _count_instructions(args)

    folder = tempfile.mkdtemp(prefix="afterglow-profile-")
    shutil.copyfile(args.database, f"{folder}/bench.sqlite3")
    from afterglow.bench_web import _environment

    # The environment bench-web serves with (production settings, deployed connection reuse).
    os.environ.update(_environment(folder, port=8000))
    try:
        return _measure(args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measure(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from afterglow.accounts.models import Clinic, Membership, Role

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    clinic = Clinic.objects.filter(slug=args.clinic).first()
    if clinic is None:
        print(f"profile_page: no clinic {args.clinic!r} in the database", file=sys.stderr)
        return 2
    user = User.objects.create_user(f"profile-{secrets.token_hex(4)}")
    Membership.objects.create(user=user, clinic=clinic, role=Role.PRESCRIBER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    for _ in range(2):
        response = client.get(args.path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(args.path)
    print(
        f"{args.path}: {response.status_code}, {len(response.content):,} bytes, "
        f"{len(queries)} queries"
    )
    if args.save:
        with open(args.save, "wb") as saved:
            saved.write(response.content)
    if args.queries:
        for query in queries.captured_queries:
            print(f"  {query['time']} {query['sql'][:160]}")
    if args.under_callgrind:
        _callgrind("on")
        for _ in range(args.runs):
            client.get(args.path)
        _callgrind("off")
        return 0
    times, cpu = [], []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        client.get(args.path)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    # CPU time varies less than wall time on a shared machine (it leaves out waiting).
    print(
        f"median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms ({args.runs} runs); "
        f"CPU median {statistics.median(cpu):.2f} ms"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            client.get(args.path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        if args.dump:
            profiler.dump_stats(args.dump)
    return 0


def _callgrind(state: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
    )


def _count_instructions(args: argparse.Namespace) -> int:
    """Runs this script again under callgrind (collection off until the timed requests)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print(
            "profile_page: --instructions needs Valgrind (apt-get install valgrind)",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="afterglow-callgrind-") as folder:
        child = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={folder}/callgrind.out",
                sys.executable,
                os.path.abspath(__file__),
                *sys.argv[1:],
                "--under-callgrind",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    collected = re.search(r"Collected : ([\d,]+)", child.stderr)
    if child.returncode != 0 or collected is None:
        print(child.stdout + child.stderr[-3000:], file=sys.stderr)
        return 1
    print(child.stdout, end="")
    count = int(collected.group(1).replace(",", ""))
    print(f"{count / args.runs / 1e6:.2f} M instructions per request ({args.runs} runs, callgrind)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
