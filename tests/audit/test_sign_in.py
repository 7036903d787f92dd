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
