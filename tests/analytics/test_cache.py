"""The dashboard's cache: figures are reused until the data change, and never after.

The version stamp (``analytics.versioning``) is kept by database triggers, so these
tests write through the services, through ``QuerySet.update`` and inside a transaction
that is rolled back, and check the next page shows the new numbers every time.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.analytics.selectors import cohort_data
from afterglow.analytics.versioning import COHORT_TABLES, data_version, trigger_names
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from tests.analytics.cohort import FIRST_DOSE, cohort, pcl5

URL = reverse("analytics:dashboard")


def _queries(client, url: str = URL) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


def _reads_responses(queries: list[str]) -> bool:
    return any('"instruments_response"' in sql for sql in queries)


def test_a_second_visit_reuses_the_cohort_and_reads_no_clinical_table(clinic, researcher) -> None:
    cohort(clinic, 10)
    first = _queries(researcher.client)
    second = _queries(researcher.client)

    assert _reads_responses(first)
    assert not _reads_responses(second)
    assert len(second) < len(first)


def test_a_new_response_shows_on_the_next_visit(clinic, researcher) -> None:
    people = cohort(clinic, 10)
    before = researcher.client.get(URL).context["board"]
    assert next(t for t in before.timepoints if t["day"] == 90)["n"] == 0

    pcl5(people[0], 20, FIRST_DOSE + dt.timedelta(days=90))
    after = researcher.client.get(URL).context["board"]

    assert next(t for t in after.timepoints if t["day"] == 90)["n"] == 1


def test_a_write_that_bypasses_the_services_still_changes_the_version(clinic) -> None:
    people = cohort(clinic, 1)
    stamp = data_version()
    Patient.objects.filter(pk=people[0].pk).update(sex="female")
    assert data_version() not in (None, stamp)
    stamp = data_version()
    Response.objects.filter(patient=people[0]).delete()
    assert data_version() not in (None, stamp)


def test_a_changed_patient_detail_changes_a_filtered_count(clinic, researcher) -> None:
    people = cohort(clinic, 12, sex="male")
    clinic.analytics_min_n = 1
    clinic.save(update_fields=["analytics_min_n"])
    female = f"{URL}?sex=female"
    assert researcher.client.get(f"{URL}?sex=male").context["board"].n_selected == 12

    Patient.objects.filter(pk=people[0].pk).update(sex="female")

    assert researcher.client.get(female).context["board"].n_selected == 1


def test_a_changed_clinic_setting_shows_at_once(clinic, researcher) -> None:
    cohort(clinic, 10)
    assert researcher.client.get(URL).context["board"].shown is True

    clinic.analytics_min_n = 11
    clinic.save(update_fields=["analytics_min_n"])

    assert researcher.client.get(URL).context["board"].shown is False


def test_a_rolled_back_write_leaves_a_stamp_that_never_comes_back(clinic) -> None:
    people = cohort(clinic, 1)
    committed = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Patient.objects.filter(pk=people[0].pk).update(sex="female")
        inside = data_version()
        raise RuntimeError("roll back")
    assert data_version() == committed
    Patient.objects.filter(pk=people[0].pk).update(sex="female")
    assert data_version() not in (committed, inside)


def test_every_table_the_cohort_reads_carries_the_version_triggers(clinic) -> None:
    cohort(clinic, 2)
    with CaptureQueriesContext(connection) as captured:
        cohort_data(clinic=clinic)
    read = {
        table
        for query in captured
        for table in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"])
    }
    assert read, "cohort_data ran no query"
    assert read <= set(COHORT_TABLES), (
        f"tables without version triggers: {read - set(COHORT_TABLES)}"
    )
    installed = _triggers()
    for table in COHORT_TABLES:
        if connection.vendor == "sqlite":
            assert set(trigger_names(table)) <= installed, table
        else:
            assert f"afterglow_cohort_version_{table}" in installed, table


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def test_backups_and_database_copies_leave_the_version_table_out() -> None:
    # A restored or copied database gets a fresh stamp from its own writes; a copied one
    # would make the backup's table check fail on a stamp that changed on the way.
    from afterglow.analytics.models import CohortDataVersion
    from afterglow.ops.backup.tables import table_models

    assert CohortDataVersion not in table_models()
