"""When the database refuses the write, the intake form says so and keeps every answer."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import DatabaseError, transaction
from playwright.sync_api import expect

from afterglow.accounts.models import Clinic
from afterglow.intake.models import IntakeSubmission
from tests.browser.conftest import FAILURE_TEXT, SUCCESS_TEXT, IntakePage, Newcomer
from tests.db_refusal import refuse_inserts
from tests.factories import ClinicFactory, IntakeSubmissionFactory

pytestmark = pytest.mark.browser

TABLE = IntakeSubmission._meta.db_table


def test_refuse_inserts_blocks_the_table_then_lifts(transactional_db: None) -> None:
    """The helper itself: the real database refuses, and accepts again afterwards."""
    clinic = ClinicFactory()
    with refuse_inserts(TABLE):
        with pytest.raises(DatabaseError, match="refused by test"), transaction.atomic():
            IntakeSubmissionFactory(clinic=clinic)
        assert IntakeSubmission.objects.count() == 0
    IntakeSubmissionFactory(clinic=clinic)
    assert IntakeSubmission.objects.count() == 1


def test_refused_write_shows_failure_keeps_answers_and_retry_succeeds(
    intake_page: IntakePage, snap: Callable[..., None], clinic: Clinic
) -> None:
    page = intake_page.page
    maya = Newcomer(phone="+1 555 010 2030")
    intake_page.open()
    intake_page.fill(maya)
    form_key = page.locator("input[name=submission_key]")
    key = form_key.input_value()

    with refuse_inserts(TABLE):
        intake_page.send_button.click()

        expect(page.get_by_text(FAILURE_TEXT, exact=True)).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text(FAILURE_TEXT)
        expect(page.get_by_text(SUCCESS_TEXT)).to_have_count(0)
        expect(page).not_to_have_url(re.compile(r"/thanks/"))
        intake_page.expect_values(maya)
        expect(form_key).to_have_value(key)  # so a retry can never store it twice
        assert IntakeSubmission.objects.count() == 0
        snap(page, "04-intake-failure")

    # The database accepts writes again: the same page, sent again, goes through once.
    intake_page.send_button.click()
    expect(page).to_have_url(re.compile(r"/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SUCCESS_TEXT)
    expect(page.get_by_text(FAILURE_TEXT)).to_have_count(0)
    stored = IntakeSubmission.objects.get()
    assert (stored.given_name, stored.family_name, stored.email, stored.phone) == (
        maya.given_name,
        maya.family_name,
        maya.email,
        maya.phone,
    )
    assert stored.symptoms == ["intrusive_memories", "flashbacks"]
    assert stored.high_blood_pressure == "yes"
    assert stored.consent_contact is True
    assert str(stored.submission_key) == key
