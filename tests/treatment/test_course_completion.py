"""A course completes itself when its last planned session is signed."""

from __future__ import annotations

from afterglow.treatment.models import CourseStatus
from afterglow.treatment.services.courses import course_end_early
from afterglow.treatment.services.sessions import session_sign
from tests.factories import course_on, iv_protocol, ready_to_sign


def test_a_course_with_sessions_still_to_come_stays_active(clinic, colleague) -> None:
    course = course_on(iv_protocol(clinic), by=colleague.user, sessions=2)
    session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE  # session 2 of 2 is still planned


def test_cancelled_planned_sessions_do_not_hold_completion_back(clinic, colleague) -> None:
    course = course_on(iv_protocol(clinic), by=colleague.user, sessions=2)
    course.planned.filter(number=2).update(cancelled=True)
    session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED


def test_a_course_ended_early_stays_ended_early(clinic, colleague) -> None:
    course = course_on(iv_protocol(clinic), by=colleague.user, sessions=1)
    session = ready_to_sign(course, colleague.user)
    course_end_early(course=course, by=colleague.user, reason="Moved away")
    session_sign(session=session, by=colleague.user)
    course.refresh_from_db()
    assert course.status == CourseStatus.ENDED_EARLY


def test_a_single_session_course_completes_on_signing(clinic, colleague) -> None:
    course = course_on(iv_protocol(clinic), by=colleague.user, sessions=1)
    session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED
    assert course.status_reason == "All planned sessions signed."


def test_the_course_page_shows_each_doses_therapy_window(clinician, clinic) -> None:
    from django.urls import reverse

    course = course_on(iv_protocol(clinic), by=clinician.user, sessions=3)
    page = clinician.client.get(reverse("courses:detail", kwargs={"pk": course.pk}))
    html = page.content.decode()
    assert 'id="therapy-windows-table"' in html
    assert "24–72 h after each dose" in html
