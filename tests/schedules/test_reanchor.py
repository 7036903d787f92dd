"""Attaching the schedule to a course and moving it when doses and plans change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from afterglow.schedules.models import CourseSchedule, Invitation, InvitationStatus
from afterglow.schedules.services import (
    REASON_CLOSED,
    REASON_ENDED,
    schedule_attach,
    schedule_reanchor,
)
from afterglow.treatment.models import Course, DosingSession
from afterglow.treatment.services.courses import (
    course_add_maintenance,
    course_end_early,
    course_pause,
    course_resume,
)
from afterglow.treatment.services.sessions import (
    session_record_dose,
    session_record_predose,
    session_start,
)
from tests.factories import PREDOSE
from tests.schedules.conftest import invitation, ny
from tests.schedules.test_rules import EXPECTED_PLANNED


def give_dose(harness, course: Course, user, number: int, at: dt.datetime) -> DosingSession:
    """Dose ``number`` given at ``at``, recorded half an hour later at the chair."""
    harness.at(at + dt.timedelta(minutes=30))
    session = session_start(
        planned=course.planned.get(number=number), by=user, off_schedule_reason="any day"
    )
    session, _ = session_record_predose(session=session, by=user, **PREDOSE)
    assert session.planned_dose_mg is not None
    return session_record_dose(
        session=session,
        by=user,
        actual_dose_mg=session.planned_dose_mg,
        concentration_mg_per_ml=Decimal("10"),
        lot_number="KET-1",
        started_at=at,
    )


def snapshot(course: Course) -> dict[str, tuple]:
    return {
        i.key: (i.status, i.due_at, i.expires_at) for i in Invitation.objects.filter(course=course)
    }


def test_starting_a_course_schedules_every_invitation_of_the_default_schedule(course) -> None:
    stored = list(Invitation.objects.filter(course=course).order_by("due_at", "key"))
    assert [(i.key, i.due_at) for i in stored] == [(k, due) for k, due, _ in EXPECTED_PLANNED]
    assert {i.status for i in stored} == {InvitationStatus.SCHEDULED}
    # A window without a closing anchor lasts the clinic's link lifetime (7 days).
    end = invitation(course, "pcl5@end_of_course")
    assert end.expires_at - end.due_at == dt.timedelta(days=7)
    assert invitation(course, "phq9@dose:2").expires_at == ny(3, 5, 0)
    diary = invitation(course, "diary@daily")
    assert (diary.period_start, diary.period_end) == (dt.date(2026, 2, 23), dt.date(2026, 4, 10))
    assert course.measurement_schedule.definition["name"] == "default"
    # Attaching again changes nothing.
    assert schedule_attach(course=course) == course.measurement_schedule
    assert Invitation.objects.filter(course=course).count() == len(EXPECTED_PLANNED)


def test_a_dose_given_a_day_late_moves_only_what_is_not_sent(clinician, course, harness) -> None:
    harness.sweep(ny(3, 1, 9, 5))  # diary, baseline and "before dose 1" go out
    sent_before = {k: v for k, v in snapshot(course).items() if v[0] == InvitationStatus.SENT}
    assert set(sent_before) == {"diary@daily", "pcl5@baseline", "phq9@dose:1"}

    # Dose 1 was planned on Monday 2 March and given on Tuesday 3 March at 14:20.
    give_dose(harness, course, clinician.user, 1, ny(3, 3, 14, 20))

    after = snapshot(course)
    assert set(after) == {key for key, _, _ in EXPECTED_PLANNED}  # same keys, no duplicates
    assert Invitation.objects.filter(course=course).count() == len(EXPECTED_PLANNED)
    moved = invitation(course, "pcl5@first_dose+24h")
    assert (moved.status, moved.due_at, moved.expires_at) == (
        InvitationStatus.SCHEDULED,
        ny(3, 4, 14, 20),  # 24 h after the real dose, not after 09:00 on the planned day
        ny(3, 7, 14, 20),
    )
    # Sent invitations keep their due time (the diary keeps running, its end unchanged).
    for key in ("pcl5@baseline", "phq9@dose:1", "diary@daily"):
        assert after[key][1] == sent_before[key][1]
    # Later doses are still planned, so their questionnaires did not move.
    assert after["phq9@dose:2"][1] == ny(3, 3)
    assert CourseSchedule.objects.get(course=course).reanchored_at == ny(3, 3, 14, 50)


def test_a_sent_pre_dose_questionnaire_closes_when_the_dose_is_recorded(
    clinician, course, harness
) -> None:
    give_dose(harness, course, clinician.user, 1, ny(3, 2, 10))
    harness.sweep(ny(3, 3, 9, 5))  # "before dose 2" goes out, open until the end of 4 March
    before_2 = invitation(course, "phq9@dose:2")
    assert (before_2.status, before_2.expires_at) == (InvitationStatus.SENT, ny(3, 5, 0))
    link = before_2.deliveries.get().personal_link

    give_dose(harness, course, clinician.user, 2, ny(3, 4, 10))

    before_2.refresh_from_db()
    assert (before_2.status, before_2.status_reason) == (InvitationStatus.EXPIRED, REASON_CLOSED)
    assert before_2.expires_at == ny(3, 4, 10)
    link.refresh_from_db()
    assert link.state == "expired"


def test_ending_a_course_early_cancels_dose_questionnaires_and_moves_the_follow_ups(
    clinician, course, harness
) -> None:
    for number, day in ((1, 2), (2, 4), (3, 6)):
        give_dose(harness, course, clinician.user, number, ny(3, day, 10))
    harness.at(ny(3, 7, 12))
    course_end_early(course=course, by=clinician.user, reason="Moved away.")

    for number in (4, 5, 6):
        gone = invitation(course, f"phq9@dose:{number}")
        assert (gone.status, gone.status_reason) == (InvitationStatus.CANCELLED, REASON_ENDED)
    # The follow-ups still make sense: they re-anchor to the last dose given (6 March).
    assert invitation(course, "pcl5@end_of_course").due_at == ny(3, 7)
    assert invitation(course, "pcl5@after_course:w1").due_at == ny(3, 13)
    assert invitation(course, "pcl5@after_course:m6").due_at == ny(9, 2)
    assert invitation(course, "diary@daily").period_end == dt.date(2026, 4, 3)


def test_a_course_ended_before_any_dose_cancels_everything_unsent(clinician, course) -> None:
    course_end_early(course=course, by=clinician.user, reason="Changed their mind.")
    statuses = set(Invitation.objects.filter(course=course).values_list("status", flat=True))
    assert statuses == {InvitationStatus.CANCELLED}


def test_a_paused_course_holds_its_invitations_until_it_resumes(clinician, course, harness) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.status == InvitationStatus.SENT
    course_pause(course=course, by=clinician.user, reason="Blood pressure review.")

    report = harness.sweep(ny(3, 1, 9, 5))
    assert invitation(course, "phq9@dose:1").status == InvitationStatus.SCHEDULED  # held
    assert report.queued == 0
    assert report.reminders == 1  # the baseline was already asked: its reminder continues

    course_resume(course=course, by=clinician.user)
    harness.sweep(ny(3, 1, 9, 10))
    assert invitation(course, "phq9@dose:1").status == InvitationStatus.SENT


def test_resuming_with_a_restart_date_moves_unsent_invitations(clinician, course, harness) -> None:
    give_dose(harness, course, clinician.user, 1, ny(3, 2, 10))
    course_pause(course=course, by=clinician.user, reason="Flu.")
    harness.at(ny(3, 8, 12))
    course_resume(course=course, by=clinician.user, restart_date=dt.date(2026, 3, 16))
    # Doses 2-6 now Mon 16, Wed 18, Fri 20, Mon 23, Wed 25 March.
    assert invitation(course, "phq9@dose:2").due_at == ny(3, 15)
    assert invitation(course, "pcl5@end_of_course").due_at == ny(3, 26)


def test_maintenance_doses_get_their_own_pre_dose_questionnaire(clinician, course) -> None:
    course_add_maintenance(course=course, by=clinician.user, count=2, every_days=28)
    keys = set(Invitation.objects.filter(course=course).values_list("key", flat=True))
    assert {"phq9@dose:7", "phq9@dose:8"} <= keys
    assert invitation(course, "pcl5@end_of_course").due_at == ny(3, 14)  # course proper


def test_a_course_without_a_schedule_is_left_alone(clinician) -> None:
    from tests.factories import course_on, iv_protocol

    plain = course_on(iv_protocol(clinician.clinic), by=clinician.user)
    assert schedule_reanchor(course=plain) is None
    assert not Invitation.objects.filter(course=plain).exists()


def test_amending_a_signed_doses_start_time_moves_what_is_not_sent(
    clinician, course, harness
) -> None:
    from afterglow.treatment.models import SessionStatus
    from afterglow.treatment.services.session_amendments import session_amend

    session = give_dose(harness, course, clinician.user, 1, ny(3, 2, 10, 0))
    assert invitation(course, "pcl5@first_dose+24h").due_at == ny(3, 3, 10, 0)
    DosingSession.objects.filter(pk=session.pk).update(status=SessionStatus.SIGNED)
    session.refresh_from_db()

    # The nurse typed 10:00; the infusion really started at 11:30.
    session_amend(
        session=session,
        by=clinician.user,
        field="started_at",
        new_value="2026-03-02 11:30",
        reason="Start time entered from the wrong line of the chart",
    )
    moved = invitation(course, "pcl5@first_dose+24h")
    assert moved.status == InvitationStatus.SCHEDULED
    assert moved.due_at == ny(3, 3, 11, 30)
    assert Invitation.objects.filter(course=course, key="pcl5@first_dose+24h").count() == 1
