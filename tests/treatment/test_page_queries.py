"""The full Today board page (not only its polled rows): queries do not grow with the sessions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.treatment.services.sessions import vitals_record
from tests.factories import dosed, iv_protocol, predosed
from tests.treatment.test_today_board import course_with

pytestmark = pytest.mark.django_db


def test_the_today_page_costs_the_same_queries_for_one_session_or_many(clinic, colleague) -> None:
    protocol = iv_protocol(clinic)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = colleague.client.get(reverse("board:today"))
        assert page.status_code == 200
        return len(ctx.captured_queries)

    predosed(course_with(protocol, [0], name="One"), colleague.user)
    course_with(protocol, [-2], name="Due")
    one = count()
    for i in range(6):
        session = dosed(course_with(protocol, [0], name=f"Many{i}"), colleague.user, minutes_ago=20)
        vitals_record(session=session, by=colleague.user, minute=10, spo2=85)
        course_with(protocol, [0], name=f"Waiting{i}")
        course_with(protocol, [-3, 4], name=f"Due{i}")
    page = colleague.client.get(reverse("board:today")).content.decode()
    assert "Many5" in page and "Waiting5" in page and "Due5" in page
    assert count() == one
