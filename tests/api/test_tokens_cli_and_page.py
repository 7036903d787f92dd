"""``afterglow apitoken`` and the clinic admin's API tokens page."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from afterglow.api.models import ApiToken
from afterglow.core.tokens import hash_token


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apitoken", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_token_once_and_it_works(clinician) -> None:
    token = run(
        "create",
        "--clinic",
        "home",
        "--user",
        "clinician",
        "--scope",
        "read",
        "--expires-days",
        "7",
        "--name",
        "REDCap sync",
    ).strip()
    row = ApiToken.objects.get()
    assert row.token_hash == hash_token(token) and row.name == "REDCap sync"
    assert row.scope == "read"
    assert round((row.expires_at - row.created_at).total_seconds() / 86400) == 7
    listing = run("list", "--clinic", "home")
    assert row.prefix in listing and "active" in listing and token not in listing
    assert "revoked" in run("revoke", str(row.pk))
    assert "\trevoked\t" in run("list", "--clinic", "home")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create", "--clinic", "nowhere", "--user", "clinician", "--scope", "read"], "no clinic"),
        (["create", "--clinic", "home", "--user", "ghost", "--scope", "read"], "no user"),
        (["create", "--clinic", "home", "--user", "outsider", "--scope", "read"], "not an active"),
        (
            [
                "create",
                "--clinic",
                "home",
                "--user",
                "clinician",
                "--scope",
                "read",
                "--expires-days",
                "9999",
            ],
            "1 to 365 days",
        ),
        (["create", "--clinic", "home", "--user", "clinician", "--scope", "admin"], "invalid"),
        (["revoke", "424242"], "no API token with id 424242"),
    ],
)
def test_bad_input_exits_2_with_one_line(clinician, outsider, args, says) -> None:
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert refused.value.returncode == 2
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert not ApiToken.objects.exists()


def test_a_clinic_admin_creates_a_token_sees_it_once_and_revokes_it(admin, clinician) -> None:
    url = reverse("api_tokens:list")
    page = admin.client.post(
        url,
        {
            "name": "Tablet",
            "member": clinician.membership.pk,
            "scope": "write",
            "expires_days": 30,
        },
    )
    assert page.status_code == 200
    row = ApiToken.objects.get()
    token = page.context["created"]
    assert row.token_hash == hash_token(token) and token.encode() in page.content
    # Shown once: the next visit lists the prefix only.
    again = admin.client.get(url)
    assert token.encode() not in again.content and row.prefix.encode() in again.content
    admin.client.post(reverse("api_tokens:revoke", kwargs={"pk": row.pk}))
    row.refresh_from_db()
    assert row.state == "revoked" and row.revoked_by == admin.user


def test_the_page_refuses_a_lifetime_beyond_the_maximum_and_keeps_what_was_typed(
    admin, clinician
) -> None:
    page = admin.client.post(
        reverse("api_tokens:list"),
        {
            "name": "Too long",
            "member": clinician.membership.pk,
            "scope": "read",
            "expires_days": 1000,
        },
    )
    assert page.status_code == 200 and not ApiToken.objects.exists()
    assert b"Too long" in page.content and page.context["created"] is None


def test_another_clinics_token_cannot_be_revoked(admin, outsider) -> None:
    from afterglow.api.services import apitoken_create

    theirs, _ = apitoken_create(
        clinic=outsider.clinic, user=outsider.user, scope="read", name="x", by=None
    )
    answer = admin.client.post(reverse("api_tokens:revoke", kwargs={"pk": theirs.pk}))
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
