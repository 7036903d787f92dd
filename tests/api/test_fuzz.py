"""Property-based test of the whole API against its own OpenAPI document (schemathesis).

Schemathesis reads /api/v1/openapi.json through the WSGI application (no server, no
network) and, for every operation, sends generated requests — valid ones and, in the
negative mode, ones that break the schema — with a write-scope token of a clinician
whose clinic has a patient, responses, a course and a signed dose. Every answer must:

- never be a server error (5xx);
- have a status code the document declares for the operation, with the declared
  content type (application/json, or application/problem+json for errors);
- match the declared response schema.

Bounded so it stays fast in `make test`: a fixed number of examples per operation,
derandomized (the same examples every run, so a failure reproduces), no deadline.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import caller_for
from tests.api.data import clinic_with_history

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_token(clinician, settings) -> Iterator[str]:
    settings.AFTERGLOW_API_RATE_PER_MINUTE = 100_000
    clinic_with_history(clinician)
    # As Django's test client does: the WSGI handler would otherwise close the test's
    # database connection after each request (and with it the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield caller_for(clinician, "write").token
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@pytest.mark.django_db
def test_no_request_gets_a_server_error_and_every_answer_matches_the_document(
    case, fuzz_token
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)
