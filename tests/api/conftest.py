"""API personas: a token for a persona, and a client that sends it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from afterglow.api.services import apitoken_create
from tests.conftest import Persona


@dataclass
class ApiCaller:
    """A program calling the API with one token (no session, no cookie)."""

    token: str
    client: Client

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, params or {}, headers=self._headers())

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            path, body, content_type="application/json", headers=self._headers()
        )


def caller_for(persona: Persona, scope: str = "write") -> ApiCaller:
    _row, token = apitoken_create(
        clinic=persona.clinic, user=persona.user, scope=scope, name="test", by=None
    )
    return ApiCaller(token=token, client=Client(enforce_csrf_checks=True))


@pytest.fixture
def api(clinician: Persona) -> ApiCaller:
    """The clinician's write-scope token."""
    return caller_for(clinician, "write")


@pytest.fixture
def api_read(clinician: Persona) -> ApiCaller:
    """The clinician's read-scope token."""
    return caller_for(clinician, "read")


@pytest.fixture
def api_outsider(outsider: Persona) -> ApiCaller:
    return caller_for(outsider, "write")
