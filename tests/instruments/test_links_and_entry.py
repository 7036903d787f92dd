"""Staff entry of a PCL-5 and the patient's personal link, through the web pages."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from afterglow.instruments.models import PersonalLink, Response
from afterglow.instruments.services import personal_link_create
from tests.factories import PatientFactory


def answers_post(values: list[int | None], **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        f"item_{n}": "" if v is None else str(v) for n, v in enumerate(values, start=1)
    }
    data.update(extra)
    return data


@pytest.fixture
def patient(clinician):
    return PatientFactory(clinic=clinician.clinic, given_name="Jo", email="jo@example.org")


def test_staff_enter_a_complete_pcl5_and_see_its_scores(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "pcl5"})
    today = timezone.localdate(timezone=clinician.clinic.tzinfo)
    response = clinician.client.post(
        url, answers_post([3] * 20, administered_on=today.isoformat(), timepoint="baseline")
    )
    stored = Response.objects.get()
    assert response["Location"] == reverse("instruments:response_detail", kwargs={"pk": stored.pk})
    assert (stored.total, stored.source, stored.entered_by) == (60, "staff", clinician.user)
    assert stored.subscales == {"B": 15, "C": 6, "D": 21, "E": 18}
    assert stored.timepoint == "baseline"
    detail = clinician.client.get(response["Location"]).content.decode()
    assert "Repeated, disturbing, and unwanted memories" in detail


def test_staff_are_asked_to_confirm_before_storing_an_incomplete_pcl5(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "pcl5"})
    values: list[int | None] = [2] * 20
    values[4] = values[16] = None
    day = timezone.localdate(timezone=clinician.clinic.tzinfo).isoformat()
    first = clinician.client.post(url, answers_post(values, administered_on=day))
    assert first.status_code == 200
    assert "Questions 5, 17 are not answered" in first.content.decode()
    assert Response.objects.count() == 0
    clinician.client.post(url, answers_post(values, administered_on=day, confirm_incomplete="on"))
    stored = Response.objects.get()
    assert (stored.complete, stored.total, stored.missing_items) == (False, None, [5, 17])
    assert stored.provisional_diagnosis is None and stored.flag is None


def test_an_answer_outside_the_scale_is_rejected(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "pcl5"})
    values: list[int | None] = [1] * 20
    response = clinician.client.post(
        url,
        answers_post(
            values,
            item_3="7",
            administered_on=timezone.localdate(timezone=patient.clinic.tzinfo).isoformat(),
        ),
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Response.objects.count() == 0


def test_a_past_date_is_stored_on_that_day_and_a_future_one_is_refused(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "pcl5"})
    future = (timezone.localdate(timezone=patient.clinic.tzinfo) + dt.timedelta(days=3)).isoformat()
    refused = clinician.client.post(url, answers_post([1] * 20, administered_on=future))
    assert "in the future" in refused.content.decode()
    clinician.client.post(url, answers_post([1] * 20, administered_on="2026-01-15"))
    stored = Response.objects.get()
    assert timezone.localtime(stored.administered_at, clinician.clinic.tzinfo).date() == dt.date(
        2026, 1, 15
    )


def test_an_unknown_instrument_is_a_404(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "nope"})
    assert clinician.client.get(url).status_code == 404


def test_creating_a_link_shows_it_once_stores_only_its_hash_and_emails_it(
    clinician, patient, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.client.post(
            reverse("instruments:link_new", kwargs={"patient_pk": patient.pk}),
            {"instrument": "pcl5", "send_email": "1", "timepoint": "week 2"},
        )
    url = response.context["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = PersonalLink.objects.get()
    assert len(token) >= 40  # 256 random bits, URL-safe base64
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PersonalLink.objects.values().get())
    expected_expiry = timezone.now() + dt.timedelta(days=clinician.clinic.link_expiry_days)
    assert abs((link.expires_at - expected_expiry).total_seconds()) < 60
    assert len(mail.outbox) == 1 and url in mail.outbox[0].body
    assert mail.outbox[0].to == ["jo@example.org"]


@pytest.fixture
def link_and_token(patient):
    return personal_link_create(patient=patient, instrument_code="pcl5", by=None, timepoint="day 1")


def test_a_patient_answers_once_through_the_link(anonymous, link_and_token) -> None:
    link, token = link_and_token
    url = reverse("instruments:answer", kwargs={"token": token})
    page = anonymous.get(url).content.decode()
    assert "In the past month, how much were you bothered by" in page
    assert link.clinic.emergency_number in page  # crisis resources on the page
    done = anonymous.post(url, answers_post([2] * 20))
    assert "your answers were received" in done.content.decode()
    stored = Response.objects.get()
    assert (stored.total, stored.source, stored.timepoint) == (40, "patient_link", "day 1")
    link.refresh_from_db()
    assert link.used_at is not None and link.response == stored
    # A second send (double tap, back button) stores nothing more and is friendly.
    again = anonymous.post(url, answers_post([4] * 20))
    assert again.status_code == 200
    assert "already been sent" in again.content.decode()
    assert Response.objects.count() == 1


def test_an_expired_link_gets_a_friendly_page(anonymous, link_and_token) -> None:
    link, token = link_and_token
    with time_machine.travel(link.expires_at + dt.timedelta(minutes=1)):
        page = anonymous.get(reverse("instruments:answer", kwargs={"token": token}))
    assert page.status_code == 200
    assert "This link has expired" in page.content.decode()
    assert "<form" not in page.content.decode()


def test_a_revoked_link_no_longer_opens(clinician, anonymous, link_and_token) -> None:
    link, token = link_and_token
    clinician.client.post(reverse("instruments:link_revoke", kwargs={"pk": link.pk}))
    page = anonymous.get(reverse("instruments:answer", kwargs={"token": token}))
    assert "no longer active" in page.content.decode()


def test_an_unknown_link_answers_404_with_the_friendly_page_and_no_token_in_the_log(
    anonymous, db, caplog
) -> None:
    token = "x" * 43
    with caplog.at_level("INFO"):
        page = anonymous.get(reverse("instruments:answer", kwargs={"token": token}))
    assert page.status_code == 404
    assert "could not find this link" in page.content.decode()
    assert 'class="crisis"' in page.content.decode()
    assert caplog.records, "the 404 is logged"
    assert all(token not in record.getMessage() for record in caplog.records)
