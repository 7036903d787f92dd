"""Sign-in pages beyond the password: two-step sign-in, session status, password reset.

The admin actions on a member (unlock, reset two-step sign-in) are in ``views.py`` with
the other staff-list actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from afterglow.accounts.access import acting_user
from afterglow.accounts.events import SecurityAction, security_event
from afterglow.accounts.mfa import (
    RECOVERY_CODE_COUNT,
    confirmed_device,
    mfa_verify,
    qr_svg,
    recovery_codes_issue,
    recovery_codes_left,
    secret_text,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from afterglow.accounts.password_reset import password_reset_allowed
from afterglow.accounts.session_policy import seconds_left
from afterglow.core.client import client_address


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("home_staff")


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: QR code and secret as text, then a first code."""
    user = acting_user(request)
    enrolled = confirmed_device(user)
    if enrolled is not None and not user.is_verified():  # type: ignore[attr-defined]
        # Changing the authenticator needs the current one first.
        return redirect(
            f"{reverse('accounts:mfa_verify')}?{urlencode({'next': request.get_full_path()})}"
        )
    if request.method == "POST" and request.POST.get("action") == "new-codes" and enrolled:
        return _show_codes(request, recovery_codes_issue(user=user))
    device = totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fresh = totp_enrolment_confirm(device=device, token=form.cleaned_data["code"])
        if fresh is None:
            form.add_error(
                "code",
                "That code did not match. Check the time on your phone is right and type the "
                "six digits the app shows now.",
            )
        else:
            otp_login(request, device)
            return _show_codes(request, fresh)
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg(device),
            "secret": secret_text(device),
            "enrolled": enrolled,
            "codes_left": recovery_codes_left(user) if enrolled else None,
            "next": _next_url(request),
        },
    )


def _show_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Shown once, in this response only (never stored in the session or sent again).
    return render(
        request,
        "accounts/mfa_codes.html",
        {"codes": codes, "count": RECOVERY_CODE_COUNT, "next": _next_url(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a recovery code."""
    user = acting_user(request)
    if confirmed_device(user) is None:
        return redirect(
            f"{reverse('accounts:mfa_setup')}?{urlencode({'next': _next_url(request)})}"
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, used_recovery = mfa_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if used_recovery:
                left = recovery_codes_left(user)
                return render(
                    request,
                    "accounts/mfa_recovery_used.html",
                    {"left": left, "next": _next_url(request)},
                )
            return redirect(_next_url(request))
        form.add_error(
            "code",
            "That code did not match. Type the six digits your authenticator app shows now, "
            "or one of your recovery codes. After several wrong codes you must wait a little "
            "longer before each try.",
        )
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> JsonResponse:
    """Seconds left in this session, for the idle warning.

    GET only asks and does not extend the session; POST ("Stay signed in") is a request
    like any other and starts the idle clock again (``IdleTimeoutMiddleware``).
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0})
    return JsonResponse({"signed_in": True, "seconds_left": max(0, seconds_left(request))})


# --- password reset (Django's views, rate-limited) -----------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, Any]:  # type: ignore[override]
        return {"reset_link_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}

    def form_valid(self, form: Any) -> HttpResponse:
        verdict = password_reset_allowed(
            address=client_address(self.request), email=form.cleaned_data["email"]
        )
        if verdict == "address":
            security_event(action=SecurityAction.PASSWORD_RESET_REFUSED, request=self.request)
            form.add_error(
                None,
                "Too many password resets were asked for from your connection in the last "
                f"hour (at most {settings.AFTERGLOW_PASSWORD_RESET_PER_ADDRESS}). Please try "
                "again later, or ask your clinic admin.",
            )
            return self.form_invalid(form)
        if verdict == "account":
            # Same page as a sent email: the page never tells whether an account exists.
            security_event(action=SecurityAction.PASSWORD_RESET_REFUSED, request=self.request)
            return redirect(self.get_success_url())
        security_event(action=SecurityAction.PASSWORD_RESET_REQUESTED, request=self.request)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event(
            action=SecurityAction.PASSWORD_RESET_DONE, request=self.request, user=form.user
        )
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
