"""Routine PCL-5 alerts when a response is recorded: reliable deterioration and loss of
response, judged with the clinic's rules on the latest course, never emailed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from afterglow.alerts.models import Alert
from afterglow.alerts.rules import DETERIORATION_CODE, LOSS_OF_RESPONSE_CODE
from afterglow.instruments.models import Response
from afterglow.instruments.services import (
    personal_link_create,
    personal_link_submit,
    response_record,
)
from afterglow.patients.models import Patient
from tests.factories import PatientFactory, course_on, dosed, iv_protocol


def answers_for(total: int) -> list[int | None]:
    """20 PCL-5 answers summing to ``total`` (as even as possible)."""
    base, extra = divmod(total, 20)
    return [base + (1 if i < extra else 0) for i in range(20)]


@pytest.fixture
def patient(clinician) -> Patient:
    return PatientFactory(clinic=clinician.clinic)


@pytest.fixture
def first_dose(patient, clinician, colleague) -> dt.datetime:
    """The patient's first dose, 40 days ago; returns when it started."""
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=colleague.user)
    started = dosed(course, colleague.user, minutes_ago=40 * 24 * 60).started_at
    assert started is not None
    # In the clinic's time, so that adding days keeps day N across a daylight-saving change.
    return started.astimezone(clinician.clinic.tzinfo)


def pcl5(patient: Patient, first_dose: dt.datetime, day: float, total: int, **kw) -> Response:
    return response_record(
        patient=patient,
        instrument_code=kw.pop("code", "pcl5"),
        answers=kw.pop("answers", None) or answers_for(total),
        source="staff",
        administered_at=first_dose + dt.timedelta(days=day),
    )


def codes(patient: Patient) -> list[tuple[str, int]]:
    """(code, total of the response it hangs on), oldest first."""
    return [
        (a.code, a.response.total)
        for a in Alert.objects.filter(patient=patient).select_related("response").order_by("pk")
    ]


