"""Seeding the demo clinic through the services, once, and the ``afterglow demo`` command.

Fast password hashing comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.demo.seed import (
    DEMO_CLINIC_NAME,
    DEMO_TIMEZONE,
    LOGIN_CREATED,
    LOGIN_KEPT,
    seed_demo_clinic,
)
from afterglow.demo.synthetic import generate_clinic
from afterglow.demo.synthetic_params import DEMO_PASSWORD
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response
from afterglow.instruments.scoring import score
from afterglow.intake.models import IntakeSubmission, Status
from afterglow.patients.models import Patient


def row_counts() -> dict[str, int]:
    models = (Clinic, User, Membership, Patient, IntakeSubmission, Response)
    return {model.__name__: model.objects.count() for model in models}


def test_the_default_demo_clinic_has_100_plus_patients_from_intake_with_pcl5_histories(
    db: None,
) -> None:
    synthetic = generate_clinic()

    result = seed_demo_clinic(synthetic=synthetic)

    clinic = result.clinic
    assert result.created
    assert (clinic.name, clinic.slug, clinic.timezone) == (DEMO_CLINIC_NAME, "demo", DEMO_TIMEZONE)
    patients = Patient.objects.for_clinic(clinic)
    assert patients.count() == result.patients == len(synthetic.patients) >= 100
    # Every patient came from an intake submission, enrolled by the coordinator.
    assert IntakeSubmission.objects.filter(
        patient__in=patients, status=Status.ENROLLED
    ).count() == (patients.count())
    assert not patients.filter(responses__isnull=True).exists()
    expected = sum(len(p.pcl5) for p in synthetic.patients)
    assert Response.objects.for_clinic(clinic).filter(instrument="pcl5").count() == expected
    assert result.responses == expected
    # The trauma context and service status given at enrolment were kept.
    assert patients.filter(veteran_status="veteran").exists()
    assert patients.filter(trauma_context="civilian").exists()


def test_stored_scores_are_the_scoring_modules_own(db: None) -> None:
    result = seed_demo_clinic(synthetic=generate_clinic(n_patients=8))
    pcl5 = get_instrument("pcl5")

    responses = list(Response.objects.for_clinic(result.clinic).filter(instrument="pcl5"))
    assert responses
    for response in responses:
        expected = score(pcl5, response.answers, cutoff=result.clinic.pcl5_cutoff)
        assert (response.complete, response.total) == (expected.complete, expected.total)
        assert response.subscales == expected.subscales
        assert response.flag == expected.flag


def test_history_is_dated_in_the_past_in_the_clinics_timezone(db: None) -> None:
    synthetic = generate_clinic(n_patients=6)
    result = seed_demo_clinic(synthetic=synthetic)

    tz = result.clinic.tzinfo
    for person in synthetic.patients:
        patient = Patient.objects.get(clinic=result.clinic, email=person.email)
        assert patient.created_at.astimezone(tz).replace(tzinfo=None) == person.enrolled_at
        submitted = patient.intake.created_at.astimezone(tz).replace(tzinfo=None)
        assert submitted == person.submitted_at
        stored = [
            r.administered_at.astimezone(tz).replace(tzinfo=None)
            for r in patient.responses.filter(instrument="pcl5")
        ]
        assert stored == [given.administered_at for given in person.pcl5]
        assert patient.sex == person.sex
        assert patient.status == person.care_status


def test_there_is_a_login_for_every_role(db: None) -> None:
    result = seed_demo_clinic(synthetic=generate_clinic(n_patients=2))

    roles = Membership.objects.filter(clinic=result.clinic).values_list("role", flat=True)
    assert sorted(roles) == sorted(Role.values)
    assert {login.role for login in result.logins} == set(Role.values)
    assert all(login.state == LOGIN_CREATED for login in result.logins)
    assert Client().login(request=HttpRequest(), username="demo-nurse", password=DEMO_PASSWORD)


def test_new_submissions_wait_in_the_queue_some_with_safety_flags(db: None) -> None:
    result = seed_demo_clinic(synthetic=generate_clinic(n_patients=2, n_new_intake=6))

    waiting = IntakeSubmission.objects.for_clinic(result.clinic).filter(status=Status.NEW)
    assert result.waiting == waiting.count() == 6
    assert not waiting.filter(patient__isnull=False).exists()
    assert any(submission.flags for submission in waiting)
    further = IntakeSubmission.objects.for_clinic(result.clinic).exclude(
        status__in=[Status.NEW, Status.ENROLLED]
    )
    assert set(further.values_list("status", flat=True)) == {"contacted", "screening", "declined"}
    assert all(s.staff_note and s.status_changed_by for s in further)


def test_seeding_again_creates_nothing(db: None) -> None:
    synthetic = generate_clinic(n_patients=5)
    seed_demo_clinic(synthetic=synthetic)
    before = row_counts()

    again = seed_demo_clinic(synthetic=generate_clinic(seed=2, n_patients=9))

    assert not again.created
    assert row_counts() == before
    assert again.patients == 5
    assert all(login.state == LOGIN_KEPT for login in again.logins)


def test_an_existing_demo_user_keeps_their_password(db: None) -> None:
    nurse = User.objects.create_user(username="demo-nurse", password="their-own-password-1")

    result = seed_demo_clinic(synthetic=generate_clinic(n_patients=1))

    nurse.refresh_from_db()
    assert nurse.check_password("their-own-password-1")
    assert Membership.objects.get(user=nurse).clinic == result.clinic
    states = {login.username: login.state for login in result.logins}
    assert states["demo-nurse"] == LOGIN_KEPT
    assert states["demo-admin"] == LOGIN_CREATED


def test_the_same_seed_under_another_slug_makes_a_separate_clinic(db: None) -> None:
    synthetic = generate_clinic(n_patients=3)
    first = seed_demo_clinic(synthetic=synthetic)

    second = seed_demo_clinic(synthetic=synthetic, slug="demo-2")

    assert second.created
    assert Patient.objects.for_clinic(first.clinic).count() == 3
    assert Patient.objects.for_clinic(second.clinic).count() == 3
    assert IntakeSubmission.objects.for_clinic(second.clinic).count() == first.submissions


def test_the_demo_command_seeds_once_and_prints_the_logins_each_time(db: None) -> None:
    first, second = io.StringIO(), io.StringIO()

    call_command("demo", "--patients", "4", stdout=first)
    call_command("demo", "--patients", "4", stdout=second)

    assert "Created the demo clinic" in first.getvalue()
    assert "already exists" in second.getvalue()
    assert Patient.objects.count() == 4
    for output in (first.getvalue(), second.getvalue()):
        for role in Role.values:
            assert f"demo-{role}" in output
        assert DEMO_PASSWORD in output
        assert "/staff/" in output


def test_the_demo_command_refuses_zero_patients(db: None) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("demo", "--patients", "0", stdout=io.StringIO())
