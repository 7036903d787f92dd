"""Text-message senders, chosen like Django's email backends.

``settings.AFTERGLOW_SMS_BACKEND`` is the dotted path of a class whose instances have
``send(to, body) -> str``, returning the provider's message id. To plug a provider in,
write such a class (raise an exception when the provider refuses the message: the
delivery is then recorded as failed and not retried) and point the setting at it.

- :class:`ConsoleSMSBackend` (the default) writes the message to the log, as the
  console email backend does in local mode;
- :class:`LocMemSMSBackend` keeps messages in ``LocMemSMSBackend.outbox`` for tests.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SMSBackend(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send ``body`` to the phone number ``to``; return the provider's message id."""
        ...


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str
    provider_id: str


class ConsoleSMSBackend:
    """Logs each message instead of sending it (local mode)."""

    def send(self, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS to %s (%s):\n%s", to, provider_id, body)
        return provider_id


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
