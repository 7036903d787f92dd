"""Urgent alerts to the care team: raised, emailed without names, listed, acknowledged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.alerts.models import Alert
from afterglow.alerts.services import alert_recipients
from afterglow.diary.services import diary_link_create
from afterglow.instruments.services import personal_link_create, response_record
from afterglow.patients.models import Patient
from tests.factories import MembershipFactory, PatientFactory, UserFactory

NEW_YORK = ZoneInfo("America/New_York")
NAME = "Zebedee"


@pytest.fixture(autouse=True)
def _afternoon_in_new_york() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 11, 26, 15, 0, tzinfo=NEW_YORK), tick=False):
        yield


@pytest.fixture
def patient(clinician, colleague) -> Patient:
    return PatientFactory(clinic=clinician.clinic, given_name=NAME, family_name="Quill")


def phq9_post(item9: int) -> dict[str, str]:
    return {f"item_{n}": str(item9 if n == 9 else 1) for n in range(1, 10)}


def answer_phq9_by_link(patient: Patient, item9: int, capture) -> None:
    _link, token = personal_link_create(patient=patient, instrument_code="phq9", by=None)
    with capture(execute=True):
        page = Client().post(
            reverse("instruments:answer", kwargs={"token": token}), phq9_post(item9)
        )
    assert page.status_code in (200, 302)


def save_diary(token: str, *, urgent: bool, capture) -> None:
    data = {"intrusive_memories": "2", "flashbacks": "1", "note": "I am not safe tonight"}
    if urgent:
        data["urgent"] = "on"
    with capture(execute=True):
        page = Client().post(reverse("diary:today", args=[token]), data)
    assert page.status_code in (200, 302)


def test_item_9_above_zero_by_link_raises_one_urgent_alert_and_one_nameless_email(
    patient, clinician, colleague, django_capture_on_commit_callbacks, settings
) -> None:
    settings.AFTERGLOW_BASE_URL = "https://clinic.example.org"
    answer_phq9_by_link(patient, 1, django_capture_on_commit_callbacks)

    alert = Alert.objects.get()
    assert (alert.code, alert.urgency, alert.source_kind) == (
        "self_harm_thoughts",
        "urgent",
        "response",
    )
    assert alert.patient == patient and alert.acknowledged_at is None
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == sorted([clinician.user.email, colleague.user.email])
    assert patient.mrn in email.subject and patient.mrn in email.body
    # Absolute (issue 10): a mail client cannot resolve a bare path.
    assert f"https://clinic.example.org{reverse('alerts:inbox')}" in email.body
    for text in (NAME, "Quill", patient.email, "self-harm"):
        assert text not in email.subject and text not in email.body


def test_item_9_at_zero_raises_nothing(patient, django_capture_on_commit_callbacks) -> None:
    answer_phq9_by_link(patient, 0, django_capture_on_commit_callbacks)
    assert not Alert.objects.exists()
    assert mail.outbox == []


def test_recording_the_same_response_again_does_not_raise_a_second_alert(patient) -> None:
    from afterglow.alerts.services import alert_raise_for_response

    response = response_record(
        patient=patient, instrument_code="phq9", answers=[0] * 8 + [2], source="staff"
    )
    assert alert_raise_for_response(response=response) == [Alert.objects.get()]


def test_only_active_clinical_roles_with_an_email_are_told(clinic, clinician, outsider) -> None:
    MembershipFactory(clinic=clinic, role=Role.COORDINATOR, user=UserFactory(username="coord"))
    MembershipFactory(clinic=clinic, role=Role.RESEARCHER, user=UserFactory(username="res"))
    MembershipFactory(
        clinic=clinic, role=Role.NURSE, is_active=False, user=UserFactory(username="gone")
    )
    therapist = MembershipFactory(clinic=clinic, role=Role.THERAPIST).user
    assert alert_recipients(clinic=clinic) == sorted([clinician.user.email, therapist.email])


def test_an_urgent_diary_entry_raises_one_alert_however_often_it_is_saved(
    patient, django_capture_on_commit_callbacks
) -> None:
    token = diary_link_create(patient=patient, by=None)[1]
    save_diary(token, urgent=False, capture=django_capture_on_commit_callbacks)
    assert not Alert.objects.exists()

    save_diary(token, urgent=True, capture=django_capture_on_commit_callbacks)
    save_diary(token, urgent=True, capture=django_capture_on_commit_callbacks)

    alert = Alert.objects.get()
    assert (alert.code, alert.source_kind, alert.urgency) == ("diary_urgent", "diary", "urgent")
    assert len(mail.outbox) == 1
    assert "not safe" not in mail.outbox[0].body and NAME not in mail.outbox[0].body


def test_the_inbox_lists_the_alert_and_a_nurse_acknowledges_it_with_a_note(
    patient, clinician, colleague
) -> None:
    response_record(patient=patient, instrument_code="phq9", answers=[0] * 8 + [1], source="staff")
    alert = Alert.objects.get()
    inbox = reverse("alerts:inbox")

    page = clinician.client.get(inbox).content.decode()
    assert NAME in page and "Thoughts of self-harm" in page
    assert 'aria-label="1 open urgent"' in page  # the nav count

    done = colleague.client.post(
        reverse("alerts:acknowledge", kwargs={"pk": alert.pk}), {"note": "Called, safe"}
    )
    assert done.status_code == 302

    alert.refresh_from_db()
    assert alert.acknowledged_by == colleague.user
    assert alert.acknowledged_at == dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)
    assert alert.ack_note == "Called, safe"
    assert NAME not in clinician.client.get(inbox).content.decode()
    acknowledged = clinician.client.get(inbox + "?tab=acknowledged").content.decode()
    assert NAME in acknowledged and "Called, safe" in acknowledged
    assert colleague.user.get_full_name() in acknowledged


def test_a_second_acknowledgement_keeps_the_first(patient, clinician, colleague) -> None:
    response_record(patient=patient, instrument_code="phq9", answers=[0] * 8 + [1], source="staff")
    url = reverse("alerts:acknowledge", kwargs={"pk": Alert.objects.get().pk})
    colleague.client.post(url, {"note": "first"})
    clinician.client.post(url, {"note": "second"})
    assert Alert.objects.get().ack_note == "first"


def test_the_inbox_query_count_does_not_grow_with_the_alerts(patient, clinician) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert clinician.client.get(reverse("alerts:inbox")).status_code == 200
        return len(ctx.captured_queries)

    response_record(patient=patient, instrument_code="phq9", answers=[0] * 8 + [1], source="staff")
    one = queries()
    for _ in range(5):
        other = PatientFactory(clinic=clinician.clinic)
        response_record(
            patient=other, instrument_code="phq9", answers=[0] * 8 + [3], source="staff"
        )
    assert queries() == one


def test_an_outsider_gets_404_for_another_clinics_alert(patient, outsider) -> None:
    response_record(patient=patient, instrument_code="phq9", answers=[0] * 8 + [1], source="staff")
    alert = Alert.objects.get()
    url = reverse("alerts:acknowledge", kwargs={"pk": alert.pk})
    assert outsider.client.post(url).status_code == 404
    assert NAME not in outsider.client.get(reverse("alerts:inbox")).content.decode()
    assert Alert.objects.get().acknowledged_at is None


def test_a_coordinator_cannot_open_the_inbox(coordinator) -> None:
    assert coordinator.client.get(reverse("alerts:inbox")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_login(anonymous, patient) -> None:
    response_record(patient=patient, instrument_code="phq9", answers=[0] * 8 + [1], source="staff")
    login = reverse("accounts:login")
    assert anonymous.get(reverse("alerts:inbox"))["Location"].startswith(login)
    url = reverse("alerts:acknowledge", kwargs={"pk": Alert.objects.get().pk})
    assert anonymous.post(url)["Location"].startswith(login)
