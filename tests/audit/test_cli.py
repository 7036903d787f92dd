"""``afterglow audit export``: JSON Lines, filters, and one-line refusals."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from afterglow.audit.chain import event_hash
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from tests.factories import PatientFactory


def export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("audit", "export", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_export_prints_every_field_oldest_first_and_each_line_rehashes(clinic, other_clinic):
    mine = PatientFactory(clinic=clinic, mrn="AG-000042")
    theirs = PatientFactory(clinic=other_clinic, mrn="AG-000042")
    audit_record(action=Action.READ, clinic=clinic, patient=mine, object_type="chart")
    audit_record(action=Action.READ, clinic=other_clinic, patient=theirs, object_type="chart")
    audit_record(action=Action.SETTINGS, clinic=clinic, obj=clinic, changes={"x": 1})

    lines = export()
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    for line in lines:
        content = {k: v for k, v in line.items() if k not in ("id", "hash")}
        assert event_hash(line["prev_hash"], content) == line["hash"]

    assert [line["patient_id"] for line in export("--patient", "AG-000042")] == [
        mine.pk,
        theirs.pk,
    ]
    assert [
        line["patient_id"] for line in export("--patient", "AG-000042", "--clinic", "home")
    ] == [mine.pk]
    assert [line["action"] for line in export("--clinic", "home")] == ["read", "settings"]


def test_export_dates_are_utc_days_with_until_included(clinic, time_machine) -> None:
    for day in (1, 2, 3):
        time_machine.move_to(dt.datetime(2026, 3, day, 23, 59, tzinfo=dt.UTC), tick=False)
        audit_record(action=Action.READ, clinic=clinic, object_type="chart", object_id=day)
    picked = export("--since", "2026-03-02", "--until", "2026-03-02")
    assert [line["object_id"] for line in picked] == ["2"]
    assert len(export("--since", "2026-03-02")) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "is not a date"),
        (["--since", "2026-03-05", "--until", "2026-03-01"], "--until is before --since"),
        (["--clinic", "nowhere"], "no clinic with slug"),
        (["--patient", "AG-999999"], "no patient with MRN"),
    ],
)
def test_bad_export_input_exits_2_with_one_line(db, args, message) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        call_command("audit", "export", *args)
    assert caught.value.returncode == 2


def test_from_the_shell_a_bad_date_is_one_line_and_exit_2(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("afterglow")
    done = subprocess.run(
        [str(command), "audit", "export", "--until", "2026-02-30"],
        capture_output=True,
        text=True,
        env={"AFTERGLOW_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "'2026-02-30' is not a date" in done.stderr
    assert done.stdout == ""
