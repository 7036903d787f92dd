"""The audit log page (clinic admins) and each chart's access history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.audit.models import Action, AuditEvent
from afterglow.audit.services import audit_record
from tests.factories import MembershipFactory, PatientFactory, UserFactory

LOG = reverse("audit:log")


@pytest.fixture
def admin(clinic):
    membership = MembershipFactory(
        clinic=clinic, role=Role.ADMIN, user=UserFactory(username="lead")
    )
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_clinic_admin_sees_the_log_with_the_views_and_changes(admin, clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic, mrn="AG-000321")
    clinician.client.get(reverse("patients:chart", args=[patient.pk]))
    page = admin.get(LOG)
    assert page.status_code == 200
    text = page.content.decode()
    assert "clinician" in text and "AG-000321" in text and "chart" in text
    assert 'href="/staff/audit/"' in text  # the navigation links the log for admins


def test_the_log_shows_only_the_admins_own_clinic(admin, outsider) -> None:
    audit_record(action=Action.READ, clinic=outsider.clinic, object_type="secret-other-clinic")
    assert b"secret-other-clinic" not in admin.get(LOG).content


@pytest.mark.parametrize("persona", ["clinician", "colleague", "coordinator", "researcher"])
def test_only_admins_open_the_clinic_log(request, persona) -> None:
    assert request.getfixturevalue(persona).client.get(LOG).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(anonymous) -> None:
    response = anonymous.get(LOG)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_filters_by_patient_user_action_and_dates(admin, clinician, colleague) -> None:
    first = PatientFactory(clinic=clinician.clinic, mrn="AG-000001")
    second = PatientFactory(clinic=clinician.clinic, mrn="AG-000002")
    clinician.client.get(reverse("patients:chart", args=[first.pk]))
    colleague.client.get(reverse("patients:chart", args=[second.pk]))

    def shown(**params) -> list[tuple[str, str]]:
        rows = admin.get(LOG, params).context["rows"]
        return [(event.actor_username, patient.mrn if patient else "") for event, patient in rows]

    assert shown(patient="AG-000001", action="read") == [("clinician", "AG-000001")]
    assert shown(user="colleague", action="read") == [("colleague", "AG-000002")]
    today = dt.date.today()
    recent_reads = shown(action="read", date_from=today - dt.timedelta(days=1))
    # The two chart reads, beside the admin's own reads of this log (patient-less).
    assert [mrn for _, mrn in recent_reads if mrn] == ["AG-000002", "AG-000001"]
    assert {user for user, mrn in recent_reads if not mrn} == {"lead"}
    assert shown(action="read", date_to=today - dt.timedelta(days=2)) == []


def test_a_bad_filter_is_an_error_on_the_form_and_lists_nothing(admin, clinician) -> None:
    PatientFactory(clinic=clinician.clinic)
    page = admin.get(LOG, {"date_from": "2026-02-30", "action": "read"})
    assert page.status_code == 200
    assert page.context["form"].errors["date_from"]
    assert page.context["rows"] == []
    assert b'value="read" selected' in page.content  # what was chosen stays chosen


def test_the_log_page_query_count_does_not_grow_with_the_events(admin, clinic) -> None:
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(LOG).status_code == 200
        return len(captured)

    audit_record(action=Action.READ, clinic=clinic, patient=patients[0], object_type="chart")
    few = queries()
    for patient in patients * 10:
        audit_record(action=Action.READ, clinic=clinic, patient=patient, object_type="chart")
    assert queries() == few


def test_the_chart_links_who_viewed_or_changed_this_record(clinician, colleague) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    colleague.client.get(reverse("patients:chart", args=[patient.pk]))
    chart = clinician.client.get(reverse("patients:chart", args=[patient.pk]))
    access_url = reverse("audit:patient", args=[patient.pk])
    assert access_url.encode() in chart.content
    page = clinician.client.get(access_url)
    names = [event.actor_username for event, _patient in page.context["rows"]]
    # Newest first: this page's own read, the clinician's chart view, the colleague's.
    assert names[:3] == ["clinician", "clinician", "colleague"]
    assert all(event.patient_id == patient.pk for event, _ in page.context["rows"])


def test_another_clinics_patient_history_does_not_exist(outsider, clinic) -> None:
    patient = PatientFactory(clinic=clinic)
    assert outsider.client.get(reverse("audit:patient", args=[patient.pk])).status_code == 404


def test_researchers_cannot_open_a_patients_history(researcher, clinic) -> None:
    patient = PatientFactory(clinic=clinic)
    assert researcher.client.get(reverse("audit:patient", args=[patient.pk])).status_code == 403


def test_reading_the_audit_log_is_itself_recorded(admin) -> None:
    # Who looked at who looked: the log page names patients, so its reads are events too.
    before = AuditEvent.objects.count()
    assert admin.get(LOG).status_code == 200
    [event] = AuditEvent.objects.order_by("seq")[before:]
    assert (event.action, event.object_type) == ("read", "audit_log")
