"""The patient list: its query count does not grow with the patients on the page."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PatientFactory

URL = reverse("patients:list")


def _queries(client, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params or {})
        assert response.status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_one_patient_or_a_full_page(clinician) -> None:
    PatientFactory(clinic=clinician.clinic)
    one = _queries(clinician.client)
    # Session, user, two-step device (3: the idle stamp is not written within a minute),
    # memberships (1), audit event (5), count, page, PCL-5 counts, the menu's urgent alerts
    # (issue 13 §2: the clinic switcher asks nothing more).
    assert one == 13
    PatientFactory.create_batch(30, clinic=clinician.clinic)
    assert _queries(clinician.client) == one
    assert _queries(clinician.client, {"page": "2"}) == one


def test_a_search_costs_the_same_queries_whatever_it_finds(clinician) -> None:
    PatientFactory(clinic=clinician.clinic, family_name="Rivera")
    one = _queries(clinician.client, {"q": "Rivera"})
    PatientFactory.create_batch(10, clinic=clinician.clinic, family_name="Rivera")
    assert _queries(clinician.client, {"q": "Rivera"}) == one
