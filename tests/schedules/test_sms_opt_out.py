"""Texts honour STOP (issue 14 §4): the signed inbound webhook records the opt-out (and
START the opt-in), the sender sends no text to an opted-out patient (email instead, or
nothing with the reason), and staff see it on the record and the worklist."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from afterglow.audit.models import AuditEvent
from afterglow.patients.models import Patient
from afterglow.schedules.channels import FELL_BACK_TO_EMAIL, OPTED_OUT_NO_EMAIL
from afterglow.schedules.failures import NOT_CONFIGURED
from afterglow.schedules.models import InvitationStatus
from tests.factories import PatientFactory
from tests.schedules.conftest import invitation, ny, start_course

TOKEN = "twilio-auth-token-0123456789abcd"
BASE = "https://clinic.example.org"
INBOUND = reverse("schedules:twilio_inbound")
NUMBER = "+15550101234"


@pytest.fixture
def twilio(settings) -> None:
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.AFTERGLOW_BASE_URL = BASE


def text_in(client, body: str, sender: str = NUMBER, *, token: str = TOKEN):
    data = {"From": sender, "To": "+15550100", "Body": body, "MessageSid": "SM" + "0" * 32}
    signature = RequestValidator(token).compute_signature(BASE + INBOUND, data)
    return client.post(INBOUND, data, HTTP_X_TWILIO_SIGNATURE=signature)


def test_stop_opts_the_sender_out_and_start_back_in_audited_without_the_number(
    anonymous, clinic, other_clinic, twilio, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    river = PatientFactory(clinic=clinic, phone="(555) 010-1234")
    elsewhere = PatientFactory(clinic=other_clinic, phone="+1 555 010 1234")  # same person
    someone_else = PatientFactory(clinic=clinic, phone="+1 555 010 9999")

    answer = text_in(anonymous, "Stop")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/xml")
    river.refresh_from_db()
    elsewhere.refresh_from_db()
    someone_else.refresh_from_db()
    assert river.sms_opted_out_at is not None and elsewhere.sms_opted_out_at is not None
    assert someone_else.sms_opted_out_at is None

    events = AuditEvent.objects.filter(patient_id=river.pk, action="update")
    assert [e.changes for e in events] == [{"sms_opted_out": {"old": False, "new": True}}]
    assert "STOP" in events[0].note
    # No number in the audit trail, and neither the number nor the text in any log.
    for event in AuditEvent.objects.all():
        assert "0101234" not in f"{event.note}{event.changes}"
    assert "0101234" not in caplog.text and "Stop" not in caplog.text

    text_in(anonymous, "STOP")  # again: nothing changes, nothing more audited
    assert AuditEvent.objects.filter(patient_id=river.pk, action="update").count() == 1

    assert text_in(anonymous, "START").status_code == 200
    river.refresh_from_db()
    assert river.sms_opted_out_at is None
    assert "START" in AuditEvent.objects.filter(patient_id=river.pk).latest("seq").note


def test_other_texts_change_nothing(anonymous, clinic, twilio) -> None:
    river = PatientFactory(clinic=clinic, phone=NUMBER)
    assert text_in(anonymous, "please stop sending these").status_code == 200
    assert text_in(anonymous, "STOP", sender="+15550109999").status_code == 200
    river.refresh_from_db()
    assert river.sms_opted_out_at is None


def test_an_unsigned_or_wrongly_signed_text_is_refused(anonymous, clinic, settings, twilio) -> None:
    river = PatientFactory(clinic=clinic, phone=NUMBER)
    assert text_in(anonymous, "STOP", token="not-the-token").status_code == 403
    assert anonymous.post(INBOUND, {"From": NUMBER, "Body": "STOP"}).status_code == 403
    assert anonymous.get(INBOUND).status_code == 405
    settings.TWILIO_AUTH_TOKEN = ""  # not configured: nothing can be verified
    assert text_in(anonymous, "STOP", token="").status_code == 403
    river.refresh_from_db()
    assert river.sms_opted_out_at is None


def test_a_patient_who_chose_texts_gets_texts(clinician, harness, sms_outbox) -> None:
    course = start_course(clinician, harness, preferred_channel="sms")
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline").deliveries.get()
    assert (baseline.channel, baseline.note) == ("sms", "")
    assert len(sms_outbox) == 2 and mail.outbox == []  # diary link and baseline


def test_an_opted_out_patient_gets_email_instead_of_texts(clinician, harness, sms_outbox) -> None:
    course = start_course(
        clinician, harness, preferred_channel="sms", sms_opted_out_at=timezone.now()
    )
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline").deliveries.get()
    assert (baseline.channel, baseline.note) == ("email", FELL_BACK_TO_EMAIL)
    assert sms_outbox == [] and len(mail.outbox) == 2


def test_an_opted_out_patient_without_email_is_not_texted_and_staff_see_why(
    clinician, harness, sms_outbox
) -> None:
    course = start_course(clinician, harness, email="", sms_opted_out_at=timezone.now())
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.status == InvitationStatus.UNDELIVERABLE
    assert baseline.status_reason == OPTED_OUT_NO_EMAIL
    assert sms_outbox == [] and mail.outbox == []
    harness.at(ny(2, 28, 12))
    page = clinician.client.get(reverse("schedules:worklist")).content.decode()
    assert "opted out of texts" in page and OPTED_OUT_NO_EMAIL.split(":")[0] in page


def test_stop_between_the_invitation_and_its_reminder_stops_the_reminder(
    anonymous, clinician, harness, sms_outbox, twilio
) -> None:
    course = start_course(clinician, harness, email="", phone=NUMBER)
    harness.sweep(ny(2, 28, 9, 5))
    sent = len(sms_outbox)
    assert sent == 2
    assert text_in(anonymous, "STOP").status_code == 200
    harness.sweep(ny(3, 1, 9, 5))  # the baseline's first reminder is due
    baseline = invitation(course, "pcl5@baseline")
    assert len(sms_outbox) == sent
    assert baseline.deliveries.count() == 1 and baseline.reminders_sent == 0
    assert baseline.status == InvitationStatus.SENT
    assert baseline.status_reason == OPTED_OUT_NO_EMAIL


def test_the_worklist_collapses_history_shows_plain_failures_and_offers_actions(
    clinician, harness, settings
) -> None:
    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms.DisabledSMSBackend"
    course = start_course(clinician, harness, email="", phone=NUMBER)
    harness.sweep(ny(2, 28, 9, 5))
    harness.at(ny(2, 28, 12))
    page = clinician.client.get(reverse("schedules:worklist")).content.decode()
    baseline = invitation(course, "pcl5@baseline")
    row = page[page.index(f'id="worklist-{baseline.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "<details" in row and "1 message" in row and "not delivered" in row
    # The history is loaded when the row's messages are opened (issue 13 §2).
    messages = reverse("schedules:deliveries", args=[baseline.pk])
    assert f'hx-get="{messages}"' in row and f'<a href="{messages}">' in row
    history = clinician.client.get(messages, headers={"HX-Request": "true"}).content.decode()
    assert "not delivered" in history and NOT_CONFIGURED in history
    for html in (page, history):
        assert "SMSNotConfigured" not in html and "AFTERGLOW_SMS_BACKEND" not in html
    assert f'href="tel:{NUMBER}"' in row
    # No email address: no switch to offer.
    assert "Switch to" not in row


def test_switching_channel_from_the_worklist_is_saved_and_audited(clinician, harness) -> None:
    course = start_course(clinician, harness)  # email and phone, nothing chosen
    harness.sweep(ny(2, 28, 9, 5))
    harness.at(ny(2, 28, 12))
    baseline = invitation(course, "pcl5@baseline")
    url = reverse("schedules:switch_channel", args=[baseline.pk])
    page = clinician.client.get(reverse("schedules:worklist")).content.decode()
    assert "Switch to text messages" in page

    answer = clinician.client.post(url)
    assert answer.status_code == 302 and answer.url.endswith(f"#worklist-{baseline.pk}")
    patient = Patient.objects.get(pk=course.patient_id)
    assert patient.preferred_channel == "sms"
    event = AuditEvent.objects.filter(patient_id=patient.pk, action="update").latest("seq")
    assert event.changes == {"preferred_channel": {"old": "", "new": "sms"}}
    assert event.actor_user_id == clinician.user.pk

    clinician.client.post(url)
    patient.refresh_from_db()
    assert patient.preferred_channel == "email"
    clinician.client.post(url)

    # The next message (the reminder) goes by text.
    harness.sweep(ny(3, 1, 9, 5))
    assert baseline.deliveries.get(sequence=1).channel == "sms"


def test_an_opted_out_patient_cannot_be_switched_to_texts(clinician, harness) -> None:
    course = start_course(clinician, harness, sms_opted_out_at=timezone.now())
    baseline = invitation(course, "pcl5@baseline")
    url = reverse("schedules:switch_channel", args=[baseline.pk])
    harness.sweep(ny(2, 28, 9, 5))
    harness.at(ny(2, 28, 12))
    page = clinician.client.get(reverse("schedules:worklist")).content.decode()
    assert f'id="worklist-{baseline.pk}"' in page and "opted out of texts" in page
    assert "Switch to" not in page
    answer = clinician.client.post(url, follow=True)
    assert "opted out of texts" in answer.content.decode()
    assert Patient.objects.get(pk=course.patient_id).preferred_channel == ""


def test_switching_another_clinics_invitation_is_not_found(clinician, outsider, harness) -> None:
    course = start_course(clinician, harness)
    baseline = invitation(course, "pcl5@baseline")
    url = reverse("schedules:switch_channel", args=[baseline.pk])
    assert outsider.client.post(url).status_code == 404
    assert clinician.client.get(url).status_code == 405
    assert Patient.objects.get(pk=course.patient_id).preferred_channel == ""


def test_the_record_shows_the_opt_out_and_the_choice(clinician, clinic) -> None:
    river = PatientFactory(
        clinic=clinic, phone=NUMBER, preferred_channel="sms", sms_opted_out_at=timezone.now()
    )
    chart = clinician.client.get(reverse("patients:chart", args=[river.pk])).content.decode()
    assert "opted out of texts" in chart and f'href="tel:{NUMBER}"' in chart
    assert "Text message" in chart
    edit = clinician.client.get(reverse("patients:edit", args=[river.pk])).content.decode()
    assert "Opted out of texts" in edit and 'name="preferred_channel"' in edit


def test_staff_record_the_choice_on_the_patient_record(clinician, clinic) -> None:
    river = PatientFactory(clinic=clinic, phone=NUMBER)
    data = {
        "given_name": river.given_name,
        "family_name": river.family_name,
        "date_of_birth": "1984-05-17",
        "email": river.email,
        "phone": NUMBER,
        "preferred_channel": "sms",
        "sex": "unknown",
        "trauma_context": "unknown",
        "veteran_status": "unknown",
        "status": "screening",
        "consent_contact": "on",
    }
    answer = clinician.client.post(reverse("patients:edit", args=[river.pk]), data)
    assert answer.status_code == 302
    river.refresh_from_db()
    assert river.preferred_channel == "sms"
    event = AuditEvent.objects.filter(patient_id=river.pk, action="update").latest("seq")
    assert event.changes["preferred_channel"] == {"old": "", "new": "sms"}


def test_send_again_sends_the_next_reminder_now_after_a_failed_message(
    clinician, harness, settings, sms_outbox
) -> None:
    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms.DisabledSMSBackend"
    course = start_course(clinician, harness, email="", phone=NUMBER)
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.deliveries.get().status == "failed"
    harness.at(ny(2, 28, 12))  # three hours later: a reminder would wait a day
    page = clinician.client.get(reverse("schedules:worklist")).content.decode()
    url = reverse("schedules:send_again", args=[baseline.pk])
    assert f'action="{url}"' in page

    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms.LocMemSMSBackend"
    with harness.capture(execute=True):
        answer = clinician.client.post(url)
    assert answer.status_code == 302
    baseline.refresh_from_db()
    again = baseline.deliveries.get(sequence=1)
    assert (again.channel, again.status, baseline.reminders_sent) == ("sms", "sent", 1)
    assert [m.to for m in sms_outbox] == [NUMBER]

    # It went out: no second "send again", and the page offers none.
    with harness.capture(execute=True):
        answer = clinician.client.post(url, follow=True)
    assert "Its last message went out" in answer.content.decode()
    assert baseline.deliveries.count() == 2
    assert f'action="{url}"' not in answer.content.decode()


def test_choosing_texts_on_the_record_needs_a_phone_and_keeps_what_was_typed(
    clinician, clinic
) -> None:
    river = PatientFactory(clinic=clinic, phone="")
    data = {
        "given_name": "Riverly",
        "family_name": river.family_name,
        "date_of_birth": "1984-05-17",
        "email": river.email,
        "phone": "",
        "preferred_channel": "sms",
        "sex": "unknown",
        "trauma_context": "unknown",
        "veteran_status": "unknown",
        "status": "screening",
        "consent_contact": "on",
    }
    answer = clinician.client.post(reverse("patients:edit", args=[river.pk]), data)
    page = answer.content.decode()
    assert answer.status_code == 200 and "Text messages are chosen: add a mobile number." in page
    assert 'value="Riverly"' in page
    river.refresh_from_db()
    assert river.preferred_channel == ""
    assert river.given_name != "Riverly"
