"""A planned session's start time (issue 14 §1): set when a course is built or on one
session's plan page, shown on the Today board in the clinic's time and sorted by."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from afterglow.audit.models import AuditEvent
from afterglow.treatment.models import Course, CourseStatus, PlannedSession, Protocol
from afterglow.treatment.selectors_board import today_board
from tests.factories import PatientFactory, ProtocolFactory, ScreeningFactory, dosed, iv_protocol

pytestmark = pytest.mark.django_db

# 12:00 in New York (the test clinic's timezone) on a Wednesday, 17:00 UTC.
NOON = dt.datetime(2026, 3, 4, 17, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 4)


def course_with(
    protocol: Protocol,
    name: str,
    times: list[dt.time | None],
    *,
    given: str = "Sam",
    days: list[int] | None = None,
) -> Course:
    """A course with one planned session per entry of ``times``, today and every
    other day after (or on ``days`` offsets from today)."""
    course = Course.objects.create(
        clinic=protocol.clinic,
        patient=PatientFactory(clinic=protocol.clinic, family_name=name, given_name=given),
        protocol=protocol,
        start_date=TODAY,
        status=CourseStatus.ACTIVE,
    )
    offsets = days or [2 * i for i in range(len(times))]
    for number, (at, offset) in enumerate(zip(times, offsets, strict=True), start=1):
        PlannedSession.objects.create(
            course=course,
            number=number,
            planned_date=TODAY + dt.timedelta(days=offset),
            planned_time=at,
        )
    return course


def test_the_board_sorts_by_planned_or_actual_time_untimed_last_then_by_patient(
    clinic, colleague
) -> None:
    assert clinic.timezone == "America/New_York"
    protocol = iv_protocol(clinic)
    with time_machine.travel(NOON, tick=False):
        course_with(protocol, "Late", [dt.time(14, 0)])
        course_with(protocol, "Early", [dt.time(9, 30)])
        course_with(protocol, "Zed", [None])
        course_with(protocol, "Aaron", [None], given="Bea")
        course_with(protocol, "Aaron", [None], given="Al")
        # Planned at 08:00, dose started 20 minutes ago (11:40): it shows and sorts by 11:40.
        running = dosed(
            course_with(protocol, "Running", [dt.time(8, 0)]), colleague.user, minutes_ago=20
        )
        board = today_board(clinic=clinic)
        page = colleague.client.get(reverse("board:today")).content.decode()

    names = [(row.patient.family_name, row.patient.given_name) for row in board.rows]
    assert names == [
        ("Early", "Sam"),
        ("Running", "Sam"),
        ("Late", "Sam"),
        ("Aaron", "Al"),
        ("Aaron", "Bea"),
        ("Zed", "Sam"),
    ]
    local = [row.time.astimezone(clinic.tzinfo).strftime("%H:%M") for row in board.rows[:3]]
    assert local == ["09:30", "11:40", "14:00"]
    assert [row.time_is_planned for row in board.rows[:3]] == [True, False, True]
    assert board.rows[3].time is None
    assert running.started_at is not None

    # The page shows the clinic's clock, "planned" under a planned time only, in row order.
    assert '<time datetime="2026-03-04T09:30:00-05:00">09:30</time>' in page
    assert '<time datetime="2026-03-04T14:00:00-05:00">14:00</time>' in page
    assert ">11:40</time></span>" in page  # the actual start, no "planned" note
    assert "08:00" not in page
    assert page.count('class="board-time-note">planned<') == 2
    positions = [page.index(f'<strong class="board-patient">{g} {f}') for f, g in names]
    assert positions == sorted(positions)


def test_a_course_built_with_a_start_time_plans_every_session_at_it(clinic, clinician) -> None:
    protocol = ProtocolFactory(clinic=clinic)
    patient = PatientFactory(clinic=clinic)
    ScreeningFactory(patient=patient, eligible=True)
    response = clinician.client.post(
        reverse("courses:new", args=[patient.pk]),
        {"protocol": protocol.pk, "start_date": "2030-03-04", "start_time": "10:15"},
    )
    assert response.status_code == 302
    course = Course.objects.get(patient=patient)
    times = set(course.planned.values_list("planned_time", flat=True))
    assert times == {dt.time(10, 15)}


def test_the_course_builder_keeps_what_was_typed_when_the_time_is_wrong(clinic, clinician) -> None:
    protocol = ProtocolFactory(clinic=clinic)
    patient = PatientFactory(clinic=clinic)
    ScreeningFactory(patient=patient, eligible=True)
    response = clinician.client.post(
        reverse("courses:new", args=[patient.pk]),
        {"protocol": protocol.pk, "start_date": "2030-03-04", "start_time": "25:99"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a time as hours and minutes, e.g. 09:30." in page
    assert 'value="25:99"' in page and 'value="2030-03-04"' in page
    assert not Course.objects.filter(patient=patient).exists()


def plan_url(course: Course, number: int) -> str:
    return reverse("courses:plan_session", args=[course.pk, number])


def test_one_session_is_moved_and_timed_on_its_plan_page(clinic, clinician) -> None:
    course = course_with(iv_protocol(clinic), "Moved", [None, None, None])
    second = course.planned.get(number=2)
    url = plan_url(course, 2)
    with time_machine.travel(NOON, tick=False):
        page = clinician.client.get(url)
        assert page.status_code == 200
        assert 'value="2026-03-06"' in page.content.decode()
        response = clinician.client.post(
            url, {"planned_date": "2026-03-05", "planned_time": "13:45"}
        )
        detail = clinician.client.get(reverse("courses:detail", args=[course.pk])).content.decode()
    assert response.status_code == 302 and response["Location"] == reverse(
        "courses:detail", args=[course.pk]
    )
    second.refresh_from_db()
    assert (second.planned_date, second.planned_time) == (dt.date(2026, 3, 5), dt.time(13, 45))
    event = AuditEvent.objects.filter(object_type="treatment.plannedsession").get()
    assert event.patient_id == course.patient_id
    assert set(event.changes) == {"planned_date", "planned_time"}
    assert "13:45" in detail and f'href="{url}"' in detail


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"planned_date": "2026-03-03", "planned_time": "10:00"}, "Choose today or a later day."),
        (
            {"planned_date": "2026-03-04", "planned_time": "10:00"},
            "Session 1 is planned on Wed 04 Mar 2026; choose a later day.",
        ),
        (
            {"planned_date": "2026-03-08", "planned_time": ""},
            "Session 3 is planned on Sun 08 Mar 2026; choose an earlier day.",
        ),
        ({"planned_date": "2026-03-05", "planned_time": "9h"}, "Enter a time as hours"),
        ({"planned_date": "", "planned_time": "10:00"}, "Choose the day."),
    ],
)
def test_a_wrong_plan_is_refused_keeping_what_was_typed(
    clinic, clinician, data: dict[str, str], field_error: str
) -> None:
    course = course_with(iv_protocol(clinic), "Kept", [None, dt.time(8, 0), None])
    with time_machine.travel(NOON, tick=False):
        response = clinician.client.post(plan_url(course, 2), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert field_error in page
    for value in data.values():
        if value:
            assert f'value="{value}"' in page
    second = course.planned.get(number=2)
    assert (second.planned_date, second.planned_time) == (dt.date(2026, 3, 6), dt.time(8, 0))


def test_an_opened_session_cannot_be_planned_again(clinic, clinician, colleague) -> None:
    course = course_with(iv_protocol(clinic), "Opened", [None, None])
    with time_machine.travel(NOON, tick=False):
        dosed(course, colleague.user, minutes_ago=5)
        response = clinician.client.post(
            plan_url(course, 1), {"planned_date": "2026-03-05", "planned_time": "10:00"}
        )
    assert response.status_code == 400
    assert "has been opened already" in response.content.decode()
    assert course.planned.get(number=1).planned_date == TODAY


def test_a_nurse_cannot_plan_and_another_clinic_gets_404(clinic, colleague, outsider) -> None:
    course = course_with(iv_protocol(clinic), "Guarded", [None, None])
    assert colleague.client.get(plan_url(course, 2)).status_code == 403
    assert outsider.client.get(plan_url(course, 2)).status_code in (403, 404)
    assert outsider.client.post(
        plan_url(course, 2), {"planned_date": "2030-01-01"}
    ).status_code in (
        403,
        404,
    )
    assert course.planned.get(number=2).planned_date == TODAY + dt.timedelta(days=2)
