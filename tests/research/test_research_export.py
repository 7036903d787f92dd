"""``afterglow export research``: tables, labels in Stata and SPSS, manifest, de-identification."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from afterglow.audit.models import Action, AuditEvent
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.research.deid import SUPPRESSED, date_shift_days, pseudonym
from afterglow.research.selectors import research_source
from afterglow.treatment.models import AdverseEvent, DosingSession, SessionStatus


def export(clinic, out: Path, *args: str) -> str:
    stdout = io.StringIO()
    call_command(
        "export", "research", "--clinic", clinic.slug, "--out", str(out), *args, stdout=stdout
    )
    return stdout.getvalue()


@pytest.fixture
def exported(study_clinic, tmp_path) -> Path:
    export(study_clinic, tmp_path / "out", "--recipient", "Study A")
    return tmp_path / "out"


def test_every_table_is_written_in_every_format_with_a_manifest_of_hashes(exported) -> None:
    manifest = json.loads((exported / "manifest.json").read_text())
    names = {entry["file"] for entry in manifest["files"]}
    for table in (
        "participants",
        "outcomes",
        "responses_pcl5",
        "responses_phq9",
        "wide",
        "diary_days",
        "doses",
        "adverse_events",
        "therapy_sessions",
        "courses",
    ):
        assert {f"{table}.csv", f"{table}.dta", f"{table}.sav", f"{table}.parquet"} <= names
    assert "codebook.csv" in names
    for entry in manifest["files"]:
        path = exported / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        if path.suffix == ".csv":
            assert len(pd.read_csv(path)) == entry["rows"]
        if path.suffix == ".parquet":
            assert len(pd.read_parquet(path)) == entry["rows"]
    assert manifest["parameters"]["recipient"] == "Study A"
    assert manifest["parameters"]["software"].startswith("afterglow ")
    assert manifest["parameters"]["minimum_n"] == 5


def test_stata_and_spss_files_read_back_with_variable_and_value_labels(exported) -> None:
    csv = pd.read_csv(exported / "responses_pcl5.csv")
    assert len(csv) > 20
    with pd.io.stata.StataReader(exported / "responses_pcl5.dta") as reader:
        stata = reader.read(convert_categoricals=False)
        variable_labels = reader.variable_labels()
        value_labels = reader.value_labels()
    assert variable_labels["pcl5_1"].startswith("PCL-5 1: ")
    assert variable_labels["pcl5_total"] == "PCL-5 total (0-80)"
    assert value_labels["pcl5_1"] == {
        0: "Not at all",
        1: "A little bit",
        2: "Moderately",
        3: "Quite a bit",
        4: "Extremely",
    }
    assert stata["pcl5_total"].tolist() == pytest.approx(csv["pcl5_total"].tolist(), nan_ok=True)

    sav, meta = pyreadstat.read_sav(str(exported / "responses_pcl5.sav"))
    assert meta.column_names_to_labels["pcl5_b"].startswith("PCL-5 ")
    assert meta.variable_value_labels["pcl5_20"][4.0] == "Extremely"
    assert meta.variable_value_labels["complete"] == {0.0: "no", 1.0: "yes"}
    assert sav["pcl5_total"].tolist() == pytest.approx(csv["pcl5_total"].tolist(), nan_ok=True)
    phq9, phq9_meta = pyreadstat.read_sav(str(exported / "responses_phq9.sav"))
    assert phq9_meta.variable_value_labels["phq9_9"][3.0] == "Nearly every day"
    assert set(phq9["phq9_severity"].dropna()) <= {
        "minimal",
        "mild",
        "moderate",
        "moderately severe",
        "severe",
        "",
    }


def test_totals_match_the_stored_scores_and_incomplete_responses_have_no_total(
    study_clinic, exported
) -> None:
    table = pd.read_csv(exported / "responses_pcl5.csv")
    items = [f"pcl5_{n}" for n in range(1, 21)]
    complete = table[table["complete"] == 1]
    assert (complete[items].sum(axis=1) == complete["pcl5_total"]).all()
    assert (complete[[f"pcl5_{n}" for n in range(1, 6)]].sum(axis=1) == complete["pcl5_b"]).all()
    assert table.loc[table["complete"] == 0, "pcl5_total"].isna().all()
    consented = Patient.objects.filter(clinic=study_clinic, consent_research=True)
    dosed = set(
        DosingSession.objects.filter(status=SessionStatus.SIGNED).values_list("patient", flat=True)
    )
    stored = Response.objects.filter(instrument="pcl5", patient__in=consented).filter(
        patient__in=dosed
    )
    assert len(table) == stored.count()
    assert sorted(table["pcl5_total"].dropna().astype(int)) == sorted(
        r.total for r in stored if r.total is not None
    )


def test_codebook_describes_every_column_of_every_table(exported) -> None:
    codebook = pd.read_csv(exported / "codebook.csv")
    for path in exported.glob("*.csv"):
        if path.name == "codebook.csv":
            continue
        columns = set(pd.read_csv(path, nrows=0).columns)
        assert columns == set(codebook.loc[codebook["table"] == path.stem, "variable"])
    row = codebook[(codebook["table"] == "responses_pcl5") & (codebook["variable"] == "pcl5_c")]
    assert row["scoring_rule"].item().startswith("sum of items 6, 7")
    assert "0 = Not at all" in codebook.loc[codebook["variable"] == "pcl5_1", "values"].iloc[0]


def test_date_shifts_keep_every_interval_of_each_patient(study_clinic, exported) -> None:
    source = research_source(clinic=study_clinic)
    key = settings.RESEARCH_PSEUDONYM_KEY
    by_pseudonym = {
        pseudonym(key=key, recipient="Study A", subject=f"{study_clinic.slug}:{pid}"): pid
        for pid in source.patients["patient_id"]
    }
    checked = 0
    for table, real in (
        ("doses", source.doses),
        ("diary_days", source.diary),
        ("responses_pcl5", source.responses[source.responses["instrument"] == "pcl5"]),
        ("therapy_sessions", source.therapy),
        ("courses", source.courses),
    ):
        shifted = pd.read_csv(exported / f"{table}.csv", parse_dates=["date"])
        shifted["pid"] = shifted["patient_id"].map(by_pseudonym)
        assert shifted["pid"].notna().all()
        for pid, rows in shifted.groupby("pid"):
            original = pd.to_datetime(real.loc[real["patient_id"] == pid, "date"]).sort_values()
            moved = rows["date"].sort_values()
            assert len(original) == len(moved)
            offsets = {(m - o).days for m, o in zip(moved, original, strict=True)}
            expected = date_shift_days(
                key=key, recipient="Study A", subject=f"{study_clinic.slug}:{pid}", shift_days=180
            )
            # One shift for every date of the patient, so every interval is kept exactly.
            assert offsets == {expected}
            assert expected != 0 and -180 <= expected <= 180
            checked += 1
    assert checked > 40


def test_only_consenting_patients_leave_and_no_identifier_or_free_text_does(
    study_clinic, exported
) -> None:
    refused = Patient.objects.filter(clinic=study_clinic, consent_research=False)
    secret = "ZZ-FREE-TEXT-NOTE"
    patients = Patient.objects.filter(clinic=study_clinic)
    assert (
        len(pd.read_csv(exported / "participants.csv"))
        == patients.filter(consent_research=True, dosing_sessions__status=SessionStatus.SIGNED)
        .distinct()
        .count()
    )
    # Write free text everywhere it can be, then export again.
    patients.update(notes=secret)
    DiaryEntry.objects.filter(clinic=study_clinic).update(note=secret, triggers=secret)
    AdverseEvent.objects.filter(session__clinic=study_clinic).update(description=secret)
    out = exported.parent / "again"
    export(study_clinic, out, "--recipient", "Study A", "--format", "csv")
    text = "\n".join(p.read_text() for p in out.glob("*.csv"))
    assert secret not in text
    for patient in patients:
        assert patient.mrn not in text
        assert patient.family_name not in text.split(",")
    assert len(refused) == 2
    ages = pd.read_csv(out / "participants.csv")["age"].dropna()
    assert ages.max() <= 90


def test_quasi_identifier_cells_are_at_least_the_minimum_n_or_suppressed(exported) -> None:
    people = pd.read_csv(exported / "participants.csv", keep_default_na=False)
    kept = people[people["sex"] != SUPPRESSED]
    sizes = kept.groupby(["sex", "age_band", "population"]).size()
    assert (sizes >= 5).all()
    assert (people.loc[people["sex"] == SUPPRESSED, "age"] == "").all()


def test_pseudonyms_are_stable_for_a_recipient_and_differ_between_recipients(
    study_clinic, exported
) -> None:
    again = exported.parent / "again"
    other = exported.parent / "other"
    export(study_clinic, again, "--recipient", "study a", "--format", "csv")
    export(study_clinic, other, "--recipient", "Study B", "--format", "csv")
    first = set(pd.read_csv(exported / "participants.csv")["patient_id"])
    assert set(pd.read_csv(again / "participants.csv")["patient_id"]) == first
    assert not first & set(pd.read_csv(other / "participants.csv")["patient_id"])


def test_afterglow_analyze_reads_the_outcomes_table(exported) -> None:
    stdout = io.StringIO()
    call_command("analyze", "--csv", str(exported / "outcomes.csv"), stdout=stdout)
    result = json.loads(stdout.getvalue())
    outcomes = pd.read_csv(exported / "outcomes.csv")
    assert result["n_patients"] == outcomes["patient_id"].nunique()


def test_every_export_is_audited(study_clinic, exported) -> None:
    event = AuditEvent.objects.filter(action=Action.EXPORT, object_type="research_export").get()
    assert event.clinic_id == study_clinic.pk
    assert "Study A" in event.note


def test_too_few_patients_is_refused_in_one_line(study_clinic, tmp_path) -> None:
    study_clinic.analytics_min_n = 1000
    study_clinic.save(update_fields=["analytics_min_n"])
    with pytest.raises(CommandError, match="clinic's minimum is 1000") as raised:
        export(study_clinic, tmp_path / "x", "--recipient", "Study A")
    assert raised.value.returncode == 2
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_an_unknown_format_is_refused_in_one_line(study_clinic, tmp_path) -> None:
    with pytest.raises(CommandError, match="unknown format xlsx") as raised:
        export(study_clinic, tmp_path / "x", "--recipient", "A", "--format", "csv,xlsx")
    assert raised.value.returncode == 2


def test_the_dashboard_downloads_the_export_as_a_zip(study_clinic) -> None:
    from afterglow.accounts.models import Role
    from tests.conftest import _persona

    researcher = _persona(study_clinic, Role.RESEARCHER, "study-researcher")
    response = researcher.client.get(reverse("research:export_zip"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = {Path(n).name for n in archive.namelist()}
    assert {"manifest.json", "codebook.csv", "responses_pcl5.dta", "outcomes.csv"} <= names
    event = AuditEvent.objects.get(action=Action.EXPORT, object_type="research_export")
    assert event.actor_user_id == researcher.user.pk
    dashboard = researcher.client.get(reverse("analytics:dashboard"))
    assert reverse("research:export_zip").encode() in dashboard.content


def test_the_dashboard_explains_a_refused_export(researcher) -> None:
    response = researcher.client.get(reverse("research:export_zip"))
    assert response.status_code == 409
    assert b"research-export-refused" in response.content


def test_without_the_pseudonym_key_nothing_is_exported(study_clinic, settings, tmp_path) -> None:
    settings.RESEARCH_PSEUDONYM_KEY = ""
    with pytest.raises(CommandError, match="RESEARCH_PSEUDONYM_KEY is not set") as raised:
        export(study_clinic, tmp_path / "x", "--recipient", "Study A")
    assert raised.value.returncode == 2
    assert not (tmp_path / "x").exists()


def test_reading_the_clinic_takes_a_fixed_number_of_queries_not_one_per_patient(
    study_clinic,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        source = research_source(clinic=study_clinic)
    # cohort_data's eleven queries plus seven of its own (identity, doses, responses, diary,
    # adverse events, therapy, courses), whatever the number of patients and rows.
    assert len(captured) <= 11 + 7
    assert len(source.patients) + len(source.responses) + len(source.diary) > 100
