"""Dosing-session services: today's dose, deviations, alerts, signing, locking, amendments."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from afterglow.accounts.models import Role
from afterglow.audit.models import AuditEvent
from afterglow.core.acknowledge import AlreadyAcknowledged
from afterglow.treatment.models import (
    Amendment,
    CourseStatus,
    DosingSession,
    SessionAlert,
    SessionStatus,
    SideEffect,
    VitalsReading,
)
from afterglow.treatment.selectors_sessions import ketamine_exposure
from afterglow.treatment.services import sessions as services
from afterglow.treatment.services.sessions import (
    SessionLocked,
    SessionNotReady,
    adverse_event_record,
    dissociation_record,
    sedation_record,
    session_alert_acknowledge,
    session_alerts_acknowledge,
    session_amend,
    session_discharge,
    session_discharge_override,
    session_mark_not_dosed,
    session_record_dose,
    session_record_predose,
    session_sign,
    session_start,
    session_stop,
    session_withdraw_not_dosed,
    side_effects_set,
    vitals_record,
)
from tests.conftest import _persona
from tests.factories import (
    PREDOSE,
    course_on,
    dosed,
    esketamine_protocol,
    iv_protocol,
    predosed,
    ready_to_sign,
    started,
)


@pytest.fixture
def nurse(colleague):
    return colleague.user


@pytest.fixture
def iv_course(clinic, nurse):
    return course_on(iv_protocol(clinic), by=nurse)


@pytest.fixture
def esketamine_course(clinic, nurse):
    return course_on(esketamine_protocol(clinic), by=nurse)


# --- starting ---


def test_starting_twice_opens_one_session_numbered_from_the_plan(iv_course, nurse) -> None:
    planned = iv_course.planned.get(number=2)
    first = session_start(planned=planned, by=nurse, off_schedule_reason="any day")
    again = session_start(planned=planned, by=nurse, off_schedule_reason="any day")
    assert first.pk == again.pk and DosingSession.objects.count() == 1
    assert (first.number, first.route, first.status) == (2, "iv", SessionStatus.IN_PROGRESS)
    assert first.concentration_mg_per_ml == iv_course.clinic.default_concentration_mg_per_ml == 10
    assert (first.patient, first.course, first.clinic) == (
        iv_course.patient,
        iv_course,
        iv_course.clinic,
    )


def test_an_esketamine_session_has_no_infusion_concentration(esketamine_course, nurse) -> None:
    session = started(esketamine_course, nurse)
    assert (session.route, session.concentration_mg_per_ml) == ("intranasal", None)


def test_a_session_does_not_start_on_a_paused_course_or_a_cancelled_date(iv_course, nurse) -> None:
    cancelled = iv_course.planned.get(number=3)
    cancelled.cancelled = True
    cancelled.save()
    with pytest.raises(ValidationError, match="cancelled"):
        session_start(planned=cancelled, by=nurse, off_schedule_reason="any day")
    iv_course.status = CourseStatus.PAUSED
    iv_course.save()
    with pytest.raises(ValidationError, match="paused"):
        session_start(
            planned=iv_course.planned.get(number=1), by=nurse, off_schedule_reason="any day"
        )
    assert not DosingSession.objects.exists()


# --- today's dose ---


def test_the_dose_is_recalculated_from_todays_weight(iv_course, nurse) -> None:
    # 70 kg x 0.5 mg/kg = 35.0 mg.
    session = predosed(iv_course, nurse)
    assert (session.planned_dose_mg, session.dose_capped) == (Decimal("35.0"), False)
    # Weighed again before the dose (a reassessment): 82.4 kg x 0.5 = 41.2 mg.
    session, _ = session_record_predose(
        session=session, by=nurse, **{**PREDOSE, "weight_kg": Decimal("82.4")}
    )
    assert session.planned_dose_mg == Decimal("41.2")
    assert session.vitals.filter(phase="pre").count() == 2


def test_the_clinics_maximum_caps_the_dose(iv_course, nurse) -> None:
    clinic = iv_course.clinic
    clinic.max_dose_mg = 30
    clinic.save()
    # 70 kg x 0.5 = 35.0 mg, above the 30 mg cap -> 30.0 mg, capped.
    session = predosed(iv_course, nurse)
    assert (session.planned_dose_mg, session.dose_capped) == (Decimal("30.0"), True)
    # The capped dose is the protocol's dose today: no deviation reason needed.
    session = session_record_dose(
        session=session,
        by=nurse,
        actual_dose_mg=Decimal("30.0"),
        concentration_mg_per_ml=Decimal(10),
        lot_number="L1",
        started_at=timezone.now(),
    )
    assert session.dose_deviation_reason == ""


def test_esketamine_plans_the_protocols_fixed_dose(esketamine_course, nurse) -> None:
    session = predosed(esketamine_course, nurse, weight_kg=None)
    assert (session.planned_dose_mg, session.dose_capped) == (Decimal(56), False)


def test_a_weight_based_dose_needs_todays_weight(iv_course, nurse) -> None:
    with pytest.raises(ValidationError) as caught:
        predosed(iv_course, nurse, weight_kg=None)
    assert "weight_kg" in caught.value.message_dict


# --- deviations ---


def _dose(session, nurse, mg, reason="", concentration=Decimal(10)):
    return session_record_dose(
        session=session,
        by=nurse,
        actual_dose_mg=Decimal(mg),
        concentration_mg_per_ml=concentration,
        lot_number="L1",
        started_at=timezone.now(),
        deviation_reason=reason,
    )


def _tolerate_above_planned(session, percent: int) -> None:
    """Widen the clinic's tolerance above the planned dose, so only the protocol rule speaks
    (the co-signature rule has its own tests in test_session_guards.py)."""
    session.clinic.dose_above_planned_percent = percent
    session.clinic.save(update_fields=["dose_above_planned_percent"])


def test_a_dose_outside_the_protocol_needs_a_reason(iv_course, nurse) -> None:
    session = predosed(iv_course, nurse)
    _tolerate_above_planned(session, 20)  # 40 mg is 14 % above the planned 35 mg
    with pytest.raises(ValidationError) as caught:
        _dose(session, nurse, "40.0")
    # 40 mg for 70 kg is above 0.5 mg/kg (35 mg).
    assert caught.value.message_dict["deviation_reason"] == [
        "40 mg is above the protocol's dose of 35 mg (0.5 mg/kg at 70.0 kg); record a reason"
    ]
    assert DosingSession.objects.get().actual_dose_mg is None
    session = _dose(session, nurse, "40.0", reason="Prescriber ordered 40 mg after session 1.")
    assert session.actual_dose_mg == Decimal("40.0")
    assert session.dose_deviation_reason == "Prescriber ordered 40 mg after session 1."


def test_a_dose_within_the_protocols_range_needs_no_reason(clinic, nurse) -> None:
    course = course_on(
        iv_protocol(clinic, dose_mg_per_kg_min=Decimal("0.4"), dose_mg_per_kg_max=Decimal("0.6"))
    )
    session = predosed(course, nurse, weight_kg=Decimal("83.3"))
    _tolerate_above_planned(session, 20)  # 50 mg is 19.9 % above the planned 41.7 mg
    # 0.6 x 83.3 = 49.98 -> 50.0 mg: the rounded top of the range is still within it.
    assert _dose(session, nurse, "50.0").actual_dose_mg == Decimal("50.0")
    with pytest.raises(
        ValidationError, match=re.escape("below the protocol's range of 33.3-50 mg")
    ):
        _dose(session, nurse, "33.0")


def test_esketamine_doses_are_whole_devices_within_the_options(esketamine_course, nurse) -> None:
    session = predosed(esketamine_course, nurse)
    assert _dose(session, nurse, 84, concentration=None).actual_dose_mg == 84
    with pytest.raises(ValidationError, match=re.escape("below the protocol's range of 56-84 mg")):
        _dose(session, nurse, 28, concentration=None)
    with pytest.raises(ValidationError, match="whole 28 mg esketamine devices"):
        _dose(session, nurse, 70, concentration=None)


def test_the_dose_needs_the_pre_dose_checks_first_and_those_then_close(iv_course, nurse) -> None:
    session = started(iv_course, nurse)
    with pytest.raises(ValidationError, match="pre-dose checks first"):
        _dose(session, nurse, "35.0")
    session = dosed(iv_course, nurse)
    with pytest.raises(ValidationError, match="no longer change"):
        session_record_predose(session=session, by=nurse, **PREDOSE)


# --- alerts ---


def test_a_crossing_reading_creates_its_alert_with_the_row(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse)
    reading, alerts = vitals_record(
        session=session, by=nurse, minute=40, systolic=185, diastolic=105, heart_rate=96, spo2=97
    )
    (stored,) = SessionAlert.objects.all()
    assert [a.pk for a in alerts] == [stored.pk]
    assert (stored.session, stored.reading, stored.code, stored.level) == (
        session,
        reading,
        "bp_pause",
        "pause",
    )
    assert "BP 185/105 at 40 min is at or above the pause level 180/100" in stored.message
    assert stored.acknowledged_at is None


def test_a_reading_is_never_stored_without_its_alert(iv_course, nurse, monkeypatch) -> None:
    session = dosed(iv_course, nurse)

    def broken(*args, **kwargs):
        raise RuntimeError("alert table unavailable")

    monkeypatch.setattr(SessionAlert.objects, "create", broken)
    with pytest.raises(RuntimeError):
        vitals_record(session=session, by=nurse, minute=40, systolic=190, diastolic=110)
    assert not VitalsReading.objects.filter(phase="during").exists()


def test_a_normal_reading_raises_nothing(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse)
    _, alerts = vitals_record(session=session, by=nurse, minute=10, systolic=150, diastolic=95)
    assert alerts == [] and not SessionAlert.objects.exists()


def test_a_high_pre_dose_bp_asks_for_reassessment(iv_course, nurse) -> None:
    session = started(iv_course, nurse)
    _, alerts = session_record_predose(
        session=session, by=nurse, **{**PREDOSE, "systolic": 150, "diastolic": 92}
    )
    assert [(a.code, a.level) for a in alerts] == [("predose_bp", "reassess")]


def test_a_positive_pregnancy_test_and_active_suicidal_thoughts_raise_alerts(
    iv_course, nurse
) -> None:
    session = started(iv_course, nurse)
    _, alerts = session_record_predose(
        session=session,
        by=nurse,
        **{**PREDOSE, "pregnancy_test": "positive", "suicide_risk": "active"},
    )
    assert [a.code for a in alerts] == ["pregnancy_positive", "suicide_risk_active"]


def test_acknowledging_keeps_the_first_acknowledgement(iv_course, nurse, clinician) -> None:
    """One behaviour with the alert inbox (``core.acknowledge``): a second acknowledgement
    is refused, the first stays, and only the first is audited."""
    session = dosed(iv_course, nurse)
    _, (alert,) = vitals_record(session=session, by=nurse, minute=20, spo2=89)
    first = session_alert_acknowledge(alert=alert, by=nurse)
    with pytest.raises(AlreadyAcknowledged):
        session_alert_acknowledge(alert=alert, by=clinician.user)
    alert.refresh_from_db()
    assert alert.acknowledged_by == nurse and alert.acknowledged_at == first.acknowledged_at
    assert AuditEvent.objects.filter(note="session_alert_acknowledge").count() == 1


# --- the session clock ---


def test_the_phase_follows_the_minute_and_the_stop(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse, minutes_ago=60)
    before, _ = vitals_record(session=session, by=nurse, minute=-5, systolic=120)
    during, _ = vitals_record(session=session, by=nurse, minute=30, systolic=130)
    late, _ = vitals_record(session=session, by=nurse, minute=50, systolic=128)
    assert (before.phase, during.phase, late.phase) == ("pre", "during", "during")
    assert late.taken_at == session.started_at + dt.timedelta(minutes=50)
    stop = session.started_at + dt.timedelta(minutes=40)
    # The 50-minute reading was "during": a stop before it asks for confirmation first.
    with pytest.raises(ValidationError, match=r"earlier than readings recorded during the dose"):
        session_stop(session=session, by=nurse, stopped_at=stop)
    late.refresh_from_db()
    assert late.phase == "during" and DosingSession.objects.get().stopped_at is None
    session_stop(session=session, by=nurse, stopped_at=stop, confirm=True)
    late.refresh_from_db()
    assert late.phase == "post"
    after, _ = vitals_record(session=session, by=nurse, minute=60, systolic=125)
    at_stop, _ = vitals_record(session=session, by=nurse, minute=40, systolic=135)
    assert (after.phase, at_stop.phase) == ("post", "during")


def test_the_pre_dose_reading_is_placed_before_the_dose_start(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse, minutes_ago=0)
    (reading,) = session.vitals.filter(phase="pre")
    assert reading.minute == -1  # taken moments before: still before the dose


def test_a_vitals_row_needs_a_value_and_a_dose_start(iv_course, nurse) -> None:
    session = predosed(iv_course, nurse)
    with pytest.raises(ValidationError, match="dose start first"):
        vitals_record(session=session, by=nurse, minute=10, systolic=120)
    session = DosingSession.objects.get()
    with pytest.raises(ValidationError, match="at least one value"):
        vitals_record(session=session, by=nurse, minute=10)


def test_moaas_is_for_esketamine_only(iv_course, esketamine_course, nurse) -> None:
    with pytest.raises(ValidationError, match="esketamine"):
        sedation_record(session=dosed(iv_course, nurse), by=nurse, minute=40, moaas=4)
    rating = sedation_record(
        session=started(esketamine_course, nurse), by=nurse, minute=40, moaas=4
    )
    assert rating.moaas == 4


def test_side_effects_are_set_as_a_whole_checklist(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse)
    side_effects_set(
        session=session, by=nurse, codes_with_severity={"nausea": "mild", "headache": "moderate"}
    )
    side_effects_set(session=session, by=nurse, codes_with_severity={"nausea": "severe"})
    assert list(SideEffect.objects.values_list("code", "severity")) == [("nausea", "severe")]
    with pytest.raises(ValidationError, match="Unknown side effect: itching"):
        side_effects_set(session=session, by=nurse, codes_with_severity={"itching": "mild"})


def test_medication_given_must_be_named(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse)
    with pytest.raises(ValidationError) as caught:
        adverse_event_record(
            session=session,
            by=nurse,
            description="Vomiting",
            severity="moderate",
            serious=False,
            action="medication",
        )
    assert "medication" in caught.value.message_dict
    event = adverse_event_record(
        session=session,
        by=nurse,
        description="Vomiting",
        severity="moderate",
        serious=False,
        action="medication",
        medication="Ondansetron 4 mg IV",
        onset_minute=25,
    )
    assert (event.action, event.medication, event.onset_minute) == (
        "medication",
        "Ondansetron 4 mg IV",
        25,
    )


# --- signing ---


def test_a_complete_session_is_signed_and_locked(iv_course, nurse) -> None:
    session = session_sign(session=ready_to_sign(iv_course, nurse), by=nurse)
    session.refresh_from_db()
    assert session.status == SessionStatus.SIGNED and session.is_signed
    assert session.signed_by == nurse and session.signed_at is not None


def test_signing_is_refused_with_every_reason(iv_course, nurse) -> None:
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=started(iv_course, nurse), by=nurse)
    assert caught.value.messages == [
        "The pre-dose checks are not recorded.",
        "No dose is recorded.",
        "The discharge is not recorded.",
    ]
    assert DosingSession.objects.get().status == SessionStatus.IN_PROGRESS


def test_an_open_alert_or_a_short_observation_stops_the_signature(iv_course, nurse) -> None:
    session = ready_to_sign(iv_course, nurse, minutes_ago=100)
    _, (alert,) = vitals_record(session=session, by=nurse, minute=60, systolic=182)
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=session, by=nurse)
    assert caught.value.messages[0].startswith("Observed 100 min since the dose started; 120 min")
    assert caught.value.messages[1].startswith("1 alert not acknowledged")
    session_alert_acknowledge(alert=alert, by=nurse)
    session_discharge(
        session=session,
        by=nurse,
        discharged_at=timezone.now() + dt.timedelta(minutes=4),
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=True,
    )
    with pytest.raises(SessionNotReady, match="Observed 104 min"):
        session_sign(session=session, by=nurse)


def test_an_infusion_needs_its_stop_time_before_signing(iv_course, nurse) -> None:
    session = dosed(iv_course, nurse)
    session_discharge(
        session=session,
        by=nurse,
        discharged_at=timezone.now(),
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=True,
    )
    with pytest.raises(SessionNotReady, match="stop time is not recorded"):
        session_sign(session=session, by=nurse)


def test_esketamine_needs_rems_and_120_min_even_when_the_clinic_sets_60(
    esketamine_course, nurse
) -> None:
    clinic = esketamine_course.clinic
    clinic.observation_minutes = 60
    clinic.save()
    session = dosed(esketamine_course, nurse, minutes_ago=90)
    vitals_record(session=session, by=nurse, minute=40, systolic=140, diastolic=88, spo2=97)
    session_stop(
        session=session,
        by=nurse,
        stopped_at=session.started_at + dt.timedelta(minutes=5),
        confirm=True,  # the 40-minute reading becomes recovery
    )
    session = session_discharge(
        session=session,
        by=nurse,
        discharged_at=timezone.now(),
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=True,
    )
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=session, by=nurse)
    reasons = caught.value.messages
    assert reasons[0] == (
        "Observed 90 min since the dose started; 120 min are needed (the longest of: clinic "
        "setting 60 min, esketamine REMS 120 min)."
    )
    assert sum(r.startswith("REMS: ") for r in reasons) == 5
    # REMS complete, but still 90 minutes: refused for the observation alone.
    rems = dict.fromkeys(
        (
            "rems_bp_before",
            "rems_bp_40_min",
            "rems_pulse_oximetry",
            "rems_clinically_stable",
            "rems_form_submitted",
        ),
        True,
    )
    session = session_discharge(
        session=session,
        by=nurse,
        discharged_at=timezone.now(),
        vitals_near_baseline=True,
        alert_and_oriented=True,
        escort_present=True,
        **rems,
    )
    with pytest.raises(SessionNotReady) as caught:
        session_sign(session=session, by=nurse)
    assert [r[:12] for r in caught.value.messages] == ["Observed 90 "]
    # Two hours after the start it can be signed.
    session.started_at = timezone.now() - dt.timedelta(minutes=121)
    session.save(update_fields=["started_at"])
    assert session_sign(session=session, by=nurse).is_signed


def test_a_therapist_cannot_sign_even_through_the_service(clinic, iv_course, nurse) -> None:
    therapist = _persona(clinic, Role.THERAPIST, "therapist").user
    session = ready_to_sign(iv_course, nurse)
    with pytest.raises(ValidationError, match="Only a nurse or a prescriber"):
        session_sign(session=session, by=therapist)
    assert not DosingSession.objects.get().is_signed


# --- locked once signed ---


@pytest.fixture
def signed(iv_course, nurse):
    session = ready_to_sign(iv_course, nurse)
    _, (alert,) = vitals_record(session=session, by=nurse, minute=50, spo2=90)
    session_alert_acknowledge(alert=alert, by=nurse)
    return session_sign(session=session, by=nurse)


def _every_change(session, nurse, alert):
    now = timezone.now()
    return {
        "predose": lambda: session_record_predose(session=session, by=nurse, **PREDOSE),
        "dose": lambda: _dose(session, nurse, "35.0"),
        "stop": lambda: session_stop(session=session, by=nurse, stopped_at=now),
        "vitals": lambda: vitals_record(session=session, by=nurse, minute=90, systolic=200),
        "dissociation": lambda: dissociation_record(
            session=session, by=nurse, minute=90, cadss_total=3
        ),
        "sedation": lambda: sedation_record(session=session, by=nurse, minute=90, moaas=5),
        "side_effects": lambda: side_effects_set(session=session, by=nurse, codes_with_severity={}),
        "adverse_event": lambda: adverse_event_record(
            session=session,
            by=nurse,
            description="x",
            severity="mild",
            serious=False,
            action="none",
        ),
        "alert": lambda: session_alert_acknowledge(alert=alert, by=nurse),
        "alerts_seen": lambda: session_alerts_acknowledge(
            session=session, alert_ids=[alert.pk], by=nurse, note="seen"
        ),
        "discharge": lambda: session_discharge(
            session=session,
            by=nurse,
            discharged_at=now,
            vitals_near_baseline=False,
            alert_and_oriented=False,
            escort_present=False,
        ),
        "sign": lambda: session_sign(session=session, by=nurse),
        # The role checks come after the lock: even a nurse's call hits the lock first.
        "discharge_override": lambda: session_discharge_override(
            session=session, by=nurse, reason="Left against advice"
        ),
        "not_dosed": lambda: session_mark_not_dosed(session=session, by=nurse, reason="bp_high"),
        "not_dosed_withdraw": lambda: session_withdraw_not_dosed(session=session, by=nurse),
    }


CHANGES = [
    "predose",
    "dose",
    "stop",
    "vitals",
    "dissociation",
    "sedation",
    "side_effects",
    "adverse_event",
    "alert",
    "alerts_seen",
    "discharge",
    "sign",
    "discharge_override",
    "not_dosed",
    "not_dosed_withdraw",
]


@pytest.mark.parametrize("change", CHANGES)
def test_a_signed_session_refuses_every_change(signed, nurse, change) -> None:
    before = DosingSession.objects.filter(pk=signed.pk).values().get()
    counts = [m.objects.count() for m in (VitalsReading, SessionAlert, SideEffect)]
    alert = SessionAlert.objects.get()
    with pytest.raises(SessionLocked, match="signed and locked"):
        _every_change(signed, nurse, alert)[change]()
    assert DosingSession.objects.filter(pk=signed.pk).values().get() == before
    assert [m.objects.count() for m in (VitalsReading, SessionAlert, SideEffect)] == counts


def test_every_mutating_service_is_covered_by_the_lock_test() -> None:
    mutating = {name for name in services.__all__ if name[0].islower()} - {
        "session_amend",
        "session_start",
        "cosigner_verify",  # a check, not a write
    }
    assert len(mutating) == len(CHANGES)


def test_an_amendment_records_old_new_reason_author_and_time(signed, clinician) -> None:
    before = timezone.now()
    amendment = session_amend(
        session=signed,
        by=clinician.user,
        field="lot_number",
        new_value="KET-2292",
        reason="Lot misread from the vial label; checked against the pharmacy log.",
    )
    stored = Amendment.objects.get()
    assert stored.pk == amendment.pk
    assert (stored.field, stored.old_value, stored.new_value) == (
        "lot_number",
        "KET-2291",
        "KET-2292",
    )
    assert stored.reason.startswith("Lot misread") and stored.author == clinician.user
    assert stored.created_at >= before
    signed.refresh_from_db()
    assert signed.lot_number == "KET-2292" and signed.is_signed


def test_a_vitals_value_can_be_amended(signed, nurse) -> None:
    reading = signed.vitals.get(minute=40)
    session_amend(
        session=signed,
        by=nurse,
        field=f"vitals:{reading.pk}:systolic",
        new_value="148",
        reason="Typed 138 for 148.",
    )
    reading.refresh_from_db()
    assert reading.systolic == 148
    assert Amendment.objects.get().old_value == "138"


def test_a_timestamp_amendment_is_read_in_the_clinics_timezone(signed, nurse) -> None:
    session_amend(
        session=signed,
        by=nurse,
        field="stopped_at",
        new_value="2025-03-03 10:15",
        reason="Stop time copied from the pump log.",
    )
    signed.refresh_from_db()
    local = timezone.localtime(signed.stopped_at, signed.clinic.tzinfo)
    assert (local.hour, local.minute, str(local.tzinfo)) == (10, 15, "America/New_York")


@pytest.mark.parametrize(
    ("field", "value", "reason", "message"),
    [
        ("lot_number", "X", "", "reason"),
        ("status", "in_progress", "Undo", "cannot be amended"),
        ("signed_by", "1", "Undo", "cannot be amended"),
        ("actual_dose_mg", "lots", "Typo", "decimal"),
        ("lot_number", "KET-2291", "Same", "already recorded"),
        ("vitals:999999:systolic", "120", "Typo", "No such vitals row"),
    ],
)
def test_bad_amendments_are_refused(signed, nurse, field, value, reason, message) -> None:
    with pytest.raises(ValidationError, match=message):
        session_amend(session=signed, by=nurse, field=field, new_value=value, reason=reason)
    assert not Amendment.objects.exists()
    assert DosingSession.objects.get().is_signed


def test_an_unsigned_session_is_changed_directly_not_amended(iv_course, nurse) -> None:
    with pytest.raises(ValidationError, match="Only a signed session"):
        session_amend(
            session=dosed(iv_course, nurse),
            by=nurse,
            field="lot_number",
            new_value="B",
            reason="x",
        )


# --- exposure ---


def test_exposure_counts_signed_sessions_only(iv_course, nurse) -> None:
    assert ketamine_exposure(iv_course.patient) == (0, Decimal(0))
    first = session_sign(session=ready_to_sign(iv_course, nurse), by=nurse)
    second = session_start(
        planned=iv_course.planned.get(number=2), by=nurse, off_schedule_reason="any day"
    )
    session_record_predose(session=second, by=nurse, **PREDOSE)
    assert ketamine_exposure(iv_course.patient) == (1, first.actual_dose_mg) == (1, Decimal("35.0"))
