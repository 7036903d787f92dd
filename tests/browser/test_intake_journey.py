"""A newcomer's intake on a phone, and the coordinator who enrols them."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.signals import request_finished
from playwright.sync_api import BrowserContext, Page, expect

from afterglow.accounts.models import Clinic, Role
from afterglow.intake import views
from afterglow.intake.models import IntakeSubmission, Status
from afterglow.patients.models import Patient
from tests.browser.conftest import SUCCESS_TEXT, IntakePage, Newcomer, sign_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def _expect_thanks(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SUCCESS_TEXT)


def test_newcomer_sends_intake_and_coordinator_enrols_them(
    intake_page: IntakePage,
    new_context: Callable[..., BrowserContext],
    snap: Callable[..., None],
    clinic: Clinic,
) -> None:
    coordinator = MembershipFactory(
        clinic=clinic,
        role=Role.COORDINATOR,
        user=UserFactory(username="coord", first_name="Jo", last_name="Reyes"),
    )
    maya = Newcomer()
    page = intake_page.page

    # The newcomer, on a phone.
    intake_page.open()
    snap(page, "01-intake-form-top", full_page=False)
    intake_page.fill(maya)
    intake_page.send_button.click()
    _expect_thanks(page)
    expect(page.get_by_text(SUCCESS_TEXT, exact=True)).to_have_count(1)
    snap(page, "03-thank-you")

    submission = IntakeSubmission.objects.get()
    assert (submission.clinic, submission.status) == (clinic, Status.NEW)
    assert (submission.given_name, submission.family_name) == ("Maya", "Okafor")
    assert submission.date_of_birth == dt.date(1988, 4, 12)
    assert submission.email == maya.email
    assert submission.reason.replace("\r\n", "\n") == maya.reason
    assert submission.symptoms == ["intrusive_memories", "flashbacks"]
    assert submission.high_blood_pressure == "yes"
    assert [
        submission.psychosis_or_mania,
        submission.heart_or_vascular,
        submission.pregnancy,
        submission.substance_use,
    ] == ["no"] * 4
    assert submission.consent_contact is True

    # The coordinator, in another browser (no shared cookies), signs in for real.
    staff = new_context().new_page()
    sign_in(staff, "/staff/intake/", coordinator.user.username)
    expect(staff.get_by_role("heading", name="Intake queue")).to_be_visible()

    row = staff.get_by_role("row").filter(has_text=maya.full_name)
    expect(row).to_have_count(1)
    expect(row.locator(".flag")).to_have_text(["High blood pressure"])
    expect(row.get_by_text("New", exact=True)).to_be_visible()
    snap(staff, "05-queue-phone")
    desktop = new_context(desktop=True, storage_state=staff.context.storage_state()).new_page()
    desktop.goto("/staff/intake/")
    expect(desktop.get_by_role("row").filter(has_text=maya.full_name)).to_have_count(1)
    snap(desktop, "06-queue-desktop")

    # The detail page shows the flag with its answer; enrol from there.
    row.get_by_role("link", name=maya.full_name).click()
    expect(staff).to_have_url(re.compile(rf"/staff/intake/{submission.pk}/$"))
    expect(staff.get_by_role("heading", name=maya.full_name, level=1)).to_be_visible()
    expect(staff.get_by_role("alert")).to_contain_text("High blood pressure — answered yes")
    # Nothing is pre-selected: the coordinator records what Maya said, or "Not asked".
    staff.get_by_role("group", name="Where did the trauma happen?").get_by_label(
        "Civilian", exact=True
    ).check()
    staff.get_by_role("group", name="Military service").get_by_label("Not a service member").check()
    staff.get_by_role("group", name="Sex").get_by_label("Not asked", exact=True).check()
    staff.get_by_role("button", name="Enrol Maya").click()

    # Wait for the patient's page before reading the database: the click does not wait
    # for the server. A coordinator has no clinical record (minimum necessary): they land
    # on the patient's details and contact record, not the chart.
    expect(staff).to_have_url(re.compile(r"/staff/patients/\d+/edit/$"))
    patient = Patient.objects.get()
    assert staff.url.endswith(f"/staff/patients/{patient.pk}/edit/")
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Edit {maya.full_name} AG-000001")
    expect(staff.get_by_role("textbox", name="Email", exact=True)).to_have_value(patient.email)
    expect(staff.get_by_role("status")).to_contain_text("Maya Okafor enrolled as AG-000001.")
    snap(staff, "07-patient-record")

    assert IntakeSubmission.objects.count() == 1
    assert Patient.objects.count() == 1
    submission.refresh_from_db()
    assert submission.patient == patient
    assert submission.status == Status.ENROLLED
    assert (patient.mrn, patient.clinic, patient.email) == ("AG-000001", clinic, maya.email)
    assert (patient.trauma_context, patient.veteran_status, patient.sex) == (
        "civilian",
        "none",
        "unknown",
    )

    # Back in the queue, the row now links to the record instead of offering Enrol.
    staff.goto("/staff/intake/?status=all")
    row = staff.get_by_role("row").filter(has_text=maya.full_name)
    expect(row.get_by_role("link", name="Open record")).to_be_visible()
    expect(row.get_by_role("link", name="Open chart")).to_have_count(0)
    expect(row.get_by_role("button", name=re.compile("^Enrol"))).to_have_count(0)


def test_double_click_on_send_stores_one_submission(
    intake_page: IntakePage, monkeypatch: pytest.MonkeyPatch, clinic: Clinic
) -> None:
    """Two presses of Send, the second while the server is still answering the first.

    Chromium itself drops the first of two *instant* clicks (``dblclick``) before it
    leaves the browser, so that never reaches the server twice. The real risk is a
    slow answer: the person presses again while the page still shows the form. Here
    the answer to the first post is held back (after the real ``intake_submit`` has
    stored it) while the second post goes through the real ``intake_submit`` too.
    """
    page = intake_page.page
    real_submit = views.intake_submit
    created: list[bool] = []
    post_threads: list[threading.Thread] = []
    pending: set[threading.Thread] = set()
    first_stored, release_first, both_finished = (threading.Event() for _ in range(3))

    def slow_submit(**kwargs: Any) -> Any:
        post_threads.append(threading.current_thread())
        pending.add(threading.current_thread())
        result = real_submit(**kwargs)
        created.append(result[1])
        if len(post_threads) == 1:
            first_stored.set()
            # The answer to the first press is slow to come back. (Held until the
            # test is done with the page: with SQLite's in-memory test database every
            # server thread shares one connection, which must not be used by two
            # requests at once.)
            release_first.wait(15)
        return result

    def on_request_finished(**kwargs: Any) -> None:
        # Connected after Django's own receivers (connection cleanup): once both posts
        # got here, the server no longer touches the database for them.
        if threading.current_thread() in pending:
            pending.discard(threading.current_thread())
            if len(post_threads) == 2 and not pending:
                both_finished.set()

    monkeypatch.setattr(views, "intake_submit", slow_submit)
    request_finished.connect(on_request_finished, weak=False)
    try:
        intake_page.open()
        intake_page.fill(Newcomer())
        # Press where the button is, twice, as a finger would: raw input at fixed
        # coordinates, because the second press lands on the page still showing
        # while the first answer is on its way.
        intake_page.send_button.scroll_into_view_if_needed()
        box = intake_page.send_button.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)
        assert first_stored.wait(5), "the first press never reached the server"
        page.mouse.click(x, y)

        _expect_thanks(page)
        page.wait_for_load_state("networkidle")
    finally:
        release_first.set()
        finished = both_finished.wait(5)
        request_finished.disconnect(on_request_finished)
    assert finished, "the server did not finish both posts"

    # Both presses reached the server: the first stored the form, the second (same
    # form key) was given the stored row back instead of storing a copy.
    assert created == [True, False]
    assert IntakeSubmission.objects.count() == 1


def test_missing_contact_and_consent_show_inline_errors_and_keep_values(
    intake_page: IntakePage, snap: Callable[..., None], clinic: Clinic
) -> None:
    page = intake_page.page
    maya = Newcomer(email="", phone="", consent=False)

    intake_page.open()
    intake_page.fill(maya)
    intake_page.send_button.click()

    reach = "Please give an email address or a phone number so we can reach you."
    # The error summary names each problem and links to its field (issue 14 §5).
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=f"Email: {reach}")).to_have_attribute(
        "href", "#id_email"
    )
    for label in ("Email", "Phone"):
        # The message sits in the field's own box, right under its input.
        box = page.locator(".field.has-error", has=page.get_by_label(label))
        expect(box.locator(".errors")).to_have_text(reach)
    consent_box = page.locator(".field.has-error", has=intake_page.consent)
    expect(consent_box.locator(".errors")).to_have_text(
        "We need your agreement to contact you about your request."
    )
    # Only those three fields complain.
    expect(page.locator(".field.has-error")).to_have_count(3)
    intake_page.expect_values(maya)
    expect(page.get_by_text(SUCCESS_TEXT)).to_have_count(0)
    assert IntakeSubmission.objects.count() == 0
    snap(page, "02-intake-form-errors")

    # Fixing just those two things is enough.
    page.get_by_label("Phone").fill("+1 555 010 2030")
    intake_page.consent.check()
    intake_page.send_button.click()
    _expect_thanks(page)
    stored = IntakeSubmission.objects.get()
    assert (stored.email, stored.phone, stored.given_name) == ("", "+1 555 010 2030", "Maya")
