"""The demo clinic's invitations: a realistic mix, linked to its responses, never sent."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from afterglow.accounts.models import Role
from afterglow.demo.seed import seed_demo_clinic
from afterglow.demo.synthetic import generate_clinic
from afterglow.schedules.models import Delivery, Invitation, InvitationStatus
from afterglow.schedules.selectors import worklist


@pytest.fixture(scope="module")
def synthetic():
    return generate_clinic(n_patients=24)


@pytest.fixture
def seeded(db, synthetic):
    return seed_demo_clinic(synthetic=synthetic)


def test_the_demo_has_a_mix_of_invitations_and_sends_nothing(seeded) -> None:
    clinic = seeded.clinic
    now = timezone.now()
    mine = Invitation.objects.filter(clinic=clinic)
    statuses = set(mine.values_list("status", flat=True))
    assert {
        InvitationStatus.COMPLETED,
        InvitationStatus.EXPIRED,
        InvitationStatus.SENT,
        InvitationStatus.SCHEDULED,
    } <= statuses
    # Every course has its schedule; what is due later is still to be sent.
    assert mine.values("course").distinct().count() == seeded.courses
    assert not mine.filter(due_at__gt=now).exclude(status=InvitationStatus.SCHEDULED).exists()
    # Linked answers are of the instrument asked for, inside the invitation's window.
    linked = mine.filter(response__isnull=False).select_related("response")
    assert linked.exists()
    for invitation in linked:
        assert invitation.response.instrument == invitation.instrument
        assert invitation.response.patient_id == invitation.patient_id
        assert invitation.response.administered_at < invitation.expires_at
    # Messages lie in the past, one per sequence, and nothing was queued or sent.
    messages = Delivery.objects.filter(invitation__clinic=clinic)
    assert messages.exists()
    assert not messages.filter(claimed_at__gt=now).exists()
    assert not messages.filter(claimed_at__lt=F("invitation__due_at")).exists()
    assert mail.outbox == []
    assert not DBTaskResult.objects.exists()


def test_the_demo_worklist_has_work_and_opens(seeded, client) -> None:
    clinic = seeded.clinic
    today = worklist(clinic=clinic)
    assert today.expired or today.overdue or today.due_today
    nurse = clinic.memberships.get(role=Role.NURSE).user
    client.force_login(nurse)
    page = client.get(reverse("schedules:worklist"))
    assert page.status_code == 200


def test_seeding_again_adds_no_invitation(seeded, synthetic) -> None:
    before = Invitation.objects.count(), Delivery.objects.count()
    again = seed_demo_clinic(synthetic=synthetic)
    assert not again.created
    assert (Invitation.objects.count(), Delivery.objects.count()) == before