def test_a_follow_up_twelve_points_over_baseline_raises_one_routine_alert_without_email(
    patient, first_dose, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pcl5(patient, first_dose, -1, 40)  # baseline
        pcl5(patient, first_dose, 7, 45)  # +5: not reliable
        worse = pcl5(patient, first_dose, 14, 52)  # +12 >= 10

    alert = Alert.objects.get()
    assert (alert.code, alert.urgency, alert.source_kind, alert.response) == (
        DETERIORATION_CODE,
        "routine",
        "response",
        worse,
    )
    assert alert.label == "Reliable deterioration on the PCL-5 (day 14 of the course)"
    assert alert.message.startswith(
        "PCL-5 52, 12 points above baseline 40 — reliable deterioration (≥10)."
    )
    assert mail.outbox == []  # routine alerts wait in the inbox


def test_each_worse_follow_up_raises_its_own_alert_and_a_recovered_one_none(
    patient, first_dose
) -> None:
    pcl5(patient, first_dose, -1, 40)
    pcl5(patient, first_dose, 7, 50)  # +10, inclusive
    pcl5(patient, first_dose, 14, 55)  # still worse: a new data point, a new alert
    pcl5(patient, first_dose, 21, 41)  # +1: nothing
    assert codes(patient) == [(DETERIORATION_CODE, 50), (DETERIORATION_CODE, 55)]


def test_an_incomplete_pcl5_raises_nothing_however_high(patient, first_dose) -> None:
    pcl5(patient, first_dose, -1, 40)
    pcl5(patient, first_dose, 7, 0, answers=[None] + [4] * 19)  # 76 answered, not scored
    assert not Alert.objects.exists()


def test_a_past_week_pcl5_is_not_compared_with_the_past_month_baseline(patient, first_dose) -> None:
    pcl5(patient, first_dose, -1, 40)
    pcl5(patient, first_dose, 7, 60, code="pcl5_past_week")
    assert not Alert.objects.exists()


def test_without_a_dose_or_a_baseline_nothing_is_raised(patient, clinician) -> None:
    for total in (20, 60):
        response_record(
            patient=patient, instrument_code="pcl5", answers=answers_for(total), source="staff"
        )
    assert not Alert.objects.exists()


def test_loss_of_response_is_raised_once_on_the_response_that_confirmed_it(
    patient, first_dose
) -> None:
    # Hand-worked, baseline 50; response = 35 or less (30 % below); 2 follow-ups confirm:
    pcl5(patient, first_dose, -1, 50)
    pcl5(patient, first_dose, 1, 34)  # -32 %: response
    pcl5(patient, first_dose, 14, 30)  # -40 %: response
    pcl5(patient, first_dose, 28, 38)  # -24 %: a possible loss only, no alert
    assert not Alert.objects.exists()
    confirming = pcl5(patient, first_dose, 35, 40)  # -20 %: loss confirmed, from day 28
    pcl5(patient, first_dose, 42, 41)  # still not a response: not raised again
    alert = Alert.objects.get(code=LOSS_OF_RESPONSE_CODE)
    assert alert.response == confirming and alert.urgency == "routine"
    assert alert.label == (
        "Loss of response on the PCL-5 (from day 28 of the course, confirmed day 35)"
    )
    assert alert.message.startswith(
        "PCL-5 40, 20.0 % below baseline 50 — no longer a response (≥30 % below baseline) at "
        "2 consecutive follow-ups (days 28–35); response first met on day 1."
    )
    assert codes(patient) == [(LOSS_OF_RESPONSE_CODE, 40)]


def test_a_dip_followed_by_recovery_raises_no_loss(patient, first_dose) -> None:
    pcl5(patient, first_dose, -1, 50)
    pcl5(patient, first_dose, 1, 34)  # response
    pcl5(patient, first_dose, 14, 38)  # dip
    pcl5(patient, first_dose, 21, 30)  # response again
    pcl5(patient, first_dose, 28, 38)  # dip (possible loss)
    assert not Alert.objects.exists()


def test_a_clinic_with_one_confirmation_raises_on_the_first_dip(
    patient, first_dose, clinician
) -> None:
    clinician.clinic.loss_confirmations = 1
    clinician.clinic.save()
    patient.refresh_from_db()
    pcl5(patient, first_dose, -1, 50)
    pcl5(patient, first_dose, 1, 34)
    lost = pcl5(patient, first_dose, 28, 38)
    assert Alert.objects.get(code=LOSS_OF_RESPONSE_CODE).response == lost


def test_a_back_entered_earlier_loss_does_not_raise_a_second_one_for_the_course(
    patient, first_dose
) -> None:
    pcl5(patient, first_dose, -1, 50)
    pcl5(patient, first_dose, 1, 34)
    pcl5(patient, first_dose, 28, 38)
    pcl5(patient, first_dose, 35, 39)  # loss confirmed and raised here
    # Paper forms from days 14 and 21 entered late: the course now lost response on day 14.
    pcl5(patient, first_dose, 14, 37)
    pcl5(patient, first_dose, 21, 37)
    assert codes(patient) == [(LOSS_OF_RESPONSE_CODE, 39)]


def test_a_loss_that_is_a_deterioration_too_raises_both(patient, first_dose) -> None:
    pcl5(patient, first_dose, -1, 40)
    pcl5(patient, first_dose, 1, 20)  # response
    pcl5(patient, first_dose, 14, 45)  # lost (possible), +5: nothing yet
    assert not Alert.objects.exists()
    pcl5(patient, first_dose, 21, 51)  # +11: loss confirmed, and reliably worse
    assert sorted(codes(patient)) == [(LOSS_OF_RESPONSE_CODE, 51), (DETERIORATION_CODE, 51)]


def test_the_clinics_reliable_points_are_used(patient, first_dose, clinician) -> None:
    clinician.clinic.outcome_reliable_points = 15  # Marx 2022, veterans
    clinician.clinic.save()
    patient.refresh_from_db()
    pcl5(patient, first_dose, -1, 40)
    pcl5(patient, first_dose, 7, 52)  # +12 < 15
    assert not Alert.objects.exists()
    pcl5(patient, first_dose, 14, 55)  # +15
    assert "(≥15)" in Alert.objects.get().message


def test_a_pcl5_answered_through_a_personal_link_is_judged_too(patient, first_dose) -> None:
    pcl5(patient, first_dose, -1, 30)
    _link, token = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
    response = personal_link_submit(token=token, answers=answers_for(44))  # today, +14
    assert Alert.objects.get().response == response
