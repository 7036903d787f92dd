"""Writes record their event in the same transaction, with old and new values
for settings and roles and only field names for answers and clinical notes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from afterglow.accounts.forms import ClinicSettingsForm
from afterglow.accounts.models import Role
from afterglow.accounts.services import clinic_update_settings
from afterglow.audit.models import Action, AuditEvent
from afterglow.instruments.services import (
    personal_link_create,
    personal_link_revoke,
    response_record,
    response_void,
)
from afterglow.patients.services import patient_update
from afterglow.treatment.services.session_records import vitals_record
from afterglow.treatment.services.sessions import session_sign
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    UserFactory,
    course_on,
    iv_protocol,
    ready_to_sign,
)


def newest(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def settings_post(clinic, **changes) -> dict:
    data = {
        name: ("" if value is None else value)
        for name, value in ClinicSettingsForm(instance=clinic).initial.items()
    }
    data.update(changes)
    return data


def test_a_settings_change_records_old_and_new_values(clinic) -> None:
    admin = MembershipFactory(clinic=clinic, role=Role.ADMIN, user=UserFactory(username="lead"))
    client = Client()
    client.force_login(admin.user)
    response = client.post(
        reverse("accounts:clinic_settings"),
        settings_post(clinic, pcl5_cutoff=31, dosing_systolic_pause=170),
        HTTP_X_REQUEST_ID="settings-1",
    )
    assert response.status_code == 302, response.content
    event = newest(Action.SETTINGS)
    assert event.changes == {
        "pcl5_cutoff": {"old": 33, "new": 31},
        "dosing_systolic_pause": {"old": 180, "new": 170},
    }
    assert (event.actor_username, event.clinic_id, event.request_id) == (
        "lead",
        clinic.pk,
        "settings-1",
    )
    assert event.object_type == "accounts.clinic"


def test_saving_settings_unchanged_records_nothing(clinic) -> None:
    admin = MembershipFactory(clinic=clinic, role=Role.ADMIN)
    client = Client()
    client.force_login(admin.user)
    client.post(reverse("accounts:clinic_settings"), settings_post(clinic))
    assert newest(Action.SETTINGS) is None


def test_a_role_change_records_old_and_new_role(clinic, colleague) -> None:
    admin = MembershipFactory(clinic=clinic, role=Role.ADMIN)
    client = Client()
    client.force_login(admin.user)
    client.post(
        reverse("accounts:staff_update", args=[colleague.membership.pk]),
        {"role": Role.PRESCRIBER, "is_active": "on"},
    )
    event = newest(Action.ROLE)
    assert event.changes == {
        "role": {"old": "nurse", "new": "prescriber"},
        "user": "colleague",
    }
    assert event.actor_user_id == admin.user.pk


def test_answers_and_clinical_notes_never_enter_the_log(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic, notes="old secret note")
    response = response_record(
        patient=patient, instrument_code="pcl5", answers=[3] * 20, source="staff"
    )
    created = newest(Action.CREATE)
    assert (created.object_type, created.object_id) == ("instruments.response", str(response.pk))
    assert created.changes == {} and "3, 3" not in created.note
    patient_update(patient=patient, data={"notes": "new secret note", "phone": "555-0100"})
    event = newest(Action.UPDATE)
    assert event.changes == {"notes": "changed", "phone": {"old": "", "new": "555-0100"}}
    assert "secret" not in str(event.content())


def test_void_sign_and_links_are_recorded(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response = response_record(
        patient=patient, instrument_code="pcl5", answers=[1] * 20, source="staff"
    )
    response_void(response=response, by=clinician.user, reason="wrong patient, see note")
    void = newest(Action.VOID)
    assert (void.patient_id, void.changes) == (patient.pk, {"void_reason": "changed"})
    link, _token = personal_link_create(patient=patient, instrument_code="pcl5", by=clinician.user)
    personal_link_revoke(link=link)
    assert newest(Action.LINK_CREATE).object_id == str(link.pk)
    assert newest(Action.LINK_REVOKE).object_id == str(link.pk)
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=clinician.user)
    session = ready_to_sign(course, clinician.user)
    session_sign(session=session, by=clinician.user)
    signed = newest(Action.SIGN)
    assert (signed.object_type, signed.object_id, signed.actor_user_id) == (
        "treatment.dosingsession",
        str(session.pk),
        clinician.user.pk,
    )


def test_a_refused_write_leaves_no_event(clinic) -> None:
    with pytest.raises(ValidationError):
        clinic_update_settings(clinic=clinic, data={"pcl5_cutoff": 500})
    assert newest(Action.SETTINGS) is None


def test_every_write_to_an_open_session_is_recorded_with_the_service_name(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=clinician.user)
    session = ready_to_sign(course, clinician.user)
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    vitals_record(session=session, by=clinician.user, minute=30, systolic=150, diastolic=90)
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.action, event.note, event.object_id) == (
        Action.UPDATE,
        "vitals_record",
        str(session.pk),
    )
    assert event.changes == {}  # the values stay on the session's own rows


def test_a_session_write_refused_after_the_lock_leaves_no_event(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=clinician.user)
    session = ready_to_sign(course, clinician.user)
    before = AuditEvent.objects.count()
    # An impossible reading passes the lock (and its audit event) and fails validation
    # of the row: the event goes with the refused write.
    with pytest.raises(ValidationError):
        vitals_record(session=session, by=clinician.user, minute=30, systolic=999)
    assert AuditEvent.objects.count() == before
