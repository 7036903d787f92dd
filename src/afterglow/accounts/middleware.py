"""Attach the signed-in staff member's clinic membership to the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from afterglow.accounts.selectors import membership_for_request


class ClinicMiddleware:
    """Sets ``request.membership`` lazily (``None`` for anonymous users or users
    without an active membership); views never pick a clinic themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: membership_for_request(request))  # type: ignore[attr-defined]
        # Staff see every date and time in their clinic's timezone, for this request
        # only: the thread goes back to UTC afterwards.
        if request.user.is_authenticated and request.membership:  # type: ignore[attr-defined]
            timezone.activate(request.membership.clinic.tzinfo)  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
