"""The patient chart's first visit (issue 13 §2): plotly.js loads ``async``, so the page
is parsed and htmx set up without waiting for it; js/charts.js draws every chart once
it has run and then sets the ``afterglow:charts-drawn`` mark that ``make bench-web``
reads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from playwright.sync_api import BrowserContext, Route, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from tests.browser.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser

CHARTS = ".chart[data-figure]"
MARKS = "() => performance.getEntriesByName('afterglow:charts-drawn').length"
UNDRAWN = (
    f"() => [...document.querySelectorAll('{CHARTS}')]"
    ".filter(c => !c.querySelector('.main-svg')).length"
)


@pytest.fixture
def patient(clinic: Clinic, nurse: Membership) -> Patient:
    """A PCL-5 chart and a PHQ-9 chart."""
    patient = PatientFactory(clinic=clinic)
    for days_ago, item in ((30, 3), (10, 1)):
        when = timezone.now() - dt.timedelta(days=days_ago)
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=[item] * 20,
            source="staff",
            administered_at=when,
        )
        response_record(
            patient=patient,
            instrument_code="phq9",
            answers=[item] * 9,
            source="staff",
            administered_at=when,
        )
    return patient


def test_every_chart_is_drawn_before_the_mark_is_set(
    new_context: Callable[..., BrowserContext], patient: Patient
) -> None:
    page = new_context(desktop=True).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")
    plotly = page.locator("script[data-plotly]")
    expect(plotly).to_have_count(1)
    assert plotly.evaluate("s => s.async && !s.defer") is True
    page.wait_for_function(MARKS)
    assert page.locator(CHARTS).count() == 2
    assert page.evaluate(UNDRAWN) == 0  # every chart has its SVG when the mark is set
    expect(page.locator("#pcl5-chart")).to_contain_text("PCL-5")
    expect(page.locator("#phq9-chart")).to_contain_text("PHQ-9")
    page.wait_for_timeout(200)
    assert page.evaluate(MARKS) == 1  # set once


def test_the_page_is_ready_before_plotly_arrives_and_the_charts_follow_it(
    new_context: Callable[..., BrowserContext], patient: Patient
) -> None:
    context = new_context(desktop=True)
    held: list[Route] = []
    context.route(re.compile(r"/static/vendor/plotly/"), lambda route: held.append(route))
    page = context.new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")
    page.wait_for_load_state("domcontentloaded")
    assert held, "the page did not ask for plotly.js"
    # Parsed (DOMContentLoaded: htmx sets itself up), charts.js run and waiting: nothing drawn.
    assert page.evaluate("() => typeof window.htmx === 'object' && !window.Plotly") is True
    assert page.evaluate(UNDRAWN) == 2
    assert page.evaluate(MARKS) == 0
    bundle = finders.find("vendor/plotly/plotly.min.js")
    assert bundle
    held[0].fulfill(path=Path(str(bundle)), content_type="text/javascript")
    page.wait_for_function(MARKS)
    assert page.evaluate(UNDRAWN) == 0


def test_without_plotly_the_tables_stay_and_no_mark_is_set(
    new_context: Callable[..., BrowserContext], patient: Patient
) -> None:
    context = new_context(desktop=True)
    context.route(re.compile(r"/static/vendor/plotly/"), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")
    page.wait_for_load_state("load")
    expect(page.locator("#pcl5-table tbody tr")).to_have_count(2)
    assert page.evaluate(UNDRAWN) == 2
    assert page.evaluate(MARKS) == 0
    assert errors == []
