"""Sessions that end without a dose, early discharge on a prescriber's word, and the small
record fields (who entered a therapy session, what an "other" side effect was)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.models import Role
from afterglow.schedules.selectors import course_anchors
from afterglow.treatment.models import (
    CourseStatus,
    DosingSession,
    SessionStatus,
    SideEffect,
    VitalsReading,
)
from afterglow.treatment.selectors_courses import course_plan, treatment_summary
from afterglow.treatment.selectors_sessions import ketamine_exposure
from afterglow.treatment.services.sessions import (
    SessionLocked,
    SessionNotReady,
    session_alert_acknowledge,
    session_amend,
    session_discharge,
    session_discharge_override,
    session_mark_not_dosed,
    session_record_dose,
    session_sign,
    session_withdraw_not_dosed,
    side_effects_set,
)
from afterglow.treatment.services.therapy import therapy_session_record
from tests.conftest import _persona
from tests.factories import (
    course_on,
    dosed,
    iv_protocol,
    predosed,
    ready_to_sign,
    started,
)

HIGH_BP = {"systolic": 182, "diastolic": 104}


@pytest.fixture
def nurse(colleague):
    return colleague.user


@pytest.fixture
def prescriber(clinician):
    return clinician.user


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


@pytest.fixture
def course(clinic, nurse):
    return course_on(iv_protocol(clinic), by=nurse, sessions=1)


def _sent_home(course, nurse) -> DosingSession:
    """Pre-dose BP too high: alerts raised and seen, the session marked not dosed."""
    session = predosed(course, nurse, **HIGH_BP)
    assert session.alerts.exists()
    for alert in session.alerts.all():
        session_alert_acknowledge(alert=alert, by=nurse)
    return session_mark_not_dosed(
        session=session, by=nurse, reason="bp_high", detail="182/104 twice, 15 min apart"
    )


def _page(persona, session) -> str:
    response = persona.client.get(reverse("dosing:session", kwargs={"pk": session.pk}))
    assert response.status_code == 200
    return response.content.decode()


# --- not dosed: the service ---


def test_a_patient_sent_home_at_reassessment_is_signed_as_not_dosed(course, nurse) -> None:
    session = _sent_home(course, nurse)
    vitals_before = VitalsReading.objects.filter(session=session).count()
    signed = session_sign(session=session, by=nurse)
    signed.refresh_from_db()
    assert signed.status == SessionStatus.NOT_DOSED
    assert signed.is_signed and signed.is_not_dosed
    assert signed.get_not_dosed_reason_display() == "Blood pressure too high"
    assert signed.not_dosed_detail == "182/104 twice, 15 min apart"
    assert signed.not_dosed_by == nurse and signed.signed_by == nurse
    assert signed.actual_dose_mg is None and signed.started_at is None
    # The vitals taken so far stay on the record.
    assert vitals_before == 1
    assert VitalsReading.objects.filter(session=signed).count() == vitals_before


def test_an_open_alert_still_blocks_a_not_dosed_sign_off(course, nurse) -> None:
    session = predosed(course, nurse, **HIGH_BP)
    session_mark_not_dosed(session=session, by=nurse, reason="bp_high")
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=session, by=nurse)
    assert caught.value.messages == [
        "1 alert not acknowledged: an alert must be seen before the record is closed."
    ]
    assert DosingSession.objects.get().status == SessionStatus.IN_PROGRESS


def test_not_dosed_can_be_recorded_before_the_pre_dose_checks(course, nurse) -> None:
    session = started(course, nurse)
    session_mark_not_dosed(session=session, by=nurse, reason="declined")
    assert session_sign(session=session, by=nurse).status == SessionStatus.NOT_DOSED


def test_not_dosed_needs_a_reason_and_other_needs_a_description(course, nurse) -> None:
    session = started(course, nurse)
    with pytest.raises(ValidationError) as no_reason:
        session_mark_not_dosed(session=session, by=nurse, reason="")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as no_detail:
        session_mark_not_dosed(session=session, by=nurse, reason="other", detail="  ")
    assert "detail" in no_detail.value.message_dict
    session.refresh_from_db()
    assert session.not_dosed_reason == ""


def test_not_dosed_is_refused_once_a_dose_is_recorded(course, nurse) -> None:
    session = dosed(course, nurse)
    with pytest.raises(ValidationError, match="A dose is already recorded"):
        session_mark_not_dosed(session=session, by=nurse, reason="declined")
    session.refresh_from_db()
    assert not session.is_not_dosed


def test_a_dose_is_refused_while_not_dosed_stands_and_allowed_once_withdrawn(course, nurse) -> None:
    session = predosed(course, nurse)
    session_mark_not_dosed(session=session, by=nurse, reason="not_fasting")
    dose = {
        "actual_dose_mg": session.planned_dose_mg,
        "concentration_mg_per_ml": session.concentration_mg_per_ml,
        "lot_number": "KET-1",
        "started_at": timezone.now() - dt.timedelta(minutes=5),
    }
    with pytest.raises(ValidationError, match="withdraw that first"):
        session_record_dose(session=session, by=nurse, **dose)
    session_withdraw_not_dosed(session=session, by=nurse)
    recorded = session_record_dose(session=session, by=nurse, **dose)
    assert recorded.started_at is not None and not recorded.is_not_dosed


def test_only_a_nurse_or_prescriber_records_not_dosed(course, nurse, therapist) -> None:
    session = started(course, nurse)
    with pytest.raises(ValidationError, match="Only a nurse or a prescriber"):
        session_mark_not_dosed(session=session, by=therapist.user, reason="declined")
    session_mark_not_dosed(session=session, by=nurse, reason="declined")
    with pytest.raises(ValidationError, match="Only a nurse or a prescriber"):
        session_sign(session=session, by=therapist.user)
    assert not DosingSession.objects.get().is_signed


def test_a_not_dosed_session_is_locked_and_amended_as_usual(course, nurse) -> None:
    session = session_sign(session=_sent_home(course, nurse), by=nurse)
    with pytest.raises(SessionLocked):
        session_withdraw_not_dosed(session=session, by=nurse)
    with pytest.raises(SessionLocked):
        session_mark_not_dosed(session=session, by=nurse, reason="declined")
    amendment = session_amend(
        session=session,
        by=nurse,
        field="not_dosed_detail",
        new_value="182/104, then 178/102",
        reason="Second reading mistyped",
    )
    assert amendment.old_value == "182/104 twice, 15 min apart"
    assert DosingSession.objects.get().not_dosed_detail == "182/104, then 178/102"


# --- not dosed: progress, exposure, completion and schedules ---


def test_a_not_dosed_session_is_no_dose_and_its_planned_session_comes_again(course, nurse) -> None:
    anchors_before = course_anchors(course=course)
    first = session_sign(session=_sent_home(course, nurse), by=nurse)

    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE  # the only planned dose was not given
    plan = course_plan(course=course, today=timezone.localdate(timezone=course.clinic.tzinfo))
    assert str(plan.course_progress) == "0 of 1"
    assert plan.next_row is not None and plan.next_row.planned.number == 1
    assert plan.not_dosed == [first]
    assert ketamine_exposure(course.patient) == (0, Decimal(0))
    (summary,) = treatment_summary(patient=course.patient).courses
    assert (summary.n_planned, summary.n_done) == (1, 0)
    # Questionnaires stay anchored to the planned date until a dose is given.
    assert course_anchors(course=course) == anchors_before

    # Another day: session 1 again, this time dosed and signed.
    second = ready_to_sign(course, nurse)
    assert second.pk != first.pk and second.number == first.number == 1
    session_sign(session=second, by=nurse)
    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED
    second.refresh_from_db()
    assert ketamine_exposure(course.patient) == (1, second.actual_dose_mg)
    assert (
        str(
            course_plan(
                course=course, today=timezone.localdate(timezone=course.clinic.tzinfo)
            ).course_progress
        )
        == "1 of 1"
    )


def test_an_unsigned_not_dosed_session_still_holds_its_planned_session(course, nurse) -> None:
    session = _sent_home(course, nurse)
    assert course.planned.get(number=1).session == session
    # Starting session 1 again returns the open attempt, not a second one.
    assert started(course, nurse).pk == session.pk
    assert DosingSession.objects.count() == 1


# --- discharge override ---


@pytest.fixture
def left_early(course, nurse):
    """Everything fine except the observation time: 60 of 120 minutes."""
    return ready_to_sign(course, nurse, minutes_ago=60)


def test_leaving_before_the_observation_time_blocks_signing(left_early, nurse) -> None:
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=left_early, by=nurse)
    assert any("Observed 60 min" in m for m in caught.value.messages)


def test_only_a_prescriber_authorises_an_early_discharge(left_early, nurse) -> None:
    with pytest.raises(ValidationError, match="Only a prescriber"):
        session_discharge_override(session=left_early, by=nurse, reason="Left against advice")
    left_early.refresh_from_db()
    assert not left_early.has_discharge_override


def test_an_early_discharge_needs_a_reason(left_early, prescriber) -> None:
    with pytest.raises(ValidationError) as caught:
        session_discharge_override(session=left_early, by=prescriber, reason="   ")
    assert "reason" in caught.value.message_dict


def test_with_the_prescribers_override_the_sign_off_passes(left_early, nurse, prescriber) -> None:
    session_discharge_override(
        session=left_early, by=prescriber, reason="Left against advice; stable, escort present"
    )
    signed = session_sign(session=left_early, by=nurse)
    signed.refresh_from_db()
    assert signed.status == SessionStatus.SIGNED
    assert signed.discharge_override_by == prescriber
    assert signed.discharge_override_reason == "Left against advice; stable, escort present"


def test_the_override_lifts_only_the_observation_time(course, nurse, prescriber) -> None:
    session = ready_to_sign(course, nurse, minutes_ago=60)
    session = session_discharge(
        session=session,
        by=nurse,
        discharged_at=timezone.now(),
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=False,
    )
    session_discharge_override(session=session, by=prescriber, reason="Left against advice")
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=session, by=nurse)
    assert not any("Observed" in m for m in caught.value.messages)
    assert any("escort" in m.lower() for m in caught.value.messages)


def test_there_is_no_observation_to_override_before_a_dose(course, prescriber) -> None:
    session = predosed(course, prescriber)
    with pytest.raises(ValidationError, match="No dose is recorded"):
        session_discharge_override(session=session, by=prescriber, reason="x")


def test_the_override_is_immutable_once_signed(left_early, nurse, prescriber) -> None:
    session_discharge_override(session=left_early, by=prescriber, reason="Left against advice")
    signed = session_sign(session=left_early, by=nurse)
    with pytest.raises(SessionLocked):
        session_discharge_override(session=signed, by=prescriber, reason="Changed story")
    with pytest.raises(ValidationError, match="cannot be emptied"):
        session_amend(
            session=signed,
            by=prescriber,
            field="discharge_override_reason",
            new_value="",
            reason="Try to remove it",
        )
    session_amend(
        session=signed,
        by=prescriber,
        field="discharge_override_reason",
        new_value="Left against advice after a family call",
        reason="Fuller account",
    )
    assert (
        DosingSession.objects.get().discharge_override_reason
        == "Left against advice after a family call"
    )


# --- pages ---


def test_a_nurse_records_not_dosed_and_signs_it_from_the_page(colleague, course) -> None:
    session = predosed(course, colleague.user)
    not_dosed_url = reverse("dosing:not_dosed", kwargs={"pk": session.pk})
    assert "No dose today (sent home at the reassessment)" in _page(colleague, session)

    missing = colleague.client.post(not_dosed_url, {"reason": "other", "detail": ""})
    assert missing.status_code == 400
    assert "Describe why no dose was given." in missing.content.decode()

    done = colleague.client.post(not_dosed_url, {"reason": "no_escort", "detail": "Taxi only"})
    assert done.status_code == 302
    page = _page(colleague, session)
    assert "No dose today:</strong> No escort home" in page
    assert "Sign session 1 as not dosed" in page

    signed = colleague.client.post(reverse("dosing:sign", kwargs={"pk": session.pk}), follow=True)
    assert "Session signed as not dosed and locked" in signed.content.decode()
    assert DosingSession.objects.get().status == SessionStatus.NOT_DOSED
    course_page = colleague.client.get(reverse("courses:detail", kwargs={"pk": course.pk}))
    assert "Ended without a dose" in course_page.content.decode()
    assert "No escort home" in course_page.content.decode()


def test_a_therapist_cannot_post_not_dosed(therapist, course, nurse) -> None:
    session = predosed(course, nurse)
    response = therapist.client.post(
        reverse("dosing:not_dosed", kwargs={"pk": session.pk}), {"reason": "declined"}
    )
    assert response.status_code == 403
    assert not DosingSession.objects.get().is_not_dosed


def test_the_override_form_is_for_prescribers_and_shown_on_the_page(
    colleague, clinician, course
) -> None:
    session = ready_to_sign(course, colleague.user, minutes_ago=60)
    override_url = reverse("dosing:discharge_override", kwargs={"pk": session.pk})
    assert override_url not in _page(colleague, session)
    assert override_url in _page(clinician, session)

    refused = colleague.client.post(override_url, {"reason": "Left"})
    assert refused.status_code == 400
    assert "Only a prescriber of this clinic" in refused.content.decode()

    empty = clinician.client.post(override_url, {"reason": ""})
    assert empty.status_code == 400

    ok = clinician.client.post(override_url, {"reason": "Left against advice at 60 min"})
    assert ok.status_code == 302
    page = _page(colleague, session)
    assert "Left before the observation time" in page
    assert "Left against advice at 60 min" in page
    assert "Ready to sign." in page


# --- small record fields ---


def test_other_side_effect_needs_and_keeps_its_note(course, nurse, colleague) -> None:
    session = dosed(course, nurse)
    with pytest.raises(ValidationError) as caught:
        side_effects_set(session=session, by=nurse, codes_with_severity={"other": "mild"})
    assert "other_note" in caught.value.message_dict
    side_effects_set(
        session=session,
        by=nurse,
        codes_with_severity={"other": "mild", "nausea": "mild"},
        other_note="Hiccups",
    )
    assert dict(SideEffect.objects.values_list("code", "note")) == {
        "other": "Hiccups",
        "nausea": "",
    }
    response = colleague.client.post(
        reverse("dosing:side_effects", kwargs={"pk": session.pk}),
        {"se_other": "moderate", "other_note": "Jaw tension"},
    )
    assert response.status_code == 302
    assert dict(SideEffect.objects.values_list("code", "note")) == {"other": "Jaw tension"}


def test_the_therapy_session_remembers_who_entered_it(clinic, clinician, prescriber) -> None:
    patient = course_on(iv_protocol(clinic)).patient
    session = therapy_session_record(
        patient=patient,
        by=prescriber,
        therapist=prescriber,
        modality="integration",
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration_minutes=50,
    )
    session.refresh_from_db()
    assert session.recorded_by == prescriber
