"""The Today board: every session of the day with its state, who is due but not booked,
in a fixed number of queries, audited without one event per poll."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.models import Clinic, Role
from afterglow.accounts.views import HOME_FOR_ROLE
from afterglow.audit.models import AuditEvent
from afterglow.treatment.board import SessionState
from afterglow.treatment.models import (
    Course,
    CourseStatus,
    DosingSession,
    PlannedSession,
    Protocol,
)
from afterglow.treatment.selectors_board import today_board
from afterglow.treatment.services.sessions import session_start, vitals_record
from tests.conftest import _persona
from tests.factories import ANY_DAY, PatientFactory, dosed, iv_protocol, predosed

pytestmark = pytest.mark.django_db


def clinic_today(clinic: Clinic) -> dt.date:
    return timezone.localdate(timezone=clinic.tzinfo)


def course_with(
    protocol: Protocol, days: list[int], *, status: str = CourseStatus.ACTIVE, name: str = "Ames"
) -> Course:
    """A course with one planned session per offset in ``days`` from the clinic's today."""
    today = clinic_today(protocol.clinic)
    course = Course.objects.create(
        clinic=protocol.clinic,
        patient=PatientFactory(clinic=protocol.clinic, family_name=name),
        protocol=protocol,
        start_date=today + dt.timedelta(days=min(days)),
        status=status,
    )
    for number, offset in enumerate(days, start=1):
        PlannedSession.objects.create(
            course=course, number=number, planned_date=today + dt.timedelta(days=offset)
        )
    return course


def start(course: Course, by, number: int = 1):
    return session_start(
        planned=course.planned.get(number=number), by=by, off_schedule_reason=ANY_DAY
    )


def test_the_board_lists_todays_sessions_with_their_state_and_alerts(clinic, colleague) -> None:
    protocol = iv_protocol(clinic)
    waiting = course_with(protocol, [0, 2], name="Waiting")
    pre = course_with(protocol, [-2, 0, 2], name="Predose")
    # Session 1 of "Predose" was given two days ago; today's is session 2 of 3.
    first = start(pre, colleague.user, 1)
    DosingSession.objects.filter(pk=first.pk).update(
        status="signed", created_at=timezone.now() - dt.timedelta(days=2)
    )
    start(pre, colleague.user, 2)
    infusing = dosed(course_with(protocol, [0], name="Infusing"), colleague.user, minutes_ago=10)
    vitals_record(session=infusing, by=colleague.user, minute=5, systolic=190, diastolic=100)

    board = today_board(clinic=clinic)
    by_name = {row.patient.family_name: row for row in board.rows}
    assert set(by_name) == {"Waiting", "Predose", "Infusing"}
    assert by_name["Waiting"].state == SessionState.NOT_STARTED
    assert (by_name["Waiting"].number, by_name["Waiting"].of) == (1, 2)
    assert by_name["Predose"].state == SessionState.PRE_DOSE
    assert (by_name["Predose"].number, by_name["Predose"].of) == (2, 3)
    assert by_name["Infusing"].state == SessionState.DOSING
    assert by_name["Infusing"].open_alerts == 1 and by_name["Predose"].open_alerts == 0
    # Not started last (no time yet).
    assert board.rows[-1].patient.family_name == "Waiting"

    page = colleague.client.get(reverse("board:today")).content.decode()
    assert f'action="{reverse("dosing:start", args=[waiting.planned.get(number=1).pk])}"' in page
    assert f'href="{reverse("dosing:session", args=[infusing.pk])}"' in page
    assert "Session 2 of 3" in page and "Dosing" in page and "1 alert" in page
    assert 'hx-get="/staff/today/rows/"' in page and 'hx-trigger="every 15s"' in page


def test_patients_due_but_not_booked_are_listed_once_most_overdue_first(clinic) -> None:
    protocol = iv_protocol(clinic)
    course_with(protocol, [-3, -1, 1], name="Late")  # session 1 missed 3 days ago
    course_with(protocol, [-1, 1], name="Yesterday")
    course_with(protocol, [-5], status=CourseStatus.PAUSED, name="Paused")  # not due
    course_with(protocol, [-4, 0], name="Booked")  # on today's board: not listed as due
    course_with(protocol, [1], name="Future")

    board = today_board(clinic=clinic)
    assert [(d.patient.family_name, d.planned.number, d.days_overdue) for d in board.due] == [
        ("Late", 1, 3),
        ("Yesterday", 1, 1),
    ]


