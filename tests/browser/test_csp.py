"""The Content-Security-Policy in a real browser: it blocks what it should, the
watch in conftest.py notices, and what moved out of inline handlers still works."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.instruments.services import response_record
from tests.browser.conftest import CspViolations, sign_in
from tests.factories import (
    PatientFactory,
    course_on,
    dosed,
    iv_protocol,
)

pytestmark = pytest.mark.browser


def test_injected_inline_script_and_style_are_blocked_and_reported(
    page: Page, clinic: Clinic, csp_violations: CspViolations
) -> None:
    response = page.goto("/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # What an injected payload would try: an inline script and an inline style.
    ran = page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.head.appendChild(script);
          document.body.setAttribute("style", "background: red");
          return window.injected === true;
        }"""
    )
    assert ran is False
    expect(page.locator("body")).not_to_have_css("background-color", "rgb(255, 0, 0)")
    page.wait_for_timeout(200)  # the reports are sent after the blocked actions
    seen = "\n".join(csp_violations.take())
    assert "script-src-elem" in seen
    assert "style-src-attr" in seen


def test_a_personal_link_is_selected_whole_on_a_click(
    new_context: Callable[..., BrowserContext], clinic: Clinic, nurse: Membership
) -> None:
    patient = PatientFactory(clinic=clinic, email="")
    page = new_context(desktop=True).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")
    page.get_by_role("button", name="Create link").click()
    field = page.get_by_label(re.compile("Link \\(shown only now"))
    expect(field).to_have_value(re.compile("/q/"))
    # The field is in the DOM before its deferred script has run; a person clicks
    # a loaded page, so wait for the load event as they would (CI once clicked first).
    page.wait_for_load_state("load")
    field.click()
    selected = page.evaluate(
        "() => { const f = document.getElementById('link-url');"
        " return f.selectionEnd - f.selectionStart === f.value.length; }"
    )
    assert selected is True


def test_a_chart_draws_and_downloads_as_png_under_the_policy(
    new_context: Callable[..., BrowserContext], clinic: Clinic, nurse: Membership
) -> None:
    patient = PatientFactory(clinic=clinic)
    for days_ago, item in ((30, 3), (10, 1)):
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=[item] * 20,
            source="staff",
            administered_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    page = new_context(desktop=True, accept_downloads=True).new_page()
    sign_in(page, f"/staff/patients/{patient.pk}/", "nurse.kim")
    chart = page.locator("#pcl5-chart")
    expect(chart.locator(".main-svg").first).to_be_attached()
    # Plotly's own stylesheet applied (rules added to the hash-allowed empty <style>):
    # the chart's layers are stacked, and the mode bar sits in the chart's corner.
    expect(chart.locator(".main-svg").first).to_have_css("position", "absolute")
    expect(chart.locator(".modebar")).to_have_css("top", "2px")
    chart.hover()
    with page.expect_download() as download:
        chart.locator('[data-title="Download plot as a PNG"]').click()
    assert download.value.suggested_filename.endswith(".png")


def test_the_dose_labels_leave_the_pcl5_chart_on_a_narrow_screen(
    new_context: Callable[..., BrowserContext], clinic: Clinic, nurse: Membership
) -> None:
    # charts.js reads data-narrow-hide: under 640 px the "dose n" labels would overlap.
    patient = PatientFactory(clinic=clinic)
    course = course_on(iv_protocol(clinic), patient=patient, by=nurse.user)
    started = dosed(course, nurse.user, minutes_ago=20 * 24 * 60).started_at
    assert started is not None
    for day, item in ((-1, 3), (14, 1)):
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=[item] * 20,
            source="staff",
            administered_at=started + dt.timedelta(days=day),
        )
    path = f"/staff/patients/{patient.pk}/"
    for options, labelled in (({"desktop": True}, True), ({}, False)):
        page = new_context(**options).new_page()
        sign_in(page, path, "nurse.kim")
        chart = page.locator("#pcl5-chart")
        expect(chart.locator(".main-svg").first).to_be_attached()
        if labelled:
            expect(chart).to_contain_text("dose 1")
        else:
            expect(chart).not_to_contain_text("dose 1")
