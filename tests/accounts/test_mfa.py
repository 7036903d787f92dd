"""Two-step sign-in: nothing under /staff/ before it is passed, enrolment, recovery codes.

Personas: a nurse (``colleague``) who must use an authenticator app, the clinic's
``admin`` who resets it when her phone is lost, and a demo-clinic user.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from afterglow.accounts.mfa import hash_recovery_code
from afterglow.accounts.models import RecoveryCode, Role
from tests.accounts.test_access import (
    API_CAPABILITY,
    PUBLIC,
    SIGNED_IN,
    _kwargs_for,
    all_named_patterns,
)
from tests.accounts.test_access import home_objects as home_objects
from tests.factories import PASSWORD, ClinicFactory, MembershipFactory, UserFactory

LOGIN = reverse("accounts:login")
SETUP = reverse("accounts:mfa_setup")
VERIFY = reverse("accounts:mfa_verify")


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.AFTERGLOW_REQUIRE_MFA = True
    settings.AFTERGLOW_MFA_EXEMPT_DEMO = True


def password_only(user: User) -> Client:
    """A browser that has passed the password step and nothing more."""
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def code_now(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrol(client: Client, user: User) -> list[str]:
    """Set up the authenticator through the pages; the recovery codes shown."""
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post(SETUP, {"code": code_now(device)}).content.decode()
    return re.findall(r"<code>([A-Z0-9-]{19})</code>", page)


def test_every_staff_page_sends_a_password_only_user_to_set_up_two_step(
    colleague, home_objects
) -> None:
    client = password_only(colleague.user)
    walked = 0
    for name, pattern in all_named_patterns():
        if name in PUBLIC or name in SIGNED_IN:
            continue
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        if name in API_CAPABILITY:  # JSON: no redirect, a 401 OperationOutcome
            assert b"Two-step" in client.get(url).content, url
            assert client.get(url).status_code == 401, url
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url} -> {response.status_code}"
            assert response["Location"].startswith(f"{SETUP}?next="), url
            walked += 1
    assert walked > 80
    # Django admin too (for a superuser with a password only).
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = password_only(root).get(reverse("admin:index"))
    assert response["Location"].startswith(SETUP)


def test_every_staff_page_sends_an_enrolled_user_to_the_code_step(colleague, home_objects) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        enrol(password_only(colleague.user), colleague.user)
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        client = password_only(colleague.user)
        for name, pattern in all_named_patterns():
            if name in PUBLIC or name in SIGNED_IN:
                continue
            url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
            response = client.get(url)
            if name in API_CAPABILITY:  # JSON: no redirect, a 401 OperationOutcome
                assert response.status_code == 401, url
                continue
            assert response.status_code == 302, f"GET {url} -> {response.status_code}"
            assert response["Location"].startswith(f"{VERIFY}?next="), url


def test_sign_out_stays_open_before_the_second_step(colleague) -> None:
    client = password_only(colleague.user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_enrolment_shows_a_qr_code_and_the_secret_as_text(colleague) -> None:
    page = password_only(colleague.user).get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=colleague.user, confirmed=False)
    assert "<svg" in page and "<path" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key


def test_a_wrong_first_code_is_refused_and_nothing_is_switched_on(colleague) -> None:
    client = password_only(colleague.user)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert "That code did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=colleague.user, confirmed=True).exists()
    assert client.get(reverse("patients:list"))["Location"].startswith(SETUP)


def test_enrolment_gives_ten_single_use_codes_stored_only_as_hashes(colleague) -> None:
    client = password_only(colleague.user)
    codes = enrol(client, colleague.user)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(
        RecoveryCode.objects.filter(user=colleague.user).values_list("code_hash", flat=True)
    )
    assert stored == {hash_recovery_code(code) for code in codes}
    assert not any(code.replace("-", "") in "".join(stored) for code in codes)
    # Enrolling passed the second step for this session: the pages open.
    assert client.get(reverse("patients:list")).status_code == 200


def test_the_code_from_the_app_opens_the_staff_pages(colleague) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        enrol(password_only(colleague.user), colleague.user)
    device = TOTPDevice.objects.get(user=colleague.user, confirmed=True)
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False) as clock:
        client = password_only(colleague.user)
        target = reverse("patients:list")
        assert client.get(target)["Location"] == f"{VERIFY}?next={target.replace('/', '%2F')}"
        wrong = client.post(VERIFY, {"code": "123456", "next": target})
        assert "That code did not match" in wrong.content.decode()
        # After a wrong code the next try must wait a moment (django-otp's throttle).
        throttled = client.post(VERIFY, {"code": code_now(device), "next": target})
        assert "That code did not match" in throttled.content.decode()
        clock.shift(dt.timedelta(seconds=10))
        response = client.post(VERIFY, {"code": code_now(device), "next": target})
        assert response.status_code == 302 and response["Location"] == target
        assert client.get(target).status_code == 200


def test_a_recovery_code_works_once(colleague) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        codes = enrol(password_only(colleague.user), colleague.user)
    first = password_only(colleague.user)
    response = first.post(VERIFY, {"code": codes[3].lower()})
    assert "That recovery code has now been used" in response.content.decode()
    assert "You have <strong>9</strong> left" in response.content.decode()
    assert first.get(reverse("patients:list")).status_code == 200

    second = password_only(colleague.user)
    again = second.post(VERIFY, {"code": codes[3]})
    assert "That code did not match" in again.content.decode()
    assert second.get(reverse("patients:list")).status_code == 302


def test_the_admin_resets_a_lost_authenticator(admin, colleague) -> None:
    enrol(password_only(colleague.user), colleague.user)
    admin.client.get(SETUP)  # the admin enrols too, so the staff page opens for them
    device = TOTPDevice.objects.get(user=admin.user, confirmed=False)
    admin.client.post(SETUP, {"code": code_now(device)})
    staff_page = admin.client.get(reverse("accounts:staff")).content.decode()
    reset = reverse("accounts:staff_mfa_reset", kwargs={"pk": colleague.membership.pk})
    assert reset in staff_page
    response = admin.client.post(reset, follow=True)
    assert "Two-step sign-in reset for colleague" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=colleague.user).exists()
    assert not RecoveryCode.objects.filter(user=colleague.user).exists()
    # At her next sign-in she sets up a new authenticator.
    assert password_only(colleague.user).get(reverse("patients:list"))["Location"].startswith(SETUP)


def test_only_an_admin_of_the_clinic_resets_two_step(clinician, colleague, settings) -> None:
    settings.AFTERGLOW_REQUIRE_MFA = False
    enrol(password_only(colleague.user), colleague.user)
    reset = reverse("accounts:staff_mfa_reset", kwargs={"pk": colleague.membership.pk})
    assert clinician.client.post(reset).status_code == 403
    assert TOTPDevice.objects.filter(user=colleague.user, confirmed=True).exists()


def test_an_enrolled_user_passes_the_second_step_even_when_it_is_not_required(
    colleague, settings
) -> None:
    settings.AFTERGLOW_REQUIRE_MFA = False
    enrol(password_only(colleague.user), colleague.user)
    assert (
        password_only(colleague.user).get(reverse("patients:list"))["Location"].startswith(VERIFY)
    )


def test_without_the_requirement_a_password_is_enough(colleague, settings) -> None:
    settings.AFTERGLOW_REQUIRE_MFA = False
    assert password_only(colleague.user).get(reverse("patients:list")).status_code == 200


@pytest.fixture
def demo_nurse(db) -> User:
    demo = ClinicFactory(name="Afterglow Demo Clinic", slug="demo")
    return MembershipFactory(clinic=demo, role=Role.NURSE, user=UserFactory(username="dn")).user


def test_the_demo_clinic_is_exempt_unless_the_setting_is_explicit(demo_nurse, settings) -> None:
    assert password_only(demo_nurse).get(reverse("patients:list")).status_code == 200
    settings.AFTERGLOW_MFA_EXEMPT_DEMO = False  # AFTERGLOW_REQUIRE_MFA set in the environment
    assert password_only(demo_nurse).get(reverse("patients:list"))["Location"].startswith(SETUP)


def test_a_demo_user_who_also_works_at_a_real_clinic_is_not_exempt(demo_nurse, clinic) -> None:
    MembershipFactory(clinic=clinic, role=Role.NURSE, user=demo_nurse)
    assert password_only(demo_nurse).get(reverse("patients:list"))["Location"].startswith(SETUP)


def test_the_setting_defaults(monkeypatch) -> None:
    """On in production, off in local mode; the demo exemption only when not set."""
    import importlib

    import afterglow.settings as project_settings

    monkeypatch.delenv("AFTERGLOW_REQUIRE_MFA", raising=False)
    monkeypatch.setenv("AFTERGLOW_MODE", "local")
    local = importlib.reload(project_settings)
    assert (local.AFTERGLOW_REQUIRE_MFA, local.AFTERGLOW_MFA_EXEMPT_DEMO) == (False, True)
    monkeypatch.setenv("AFTERGLOW_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("ALLOWED_HOSTS", "clinic.example.org")
    monkeypatch.setenv("AFTERGLOW_BASE_URL", "https://clinic.example.org")
    production = importlib.reload(project_settings)
    assert (production.AFTERGLOW_REQUIRE_MFA, production.AFTERGLOW_MFA_EXEMPT_DEMO) == (True, True)
    monkeypatch.setenv("AFTERGLOW_REQUIRE_MFA", "true")
    explicit = importlib.reload(project_settings)
    assert (explicit.AFTERGLOW_REQUIRE_MFA, explicit.AFTERGLOW_MFA_EXEMPT_DEMO) == (True, False)
    monkeypatch.undo()
    importlib.reload(project_settings)
