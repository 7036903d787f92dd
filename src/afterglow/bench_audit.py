"""``make bench-audit`` (``python -m afterglow.bench_audit``): what auditing costs a chart.

Seeds the demo clinic (``afterglow demo``, 12 patients by default) into a fresh SQLite
file under a temporary folder, picks the patient with the most PCL-5 responses, and
renders their chart ``BENCH_AUDIT_RUNS`` times (default 40, after 5 warm-up renders)
two ways, interleaved so drift hits both alike:

- **with auditing**: the view as served (``staff_required`` → ``audited_read`` →
  chart), which appends one read event per render (a lookup, the chain head lock,
  the insert and the head update, committed on the file database);
- **without auditing**: the undecorated chart view on the same request.

Prints the median of each, the ratio, and the issue 11 goal (within 10 %). The
same numbers hold for PostgreSQL only roughly: run it there with ``DATABASE_URL``.
Never part of ``make test`` (tests count queries, never time).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

GOAL_RATIO = 1.10


def main() -> int:
    runs = int(os.environ.get("BENCH_AUDIT_RUNS", "40"))
    with tempfile.TemporaryDirectory(prefix="afterglow-bench-audit-") as folder:
        os.environ["AFTERGLOW_VAR_DIR"] = folder
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "afterglow.settings")
        import django

        django.setup()
        return _bench(runs)


def _bench(runs: int) -> int:
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import RequestFactory
    from django.urls import reverse

    from afterglow.accounts.models import Membership, Role
    from afterglow.audit.models import AuditEvent
    from afterglow.charts.views import chart_page as patient_chart
    from afterglow.patients.models import Patient

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    patient = Patient.objects.annotate(n=Count("responses")).order_by("-n", "pk").first()
    assert patient is not None, "the demo seeded no patient"
    membership = (
        Membership.objects.filter(clinic=patient.clinic, role=Role.PRESCRIBER)
        .select_related("user", "clinic")
        .first()
    )
    assert membership is not None, "the demo clinic has no prescriber"
    factory = RequestFactory()
    url = reverse("patients:chart", args=[patient.pk])
    # staff_required wraps audited_read, which wraps the chart view itself.
    undecorated: Callable[..., Any] = patient_chart.__wrapped__.__wrapped__  # type: ignore[attr-defined]

    def render(view: Callable[..., Any]) -> float:
        request = factory.get(url, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="bench")
        request.user = membership.user
        request.membership = membership  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = view(request, pk=patient.pk)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed

    for _ in range(5):
        render(patient_chart)
        render(undecorated)
    events_before = AuditEvent.objects.count()
    audited, plain = [], []
    for _ in range(runs):
        audited.append(render(patient_chart))
        plain.append(render(undecorated))
    written = AuditEvent.objects.count() - events_before
    with_ms = statistics.median(audited) * 1000
    without_ms = statistics.median(plain) * 1000
    ratio = with_ms / without_ms
    print(
        f"chart of {patient.mrn} ({patient.n} responses), {runs} renders each, SQLite file"  # type: ignore[attr-defined]
    )
    print(f"  with auditing:    median {with_ms:8.2f} ms ({written} read events written)")
    print(f"  without auditing: median {without_ms:8.2f} ms")
    verdict = "within" if ratio <= GOAL_RATIO else "OVER"
    print(f"  ratio {ratio:.3f} ({verdict} the {GOAL_RATIO - 1:.0%} goal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
