"""Reads about clinics and memberships."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from afterglow.accounts.models import Clinic, Membership

SESSION_CLINIC_KEY = "afterglow_clinic_id"


def membership_for_request(request: HttpRequest) -> Membership | None:
    """The membership the signed-in user is acting under.

    A user in several clinics works in one at a time: the clinic chosen in this
    session, else their first active membership.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=user).select_related("clinic", "user")
    chosen = request.session.get(SESSION_CLINIC_KEY)
    if chosen is not None:
        membership = memberships.filter(clinic_id=chosen).first()
        if membership is not None:
            return membership
    return memberships.order_by("clinic__name", "pk").first()


def memberships_for_user(user: User) -> list[Membership]:
    return list(Membership.objects.active().filter(user=user).select_related("clinic"))


def public_intake_clinic(slug: str = "") -> Clinic | None:
    """The clinic whose public intake form the home page shows."""
    clinics = Clinic.objects.all()
    if slug:
        return clinics.filter(slug=slug).first()
    return clinics.order_by("pk").first()
