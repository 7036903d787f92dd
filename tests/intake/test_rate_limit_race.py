"""The intake rate limit holds under simultaneous posts and a forged X-Forwarded-For.

Twenty posts from one address at the same moment, with a limit of five: before the fix
fifteen were stored (each request counted before any of the others had inserted). Now
the count and the insert happen in one transaction under the address's counter-row lock.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from afterglow.intake.models import IntakeSubmission
from afterglow.intake.views import RATE_LIMIT_MESSAGE
from tests.intake.test_intake_form import form_data

PARALLEL = 20
LIMIT = 5


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_posts_store_at_most_the_limit(clinic, settings) -> None:
    settings.AFTERGLOW_INTAKE_RATE_PER_HOUR = LIMIT
    # Widen the race on purpose: each insert takes a moment, as on a busy server. Code
    # that counts outside the insert's transaction then lets all twenty through.
    real_save = IntakeSubmission.save

    def slow_save(self, *args, **kwargs):
        time.sleep(0.02)
        return real_save(self, *args, **kwargs)

    url = reverse("intake:start")
    start_together = threading.Barrier(PARALLEL)

    def post(_: int) -> str:
        try:
            client = Client()
            data = form_data(submission_key=str(uuid.uuid4()))
            start_together.wait()
            response = client.post(url, data, REMOTE_ADDR="203.0.113.50")
            if response.status_code == 302:
                return "stored"
            body = response.content.decode()
            return "refused" if RATE_LIMIT_MESSAGE in body else f"other {response.status_code}"
        finally:
            connection.close()

    with (
        mock.patch.object(IntakeSubmission, "save", slow_save),
        ThreadPoolExecutor(max_workers=PARALLEL) as pool,
    ):
        outcomes = list(pool.map(post, range(PARALLEL)))

    assert IntakeSubmission.objects.count() == LIMIT
    assert outcomes.count("stored") == LIMIT
    assert outcomes.count("refused") == PARALLEL - LIMIT, outcomes


def test_a_forged_left_most_forwarded_for_does_not_reset_the_limit(
    clinic, anonymous, settings
) -> None:
    settings.AFTERGLOW_INTAKE_RATE_PER_HOUR = 2
    settings.AFTERGLOW_TRUSTED_PROXY_COUNT = 1  # nginx appends the real address
    url = reverse("intake:start")
    for number in range(4):
        anonymous.post(
            url,
            form_data(submission_key=str(uuid.uuid4())),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 203.0.113.50",
        )
    assert IntakeSubmission.objects.count() == 2


def test_without_trusted_proxies_the_header_is_ignored(clinic, anonymous, settings) -> None:
    settings.AFTERGLOW_INTAKE_RATE_PER_HOUR = 2
    url = reverse("intake:start")
    for number in range(4):
        anonymous.post(
            url,
            form_data(submission_key=str(uuid.uuid4())),
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    assert IntakeSubmission.objects.count() == 2


def test_two_addresses_behind_the_same_proxy_have_their_own_limits(
    clinic, anonymous, settings
) -> None:
    settings.AFTERGLOW_INTAKE_RATE_PER_HOUR = 1
    settings.AFTERGLOW_TRUSTED_PROXY_COUNT = 1
    url = reverse("intake:start")
    for address in ("203.0.113.50", "203.0.113.51"):
        anonymous.post(
            url,
            form_data(submission_key=str(uuid.uuid4())),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=address,
        )
    assert IntakeSubmission.objects.count() == 2
