"""Text-message senders, chosen like Django's email backends.

``settings.AFTERGLOW_SMS_BACKEND`` is the dotted path of a class whose instances have
``send(to, body) -> str``, returning the provider's message id. To plug a provider in,
write such a class (raise an exception when the provider refuses the message: the
delivery is then recorded as failed and not retried) and point the setting at it.

- :class:`ConsoleSMSBackend` (the default in local mode) prints the message on standard
  output, as Django's console email backend does; refused in production;
- :class:`DisabledSMSBackend` (the default in production) sends nothing: each text is
  recorded as failed with the reason, so staff see it and the care team can call;
- :class:`afterglow.schedules.sms_twilio.TwilioSMSBackend` sends through Twilio and
  records the delivery status Twilio reports back;
- :class:`LocMemSMSBackend` keeps messages in ``LocMemSMSBackend.outbox`` for tests.

A message body carries a personal link, whose token is the key to a patient's form: no
backend ever passes a body, a link or a token to the logging system.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SMSBackend(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send ``body`` to the phone number ``to``; return the provider's message id."""
        ...


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str
    provider_id: str


class SMSNotConfigured(RuntimeError):
    """No text-message provider is configured."""


class ConsoleSMSBackend:
    """Prints each message instead of sending it (local mode only).

    To standard output, not the log: the body holds a personal link, and logs are
    collected, shipped and kept where links must never be.
    """

    def send(self, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        sys.stdout.write(f"SMS to {to} ({provider_id}):\n{body}\n{'-' * 60}\n")
        sys.stdout.flush()
        return provider_id


class DisabledSMSBackend:
    """Sends nothing; the delivery is recorded as failed, with this reason, for staff."""

    def send(self, to: str, body: str) -> str:
        raise SMSNotConfigured(
            "text messages are not configured (AFTERGLOW_SMS_BACKEND): contact the patient "
            "another way"
        )


class LocMemSMSBackend:
    """Keeps each message in the class-level ``outbox`` list (tests empty it)."""

    outbox: ClassVar[list[SMSMessage]] = []

    def send(self, to: str, body: str) -> str:
        provider_id = f"locmem-{len(self.outbox) + 1}"
        self.outbox.append(SMSMessage(to=to, body=body, provider_id=provider_id))
        return provider_id


def get_sms_backend() -> SMSBackend:
    """An instance of the configured backend; a bad dotted path fails loudly."""
    backend_class = import_string(settings.AFTERGLOW_SMS_BACKEND)
    backend: SMSBackend = backend_class()
    return backend
