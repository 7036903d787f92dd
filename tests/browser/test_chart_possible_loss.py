"""The patient chart in a browser: one PCL-5 out of response after a response is a possible
loss (to confirm at the next measurement), drawn and said as such; the second confirms it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from tests.browser.conftest import sign_in
from tests.factories import (
    PatientFactory,
    course_on,
    dosed,
    iv_protocol,
)

pytestmark = pytest.mark.browser

POSSIBLE = "Possible loss of response — confirm at the next measurement"


@pytest.fixture
def clinic(make_clinic: Callable[..., Clinic]) -> Clinic:
    return make_clinic(timezone="America/New_York")


def answers_for(total: int) -> list[int]:
    base, extra = divmod(total, 20)
    return [base + (1 if i < extra else 0) for i in range(20)]


def record(patient: Patient, start: dt.datetime, day: int, total: int) -> None:
    response_record(
        patient=patient,
        instrument_code="pcl5",
        answers=answers_for(total),
        source="staff",
        administered_at=start + dt.timedelta(days=day),
    )


def test_a_single_pcl5_out_of_response_shows_as_a_possible_loss_until_confirmed(
    clinic: Clinic,
    prescriber: Membership,
    new_context: Callable[..., BrowserContext],
    snap: Callable[..., None],
) -> None:
    patient = PatientFactory(clinic=clinic, given_name="Noor", family_name="Haddad")
    course = course_on(iv_protocol(clinic), patient=patient, by=prescriber.user)
    # In the clinic's time, so that adding days keeps day N across a daylight-saving change.
    start = dosed(course, prescriber.user, minutes_ago=40 * 24 * 60).started_at.astimezone(
        clinic.tzinfo
    )
    assert start is not None
    # Baseline 50; day 14 30 (-40 %): response; day 28 38 (-24 %): one follow-up out of
    # response -> a possible loss only (the clinic confirms with 2, the default).
    for day, total in ((-1, 50), (14, 30), (28, 38)):
        record(patient, start, day, total)

    page = new_context(desktop=True).new_page()
    path = f"/staff/patients/{patient.pk}/"
    sign_in(page, path, "dr.okafor")

    outcome = page.locator("#pcl5-outcome")
    expect(outcome.locator("#possible-loss")).to_contain_text(f"{POSSIBLE} (day 28")
    expect(outcome).to_contain_text("Loss of response: —")
    expect(outcome).to_contain_text("has not been validated on the PCL-5")
    row = page.locator("#pcl5-table tbody tr").filter(has_text="38")
    expect(row).to_contain_text("possible loss of response — confirm at the next measurement")
    # Plotly drew the chart with the possible-loss marker's label on it.
    expect(page.locator("#pcl5-chart .main-svg").first).to_be_attached()
    expect(page.locator("#pcl5-chart")).to_contain_text("Possible loss of response")
    snap(page, "chart-pcl5-possible-loss-desktop")

    # The next PCL-5 is out of response too (-20 %): the loss is confirmed, dated day 28.
    record(patient, start, 35, 40)
    page.reload()
    expect(outcome).to_contain_text("Loss of response: day 28")
    expect(outcome.locator("#possible-loss")).to_have_count(0)
    expect(page.locator("#pcl5-chart")).to_contain_text("Loss of response")
    expect(page.locator("#pcl5-chart")).not_to_contain_text("Possible loss")
