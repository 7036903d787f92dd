"""Staff triage: the queue, flags, statuses and enrolment."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.intake.models import Status
from afterglow.intake.services import intake_enrol, intake_set_status
from afterglow.patients.models import Patient
from tests.factories import IntakeSubmissionFactory


def test_the_queue_shows_open_submissions_with_their_flags(coordinator) -> None:
    IntakeSubmissionFactory(clinic=coordinator.clinic, given_name="Flagged", pregnancy="yes")
    IntakeSubmissionFactory(
        clinic=coordinator.clinic, given_name="Declined", status=Status.DECLINED
    )
    page = coordinator.client.get(reverse("intake:queue")).content.decode()
    assert "Flagged" in page
    assert "Pregnancy or breastfeeding" in page
    assert "Declined" not in page.split("<tbody>")[1]
    all_page = coordinator.client.get(reverse("intake:queue") + "?status=declined").content.decode()
    assert "Declined" in all_page.split("<tbody>")[1]


def test_the_queue_query_count_does_not_grow_with_rows(coordinator) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert coordinator.client.get(reverse("intake:queue")).status_code == 200
        return len(ctx.captured_queries)

    IntakeSubmissionFactory(clinic=coordinator.clinic)
    with_one = queries()
    # Issue 13 §2: 16 before the tabs' counts served the pager and the idle stamp was
    # written on every request.
    assert with_one == 11
    IntakeSubmissionFactory.create_batch(19, clinic=coordinator.clinic, pregnancy="yes")
    assert queries() == with_one


def test_the_queue_pages_with_the_tabs_counts_and_searches_count_their_own(coordinator) -> None:
    """The tabs' counts give the paginator its total; a search counts what it found."""
    IntakeSubmissionFactory.create_batch(3, clinic=coordinator.clinic, family_name="Rivera")
    # Named, not Faker's: a random family name can be "Rivera" too (it was, once, in CI).
    IntakeSubmissionFactory(
        clinic=coordinator.clinic, status=Status.DECLINED, given_name="Sam", family_name="Okafor"
    )

    def reads(**params: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = coordinator.client.get(reverse("intake:queue"), params)
        assert response.status_code == 200
        n = sum('FROM "intake_intakesubmission"' in q["sql"] for q in ctx.captured_queries)
        return n, response.content.decode()

    n, page = reads()
    assert n == 2 and page.count("<tr>") == 1 + 3
    n, page = reads(status="declined")
    assert n == 2 and page.count("<tr>") == 1 + 1
    n, page = reads(status="all")
    assert n == 2 and page.count("<tr>") == 1 + 4
    n, page = reads(q="Rivera", status="all")
    assert n == 3 and page.count("<tr>") == 1 + 3


def test_enrolling_creates_one_patient_from_the_submission(coordinator) -> None:
    submission = IntakeSubmissionFactory(clinic=coordinator.clinic, given_name="Sam")
    url = reverse("intake:enrol", kwargs={"pk": submission.pk})
    response = coordinator.client.post(
        url, {"trauma_context": "military", "veteran_status": "veteran", "sex": "female"}
    )
    patient = Patient.objects.get()
    # A coordinator has no clinical record: they land on the patient's details.
    assert response["Location"] == reverse("patients:edit", kwargs={"pk": patient.pk})
    assert (patient.given_name, patient.clinic, patient.mrn) == (
        "Sam",
        coordinator.clinic,
        "AG-000001",
    )
    assert patient.trauma_context == "military" and patient.veteran_status == "veteran"
    assert patient.sex == "female"
    submission.refresh_from_db()
    assert submission.status == Status.ENROLLED and submission.patient == patient
    # A second click (or a colleague at the same moment) returns the same patient.
    coordinator.client.post(
        url, {"trauma_context": "civilian", "veteran_status": "none", "sex": "male"}
    )
    assert Patient.objects.count() == 1


def test_record_numbers_count_up_within_a_clinic(coordinator) -> None:
    first, second = IntakeSubmissionFactory.create_batch(2, clinic=coordinator.clinic)
    a = intake_enrol(submission=first, by=coordinator.user)
    b = intake_enrol(submission=second, by=coordinator.user)
    assert (a.mrn, b.mrn) == ("AG-000001", "AG-000002")


def test_status_changes_are_recorded_with_a_note(coordinator) -> None:
    submission = IntakeSubmissionFactory(clinic=coordinator.clinic)
    response = coordinator.client.post(
        reverse("intake:set_status", kwargs={"pk": submission.pk}),
        {"status": "contacted", "note": "Left a voicemail"},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.CONTACTED
    assert submission.status_changed_by == coordinator.user
    assert "Left a voicemail" in submission.staff_note


def test_an_enrolled_submission_cannot_go_back_in_the_queue(coordinator) -> None:
    submission = IntakeSubmissionFactory(clinic=coordinator.clinic)
    intake_enrol(submission=submission, by=coordinator.user)
    with pytest.raises(ValueError, match="already enrolled"):
        intake_set_status(submission=submission, status="new", by=coordinator.user)


def test_an_outsider_cannot_enrol_another_clinics_submission(outsider, clinic) -> None:
    submission = IntakeSubmissionFactory(clinic=clinic)
    response = outsider.client.post(reverse("intake:enrol", kwargs={"pk": submission.pk}))
    assert response.status_code == 404
    assert Patient.objects.count() == 0


def test_enrolment_asks_each_answer_and_records_nothing_the_person_was_not_asked(
    coordinator,
) -> None:
    submission = IntakeSubmissionFactory(clinic=coordinator.clinic, given_name="Sam")
    url = reverse("intake:enrol", kwargs={"pk": submission.pk})
    detail = coordinator.client.get(reverse("intake:detail", kwargs={"pk": submission.pk}))
    page = detail.content.decode()
    # Nothing is pre-selected: each of the three is a choice someone makes.
    assert page.count('type="radio"') > 0 and " checked" not in page
    assert "Not asked, or prefers not to say" in page and "Asked; prefers not to say" in page

    refused = coordinator.client.post(url, {"trauma_context": "civilian"})
    assert refused.status_code == 400 and not Patient.objects.exists()
    text = refused.content.decode()
    assert 'href="#id_veteran_status_0"' in text and 'href="#id_sex_0"' in text
    assert 'value="civilian" id="id_trauma_context_0" required checked' in text  # kept

    coordinator.client.post(
        url, {"trauma_context": "unknown", "veteran_status": "unknown", "sex": "unknown"}
    )
    patient = Patient.objects.get()
    assert (patient.trauma_context, patient.veteran_status, patient.sex) == (
        "unknown",
        "unknown",
        "unknown",
    )
    assert patient.get_sex_display() == "Not recorded"
