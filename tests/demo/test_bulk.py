"""The bulk copy behind ``make bench-web``: a clinic of copies of the template's patients,
every row pointing inside the new clinic, with the template's numbers."""

from __future__ import annotations

import pytest

from afterglow.analytics.engine import AnalysisConfig, analyze
from afterglow.analytics.selectors import cohort_data
from afterglow.demo.bulk import COPIED, clone_clinic
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession, Protocol
from tests.analytics.cohort import cohort


def test_each_copy_repeats_every_row_of_the_template_inside_the_new_clinic(clinic) -> None:
    cohort(clinic, 3)

    large = clone_clinic(template=clinic, slug="large", name="Large", copies=2)

    for model, lookup in COPIED:
        template_rows = model._default_manager.filter(**{lookup: clinic}).count()
        copies = 1 if model is Protocol else 2  # the clinic's protocols, once
        assert model._default_manager.filter(**{lookup: large}).count() == copies * template_rows
    assert Patient.objects.filter(clinic=large).values("mrn").distinct().count() == 6
    for session in DosingSession.objects.filter(clinic=large).select_related("course", "patient"):
        assert session.patient.clinic_id == large.pk
        assert session.course.clinic_id == large.pk
        assert session.course.patient_id == session.patient_id
        assert session.course.protocol.clinic_id == large.pk
    assert Patient.objects.filter(clinic=clinic).count() == 3  # the template is untouched


def test_the_copies_give_the_templates_outcome_numbers(clinic) -> None:
    cohort(clinic, 10)

    large = clone_clinic(template=clinic, slug="large", name="Large", copies=3)

    config = AnalysisConfig()
    original = analyze(cohort_data(clinic=clinic).frame, config)
    copied = analyze(cohort_data(clinic=large).frame, config)
    assert copied["n_patients"] == 3 * original["n_patients"]
    assert copied["baseline_mean"] == pytest.approx(original["baseline_mean"])
    for day, point in original["timepoints"].items():
        assert copied["timepoints"][day]["n"] == 3 * point["n"]
        assert copied["timepoints"][day]["mean_change"] == pytest.approx(point["mean_change"])
