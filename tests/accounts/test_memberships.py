"""The memberships a staff request acts under: the signed-in user's active ones, read once."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.accounts.selectors import (
    SESSION_CLINIC_KEY,
    membership_for_request,
    memberships_for_request,
)
from tests.factories import ClinicFactory, MembershipFactory


def request_of(user):
    request = RequestFactory().get("/staff/")
    request.user = user
    request.session = SessionStore()
    return request


def test_a_users_active_memberships_by_clinic_name_and_their_user_without_a_query(
    clinician,
) -> None:
    user = clinician.user
    other = MembershipFactory(user=user, clinic=ClinicFactory(name="Anchor Clinic"))
    MembershipFactory(user=user, clinic=ClinicFactory(name="Bay Clinic"), is_active=False)
    request = request_of(user)

    memberships = memberships_for_request(request)

    assert memberships == [other, clinician.membership]  # Anchor, then Home
    with CaptureQueriesContext(connection) as queries:
        assert [m.user for m in memberships] == [user, user]
        assert memberships_for_request(request) is memberships  # read once per request
        assert [m.clinic.name for m in memberships] == ["Anchor Clinic", "Home Clinic"]
    assert len(queries) == 0


def test_the_clinic_chosen_in_the_session_else_the_first(clinician) -> None:
    other = MembershipFactory(
        user=clinician.user, clinic=ClinicFactory(name="Anchor Clinic"), role=Role.NURSE
    )
    request = request_of(clinician.user)
    assert membership_for_request(request) == other
    request = request_of(clinician.user)
    request.session[SESSION_CLINIC_KEY] = clinician.clinic.pk
    assert membership_for_request(request) == clinician.membership


def test_no_membership_for_a_deactivated_account_or_nobody(clinician) -> None:
    """Django signs a deactivated account out at its next request; the membership read
    checks the account too, as the query's join to the user did before (issue 13 §2)."""
    clinician.user.is_active = False
    assert memberships_for_request(request_of(clinician.user)) == []
    assert membership_for_request(request_of(AnonymousUser())) is None


def test_a_deactivated_account_with_a_live_session_reaches_no_staff_page(clinician) -> None:
    clinician.user.is_active = False
    clinician.user.save(update_fields=["is_active"])
    page = clinician.client.get(reverse("patients:list"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
