"""Appends from parallel writers never fork the chain.

PostgreSQL: threads of this process, each with its own connection, append at once;
the chain head row's ``select_for_update`` serialises them. SQLite: the in-memory
test database is shared between threads through SQLite's shared cache, which
reports "table is locked" at once instead of waiting, so there the writers are
what production runs: separate processes (gunicorn workers) on one database file
in WAL mode, serialised by the IMMEDIATE transactions the settings configure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from afterglow.audit.models import Action, AuditEvent
from afterglow.audit.selectors import chain_verify
from afterglow.audit.services import audit_record

WRITERS = 4
EACH = 15
APPEND = f"""
from afterglow.audit.services import audit_record
for i in range({EACH}):
    audit_record(action="read", object_type="chart", object_id=str(i))
"""
ORDER = """
from afterglow.audit.models import AuditEvent
print(list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)))
"""


def _threads() -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                audit_record(action=Action.READ, object_type="chart", object_id=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    verdict = chain_verify()
    assert verdict.ok and verdict.count == WRITERS * EACH


def _processes(var_dir: Path) -> None:
    command = str(Path(sys.executable).with_name("afterglow"))
    env = {
        **os.environ,
        "AFTERGLOW_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'audit.sqlite3'}",
        "SQLITE_TIMEOUT_SECONDS": "30",
    }
    # The audit tables are all the writers need (the audit app depends on no other).
    subprocess.run([command, "migrate", "audit", "-v0"], env=env, check=True)
    writers = [
        subprocess.Popen([command, "shell", "-v0", "-c", APPEND], env=env, stderr=subprocess.PIPE)
        for _ in range(WRITERS)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()
    seqs = subprocess.run(
        [command, "shell", "-v0", "-c", ORDER], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert seqs == str(list(range(1, WRITERS * EACH + 1)))
    verify = subprocess.run([command, "audit", "verify"], env=env, capture_output=True, text=True)
    assert (verify.returncode, verify.stdout.strip()) == (
        0,
        f"audit chain ok: {WRITERS * EACH} events",
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_appends_make_one_unbroken_chain(tmp_path: Path) -> None:
    if connection.vendor == "sqlite":
        _processes(tmp_path)
    else:
        _threads()
