"""Middleware for sign-in and hardening (issue 11).

- ``NoStoreMiddleware``: no page of this application may be kept by a browser or a
  proxy cache (staff pages and patients' link pages hold health information).
- ``RequestTooBigMiddleware``: a form post over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` gets a page
  that explains the limit (400) instead of a server error.
- ``IdleTimeoutMiddleware``: a signed-in session ends after ``SESSION_IDLE_MINUTES``
  without a request, or ``SESSION_COOKIE_AGE`` after sign-in.
- ``MfaRequiredMiddleware``: a signed-in user who must pass two-step sign-in and has not
  yet reaches nothing under /staff/ but the two-step pages and sign-out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from afterglow.accounts.events import SecurityAction, security_event
from afterglow.accounts.mfa import confirmed_device, mfa_required
from afterglow.accounts.session_policy import seconds_left, session_touch

GetResponse = Callable[[HttpRequest], HttpResponse]
STAFF_PREFIX = "/staff/"
#: Sent by a page's automatic refresh (``hx-headers``): not activity, so no idle reset.
POLL_HEADER = "X-Afterglow-Poll"


class NoStoreMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Static files never reach this (WhiteNoise answers them earlier).
        response["Cache-Control"] = "no-store"
        return response


class RequestTooBigMiddleware:
    """Reads the form body up front so that a too-large post is answered here, politely."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018  (parsing is what raises)
            except RequestDataTooBig:
                return too_big_response(request)
        return self.get_response(request)


def too_big_response(request: HttpRequest) -> HttpResponse:
    referer = str(request.META.get("HTTP_REFERER", ""))
    back = referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}) else ""
    return render(
        request,
        "request_too_big.html",
        {"limit_kb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024, "back": back},
        status=400,
    )


@cache
def _idle_status_path() -> str:
    return reverse("accounts:session_status")


class IdleTimeoutMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if seconds_left(request) <= 0:
                security_event(action=SecurityAction.IDLE_TIMEOUT, request=request, user=user)
                logout(request)
                messages.info(request, "You were signed out after a period without activity.")
                if request.path.startswith(STAFF_PREFIX) and request.path != _idle_status_path():
                    to_login = redirect_to_login(request.get_full_path())
                    if request.headers.get("HX-Request"):
                        # htmx would follow a redirect and swap the sign-in page into
                        # the board; HX-Redirect makes it load the sign-in page instead.
                        return HttpResponse(status=204, headers={"HX-Redirect": to_login.url})
                    return to_login
            elif not (
                request.method == "GET"
                and (request.path == _idle_status_path() or request.headers.get(POLL_HEADER))
            ):
                # The warning script asks how long is left, and a page's automatic refresh
                # (the Today board's poll) fetches new rows, without resetting the clock:
                # a screen left open still signs out after the idle time. A read moves
                # the clock at most once a minute (no session write on most page views);
                # a write always does.
                session_touch(request, always=request.method not in ("GET", "HEAD"))
        return self.get_response(request)


@cache
def _mfa_open_paths() -> frozenset[str]:
    names = ("accounts:mfa_verify", "accounts:mfa_setup", "accounts:logout", "accounts:login")
    return frozenset(reverse(name) for name in names) | {_idle_status_path()}


class MfaRequiredMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and request.path.startswith(STAFF_PREFIX)
            and request.path not in _mfa_open_paths()
            and not user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
            and mfa_required(user)
        ):
            target = "accounts:mfa_verify" if confirmed_device(user) else "accounts:mfa_setup"
            response = HttpResponse(status=302)
            response["Location"] = (
                f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
            )
            return response
        return self.get_response(request)
