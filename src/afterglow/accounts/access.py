"""The staff-page gate: login, an active clinic membership, and a capability.

Every staff view is wrapped in :func:`staff_required` naming the capability it needs
(``accounts/capabilities.py`` holds the role × capability table) and annotates its
request as :class:`StaffRequest`: behind the gate ``request.membership`` is the user's
active membership (never None), so a view reads it and never looks it up again.
Object-level access lives in one helper per object type
(``patients.access.get_patient_for``, ...), each filtering by ``membership.clinic`` so
an object of another clinic is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404

from afterglow.accounts.capabilities import Capability, role_can, roles_with
from afterglow.accounts.models import Membership

View = Callable[..., HttpResponseBase]


class StaffRequest(HttpRequest):
    """The request a :func:`staff_required` view receives (a type for mypy, no new object).

    ``accounts.middleware`` sets ``membership`` on every request (None without one);
    the gate has checked it is an active membership whose role has the capability.
    """

    membership: Membership
    user: User


def staff_required(*, capability: Capability) -> Callable[[View], View]:
    """Require a signed-in user with an active membership whose role has ``capability``.

    Anonymous visitors go to the login page. A signed-in user with no clinic gets
    a 404 (nothing here is theirs); a member whose role lacks the permission gets
    a 403 that says so.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = request.membership  # type: ignore[attr-defined]
            if not membership:
                raise Http404("No clinic membership")
            if not role_can(membership.role, capability):
                raise PermissionDenied(
                    f"Your role ({membership.get_role_display()}) cannot open this page."
                )
            return view(request, *args, **kwargs)

        # Read by the navigation and the access tests.
        wrapped.staff_capability = capability  # type: ignore[attr-defined]
        wrapped.staff_roles = roles_with(capability)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require_membership(request: HttpRequest) -> Membership:
    """The membership of a request not behind :func:`staff_required` (404 without one).

    Views behind the gate read ``request.membership`` (a :class:`StaffRequest`) instead.
    """
    membership: Membership | None = request.membership  # type: ignore[attr-defined]
    if not membership:
        raise Http404("No clinic membership")
    return membership


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff user (views behind :func:`staff_required` only)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user


def get_membership_for(membership: Membership, pk: int) -> Membership:
    """A membership of this member's clinic, else 404."""
    return get_object_or_404(
        Membership.objects.select_related("user", "clinic"), pk=pk, clinic_id=membership.clinic_id
    )
