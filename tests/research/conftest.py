"""A synthetic clinic (the demo generator) whose patients consented to research use.

Seeding takes tens of seconds, so it happens once for this package, inside a transaction
that is rolled back when the package's tests end; each test runs in its own savepoint (the
``db`` fixture), so what one test changes the next does not see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction

from afterglow.accounts.models import Clinic
from afterglow.demo.seed import seed_demo_clinic
from afterglow.demo.synthetic import generate_clinic
from afterglow.patients.models import Patient, Sex, TraumaContext, VeteranStatus

#: Patients of the seeded clinic; the first two did not consent to research use.
N_PATIENTS = 18


@pytest.fixture(scope="package")
def _seeded(django_db_setup, django_db_blocker) -> Iterator[int]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            synthetic = generate_clinic(seed=12, n_patients=N_PATIENTS, n_new_intake=0)
            clinic = seed_demo_clinic(synthetic=synthetic, slug="study").clinic
            patients = list(Patient.objects.filter(clinic=clinic).order_by("pk"))
            Patient.objects.filter(clinic=clinic).update(consent_research=True)
            Patient.objects.filter(pk__in=[p.pk for p in patients[:2]]).update(
                consent_research=False
            )
            # Most look alike (one sex × age band × population cell of 12), a few do not,
            # so the export has both kept and suppressed cells.
            Patient.objects.filter(pk__in=[p.pk for p in patients[2:14]]).update(
                sex=Sex.FEMALE,
                date_of_birth=dt.date(1984, 5, 17),
                trauma_context=TraumaContext.MILITARY,
                veteran_status=VeteranStatus.VETERAN,
            )
            Patient.objects.filter(pk=patients[14].pk).update(date_of_birth=dt.date(1930, 1, 1))
            clinic.analytics_min_n = 5
            clinic.save(update_fields=["analytics_min_n"])
            yield clinic.pk
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def study_clinic(_seeded: int, db) -> Clinic:
    return Clinic.objects.get(pk=_seeded)
