"""Response, reliable change and loss of response on the patient chart."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from afterglow.instruments.services import response_record
from afterglow.outcomes.rules import Followup, OutcomeRules, evaluate
from tests.factories import PatientFactory, course_on, dosed, iv_protocol


def answers_for(total: int) -> list[int]:
    """20 answers summing to ``total`` (as even as possible)."""
    base, extra = divmod(total, 20)
    return [base + (1 if i < extra else 0) for i in range(20)]


def test_the_chart_shows_response_and_loss_of_response_against_the_baseline(
    clinician, colleague
) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=colleague.user)
    session = dosed(course, colleague.user, minutes_ago=40 * 24 * 60)
    # In the clinic's time: adding days keeps the wall-clock time, so day N stays day N
    # across a daylight-saving change (a UTC start at 04:xx is late evening in New York).
    start = session.started_at.astimezone(clinician.clinic.tzinfo)
    # Hand-worked (baseline 50, response = ≥30 % below, reliable = 10 points, cutoff 33,
    # 2 consecutive failing follow-ups confirm a loss):
    # day 1: 34 → −32 %: response, reliable improvement, not below 33
    # day 14: 30 → −40 %: response, below cutoff, reliable recovery
    # day 28: 38 → −24 %: no longer response → only a possible loss (one follow-up)
    # day 35: 40 → −20 %: the second → loss of response confirmed, dated day 28
    series = [(-1, 50), (1, 34), (14, 30), (28, 38)]

    def record(day: int, total: int) -> None:
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=answers_for(total),
            source="staff",
            administered_at=start + dt.timedelta(days=day),
        )

    for day, total in series:
        record(day, total)
    url = reverse("patients:chart", kwargs={"pk": patient.pk})
    page = clinician.client.get(url)
    outcome = page.context["outcome"]
    expected = evaluate(50, [Followup(d, t) for d, t in series[1:]], OutcomeRules())
    assert outcome.trajectory == expected
    t = outcome.trajectory
    assert (t.first_response_day, t.loss_of_response_day, t.possible_loss_day) == (1, None, 28)
    html = page.content.decode()
    assert "Loss of response: —" in html
    assert "Possible loss of response — confirm at the next measurement (day 28" in html
    assert "has not been validated on the PCL-5" in html
    assert "Feder 2021" not in html.split("loss of response =")[1].split("Past-week")[0]
    shapes = page.context["figure"]["layout"]["shapes"]
    assert any(s.get("line", {}).get("dash") == "dot" for s in shapes)  # the possible loss
    assert not any(s.get("line", {}).get("dash") == "dash" for s in shapes)  # no loss line

    record(35, 40)
    page = clinician.client.get(url)
    t = page.context["outcome"].trajectory
    assert (t.loss_of_response_day, t.possible_loss_day) == (28, None)
    html = page.content.decode()
    assert "Loss of response: <strong>day 28</strong>" in html
    assert "Possible loss of response" not in html
    assert "<strong>Latest (day 35): 40</strong>, -10 points (-20.0 %)" in html
    names = [trace.get("name", "") for trace in page.context["figure"]["data"]]
    assert "Baseline" in names
    assert any(name.startswith("Response (≥30 % below baseline 50)") for name in names)
    responders = next(
        t for t in page.context["figure"]["data"] if t.get("name", "").startswith("Response")
    )
    assert sorted(responders["y"]) == [30, 34]
    shapes = page.context["figure"]["layout"]["shapes"]
    assert any(s.get("line", {}).get("dash") == "dash" for s in shapes)  # the loss line


def test_a_percent_response_under_the_reliable_points_is_marked_within_measurement_error(
    clinician, colleague
) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    course = course_on(iv_protocol(clinician.clinic), patient=patient, by=colleague.user)
    start = dosed(course, colleague.user, minutes_ago=10 * 24 * 60).started_at.astimezone(
        clinician.clinic.tzinfo
    )
    for day, total in [(-1, 20), (7, 13)]:  # −35 %, but 7 points < 10
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=answers_for(total),
            source="staff",
            administered_at=start + dt.timedelta(days=day),
        )
    url = reverse("patients:chart", kwargs={"pk": patient.pk})
    html = clinician.client.get(url).content.decode()
    assert "Response within measurement error" in html
    assert '<span class="status status-active">Response</span>' in html
    clinician.clinic.response_requires_reliable = True
    clinician.clinic.save()
    html = clinician.client.get(url).content.decode()
    assert "Response within measurement error" in html
    assert '<span class="status status-active">Response</span>' not in html


def test_the_clinics_rules_change_the_verdict(clinician, colleague) -> None:
    clinic = clinician.clinic
    clinic.outcome_response_percent = 50
    clinic.save()
    patient = PatientFactory(clinic=clinic)
    course = course_on(iv_protocol(clinic), patient=patient, by=colleague.user)
    start = dosed(course, colleague.user, minutes_ago=10 * 24 * 60).started_at.astimezone(
        clinic.tzinfo
    )
    for day, total in [(-1, 50), (7, 30)]:  # −40 %: a response at 30 %, not at 50 %
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=answers_for(total),
            source="staff",
            administered_at=start + dt.timedelta(days=day),
        )
    outcome = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk})).context[
        "outcome"
    ]
    assert outcome.trajectory.latest.response is False
    assert outcome.trajectory.latest.reliable_improvement is True


def test_no_dose_or_no_baseline_means_no_outcome(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response_record(patient=patient, instrument_code="pcl5", answers=[2] * 20, source="staff")
    page = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert page.context["outcome"] is None
    assert 'id="pcl5-outcome"' not in page.content.decode()
