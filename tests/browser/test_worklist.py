"""The worklist in Chromium (issue 13 §2): a row's message history loads when its
messages are opened, under the strict CSP, and the inline actions still work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from afterglow.accounts.models import Clinic, Membership
from afterglow.patients.models import Patient
from afterglow.schedules.models import Channel, Delivery, DeliveryStatus, InvitationStatus
from afterglow.schedules.rules import DIARY
from afterglow.schedules.services import schedule_attach
from tests.browser.conftest import sign_in
from tests.browser.test_patient_chart_sections import (  # noqa: F401 (fixture)
    clinic,
    treated_patient,
)

pytestmark = pytest.mark.browser


def test_a_worklist_row_loads_its_messages_when_opened_and_switches_channel(
    clinic: Clinic,  # noqa: F811
    prescriber: Membership,
    new_context: Callable[..., BrowserContext],
) -> None:
    patient = treated_patient(clinic, prescriber)
    Patient.objects.filter(pk=patient.pk).update(email="noor@example.org", phone="+15550101234")
    invitations = schedule_attach(course=patient.courses.get()).invitations
    invitation = invitations.exclude(instrument=DIARY).order_by("due_at")[0]
    sent = timezone.now() - dt.timedelta(days=2)
    invitations.filter(pk=invitation.pk).update(
        status=InvitationStatus.SENT, due_at=sent, status_changed_at=sent
    )
    for sequence in (0, 1):
        Delivery.objects.create(
            invitation=invitation,
            sequence=sequence,
            channel=Channel.EMAIL,
            status=DeliveryStatus.SENT,
            claimed_at=sent + dt.timedelta(days=sequence),
            finished_at=sent + dt.timedelta(days=sequence),
        )
    page = new_context(desktop=True).new_page()
    sign_in(page, "/staff/worklist/", "dr.okafor")
    row = page.locator(f"#worklist-{invitation.pk}")
    expect(row.locator("summary")).to_contain_text("2 messages · last: reminder 1 by email")
    expect(row.get_by_text("Reminder 1 · email · sent")).to_have_count(0)  # not loaded yet
    row.locator("summary").click()
    expect(row.get_by_text("Invitation · email · sent")).to_be_visible()
    expect(row.get_by_text("Reminder 1 · email · sent")).to_be_visible()
    expect(row.get_by_role("link", name="Call +15550101234")).to_have_attribute(
        "href", "tel:+15550101234"
    )
    # The inline action posts and comes back to the row.
    row.get_by_role("button", name="Switch to text messages").click()
    expect(page.locator(f"#worklist-{invitation.pk}")).to_be_visible()
    expect(
        page.locator(f"#worklist-{invitation.pk}").get_by_role("button", name="Switch to email")
    ).to_be_visible()
    patient.refresh_from_db()
    assert patient.preferred_channel == "sms"
