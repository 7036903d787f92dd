"""Auditing a page adds a fixed number of queries, however much the page shows.

(Time is measured by ``make bench-audit``, never asserted in a test.)
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.charts.views import _chart_patient
from afterglow.charts.views import chart_page as patient_chart
from afterglow.instruments.services import response_record
from tests.factories import PatientFactory

# staff_required wraps audited_read, which wraps the chart view itself.
UNDECORATED = patient_chart.__wrapped__.__wrapped__


def queries(view, membership, patient, **obj) -> int:
    request = RequestFactory().get(reverse("patients:chart", args=[patient.pk]))
    request.user = membership.user
    request.session = SessionStore()  # the page's sign-in limits read the session
    request.membership = membership
    with CaptureQueriesContext(connection) as captured:
        assert view(request, pk=patient.pk, **obj).status_code == 200
    return len(captured)


def audit_queries(membership, patient) -> int:
    # The undecorated view is handed the patient the decorator would have read for it
    # (``audited_read(load=...)``): the difference is the read plus the event.
    shown = _chart_patient(membership, patient.pk)
    return queries(patient_chart, membership, patient) - queries(
        UNDECORATED, membership, patient, obj=shown
    )


def test_the_chart_pays_the_same_few_queries_for_its_audit_event(clinician) -> None:
    small = PatientFactory(clinic=clinician.clinic)
    large = PatientFactory(clinic=clinician.clinic)
    for total in range(10):
        response_record(
            patient=large, instrument_code="pcl5", answers=[total % 5] * 20, source="staff"
        )
    extra = audit_queries(clinician.membership, small)
    # The object lookup, the head lock, the insert and the head update, plus the
    # savepoint pair of the append's atomic block inside the test's transaction.
    assert 4 <= extra <= 6
    assert audit_queries(clinician.membership, large) == extra
