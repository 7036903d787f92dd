"""``afterglow redcap export`` and ``import``: records both ways, identified only for an admin."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from afterglow.accounts.models import Clinic, Role
from afterglow.audit.models import Action, AuditEvent
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.research import redcap
from tests.factories import ClinicFactory, MembershipFactory, PatientFactory, UserFactory


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("redcap", *args, stdout=out)
    return out.getvalue()


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def clinic_admin(study_clinic):
    return MembershipFactory(
        clinic=study_clinic, role=Role.ADMIN, user=UserFactory(username="study-admin")
    ).user


@pytest.fixture
def identified(study_clinic, clinic_admin, tmp_path) -> Path:
    out = tmp_path / "redcap"
    run(
        "export",
        "--clinic",
        study_clinic.slug,
        "--out",
        str(out),
        "--identified",
        "--user",
        clinic_admin.username,
    )
    return out


def fresh_clinic_with_the_same_patients(study_clinic: Clinic) -> Clinic:
    fresh = ClinicFactory(name="Fresh", slug="fresh")
    for patient in Patient.objects.filter(clinic=study_clinic):
        PatientFactory(clinic=fresh, mrn=patient.mrn)
    return fresh


def answers_of(clinic: Clinic) -> list[tuple]:
    return sorted(
        (
            r.patient.mrn,
            r.instrument,
            r.administered_at.astimezone(clinic.tzinfo).date(),
            tuple(r.answers),
            r.total,
            r.complete,
            r.timepoint,
            r.source,
        )
        for r in Response.objects.filter(clinic=clinic).select_related("patient")
    )


def test_the_export_is_a_longitudinal_project_in_redcaps_import_formats(identified) -> None:
    events = rows_of(identified / "events.csv")
    assert list(events[0]) == ["event_name", "arm_num", "unique_event_name"]
    assert events[0]["unique_event_name"] == "enrolment_arm_1"
    assert "baseline_arm_1" in {e["unique_event_name"] for e in events}
    mapping = rows_of(identified / "instrument_event_mapping.csv")
    assert list(mapping[0]) == ["arm_num", "unique_event_name", "form"]
    assert {"arm_num": "1", "unique_event_name": "baseline_arm_1", "form": "pcl5"} in mapping
    records = rows_of(identified / "records.csv")
    assert list(records[0])[:2] == ["record_id", "redcap_event_name"]
    keys = [
        (r["record_id"], r["redcap_event_name"], r.get("redcap_repeat_instance", ""))
        for r in records
    ]
    assert len(keys) == len(set(keys))  # one row per record and event (diary: per instance)
    used = {
        (r["redcap_event_name"], f) for r in records for f in ("pcl5", "phq9") if r.get(f"{f}_1")
    }
    mapped = {(m["unique_event_name"], m["form"]) for m in mapping}
    assert used <= mapped
    dictionary = rows_of(identified / "dictionary.csv")
    assert list(dictionary[0]) == list(redcap.HEADERS)


def test_identified_records_carry_the_record_number_and_real_dates(
    study_clinic, identified
) -> None:
    records = rows_of(identified / "records.csv")
    mrns = set(Patient.objects.filter(clinic=study_clinic).values_list("mrn", flat=True))
    assert {r["record_id"] for r in records} <= mrns
    first = (
        Response.objects.filter(clinic=study_clinic, instrument="pcl5")
        .select_related("patient")
        .first()
    )
    day = first.administered_at.astimezone(study_clinic.tzinfo).date().isoformat()
    mine = [r for r in records if r["record_id"] == first.patient.mrn and r["pcl5_date"] == day]
    assert [int(mine[0][f"pcl5_{n}"]) for n in range(1, 21)] == first.answers


def test_export_then_import_reproduces_the_responses_and_a_second_import_creates_nothing(
    study_clinic, identified
) -> None:
    fresh = fresh_clinic_with_the_same_patients(study_clinic)
    args = (
        "import",
        str(identified / "records.csv"),
        "--clinic",
        "fresh",
        "--events",
        str(identified / "events.csv"),
    )
    report = run(*args)
    assert answers_of(fresh) == answers_of(study_clinic)
    assert diary_of(fresh) == diary_of(study_clinic) != []
    assert "refused" not in report
    created = Response.objects.filter(clinic=fresh).count()
    created += DiaryEntry.objects.filter(clinic=fresh).count()
    assert f"{created} created" in report

    again = run(*args)
    assert (
        Response.objects.filter(clinic=fresh).count()
        + DiaryEntry.objects.filter(clinic=fresh).count()
        == created
    )
    assert again.count("already in Afterglow") == created
    assert "created" not in again


def diary_of(clinic: Clinic) -> list[tuple]:
    """The diary days as the REDCap project holds them (free text never leaves)."""
    return sorted(
        (e.patient.mrn, e.day, e.intrusive_memories, e.flashbacks, e.nightmares, e.peak_distress)
        for e in DiaryEntry.objects.filter(clinic=clinic, intrusive_memories__isnull=False)
        .filter(flashbacks__isnull=False)
        .select_related("patient")
    )


def test_a_dry_run_reports_what_it_would_create_and_stores_nothing(
    study_clinic, identified
) -> None:
    fresh = fresh_clinic_with_the_same_patients(study_clinic)
    report = run("import", str(identified / "records.csv"), "--clinic", "fresh", "--dry-run")
    assert Response.objects.filter(clinic=fresh).count() == 0
    assert "would create" in report and report.splitlines()[-1].startswith(
        "dry run, nothing stored"
    )


def test_import_refuses_bad_values_and_unknown_records_and_stores_missing_items_as_incomplete(
    clinic, tmp_path
) -> None:
    PatientFactory(clinic=clinic, mrn="AG-1")
    header = ["record_id", "redcap_event_name", "phq9_date"] + [f"phq9_{n}" for n in range(1, 10)]
    lines = [
        ["AG-1", "baseline_arm_1", "2026-03-02", *["1"] * 9],
        ["AG-1", "week_2_arm_1", "2026-03-16", "7", *["1"] * 8],
        ["AG-404", "baseline_arm_1", "2026-03-02", *["1"] * 9],
        ["AG-1", "week_4_arm_1", "2026-03-30", "2", "", *["1"] * 7],
        ["AG-1", "week_6_arm_1", "", *["1"] * 9],
    ]
    path = tmp_path / "records.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(lines)
    report = run("import", str(path), "--clinic", clinic.slug)
    assert "line 2 record AG-1 phq9: created" in report
    assert "line 3 record AG-1 phq9: refused: phq9_1 = '7' is not one of 0, 1, 2, 3" in report
    assert "line 4 record AG-404 phq9: refused: unknown record" in report
    assert "line 5 record AG-1 phq9: created: incomplete: items 2 blank, no total" in report
    assert "line 6 record AG-1 phq9: refused: phq9_date is blank" in report
    stored = list(Response.objects.filter(clinic=clinic).order_by("administered_at"))
    assert [(r.total, r.complete, r.timepoint) for r in stored] == [
        (9, True, "baseline"),  # nine items rated 1
        (None, False, "week_4"),  # never scored as zero
    ]
    assert stored[1].answers == [2, None, 1, 1, 1, 1, 1, 1, 1]


def test_a_mapping_file_matches_pseudonymous_record_ids(clinic, tmp_path) -> None:
    PatientFactory(clinic=clinic, mrn="AG-7")
    records = tmp_path / "records.csv"
    records.write_text(
        "record_id,redcap_event_name,phq9_date,"
        + ",".join(f"phq9_{n}" for n in range(1, 10))
        + "\nR00AA,baseline_arm_1,2026-03-02,"
        + ",".join(["0"] * 9)
        + "\n"
    )
    mapping = tmp_path / "map.csv"
    mapping.write_text("record_id,mrn\nR00AA,AG-7\n")
    run("import", str(records), "--clinic", clinic.slug, "--mapping", str(mapping))
    assert Response.objects.get(clinic=clinic).patient.mrn == "AG-7"


def test_identified_export_is_for_an_admin_only_and_is_audited(
    study_clinic, clinic_admin, tmp_path
) -> None:
    prescriber = MembershipFactory(
        clinic=study_clinic, role=Role.PRESCRIBER, user=UserFactory(username="rx")
    ).user
    for args in ((), ("--user", prescriber.username)):
        with pytest.raises(CommandError) as raised:
            run(
                "export",
                "--clinic",
                study_clinic.slug,
                "--out",
                str(tmp_path / "x"),
                "--identified",
                *args,
            )
        assert raised.value.returncode == 2
    assert not (tmp_path / "x").exists()
    run(
        "export",
        "--clinic",
        study_clinic.slug,
        "--out",
        str(tmp_path / "y"),
        "--identified",
        "--user",
        clinic_admin.username,
    )
    event = AuditEvent.objects.get(action=Action.EXPORT, object_type="redcap_export")
    assert event.actor_user_id == clinic_admin.pk
    assert "identified" in event.note


def test_the_default_export_is_pseudonymous_with_shifted_dates(study_clinic, tmp_path) -> None:
    out = tmp_path / "pseudo"
    run("export", "--clinic", study_clinic.slug, "--out", str(out), "--recipient", "Study A")
    records = rows_of(out / "records.csv")
    patients = Patient.objects.filter(clinic=study_clinic)
    assert not {r["record_id"] for r in records} & set(patients.values_list("mrn", flat=True))
    assert all(r["mrn"] == "" and r["date_of_birth"] == "" for r in records)
    consenting = patients.filter(consent_research=True).count()
    assert len({r["record_id"] for r in records}) <= consenting
    real = {
        r.administered_at.astimezone(study_clinic.tzinfo).date().isoformat()
        for r in Response.objects.filter(clinic=study_clinic, instrument="pcl5")
    }
    exported = [r["pcl5_date"] for r in records if r["pcl5_date"]]
    assert exported and len(set(exported) - real) > 0
    with pytest.raises(CommandError, match="--recipient"):
        run("export", "--clinic", study_clinic.slug, "--out", str(tmp_path / "z"))


def test_diary_days_import_once_never_read_blank_as_zero_and_never_overwrite(clinic) -> None:
    import datetime as dt

    from afterglow.research.redcap_services import redcap_records_import

    patient = PatientFactory(clinic=clinic, mrn="AG-000050")
    DiaryEntry.objects.create(
        clinic=clinic, patient=patient, day=dt.date(2026, 3, 3), intrusive_memories=1, flashbacks=0
    )

    def day(date: str, memories: str, flashbacks: str = "1") -> dict[str, str]:
        return {
            "record_id": "AG-000050",
            "redcap_event_name": "daily_diary_arm_1",
            "redcap_repeat_instrument": "diary",
            "redcap_repeat_instance": "1",
            "diary_date": date,
            "diary_intrusive_memories": memories,
            "diary_flashbacks": flashbacks,
            "diary_nightmares": "1",
            "diary_peak_distress": "4",
        }

    rows = [day("2026-03-01", "2"), day("2026-03-02", ""), day("2026-03-03", "5")]
    report = redcap_records_import(clinic=clinic, rows=rows)
    assert [(r.status, r.reason.split(" (")[0]) for r in report if r.instrument == "diary"] == [
        ("created", ""),
        ("refused", "both counts are needed"),
        ("refused", "Afterglow has a different entry for that day; not overwritten"),
    ]
    stored = DiaryEntry.objects.get(patient=patient, day=dt.date(2026, 3, 1))
    assert (stored.intrusive_memories, stored.flashbacks, stored.nightmares) == (2, 1, True)
    assert DiaryEntry.objects.get(patient=patient, day=dt.date(2026, 3, 3)).intrusive_memories == 1
    again = redcap_records_import(clinic=clinic, rows=rows[:1])
    assert [r.status for r in again] == ["skipped"]
