"""The demo clinic's invitations: a realistic mix, linked to its responses, never sent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from afterglow.accounts.models import Role
from afterglow.demo.seed import DEMO_TIMEZONE, seed_demo_clinic
from afterglow.demo.seed_schedules import SEND_DELAY
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


@pytest.mark.parametrize("minutes_after", [1, 3])  # 3: the first message is due now
def test_no_seeded_message_lies_in_the_future_when_seeded_just_after_a_due_time(
    db, time_machine, minutes_after
) -> None:
    """CI once seeded at 09:01 clinic time: an invitation due at 09:00 got a message
    claimed at 09:03, two minutes ahead of the clock. A message goes SEND_DELAY after its
    due time, so whatever the minute of seeding, none may lie ahead of it."""
    due = dt.datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo(DEMO_TIMEZONE))
    now = due + dt.timedelta(minutes=minutes_after)
    time_machine.move_to(now, tick=False)
    seeded = seed_demo_clinic(synthetic=generate_clinic(n_patients=24))
    mine = Invitation.objects.filter(clinic=seeded.clinic)
    # The edge is exercised: something falls due at 09:00 on the day seeded.
    assert mine.filter(due_at=due).exists()
    assert not Delivery.objects.filter(
        invitation__clinic=seeded.clinic, claimed_at__gt=now
    ).exists()
    waiting = mine.filter(due_at__gt=now - SEND_DELAY)
    assert waiting.exists()
    assert not waiting.exclude(status=InvitationStatus.SCHEDULED).exists()
