"""Sign-in, failed sign-in and sign-out are recorded; the password never is."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from afterglow.audit.models import Action, AuditEvent
from tests.factories import PASSWORD


def newest() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


def test_sign_in_failure_and_sign_out_are_recorded(clinician) -> None:
    client = Client()
    login = reverse("accounts:login")
    client.post(login, {"username": "clinician", "password": "wrong-password-123"})
    failed = newest()
    assert failed.action == Action.SIGN_IN_FAILED
    assert (failed.actor_user_id, failed.actor_username) == (None, "clinician")
    assert "wrong-password" not in str(failed.content())

    client.post(login, {"username": "clinician", "password": PASSWORD})
    signed_in = newest()
    assert signed_in.action == Action.SIGN_IN
    assert (signed_in.actor_user_id, signed_in.clinic_id) == (
        clinician.user.pk,
        clinician.clinic.pk,
    )

    client.post(reverse("accounts:logout"))
    signed_out = newest()
    assert (signed_out.action, signed_out.actor_user_id) == (Action.SIGN_OUT, clinician.user.pk)


def test_a_typed_name_that_is_no_account_is_not_kept(clinician) -> None:
    # A mistyped password in the username box must not land in the audit trail.
    Client().post(reverse("accounts:login"), {"username": "hunter2-oops", "password": "x" * 12})
    failed = newest()
    assert (failed.action, failed.actor_username) == (Action.SIGN_IN_FAILED, "(no such account)")
    assert "hunter2" not in str(failed.content())


def test_lockout_and_the_admins_unlock_are_in_the_trail(admin, colleague) -> None:
    login = reverse("accounts:login")
    for _ in range(5):
        Client().post(login, {"username": "colleague", "password": "not-the-password"})
    locked = AuditEvent.objects.filter(action=Action.LOCKOUT).get()
    assert (locked.actor_user_id, locked.object_id) == (None, str(colleague.user.pk))
    assert locked.clinic_id == colleague.clinic.pk

    admin.client.post(reverse("accounts:staff_unlock", kwargs={"pk": colleague.membership.pk}))
    unlocked = newest()
    assert unlocked.action == Action.UNLOCK
    assert (unlocked.actor_user_id, unlocked.object_id) == (admin.user.pk, str(colleague.user.pk))