def test_a_session_signed_not_dosed_gives_its_session_back_to_the_due_list(
    clinic, colleague
) -> None:
    from afterglow.treatment.services.sessions import session_mark_not_dosed, session_sign

    course = course_with(iv_protocol(clinic), [-1, 2], name="Sent home")
    session = start(course, colleague.user)
    session_mark_not_dosed(session=session, by=colleague.user, reason="unwell", detail="")
    session_sign(session=session, by=colleague.user)
    board = today_board(clinic=clinic)
    # Opened today, so on the board as signed; its planned session is still to come.
    assert [row.state for row in board.rows] == [SessionState.SIGNED]
    assert board.due == []  # the course has a row on today's board


def test_the_board_shows_only_this_clinics_sessions(clinic, other_clinic, outsider) -> None:
    course_with(iv_protocol(clinic), [0], name="Ours")
    course_with(iv_protocol(other_clinic), [0], name="Theirs")
    page = outsider.client.get(reverse("board:today")).content.decode()
    assert "Theirs" in page and "Ours" not in page


def test_the_query_count_does_not_grow_with_the_sessions(clinic, colleague) -> None:
    protocol = iv_protocol(clinic)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert colleague.client.get(reverse("board:today_rows")).status_code == 200
        return len(ctx.captured_queries)

    predosed(course_with(protocol, [0], name="One"), colleague.user)
    course_with(protocol, [-2], name="Due")
    one = count()
    for i in range(6):
        session = dosed(course_with(protocol, [0], name=f"Many{i}"), colleague.user, minutes_ago=20)
        vitals_record(session=session, by=colleague.user, minute=10, spo2=85)
        course_with(protocol, [0], name=f"Waiting{i}")
        course_with(protocol, [-3, 4], name=f"Due{i}")
    assert count() == one


def test_opening_the_board_is_one_read_and_an_unchanged_poll_adds_none(clinic, colleague) -> None:
    protocol = iv_protocol(clinic)
    course_with(protocol, [0], name="Ames")

    def events() -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(object_type="today_board").order_by("seq"))

    colleague.client.get(reverse("board:today"))
    assert len(events()) == 1
    assert (events()[0].action, events()[0].clinic_id) == ("read", clinic.pk)
    colleague.client.get(reverse("board:today_rows"), HTTP_HX_REQUEST="true")
    colleague.client.get(reverse("board:today_rows"), HTTP_HX_REQUEST="true")
    assert len(events()) == 1
    # A walk-in is booked: the next poll shows a new patient, and says so in the log.
    course_with(protocol, [0], name="Walk-in")
    colleague.client.get(reverse("board:today_rows"), HTTP_HX_REQUEST="true")
    assert len(events()) == 2
    assert "changed" in events()[1].note


def test_the_boards_poll_does_not_keep_an_idle_session_alive(clinic, colleague) -> None:
    from afterglow.accounts.session_policy import LAST_SEEN

    colleague.client.get(reverse("board:today"))
    seen = colleague.client.session[LAST_SEEN]
    colleague.client.get(
        reverse("board:today_rows"), HTTP_HX_REQUEST="true", HTTP_X_AFTERGLOW_POLL="1"
    )
    assert colleague.client.session[LAST_SEEN] == seen


def test_an_expired_session_tells_htmx_to_load_the_sign_in_page(
    clinic, colleague, settings
) -> None:
    from afterglow.accounts.session_policy import LAST_SEEN, SIGNED_IN_AT

    session = colleague.client.session
    session[LAST_SEEN] = session[SIGNED_IN_AT] = 1.0  # long ago
    session.save()
    response = colleague.client.get(
        reverse("board:today_rows"), HTTP_HX_REQUEST="true", HTTP_X_AFTERGLOW_POLL="1"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("weekday", "home"), [(0, "board:today"), (5, "schedules:worklist")])
def test_a_prescriber_starts_on_the_board_on_a_dosing_day(clinic, weekday, home) -> None:
    clinic.dosing_weekdays = "0,1,2,3,4"
    clinic.save()
    # 2026-03-02 is a Monday; noon in New York.
    moment = dt.datetime(2026, 3, 2 + weekday, 17, 0, tzinfo=dt.UTC)
    client = _persona(clinic, Role.PRESCRIBER, "prescriber-home").client
    with time_machine.travel(moment, tick=False):
        assert client.get(reverse("home_staff"))["Location"] == reverse(home)


def test_nurses_and_therapists_start_on_their_boards() -> None:
    assert HOME_FOR_ROLE[Role.NURSE] == "board:today"
    assert HOME_FOR_ROLE[Role.THERAPIST] == "board:therapist_home"
