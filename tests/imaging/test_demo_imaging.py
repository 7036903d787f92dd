"""The demo clinic has research imaging for a subset of consenting patients, measured
from synthetic runs whose injected change follows each patient's PCL-5 change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from afterglow.demo.seed import seed_demo_clinic
from afterglow.demo.seed_imaging import DEMO_IMAGING_PATIENTS
from afterglow.demo.synthetic import generate_clinic
from afterglow.imaging.models import ImagingSession, Source, Timing
from afterglow.imaging.research import imaging_research


@pytest.mark.django_db
def test_the_demo_has_imaging_that_tracks_symptom_change(client):
    clinic = seed_demo_clinic(synthetic=generate_clinic()).clinic
    sessions = ImagingSession.objects.filter(clinic=clinic)
    assert sessions.count() == 2 * DEMO_IMAGING_PATIENTS
    assert not sessions.filter(patient__consent_research=False).exists()
    assert set(sessions.values_list("timing", flat=True)) == {Timing.BEFORE, Timing.AFTER}
    assert set(sessions.values_list("source", flat=True)) == {Source.EXTRACT}
    assert all(s.provenance["inputs_sha256"]["bold"] for s in sessions)

    page = imaging_research(clinic=clinic)
    assert page.n_patients == DEMO_IMAGING_PATIENTS
    found = {a.key: a for a in page.associations}
    # Injected: reactivity falls in proportion to the PCL-5 fall, so the changes move
    # together (a fall in both: positive r); measured through extract with noise.
    assert found["reactivity_change__pcl5_change"].shown
    assert found["reactivity_change__pcl5_change"].r > 0.5

    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="demo-researcher"))
    assert client.get(reverse("imaging:research")).status_code == 200
