"""The intake form asks how the person wants messages (issue 14 §4): optional, never
pre-chosen, checked against the contact given, and carried to the patient on enrolment."""

from __future__ import annotations

import re

from django.urls import reverse

from afterglow.intake.models import IntakeSubmission
from afterglow.patients.models import Patient
from tests.factories import IntakeSubmissionFactory
from tests.intake.test_intake_form import form_data

START = reverse("intake:start")


def test_the_choice_is_offered_and_nothing_is_chosen_for_the_person(anonymous, clinic) -> None:
    page = anonymous.get(START).content.decode()
    radios = re.findall(r'<input[^>]*name="preferred_channel"[^>]*>', page)
    assert len(radios) == 2
    assert not any("checked" in r for r in radios)
    assert "reply STOP" in page


def test_text_messages_without_a_phone_are_refused_and_what_was_typed_is_kept(
    anonymous, clinic
) -> None:
    answer = anonymous.post(START, form_data(preferred_channel="sms", phone=""))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Please give a mobile number for text messages." in page
    assert 'value="robin.ash@example.org"' in page
    assert IntakeSubmission.objects.count() == 0


def test_email_without_an_address_is_refused(anonymous, clinic) -> None:
    answer = anonymous.post(
        START, form_data(preferred_channel="email", email="", phone="555 0101 234")
    )
    assert "Please give your email address for emails." in answer.content.decode()
    assert IntakeSubmission.objects.count() == 0


def test_the_choice_is_stored_or_left_unchosen(anonymous, clinic) -> None:
    anonymous.post(START, form_data(preferred_channel="sms", phone="+1 555 010 1234"))
    anonymous.post(START, form_data())
    assert sorted(IntakeSubmission.objects.values_list("preferred_channel", flat=True)) == [
        "",
        "sms",
    ]


def test_enrolment_carries_the_choice_to_the_patient(coordinator) -> None:
    submission = IntakeSubmissionFactory(
        clinic=coordinator.clinic, phone="+1 555 010 1234", preferred_channel="sms"
    )
    detail = coordinator.client.get(reverse("intake:detail", kwargs={"pk": submission.pk}))
    assert "Text message" in detail.content.decode()
    coordinator.client.post(
        reverse("intake:enrol", kwargs={"pk": submission.pk}),
        {"trauma_context": "civilian", "veteran_status": "none", "sex": "female"},
    )
    assert Patient.objects.get().preferred_channel == "sms"
