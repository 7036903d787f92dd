"""The research imaging page: imaging change against symptom change for the clinic,
numbers equal to scipy on the same table, minimum N respected, audited, isolated."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.urls import reverse
from scipy import stats

from afterglow.audit.models import AuditEvent
from afterglow.imaging.models import ImagingSession, ScanKind, Source
from tests.analytics.cohort import FIRST_DOSE, treated

pytestmark = pytest.mark.django_db

DAY0 = FIRST_DOSE.date()


def scanned(patient, label: str, day: int, *, r: float, reactivity: float) -> None:
    import math

    ImagingSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        label=label,
        scanned_on=DAY0 + dt.timedelta(days=day),
        kind=ScanKind.TASK,
        amygdala_hippocampus_r=r,
        amygdala_hippocampus_z=math.atanh(r),
        amygdala_reactivity=reactivity,
        source=Source.IMPORT,
    )


@pytest.fixture
def scanned_cohort(clinic):
    clinic.analytics_min_n = 5
    clinic.save()
    rows = []
    for index, follow_up in enumerate((20, 25, 30, 36, 40, 45)):
        patient = treated(
            clinic, {0: 50, 7: (50 + follow_up) // 2, 14: follow_up}, consent_research=True
        )
        reactivity_change = -0.05 * (50 - follow_up) / 10 + (0.03 if index % 2 else -0.02)
        scanned(patient, "pre", -3, r=0.45, reactivity=0.8)
        scanned(patient, "post", 14, r=0.3, reactivity=0.8 + reactivity_change)
        rows.append((reactivity_change, follow_up - 50))
    return rows


def test_the_page_shows_the_association_scipy_computes_on_the_same_table(
    researcher, scanned_cohort
):
    response = researcher.client.get(reverse("imaging:research"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.n_patients == 6
    found = {a.key: a for a in page.associations}
    a = found["reactivity_change__pcl5_change"]
    x = [row[0] for row in scanned_cohort]
    y = [row[1] for row in scanned_cohort]
    assert a.shown and a.n == 6
    assert a.r == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-9)
    assert f"Pearson r = <strong>{a.r:.2f}</strong>" in response.text
    assert 'id="figure-reactivity_change__pcl5_change"' in response.text
    # No diary was kept: that pair is withheld, with its reason.
    assert not found["reactivity_change__diary_change"].shown
    assert "Not shown: 0 patients with both changes, fewer than 5." in response.text
    assert "closest comparison" in response.text and "different measure" in response.text


def test_below_the_minimum_n_nothing_is_drawn(researcher, clinic):
    patient = treated(clinic, {0: 50, 14: 30})
    scanned(patient, "pre", -3, r=0.45, reactivity=0.8)
    scanned(patient, "post", 14, r=0.3, reactivity=0.5)
    response = researcher.client.get(reverse("imaging:research"))
    assert response.context["figures"] == {}
    assert "Not shown: 1 patient with both changes" in response.text


def test_a_visit_is_audited_once_and_other_clinics_data_never_appears(
    researcher, outsider, scanned_cohort
):
    before = AuditEvent.objects.count()
    researcher.client.get(reverse("imaging:research"))
    assert AuditEvent.objects.count() == before + 1
    elsewhere = outsider.client.get(reverse("imaging:research"))
    assert elsewhere.context["page"].n_patients == 0


def test_the_chart_shows_imaging_sessions_on_the_timeline_to_prescribers_only(
    clinician, colleague, clinic
):
    patient = treated(clinic, {0: 50, 14: 30})
    scanned(patient, "pre", -3, r=0.45, reactivity=0.8)
    scanned(patient, "post", 14, r=0.3, reactivity=0.5)
    url = reverse("patients:chart", args=[patient.pk])
    seen = clinician.client.get(url)
    assert 'id="imaging-sessions"' in seen.text
    figure = seen.context["figure"]
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert "scan pre" in labels and "scan post" in labels
    # A nurse has the clinical record but not research imaging.
    unseen = colleague.client.get(url)
    assert 'id="imaging-sessions"' not in unseen.text
    assert "scan pre" not in [a["text"] for a in unseen.context["figure"]["layout"]["annotations"]]


def test_the_cohort_csv_carries_imaging_changes_for_analyze(researcher, scanned_cohort, tmp_path):
    """The de-identified cohort CSV gains each patient's imaging changes, and ``afterglow
    analyze`` takes them as the mixed model's covariate and as a ``--by`` column with
    ``--bins``. (The covariate model itself is checked against statsmodels' MixedLM on a
    well-conditioned registry in tests/analytics/test_engine_scan.py; six patients are
    too few for a random-slope model to be identified.)"""
    import io

    import pandas as pd

    from afterglow.analytics.engine.scan import analyze_file

    response = researcher.client.get(reverse("analytics:export_csv"))
    assert response.status_code == 200
    table = pd.read_csv(io.StringIO(response.content.decode()))
    assert {"reactivity_change", "connectivity_change"} <= set(table.columns)
    per_patient = table.groupby("patient_id")["reactivity_change"].first()
    assert sorted(round(v, 6) for v in per_patient) == sorted(
        round(x, 6) for x, _ in scanned_cohort
    )
    path = tmp_path / "cohort.csv"
    path.write_bytes(response.content)

    mixed = analyze_file(path, covariate="reactivity_change")["mixed_model"]
    assert mixed["covariate"] == "reactivity_change"
    assert mixed["n_patients"] == 6 and mixed["n_covariate_missing"] == 0
    assert math.isfinite(mixed["covariate_effect"])
    by = analyze_file(path, by="reactivity_change", bins=(-1.0, -0.1, 1.0))
    groups = by["by"]
    assert set(groups) == {"-1–<-0.1", "-0.1–<1"}
    assert sum(group["n_patients"] for group in groups.values()) == 6
