"""Time the patient chart, the staff diary page and the patient PDF on the demo clinic.

    .venv/bin/python scripts/time_patient_chart.py      # RUNS=30 BENCH_DIR=/tmp/charts-bench/db

Seeds the demo clinic once into a SQLite file under BENCH_DIR, picks the patient with the
most responses, calls each view (decorators included) RUNS times after 3 warm-ups, and
prints the median and 95th-percentile wall time, the median CPU time of this process
(steadier on a shared machine), the query count and the response size. A helper, not a
test: tests count queries, never time.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import time
from typing import Any


def main() -> None:
    folder = pathlib.Path(os.environ.get("BENCH_DIR", "/tmp/charts-bench/db"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["AFTERGLOW_VAR_DIR"] = str(folder)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "afterglow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.urls import resolve, reverse

    from afterglow.accounts.models import Membership, Role
    from afterglow.patients.models import Patient

    if not (folder / "seeded").exists():
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("demo", stdout=quiet)
        (folder / "seeded").touch()
    patient: Any = Patient.objects.annotate(n=Count("responses")).order_by("-n", "pk").first()
    membership: Any = (
        Membership.objects.filter(clinic=patient.clinic, role=Role.PRESCRIBER)
        .select_related("user", "clinic")
        .first()
    )
    factory = RequestFactory()
    runs = int(os.environ.get("RUNS", "30"))

    def bench(name: str, url: str, runs: int) -> None:
        match = resolve(url)

        def once() -> tuple[float, float, int]:
            request: Any = factory.get(url, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="bench")
            request.user, request.membership, request.session = membership.user, membership, {}
            wall, cpu = time.perf_counter(), time.process_time()
            response = match.func(request, *match.args, **match.kwargs)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert response.status_code == 200, (name, response.status_code)
            return wall, cpu, len(response.content)

        for _ in range(3):
            once()
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            size = once()[2]
        samples = [once() for _ in range(runs)]
        walls = sorted(s[0] for s in samples)
        p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
        print(
            f"{name:12s} wall median {statistics.median(walls) * 1000:8.1f} ms "
            f"p95 {p95 * 1000:8.1f} ms | CPU median "
            f"{statistics.median(s[1] for s in samples) * 1000:7.1f} ms | "
            f"queries {len(queries.captured_queries):3d} | bytes {size}"
        )

    print(f"patient {patient.mrn}: {patient.n} responses")
    bench("chart", reverse("patients:chart", args=[patient.pk]), runs)
    bench("diary page", reverse("diary:patient", args=[patient.pk]), runs)
    bench("patient PDF", reverse("reports:patient_pdf", args=[patient.pk]), max(5, runs // 5))


if __name__ == "__main__":
    main()
