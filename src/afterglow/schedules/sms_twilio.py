"""Text messages through Twilio.

``AFTERGLOW_SMS_BACKEND=afterglow.schedules.sms_twilio.TwilioSMSBackend``.

Settings: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` (or ``TWILIO_AUTH_TOKEN_FILE``)
and the sender, ``TWILIO_FROM_NUMBER`` or ``TWILIO_MESSAGING_SERVICE_SID``; production
refuses to start with one missing. Each message asks Twilio to report its delivery
status to ``/sms/twilio/status/`` (absolute, from ``AFTERGLOW_BASE_URL``), where
:func:`afterglow.schedules.views.twilio_status` records it on the delivery after
checking Twilio's signature.

Twilio's HTTP client logs each request at INFO (method, URL, headers; never the form
body that holds the message): its logger is kept at WARNING in the settings anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

#: Seconds to wait for Twilio's API before the delivery is recorded as failed.
TIMEOUT_SECONDS = 15


def twilio_missing_settings() -> list[str]:
    """The Twilio settings still missing; empty when Twilio can send."""
    missing = [
        name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not getattr(settings, name)
    ]
    if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
        missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    return missing


def status_callback_url() -> str:
    return f"{settings.AFTERGLOW_BASE_URL}{reverse('schedules:twilio_status')}"


class TwilioSMSBackend:
    def __init__(self, *, http_client: HttpClient | None = None) -> None:
        missing = twilio_missing_settings()
        if missing:
            raise ImproperlyConfigured(f"Twilio needs {', '.join(missing)}")
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=http_client or TwilioHttpClient(timeout=TIMEOUT_SECONDS),
        )

    def send(self, to: str, body: str) -> str:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        message = self.client.messages.create(
            to=to, body=body, status_callback=status_callback_url(), **sender
        )
        return str(message.sid)
