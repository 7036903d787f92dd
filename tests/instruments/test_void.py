"""Voiding a response entered in error: kept on record with who, when and why, and gone
from every score, chart, outcome, alert evaluation, analytics frame and report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from afterglow.alerts.models import Alert
from afterglow.alerts.rules import LOSS_OF_RESPONSE_CODE
from afterglow.analytics.selectors import cohort_data
from afterglow.charts.selectors import pcl5_responses
from afterglow.instruments.models import PersonalLink, Response
from afterglow.instruments.services import (
    personal_link_create,
    personal_link_submit,
    response_record,
    response_void,
)
from afterglow.patients.models import Patient
from afterglow.patients.selectors import patient_list
from afterglow.reports.patient_report import patient_report
from afterglow.treatment.selectors_screening import latest_baseline_pcl5
from tests.analytics.cohort import FIRST_DOSE, answers_for, pcl5, treated
from tests.factories import PatientFactory, course_on, dosed, iv_protocol

REASON = "Entered for the wrong patient"


@pytest.fixture
def response(clinician) -> Response:
    patient = PatientFactory(clinic=clinician.clinic)
    return response_record(
        patient=patient, instrument_code="pcl5", answers=answers_for(40), source="staff"
    )


def void_url(response: Response) -> str:
    return reverse("instruments:response_void", kwargs={"pk": response.pk})


def detail_url(response: Response) -> str:
    return reverse("instruments:response_detail", kwargs={"pk": response.pk})


# --- the service ------------------------------------------------------------------------


def test_a_void_records_who_when_and_why_and_keeps_the_answers(response, clinician) -> None:
    response_void(response=response, by=clinician.user, reason=f"  {REASON} ")

    stored = Response.all_objects.get(pk=response.pk)
    assert stored.voided_at is not None and stored.voided_by == clinician.user
    assert stored.void_reason == REASON
    assert (stored.total, stored.answers) == (40, answers_for(40))
    assert not Response.objects.filter(pk=response.pk).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_void_needs_a_reason(response, clinician, reason) -> None:
    with pytest.raises(ValidationError) as caught:
        response_void(response=response, by=clinician.user, reason=reason)
    assert "reason" in caught.value.message_dict
    assert Response.objects.filter(pk=response.pk).exists()


def test_only_a_clinician_of_the_clinic_can_void(
    response, colleague, coordinator, researcher, outsider
) -> None:
    for persona in (coordinator, researcher, outsider):
        with pytest.raises(PermissionDenied):
            response_void(response=response, by=persona.user, reason=REASON)
    assert Response.objects.filter(pk=response.pk).exists()
    response_void(response=response, by=colleague.user, reason=REASON)  # a nurse may
    assert not Response.objects.filter(pk=response.pk).exists()


def test_voiding_twice_is_refused_and_keeps_the_first_reason(response, clinician) -> None:
    response_void(response=response, by=clinician.user, reason=REASON)
    again = Response.all_objects.get(pk=response.pk)
    with pytest.raises(ValidationError, match="already voided"):
        response_void(response=again, by=clinician.user, reason="Another reason")
    assert Response.all_objects.get(pk=response.pk).void_reason == REASON


def test_the_default_and_related_managers_hide_voided_rows(response, clinician) -> None:
    patient = response.patient
    kept = response_record(
        patient=patient, instrument_code="pcl5", answers=answers_for(30), source="staff"
    )
    response_void(response=response, by=clinician.user, reason=REASON)

    assert list(patient.responses.all()) == [kept]
    assert list(Response.objects.for_clinic(clinician.clinic)) == [kept]
    assert set(Response.all_objects.filter(patient=patient)) == {response, kept}
    assert list(Response.all_objects.voided()) == [response]


def test_a_response_that_used_a_link_stays_linked_but_voided(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    link, token = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
    answered = personal_link_submit(token=token, answers=answers_for(20))
    response_void(response=answered, by=clinician.user, reason=REASON)

    link = PersonalLink.objects.get(pk=link.pk)
    assert link.response_id == answered.pk
    assert link.response is not None and link.response.voided_at is not None
    assert link.state == "used"


# --- every read leaves it out -------------------------------------------------------------


@pytest.fixture
def treated_patient(clinic) -> Patient:
    # Baselines 52 (day -7) and 50 (day 0, pre-dose); follow-ups 40 (day 1), 30 (day 14).
    return treated(clinic, {-7: 52, 0: 50, 1: 40, 14: 30})


def day0_baseline(patient: Patient) -> Response:
    return Response.objects.get(patient=patient, total=50)


def test_a_voided_baseline_falls_back_to_the_previous_complete_pcl5(
    treated_patient, clinician
) -> None:
    patient = treated_patient
    earlier = Response.objects.get(patient=patient, total=52)
    assert latest_baseline_pcl5(patient=patient, before=FIRST_DOSE) == day0_baseline(patient)
    page = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert page.context["outcome"].trajectory.baseline == 50

    voided = day0_baseline(patient)
    response_void(response=voided, by=clinician.user, reason="Wrong date")

    assert latest_baseline_pcl5(patient=patient, before=FIRST_DOSE) == earlier
    page = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    outcome = page.context["outcome"]
    assert outcome.baseline == earlier and outcome.trajectory.baseline == 52
    # Day 14: 30 against 52 is 22 points lower; against the voided 50 it was 20.
    assert outcome.trajectory.timepoints[-1].change == -22
    assert voided.pk not in [r.pk for r, _p, _o in page.context["rows"]]
    charted = [t for t in page.context["figure"]["data"] if t.get("name") == "PCL-5 total (0–80)"]
    assert charted and 50 not in charted[0]["y"]
    assert sorted(charted[0]["y"]) == [30, 40, 52]


def test_a_voided_pcl5_leaves_the_analytics_frame(treated_patient, clinician) -> None:
    patient = treated_patient
    before = cohort_data(clinic=clinician.clinic).frame
    assert (0, 50) in list(zip(before["day"], before["pcl5_total"], strict=True))

    response_void(response=day0_baseline(patient), by=clinician.user, reason="Wrong date")

    frame = cohort_data(clinic=clinician.clinic).frame
    mine = frame[frame["patient_id"] == patient.pk]
    assert list(zip(mine["day"], mine["pcl5_total"], strict=True)) == [(-7, 52), (1, 40), (14, 30)]


def test_a_voided_pcl5_leaves_the_patient_list_count_and_the_report(
    treated_patient, clinician
) -> None:
    patient = treated_patient
    response_void(response=day0_baseline(patient), by=clinician.user, reason="Wrong date")

    listed = patient_list(clinic=clinician.clinic).get(pk=patient.pk)
    assert listed.n_pcl5 == 3
    assert [r.total for r in pcl5_responses(patient=patient)] == [52, 40, 30]
    report = patient_report(patient=patient)
    assert report.outcome is not None and report.outcome.trajectory.baseline == 52


def test_a_loss_of_response_on_a_voided_pcl5_no_longer_holds_back_the_real_one(
    clinician, colleague
) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=colleague.user)
    started = dosed(course, colleague.user, minutes_ago=40 * 24 * 60).started_at
    assert started is not None
    started = started.astimezone(clinician.clinic.tzinfo)  # day N stays day N across DST

    def at(day: int, total: int) -> Response:
        return pcl5(patient, total, started + dt.timedelta(days=day))

    at(-1, 50)
    at(1, 34)  # response (≤ 35)
    at(21, 38)  # -24 %: a first failing follow-up, a possible loss only
    assert not Alert.objects.filter(code=LOSS_OF_RESPONSE_CODE).exists()
    typo = at(28, 38)  # a typo for 30: the second failing follow-up confirms a loss
    assert Alert.objects.get(code=LOSS_OF_RESPONSE_CODE).response == typo
    response_void(response=typo, by=clinician.user, reason="Answers mistyped")
    at(28, 30)  # the corrected response: still a response, the run is broken
    at(35, 40)  # -20 %: failing again, possible loss
    real = at(38, 41)  # the second consecutive failure: the real, confirmed loss

    losses = Alert.objects.filter(code=LOSS_OF_RESPONSE_CODE).order_by("pk")
    # The first alert stays (a safety signal is never deleted); the real loss is raised.
    assert [a.response_id for a in losses] == [typo.pk, real.pk]


# --- pages ------------------------------------------------------------------------------


def test_a_clinician_voids_from_the_detail_page(response, clinician) -> None:
    page = clinician.client.get(detail_url(response))
    assert void_url(response).encode() in page.content

    done = clinician.client.post(void_url(response), {"reason": REASON})

    assert done.status_code == 302 and done["Location"] == detail_url(response)
    page = clinician.client.get(detail_url(response))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Voided — entered in error." in html and REASON in html
    assert clinician.user.username in html or clinician.user.get_full_name() in html
    assert "<del>" in html
    new_url = reverse(
        "instruments:response_new", kwargs={"patient_pk": response.patient_id, "code": "pcl5"}
    )
    assert f'href="{new_url}">Enter the corrected response' in html
    assert void_url(response) not in html


def test_the_void_form_keeps_what_was_typed_on_error(response, clinician) -> None:
    blank = clinician.client.post(void_url(response), {"reason": "  "})
    assert blank.status_code == 200 and blank.context["form"].errors["reason"]
    too_long = "Wrong patient; " * 80
    page = clinician.client.post(void_url(response), {"reason": too_long})
    assert page.status_code == 200
    assert too_long.strip() in page.content.decode()
    assert Response.objects.filter(pk=response.pk).exists()


def test_a_voided_response_cannot_be_voided_again_from_the_page(response, clinician) -> None:
    response_void(response=response, by=clinician.user, reason=REASON)
    page = clinician.client.post(void_url(response), {"reason": "Again"})
    assert page.status_code == 302 and page["Location"] == detail_url(response)
    assert Response.all_objects.get(pk=response.pk).void_reason == REASON


def test_roles_without_the_right_get_no_void_action(
    response, admin, coordinator, researcher
) -> None:
    assert coordinator.client.post(void_url(response), {"reason": REASON}).status_code == 403
    assert admin.client.post(void_url(response), {"reason": REASON}).status_code == 403
    assert researcher.client.get(void_url(response)).status_code == 403
    # A clinic admin reads the answers but is offered no void; a coordinator cannot read them.
    page = admin.client.get(detail_url(response))
    assert page.status_code == 200 and void_url(response) not in page.content.decode()
    assert coordinator.client.get(detail_url(response)).status_code == 403
    assert Response.objects.filter(pk=response.pk).exists()


def test_another_clinics_response_is_a_404(response, clinician, outsider) -> None:
    assert outsider.client.get(void_url(response)).status_code == 404
    assert outsider.client.post(void_url(response), {"reason": REASON}).status_code == 404
    response_void(response=response, by=clinician.user, reason=REASON)
    assert outsider.client.get(detail_url(response)).status_code == 404


def test_an_alert_from_a_voided_response_stays_in_the_inbox_marked_voided(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    phq9 = response_record(patient=patient, instrument_code="phq9", answers=[1] * 9, source="staff")
    alert = Alert.objects.get(response=phq9)
    response_void(response=phq9, by=clinician.user, reason=REASON)

    assert Alert.objects.filter(pk=alert.pk).exists()
    page = clinician.client.get(reverse("alerts:inbox"))
    html = page.content.decode()
    assert alert.label in html
    assert "response voided" in html
