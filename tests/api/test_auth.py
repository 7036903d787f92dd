"""API tokens: stored as a hash, scoped, expiring, revocable, acting as their user's role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from afterglow.accounts.models import Membership, Role
from afterglow.api.auth import ApiAuthError, authenticate_bearer
from afterglow.api.models import ApiToken
from afterglow.api.services import apitoken_create, apitoken_revoke
from afterglow.audit.models import Action, AuditEvent
from afterglow.core.tokens import hash_token
from tests.api.conftest import caller_for
from tests.conftest import _persona
from tests.factories import PatientFactory


def bearer(token: str):
    return RequestFactory().get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"})


def test_a_token_is_shown_once_and_only_its_hash_is_stored(clinician, admin) -> None:
    row, token = apitoken_create(
        clinic=clinician.clinic, user=clinician.user, scope="read", name="sync", by=admin.user
    )
    assert token.startswith("agt_") and len(token) >= 40
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert token not in {str(v) for v in stored.values()}
    assert stored["token_hash"] == hash_token(token)
    assert token.startswith(stored["prefix"]) and len(stored["prefix"]) == 12
    # The audit event names the prefix, never the token.
    event = AuditEvent.objects.get(action=Action.API_TOKEN_CREATE)
    assert event.actor_user_id == admin.user.pk and event.object_id == str(row.pk)
    assert row.prefix in event.note and token not in event.note + str(event.changes)


def test_the_default_lifetime_is_the_setting_and_the_maximum_is_enforced(
    clinician, settings
) -> None:
    settings.AFTERGLOW_API_TOKEN_DAYS = 30
    settings.AFTERGLOW_API_TOKEN_MAX_DAYS = 60
    row, _ = apitoken_create(
        clinic=clinician.clinic, user=clinician.user, scope="read", name="a", by=None
    )
    assert abs((row.expires_at - row.created_at) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)
    with pytest.raises(ValidationError, match="1 to 60 days"):
        apitoken_create(
            clinic=clinician.clinic,
            user=clinician.user,
            scope="read",
            name="b",
            by=None,
            expires_days=61,
        )
    assert ApiToken.objects.count() == 1


def test_a_token_is_only_for_an_active_member_of_the_clinic(clinician, outsider) -> None:
    with pytest.raises(ValidationError, match="not an active member"):
        apitoken_create(
            clinic=clinician.clinic, user=outsider.user, scope="write", name="x", by=None
        )


def test_a_live_token_acts_as_its_member(clinician) -> None:
    caller = caller_for(clinician, "read")
    request = bearer(caller.token)
    membership = authenticate_bearer(request, write=False)
    assert membership == clinician.membership
    assert request.user == clinician.user
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("", "No credentials"),
        ("Basic dXNlcjpwYXNz", "not a bearer token"),
        ("Bearer agt_not-a-real-token", "Unknown token"),
    ],
)
def test_no_or_an_unknown_token_is_401(db, header, says) -> None:
    headers = {"Authorization": header} if header else {}
    request = RequestFactory().get("/api/v1/patients", headers=headers)
    with pytest.raises(ApiAuthError) as refused:
        authenticate_bearer(request, write=False)
    assert refused.value.status == 401 and says in refused.value.detail


def test_an_expired_a_revoked_or_an_orphaned_token_is_401(clinician, time_machine) -> None:
    expired = caller_for(clinician, "read")
    revoked = caller_for(clinician, "read")
    apitoken_revoke(token=ApiToken.objects.get(token_hash=hash_token(revoked.token)), by=None)
    with pytest.raises(ApiAuthError, match="was revoked") as refused:
        authenticate_bearer(bearer(revoked.token), write=False)
    assert refused.value.status == 401
    assert AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKE).count() == 1

    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=91))
    with pytest.raises(ApiAuthError, match="has expired"):
        authenticate_bearer(bearer(expired.token), write=False)


def test_a_token_stops_when_its_user_leaves_the_clinic_or_is_deactivated(clinician) -> None:
    caller = caller_for(clinician, "read")
    Membership.objects.filter(pk=clinician.membership.pk).update(is_active=False)
    with pytest.raises(ApiAuthError, match="no longer an active member") as refused:
        authenticate_bearer(bearer(caller.token), write=False)
    assert refused.value.status == 401
    Membership.objects.filter(pk=clinician.membership.pk).update(is_active=True)
    clinician.user.is_active = False
    clinician.user.save()
    with pytest.raises(ApiAuthError, match="no longer an active member"):
        authenticate_bearer(bearer(caller.token), write=False)


def test_a_read_token_can_never_write(clinician, api_read) -> None:
    with pytest.raises(ApiAuthError, match="read-only") as refused:
        authenticate_bearer(bearer(api_read.token), write=True)
    assert refused.value.status == 403
    patient = PatientFactory(clinic=clinician.clinic)
    answer = api_read.post(
        "/api/v1/responses", {"patient_id": patient.pk, "instrument": "phq9", "answers": [0] * 9}
    )
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert "read-only" in answer.json()["detail"]
    assert not patient.responses.exists()


def test_the_role_decides_what_a_token_may_read(clinic, clinician) -> None:
    patient = PatientFactory(clinic=clinic)
    coordinator = caller_for(_persona(clinic, Role.COORDINATOR, "front-desk"), "read")
    researcher = caller_for(_persona(clinic, Role.RESEARCHER, "stats"), "read")
    assert coordinator.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    refused = coordinator.get("/api/v1/responses")
    assert refused.status_code == 403 and "clinical_record" in refused.json()["detail"]
    assert researcher.get(f"/api/v1/patients/{patient.pk}").status_code == 403
    assert researcher.get("/api/v1/analysis/cohort").status_code == 200


def test_a_staff_session_cookie_opens_nothing_in_the_api(clinician) -> None:
    # Signed in as a clinician in the browser, but no token: the API does not look at sessions.
    answer = clinician.client.get("/api/v1/patients")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_calls_beyond_the_rate_limit_get_429(api, settings) -> None:
    settings.AFTERGLOW_API_RATE_PER_MINUTE = 2
    assert api.get("/api/v1/trials").status_code == 200
    assert api.get("/api/v1/trials").status_code == 200
    answer = api.get("/api/v1/trials")
    assert answer.status_code == 429 and answer["Retry-After"] == "60"
    assert answer.json()["title"] == "Too Many Requests"
