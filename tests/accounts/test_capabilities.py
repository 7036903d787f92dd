"""The role × capability table: its rules, its documentation, and where it leads people."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from afterglow.accounts.capabilities import (
    DESCRIPTIONS,
    ROLE_CAPABILITIES,
    Capability,
    has_capability,
    markdown_table,
    roles_with,
)
from afterglow.accounts.models import Role
from afterglow.instruments.services import response_record
from tests.factories import IntakeSubmissionFactory, PatientFactory

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
CLINICAL = {
    Capability.CLINICAL_RECORD,
    Capability.MEASUREMENTS,
    Capability.RECORD_ANSWERS,
    Capability.VOID_ANSWERS,
    Capability.SCREENING,
    Capability.DOSING,
    Capability.THERAPY,
    Capability.DECIDE,
    Capability.COURSES,
    Capability.ALERTS,
    Capability.PATIENT_REPORT,
}


def test_the_documented_table_is_the_table_in_the_code() -> None:
    text = DOCS.read_text()
    start = text.index("<!-- capability-table:start")
    start = text.index("\n", start) + 1
    end = text.index("<!-- capability-table:end -->")
    assert text[start:end].strip() == markdown_table(), (
        "docs/security.md's role × capability table differs from accounts/capabilities.py; "
        "paste markdown_table() between the markers"
    )


def test_every_role_and_every_capability_is_in_the_table() -> None:
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert set(DESCRIPTIONS) == set(Capability)
    for capability in Capability:
        assert roles_with(capability), f"{capability} is granted to nobody"


def test_whoever_works_the_worklist_can_open_its_rows_messages() -> None:
    """The worklist (measurements) loads each row's messages from ``schedules:deliveries``,
    which needs the clinical record: every role with the one has the other."""
    assert set(roles_with(Capability.MEASUREMENTS)) <= set(roles_with(Capability.CLINICAL_RECORD))


def test_coordinators_have_intake_and_demographics_but_no_clinical_record() -> None:
    granted = ROLE_CAPABILITIES[Role.COORDINATOR]
    assert {Capability.INTAKE, Capability.PATIENT_DETAILS} <= granted
    assert not granted & CLINICAL


def test_researchers_have_de_identified_analytics_and_research_imaging_only() -> None:
    """Imaging measures reach a patient named by record number; no chart, no list."""
    assert ROLE_CAPABILITIES[Role.RESEARCHER] == {
        Capability.ACCOUNT,
        Capability.ANALYTICS,
        Capability.IMAGING,
    }
    assert not ROLE_CAPABILITIES[Role.RESEARCHER] & CLINICAL


def test_has_capability_follows_the_role_and_the_membership_being_active(clinician) -> None:
    membership = clinician.membership
    assert has_capability(membership, Capability.DECIDE)
    assert not has_capability(membership, Capability.STAFF_MANAGE)
    membership.is_active = False
    assert not has_capability(membership, Capability.DECIDE)
    assert not has_capability(None, Capability.ACCOUNT)


@pytest.fixture
def scored_patient(clinic):
    patient = PatientFactory(clinic=clinic, given_name="Ottoline")
    response_record(patient=patient, instrument_code="pcl5", answers=[3] * 20, source="staff")
    return patient


#: The enrolment form's explicit "not asked" answers (issue 14 §5: no silent default).
NOT_ASKED = {"trauma_context": "unknown", "veteran_status": "unknown", "sex": "unknown"}


def test_a_coordinator_enrolling_from_intake_lands_on_the_record_not_the_chart(
    coordinator, clinic
) -> None:
    submission = IntakeSubmissionFactory(clinic=clinic, given_name="Perpetua")
    response = coordinator.client.post(
        reverse("intake:enrol", kwargs={"pk": submission.pk}), NOT_ASKED
    )
    submission.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:edit", kwargs={"pk": submission.patient_id})
    page = coordinator.client.get(response["Location"])
    assert page.status_code == 200
    assert b"Perpetua" in page.content
    detail = coordinator.client.get(reverse("intake:detail", kwargs={"pk": submission.pk}))
    chart = reverse("patients:chart", kwargs={"pk": submission.patient_id})
    assert f'href="{chart}"'.encode() not in detail.content


def test_a_clinician_enrolling_from_intake_lands_on_the_chart(clinician, clinic) -> None:
    submission = IntakeSubmissionFactory(clinic=clinic)
    response = clinician.client.post(
        reverse("intake:enrol", kwargs={"pk": submission.pk}), NOT_ASKED
    )
    submission.refresh_from_db()
    assert response["Location"] == reverse("patients:chart", kwargs={"pk": submission.patient_id})


def test_a_coordinator_sees_contact_details_but_no_scores(coordinator, scored_patient) -> None:
    chart = reverse("patients:chart", kwargs={"pk": scored_patient.pk})
    assert coordinator.client.get(chart).status_code == 403
    listing = coordinator.client.get(reverse("patients:list")).content.decode()
    assert reverse("patients:edit", kwargs={"pk": scored_patient.pk}) in listing
    assert f'href="{chart}"' not in listing
    record = coordinator.client.get(reverse("patients:edit", kwargs={"pk": scored_patient.pk}))
    html = record.content.decode()
    assert "ottoline@example.org" in html  # contact details
    assert "PCL-5" not in html  # no scores


def test_a_researcher_cannot_read_the_staff_list(researcher, clinician) -> None:
    response = researcher.client.get(reverse("accounts:staff"))
    assert response.status_code == 403
    assert clinician.user.email.encode() not in response.content
