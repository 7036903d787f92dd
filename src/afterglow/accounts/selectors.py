"""Reads about clinics and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.models import User
from django.http import HttpRequest

from afterglow.accounts.models import Clinic, Membership, MembershipQuerySet

SESSION_CLINIC_KEY = "afterglow_clinic_id"


def membership_for_request(request: HttpRequest) -> Membership | None:
    """The membership the signed-in user is acting under.

    A user in several clinics works in one at a time: the clinic chosen in this
    session, else their first active membership (by clinic name).
    """
    memberships = memberships_for_request(request)
    chosen = request.session.get(SESSION_CLINIC_KEY) if memberships else None
    if chosen is not None:
        for membership in memberships:
            if membership.clinic_id == chosen:
                return membership
    return memberships[0] if memberships else None


_MEMBERSHIPS_ATTR = "_afterglow_memberships"


def memberships_for_request(request: HttpRequest) -> list[Membership]:
    """The signed-in user's active memberships, by clinic name: one query per request
    (the header's clinic switcher reuses what choosing the membership read)."""
    cached: list[Membership] | None = getattr(request, _MEMBERSHIPS_ATTR, None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    memberships = list(_active_memberships().filter(user=user))
    for membership in memberships:
        # The request's user is the membership's: no join to read it again.
        membership.user = user
    setattr(request, _MEMBERSHIPS_ATTR, memberships)
    return memberships


@cache
def _active_memberships() -> MembershipQuerySet:
    # Built once per process, never evaluated itself: every staff request reads the
    # user's memberships, and building the query cost more than answering it (issue 13 §2).
    # ``Membership.objects.active()`` also joins the user to check that the account is
    # active; the request's user is known and checked above, so the join is left out.
    return (
        Membership.objects.filter(is_active=True)
        .select_related("clinic")
        .order_by("clinic__name", "pk")
    )


def memberships_for_user(user: User) -> list[Membership]:
    return list(Membership.objects.active().filter(user=user).select_related("clinic"))


def public_intake_clinic(slug: str = "") -> Clinic | None:
    """The clinic whose public intake form the home page shows."""
    clinics = Clinic.objects.all()
    if slug:
        return clinics.filter(slug=slug).first()
    return clinics.order_by("pk").first()


@dataclass(frozen=True)
class MemberSecurity:
    locked: bool
    mfa_enrolled: bool


def member_security(members: list[Membership]) -> dict[int, MemberSecurity]:
    """Per membership: locked out of sign-in now, and enrolled in two-step sign-in (2 queries)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from afterglow.accounts.lockout import locked_usernames

    locked = locked_usernames(m.user.username for m in members)
    enrolled = set(
        TOTPDevice.objects.filter(
            user__in=[m.user_id for m in members], confirmed=True
        ).values_list("user_id", flat=True)
    )
    return {
        m.pk: MemberSecurity(locked=m.user.username in locked, mfa_enrolled=m.user_id in enrolled)
        for m in members
    }
