"""Two-step sign-in: who must pass it, enrolment, verification, recovery codes, reset.

TOTP devices are django-otp's (``otp_totp``); passing a code marks the session verified
(``django_otp.login``). Recovery codes are Afterglow's own (``RecoveryCode``) because
they must be stored hashed.

Who must pass it (``mfa_required``): everyone who has enrolled; otherwise everyone when
``AFTERGLOW_REQUIRE_MFA`` is on — except, when that variable was not set explicitly,
users whose only clinic is the demo clinic, so the printed demo logins work.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from afterglow.accounts.events import SecurityAction, security_event
from afterglow.accounts.models import Membership, RecoveryCode

RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I
_CODE_LENGTH = 16  # 16 x 5 bits = 80 bits


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def mfa_required(user: User) -> bool:
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return True
    if not settings.AFTERGLOW_REQUIRE_MFA:
        return False
    if settings.AFTERGLOW_MFA_EXEMPT_DEMO:
        clinics = set(
            Membership.objects.active().filter(user=user).values_list("clinic__slug", flat=True)
        )
        if clinics == {settings.AFTERGLOW_DEMO_CLINIC_SLUG}:
            return False
    return True


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device to enrol (a new secret unless one is already pending)."""
    with transaction.atomic():
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if pending is not None:
            return pending
        device = TOTPDevice(user=user, name="Authenticator app", confirmed=False)
        device.full_clean()
        device.save()
    return device


def totp_enrolment_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a first code; its user's fresh recovery codes, else None.

    Any previously confirmed device of the user is removed: one authenticator at a time.
    """
    if device.confirmed or not device.verify_token(_digits(token)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_issue(user=device.user)
    security_event(action=SecurityAction.MFA_ENROLLED, user=device.user)
    return codes


def recovery_codes_issue(*, user: User) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones; the codes, to show once."""
    codes = [
        "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=hash_recovery_code(code)) for code in codes]
        )
    return [format_recovery_code(code) for code in codes]


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_recovery_code(code: str) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode("ascii", "ignore")).hexdigest()


def mfa_verify(*, user: User, code: str) -> tuple[TOTPDevice | None, bool]:
    """Check a code typed at the second step: ``(device, used_recovery_code)``.

    ``device`` is None when the code matched neither the authenticator nor an unused
    recovery code (or the device is throttled after repeated failures). A recovery code
    is spent by a single conditional UPDATE, so two simultaneous uses cannot both pass.
    """
    device = confirmed_device(user)
    if device is None:
        return None, False
    digits = _digits(code)
    if len(digits) == 6 and device.verify_token(digits):
        security_event(action=SecurityAction.MFA_PASSED, user=user)
        return device, False
    allowed, _why = device.verify_is_allowed()
    if allowed and len(digits) != 6:
        spent = RecoveryCode.objects.filter(
            user=user, code_hash=hash_recovery_code(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if spent:
            security_event(action=SecurityAction.MFA_RECOVERY_CODE_USED, user=user)
            return device, True
        device.throttle_increment()
    security_event(action=SecurityAction.MFA_FAILED, user=user)
    return None, False


def mfa_reset(*, user: User, by: User) -> None:
    """Remove ``user``'s authenticator and recovery codes: they enrol again at next sign-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
    security_event(action=SecurityAction.MFA_RESET, user=user, by=by)


def secret_text(device: TOTPDevice) -> str:
    """The device's secret in base 32, in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` address as an inline SVG QR code (no script, no outside service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    # Drop the XML declaration: the SVG is embedded in an HTML page.
    return svg[svg.index("<svg") :]


def _digits(token: str) -> str:
    return "".join(ch for ch in token if not ch.isspace())
