"""The public "Start your journey" form: validation, storage, failures, bots."""

from __future__ import annotations

import re
import uuid
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from afterglow.intake.models import IntakeSubmission, Status
from afterglow.intake.views import FAILURE_MESSAGE, SUCCESS_MESSAGE


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "given_name": "Robin",
        "family_name": "Ash",
        "date_of_birth": "1988-04-02",
        "email": "robin.ash@example.org",
        "phone": "",
        "reason": "I keep reliving the crash, mostly at night.",
        "symptoms": ["intrusive_memories", "flashbacks"],
        "treatments_tried": ["trauma_therapy"],
        "treatments_other": "",
        "current_medications": "sertraline 100 mg",
        "psychosis_or_mania": "no",
        "high_blood_pressure": "yes",
        "heart_or_vascular": "no",
        "pregnancy": "no",
        "substance_use": "unsure",
        "consent_contact": "on",
        "website": "",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.fixture
def start_url(clinic) -> str:
    return reverse("intake:start")


def test_the_home_page_is_the_intake_form(anonymous, start_url) -> None:
    response = anonymous.get(start_url)
    assert response.status_code == 200
    assert b"Start your journey" in response.content
    assert b'name="submission_key"' in response.content


def test_a_valid_submission_is_stored_and_thanked(anonymous, start_url, clinic) -> None:
    response = anonymous.post(start_url, form_data(), follow=True)
    assert SUCCESS_MESSAGE in response.content.decode()
    stored = IntakeSubmission.objects.get()
    assert stored.clinic == clinic
    assert stored.status == Status.NEW
    assert stored.symptoms == ["intrusive_memories", "flashbacks"]
    assert [f.field for f in stored.flags] == ["substance_use", "high_blood_pressure"]


def test_the_thank_you_page_alone_claims_nothing(anonymous, start_url) -> None:
    response = anonymous.get(reverse("intake:thanks"))
    assert response.status_code == 302
    assert SUCCESS_MESSAGE not in anonymous.get(start_url).content.decode()


def test_a_resubmitted_page_stores_one_submission(anonymous, start_url) -> None:
    data = form_data()
    first = anonymous.post(start_url, data, follow=True)
    second = anonymous.post(start_url, data, follow=True)
    assert SUCCESS_MESSAGE in first.content.decode()
    assert SUCCESS_MESSAGE in second.content.decode()
    assert IntakeSubmission.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "", "phone": ""}, "email", "Please give an email address or a phone number"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"phone": "12", "email": ""}, "phone", "at least 7 digits"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the future"),
        ({"date_of_birth": "2015-01-01"}, "date_of_birth", "adults aged 18"),
        ({"reason": ""}, "reason", "This field is required."),
        ({"pregnancy": ""}, "pregnancy", "Please choose Yes, No or Not sure."),
        ({"consent_contact": ""}, "consent_contact", "We need your agreement"),
    ],
)
def test_bad_input_gets_an_inline_error_and_keeps_what_was_typed(
    anonymous, start_url, overrides, field, message
) -> None:
    data = form_data(**overrides)
    response = anonymous.post(start_url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    page = response.content.decode()
    assert f'id="id_{field}_errors"' in page
    assert 'value="Robin"' in page  # typed values are kept
    if "reason" not in overrides:
        assert "I keep reliving the crash" in page
    assert IntakeSubmission.objects.count() == 0


def test_a_database_failure_shows_the_oops_message_and_keeps_the_input(
    anonymous, start_url, caplog
) -> None:
    with mock.patch(
        "afterglow.intake.models.IntakeSubmission.save",
        side_effect=OperationalError("database is locked"),
    ):
        response = anonymous.post(start_url, form_data())
    page = response.content.decode()
    assert FAILURE_MESSAGE in page
    assert SUCCESS_MESSAGE not in page
    assert 'value="Robin"' in page and "I keep reliving the crash" in page
    assert re.search(r'value="intrusive_memories"[^>]*checked', page)
    assert re.search(r'name="high_blood_pressure" value="yes"[^>]*checked', page)
    assert IntakeSubmission.objects.count() == 0
    assert "could not be stored" in caplog.text


def test_the_same_form_can_be_sent_again_after_a_failure(anonymous, start_url) -> None:
    data = form_data()
    with mock.patch(
        "afterglow.intake.models.IntakeSubmission.save", side_effect=OperationalError("down")
    ):
        anonymous.post(start_url, data)
    response = anonymous.post(start_url, data, follow=True)
    assert SUCCESS_MESSAGE in response.content.decode()
    assert IntakeSubmission.objects.count() == 1


def test_a_bot_filling_the_honeypot_never_reaches_the_queue(
    clinician, anonymous, start_url
) -> None:
    anonymous.post(start_url, form_data(website="http://spam.example"), follow=True)
    assert IntakeSubmission.objects.get().status == Status.SPAM
    queue = clinician.client.get(reverse("intake:queue") + "?status=all")
    assert b"Robin" not in queue.content


def test_too_many_submissions_from_one_address_are_refused_politely(
    anonymous, start_url, settings
) -> None:
    settings.AFTERGLOW_INTAKE_RATE_PER_HOUR = 2
    for _ in range(2):
        anonymous.post(start_url, form_data(submission_key=str(uuid.uuid4())))
    response = anonymous.post(start_url, form_data(submission_key=str(uuid.uuid4())))
    assert "several forms from your connection" in response.content.decode()
    assert 'value="Robin"' in response.content.decode()
    assert IntakeSubmission.objects.count() == 2


def test_the_page_without_any_clinic_explains_itself(db, anonymous) -> None:
    response = anonymous.get(reverse("intake:start"))
    assert response.status_code == 503
    assert b"not set up yet" in response.content


class _LockedAfterTheStore:
    """A database that refuses every write once the submission is stored: the state of
    a busy SQLite file right after the intake was stored (issue 10 §4).

    The store is the submission row and, in the same transaction, its audit event, whose
    last write moves the audit chain's head; every write after that is refused.
    """

    def __init__(self) -> None:
        self.stored = False
        self.closed = False
        self.refused: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        verb = sql.lstrip().split(" ", 1)[0].upper()
        if self.closed and verb in {"INSERT", "UPDATE", "DELETE"}:
            self.refused.append(sql)
            raise OperationalError("database is locked")
        result = execute(sql, params, many, context)
        if verb == "INSERT" and "intake_intakesubmission" in sql:
            self.stored = True
        elif self.stored and verb == "UPDATE" and "audit_auditchainhead" in sql:
            self.closed = True
        return result


def test_a_locked_database_after_the_store_still_shows_success(anonymous, start_url) -> None:
    locked = _LockedAfterTheStore()
    with connection.execute_wrapper(locked):
        posted = anonymous.post(start_url, form_data())
        thanked = anonymous.get(posted["Location"])
        again = anonymous.get(posted["Location"])
    assert locked.stored and locked.closed
    assert posted.status_code == 302
    assert thanked.status_code == 200
    assert SUCCESS_MESSAGE in thanked.content.decode()
    assert locked.refused == []  # nothing after the store even tried to write
    assert IntakeSubmission.objects.count() == 1
    # Used once: a reload goes back to the form instead of claiming again.
    assert again.status_code == 302


def test_a_forged_thank_you_cookie_claims_nothing(anonymous, start_url) -> None:
    anonymous.cookies["intake_thanks"] = "a0b1c2d3-0000-4000-8000-000000000000"
    response = anonymous.get(reverse("intake:thanks"))
    assert response.status_code == 302
