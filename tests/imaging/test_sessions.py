"""Imaging sessions: stored from ``extract`` or a BIDS TSV, placed against the first dose,
idempotent, refused with a reason, audited; the images themselves are never stored."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from afterglow.audit.models import AuditEvent
from afterglow.imaging.models import ImagingSession, Timing
from afterglow.imaging.services import imaging_import
from afterglow.imaging.synthetic import synthetic_run, write_run
from afterglow.treatment.services.sessions import session_sign
from tests.factories import PatientFactory, course_on, iv_protocol, ready_to_sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def treated(clinic, colleague):
    """A patient with one signed dose, a little while ago (day 0 is its date in the clinic)."""
    course = course_on(iv_protocol(clinic), patient=PatientFactory(clinic=clinic, mrn="AG-000042"))
    session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    return course.patient


def rows(*lines: dict[str, str]) -> list[dict[str, str]]:
    return list(lines)


def test_a_bids_table_is_imported_and_placed_before_and_after_the_first_dose(clinic, treated):
    # The dose's own date in the clinic, not today's: just after midnight in New York
    # the dose (started a while ago) was yesterday.
    today = treated.dosing_sessions.get().started_at.astimezone(clinic.tzinfo).date()
    report = imaging_import(
        clinic=clinic,
        by=None,
        rows=rows(
            {
                "participant_id": "sub-AG000042",
                "session": "ses-pre",
                "scanned_on": str(today - dt.timedelta(days=3)),
                "amygdala_hippocampus_r": "0.45",
                "amygdala_reactivity": "0.8",
            },
            {
                "participant_id": "sub-AG000042",
                "session": "ses-post",
                "scanned_on": str(today + dt.timedelta(days=14)),
                "amygdala_hippocampus_r": "0.2",
                "amygdala_hippocampus_z": "0.2027",
                "kind": "rest",
            },
        ),
        mapping=None,
        dry_run=False,
    )
    assert report.refused == [] and len(report.created) == 2
    pre, post = ImagingSession.objects.filter(patient=treated).order_by("scanned_on")
    assert (pre.timing, pre.days_from_first_dose, pre.kind) == (Timing.BEFORE, -3, "task")
    assert (post.timing, post.days_from_first_dose, post.kind) == (Timing.AFTER, 14, "rest")
    # z is filled in from r when the table has only r (Fisher z = atanh r).
    assert pre.amygdala_hippocampus_z == pytest.approx(0.4847, abs=1e-4)
    assert AuditEvent.objects.filter(object_type="imaging.imagingsession").count() == 2


def test_importing_again_creates_nothing_and_says_why(clinic, treated):
    table = rows(
        {"participant_id": "sub-AG000042", "session": "ses-pre", "scanned_on": "2026-01-05",
         "amygdala_hippocampus_r": "0.4"},
    )  # fmt: skip
    imaging_import(clinic=clinic, by=None, rows=table, mapping=None, dry_run=False)
    again = imaging_import(clinic=clinic, by=None, rows=table, mapping=None, dry_run=False)
    assert again.created == [] and again.skipped == ["line 2: sub-AG000042 ses-pre already stored"]
    assert ImagingSession.objects.count() == 1


def test_a_dry_run_reports_and_writes_nothing(clinic, treated):
    report = imaging_import(
        clinic=clinic,
        by=None,
        rows=rows(
            {
                "participant_id": "sub-AG000042",
                "session": "pre",
                "scanned_on": "2026-01-05",
                "amygdala_hippocampus_r": "0.4",
            }
        ),
        mapping=None,
        dry_run=True,
    )
    assert report.created == ["line 2: sub-AG000042 ses-pre"]
    assert ImagingSession.objects.count() == 0


def test_rows_that_cannot_be_imported_are_refused_with_their_line_and_reason(
    clinic, other_clinic, treated
):
    PatientFactory(clinic=other_clinic, mrn="OT-1")
    report = imaging_import(
        clinic=clinic,
        by=None,
        rows=rows(
            {
                "participant_id": "sub-OT1",
                "session": "pre",
                "scanned_on": "2026-01-05",
                "amygdala_hippocampus_r": "0.4",
            },
            {
                "participant_id": "sub-AG000042",
                "session": "pre",
                "scanned_on": "05/01/2026",
                "amygdala_hippocampus_r": "0.4",
            },
            {
                "participant_id": "sub-AG000042",
                "session": "pre",
                "scanned_on": "2026-01-05",
                "amygdala_hippocampus_r": "strong",
            },
            {"participant_id": "sub-AG000042", "session": "pre", "scanned_on": "2026-01-05"},
            {"participant_id": "", "session": "pre"},
        ),
        mapping=None,
        dry_run=False,
    )
    assert report.created == []
    assert [line.split(":")[0] for line in report.refused] == [
        "line 2", "line 3", "line 4", "line 5", "line 6",
    ]  # fmt: skip
    assert "matches no patient of the clinic" in report.refused[0]
    assert "amygdala_hippocampus_r 'strong' is not a number" in report.refused[2]
    assert "no measure columns" in report.refused[3]
    assert ImagingSession.objects.count() == 0


def test_a_mapping_file_matches_participants_to_record_numbers(clinic, treated):
    report = imaging_import(
        clinic=clinic,
        by=None,
        rows=rows(
            {
                "participant_id": "sub-07",
                "session": "pre",
                "scanned_on": "2026-01-05",
                "amygdala_hippocampus_r": "0.4",
            }
        ),
        mapping={"07": "AG-000042"},
        dry_run=False,
    )
    assert len(report.created) == 1
    assert ImagingSession.objects.get().patient == treated


def test_extract_save_stores_the_measures_and_provenance_but_no_image(clinic, treated, tmp_path):
    paths = write_run(synthetic_run(seed=2, connectivity_r=0.4, task=False), tmp_path / "run")
    yesterday = timezone.localdate(timezone=clinic.tzinfo) - dt.timedelta(days=1)
    out = StringIO()
    call_command(
        "imaging",
        "extract",
        "--bold", str(paths["bold"]),
        "--tr", "2",
        "--amygdala", str(paths["amygdala"]),
        "--hippocampus", str(paths["hippocampus"]),
        "--save", "--clinic", clinic.slug, "--patient", treated.mrn,
        "--label", "pre", "--date", str(yesterday),
        stdout=out,
    )  # fmt: skip
    printed = json.loads(out.getvalue())
    session = ImagingSession.objects.get(pk=printed["saved_session_id"])
    assert session.amygdala_hippocampus_r == pytest.approx(printed["amygdala_hippocampus_r"])
    assert session.kind == "rest" and session.timing == Timing.BEFORE
    assert session.provenance["inputs_sha256"]["bold"] == printed["inputs_sha256"]["bold"]
    assert "bold" not in {f.name for f in ImagingSession._meta.get_fields()}
    stored = json.dumps(session.provenance)
    assert str(Path(paths["bold"]).read_bytes()[:16]) not in stored


def test_extract_save_names_what_is_missing(clinic, treated, tmp_path):
    paths = write_run(synthetic_run(seed=2, connectivity_r=0.4, task=False), tmp_path / "run")
    with pytest.raises(CommandError, match="--save needs --label, --date") as caught:
        call_command(
            "imaging", "extract", "--bold", str(paths["bold"]), "--tr", "2",
            "--amygdala", str(paths["amygdala"]), "--hippocampus", str(paths["hippocampus"]),
            "--save", "--clinic", clinic.slug, "--patient", treated.mrn,
        )  # fmt: skip
    assert caught.value.returncode == 2
    with pytest.raises(CommandError, match="no patient 'NOPE'"):
        call_command(
            "imaging", "extract", "--bold", str(paths["bold"]), "--tr", "2",
            "--amygdala", str(paths["amygdala"]), "--hippocampus", str(paths["hippocampus"]),
            "--save", "--clinic", clinic.slug, "--patient", "NOPE", "--label", "x",
            "--date", "2026-01-01",
        )  # fmt: skip
