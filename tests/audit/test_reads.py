"""Every page and export that shows patient data writes exactly one read event."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.audit.context import address_hash
from afterglow.audit.models import Action, AuditEvent
from afterglow.instruments.services import response_record
from tests.analytics.cohort import cohort
from tests.factories import (
    IntakeSubmissionFactory,
    MembershipFactory,
    PatientFactory,
    ScreeningFactory,
    UserFactory,
    course_on,
    iv_protocol,
    predosed,
)


def new_events(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_viewing_a_chart_adds_exactly_one_read_event(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    before = last_seq()
    response = clinician.client.get(
        reverse("patients:chart", args=[patient.pk]),
        HTTP_USER_AGENT="TestBrowser/1.0",
        HTTP_X_REQUEST_ID="req-abc-123",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    [event] = new_events(before)
    assert event.action == Action.READ
    assert event.object_type == "chart" and event.object_id == str(patient.pk)
    assert (event.patient_id, event.clinic_id) == (patient.pk, clinician.clinic.pk)
    assert (event.actor_user_id, event.actor_username) == (clinician.user.pk, "clinician")
    assert event.request_id == "req-abc-123"
    assert response["X-Request-ID"] == "req-abc-123"
    assert event.user_agent == "TestBrowser/1.0"
    # Keyed hash, never the address itself.
    assert event.client_hash == address_hash("203.0.113.9")
    assert "203.0.113.9" not in event.client_hash and len(event.client_hash) == 64


def test_a_request_without_an_id_gets_a_generated_one(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    before = last_seq()
    response = clinician.client.get(
        reverse("patients:chart", args=[patient.pk]), HTTP_X_REQUEST_ID="bad id with spaces"
    )
    [event] = new_events(before)
    assert len(event.request_id) == 32 and " " not in event.request_id
    assert response["X-Request-ID"] == event.request_id


def test_downloading_the_patient_pdf_adds_exactly_one_read_event(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    before = last_seq()
    response = clinician.client.get(reverse("reports:patient_pdf", args=[patient.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    [event] = new_events(before)
    assert (event.action, event.object_type, event.patient_id) == (
        Action.READ,
        "patient_report_pdf",
        patient.pk,
    )


def test_exporting_the_csv_adds_exactly_one_export_event(clinic, researcher) -> None:
    cohort(clinic, 11, consent_research=True)
    before = last_seq()
    response = researcher.client.get(reverse("analytics:export_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    [event] = new_events(before)
    assert (event.action, event.object_type) == (Action.EXPORT, "deidentified_csv")
    assert event.patient_id is None and event.clinic_id == clinic.pk


def test_the_clinic_report_pdf_is_an_aggregate_read(clinic, researcher) -> None:
    before = last_seq()
    researcher.client.get(reverse("analytics:report_pdf"), {"route": "iv"})
    [event] = new_events(before)
    assert event.note == "route=iv"  # the cohort filters the report was drawn with
    assert (event.action, event.object_type, event.patient_id) == (
        Action.READ,
        "clinic_report_pdf",
        None,
    )


def test_each_clinical_page_writes_its_read_event(clinician) -> None:
    clinic = clinician.clinic
    patient = PatientFactory(clinic=clinic)
    response = response_record(
        patient=patient, instrument_code="pcl5", answers=[1] * 20, source="staff"
    )
    screening = ScreeningFactory(patient=patient, clinic=clinic)
    course = course_on(iv_protocol(clinic), patient=patient, by=clinician.user)
    session = predosed(course, clinician.user)
    submission = IntakeSubmissionFactory(clinic=clinic)
    pages = [
        ("instruments:response_detail", response.pk, "questionnaire_response"),
        ("screening:detail", screening.pk, "screening"),
        ("courses:detail", course.pk, "course"),
        ("dosing:session", session.pk, "dosing_session"),
        ("diary:patient", patient.pk, "diary"),
        ("intake:detail", submission.pk, "intake_submission"),
        ("patients:edit", patient.pk, "patient_details"),
        ("therapy:list", patient.pk, "therapy_sessions"),
        ("audit:patient", patient.pk, "access_log"),
    ]
    for name, pk, object_type in pages:
        before = last_seq()
        page = clinician.client.get(reverse(name, args=[pk]))
        assert page.status_code == 200, name
        events = new_events(before)
        assert [(e.action, e.object_type) for e in events] == [(Action.READ, object_type)], name
        expected_patient = None if name == "intake:detail" else patient.pk
        assert events[0].patient_id == expected_patient, name


def test_an_outsider_gets_404_and_leaves_no_event_about_another_clinic(outsider, clinic) -> None:
    patient = PatientFactory(clinic=clinic)
    before = last_seq()
    assert outsider.client.get(reverse("patients:chart", args=[patient.pk])).status_code == 404
    assert new_events(before) == []


@pytest.mark.parametrize(
    ("name", "object_type"), [("patients:chart", "chart"), ("diary:patient", "diary")]
)
def test_the_event_and_the_page_read_the_patient_once(clinician, name, object_type) -> None:
    # @audited_read(load=...) reads the patient with the page's access helper and hands
    # it to the view: one read of the patient row, and the event is the same as before.
    patient = PatientFactory(clinic=clinician.clinic)
    url = reverse(name, args=[patient.pk])
    clinician.client.get(url)  # warm the session
    before = last_seq()
    with CaptureQueriesContext(connection) as ctx:
        assert clinician.client.get(url, HTTP_X_REQUEST_ID="req-once").status_code == 200
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "patients_patient"' in q["sql"]
    ]
    assert len(reads) == 1, reads
    [event] = new_events(before)
    assert (event.action, event.object_type, event.object_id) == (
        Action.READ,
        object_type,
        str(patient.pk),
    )
    assert (event.patient_id, event.clinic_id) == (patient.pk, clinician.clinic.pk)
    assert (event.actor_username, event.request_id) == ("clinician", "req-once")


def test_a_posted_form_is_not_counted_as_a_read(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    before = last_seq()
    clinician.client.post(reverse("patients:edit", args=[patient.pk]), {"given_name": ""})
    assert [e.action for e in new_events(before)] == []


def test_the_read_event_stands_when_the_page_fails_afterwards(clinician, monkeypatch) -> None:
    patient = PatientFactory(clinic=clinician.clinic)

    def broken(**kwargs):
        raise RuntimeError("the chart failed after the read was recorded")

    monkeypatch.setattr("afterglow.charts.selectors.chart_responses", broken)
    client = Client(raise_request_exception=False)
    client.force_login(clinician.user)
    before = last_seq()
    assert client.get(reverse("patients:chart", args=[patient.pk])).status_code == 500
    [event] = new_events(before)
    assert (event.action, event.patient_id) == (Action.READ, patient.pk)


@pytest.mark.django_db
def test_a_member_of_two_clinics_is_recorded_in_the_clinic_they_act_in(
    clinic, other_clinic
) -> None:
    user = UserFactory(username="floater")
    MembershipFactory(user=user, clinic=clinic)
    MembershipFactory(user=user, clinic=other_clinic)
    patient = PatientFactory(clinic=other_clinic)
    client = Client()
    client.force_login(user)
    client.post(reverse("accounts:switch_clinic"), {"clinic": other_clinic.pk})
    before = last_seq()
    assert client.get(reverse("patients:chart", args=[patient.pk])).status_code == 200
    [event] = new_events(before)
    assert event.clinic_id == other_clinic.pk


def test_the_lists_of_names_write_a_clinic_wide_read_event(clinician) -> None:
    # The worklist and the alert inbox list patients by name (like the patient list and
    # the intake queue): each view writes one read event naming the clinic, no patient.
    for name, object_type in (
        ("schedules:worklist", "worklist"),
        ("alerts:inbox", "alert_inbox"),
        ("patients:list", "patient_list"),
        ("intake:queue", "intake_queue"),
    ):
        before = last_seq()
        assert clinician.client.get(reverse(name)).status_code == 200, name
        events = new_events(before)
        assert [(e.action, e.object_type) for e in events] == [(Action.READ, object_type)], name
        assert events[0].patient_id is None and events[0].clinic_id == clinician.clinic.pk


def test_a_page_that_hands_its_access_helper_to_the_audit_records_the_same_event(
    clinician, outsider, monkeypatch
) -> None:
    # The dosing page reads its session once (``audited_read(load=get_session_for)``).
    session = predosed(course_on(iv_protocol(clinician.clinic)), clinician.user)
    page = reverse("dosing:session", args=[session.pk])
    before = last_seq()
    assert outsider.client.get(page).status_code == 404
    assert new_events(before) == []  # another clinic's session: no event, as before

    def broken(**kwargs):
        raise RuntimeError("the page failed after the read was recorded")

    monkeypatch.setattr("afterglow.treatment.views.session_render.session_page", broken)
    client = Client(raise_request_exception=False)
    client.force_login(clinician.user)
    before = last_seq()
    assert client.get(page).status_code == 500
    [event] = new_events(before)
    assert (event.action, event.object_type, event.object_id) == (
        Action.READ,
        "dosing_session",
        str(session.pk),
    )
    assert (event.clinic_id, event.patient_id) == (clinician.clinic.pk, session.patient_id)
    assert event.actor_user_id == clinician.user.pk
    # A form posted to the page is no read (nothing is recorded for it here).
    client.post(page)
    assert len(new_events(before)) == 1
