"""Writes for the chair-side dosing session, from pre-dose checks to signing.

Every write runs in one transaction and re-reads the session row under a lock
(:func:`session_lock.open_session`): a nurse entering vitals and a prescriber signing at
the same moment happen one after the other, and the "is it signed?" check
runs on the row as it is now, not as the page showed it. A signed session is
immutable: every service here except :func:`session_amend` raises
:class:`SessionLocked` on it, and corrections become :class:`Amendment` rows
with the old value, the new one, a reason, an author and a time.

The writes made during the session (vitals, ratings, side effects, adverse
events, alert acknowledgements) are in :mod:`.session_records` and exported
from here too. Dose arithmetic comes from :mod:`afterglow.treatment.dosing`
and threshold rules from :mod:`afterglow.treatment.safety`; nothing is
recomputed here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.schedules.services import schedule_reanchor
from afterglow.treatment.dosing import (
    DoseDeviation,
    DoseInputError,
    dose_deviation,
    fixed_dose,
    weight_based_dose,
)
from afterglow.treatment.models import (
    CourseStatus,
    DosingSession,
    NotDosedReason,
    PlannedSession,
    Protocol,
    Route,
    SessionAlert,
    SessionStatus,
    VitalsReading,
)
from afterglow.treatment.models.sessions import Phase, PregnancyTest, SuicideRisk
from afterglow.treatment.safety import AlertSpec, Thresholds, evaluate_reading
from afterglow.treatment.selectors_sessions import session_sign_problems, stop_minute
from afterglow.treatment.services.courses import course_complete_if_done

# Corrections after signing and the writes made during the session live in their own
# modules; they are part of this API.
from afterglow.treatment.services.session_amendments import (
    AMENDABLE_FIELDS,
    VITALS_AMENDABLE_FIELDS,
    session_amend,
)
from afterglow.treatment.services.session_lock import (
    SessionLocked,
    SessionNotReady,
    not_in_future,
    open_session,
    raise_alerts,
    require_dosing_role,
    require_prescriber,
)
from afterglow.treatment.services.session_records import (
    adverse_event_record,
    alert_acknowledge,
    dissociation_record,
    sedation_record,
    side_effects_set,
    vitals_record,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "VITALS_AMENDABLE_FIELDS",
    "SessionLocked",
    "SessionNotReady",
    "adverse_event_record",
    "alert_acknowledge",
    "dissociation_record",
    "sedation_record",
    "session_amend",
    "session_discharge",
    "session_discharge_override",
    "session_mark_not_dosed",
    "session_record_dose",
    "session_record_predose",
    "session_sign",
    "session_start",
    "session_stop",
    "session_withdraw_not_dosed",
    "side_effects_set",
    "vitals_record",
]


# --- start and pre-dose ---


def session_start(*, planned: PlannedSession, by: User) -> DosingSession:
    """Open the dosing session for a planned session, once.

    Idempotent: pressing Start twice, or two nurses at once, returns the same
    session (the planned row is locked while we look). The number comes from
    the planned session, the route from the course's protocol, and a
    weight-based protocol's concentration starts at the clinic's usual one.
    """
    with transaction.atomic():
        locked = PlannedSession.objects.select_for_update().get(pk=planned.pk)
        existing = DosingSession.objects.filter(planned=locked).first()
        if existing is not None:
            return existing
        if locked.cancelled:
            raise ValidationError("This planned session was cancelled.")
        course = locked.course
        clinic, protocol = course.clinic, course.protocol
        if course.status != CourseStatus.ACTIVE:
            raise ValidationError(
                f"The course is {course.get_status_display().lower()}; a session can only "
                "start on an active course."
            )
        if (
            DosingSession.objects.filter(course=course, number=locked.number)
            .exclude(status=SessionStatus.NOT_DOSED)
            .exists()
        ):
            raise ValidationError(f"Session {locked.number} of this course already exists.")
        session = DosingSession(
            clinic=clinic,
            patient_id=course.patient_id,
            course=course,
            planned=locked,
            number=locked.number,
            route=protocol.route,
            concentration_mg_per_ml=(
                clinic.default_concentration_mg_per_ml if protocol.weight_based else None
            ),
            created_by=by,
        )
        session.full_clean()
        session.save()
        audit_record(
            action=Action.CREATE,
            actor=by,
            clinic=clinic,
            patient=course.patient_id,
            obj=session,
        )
        return session


def session_record_predose(
    *,
    session: DosingSession,
    by: User,
    weight_kg: Decimal | None,
    systolic: int,
    diastolic: int,
    heart_rate: int | None,
    spo2: int | None,
    respiratory_rate: int | None = None,
    escort_confirmed: bool,
    fasting_confirmed: bool,
    pregnancy_test: str,
    suicide_risk: str,
    note: str = "",
) -> tuple[DosingSession, list[SessionAlert]]:
    """Record the pre-dose checks and today's dose from today's weight.

    Stores a pre-dose vitals row (its minute is fixed when the dose start is
    recorded), recalculates ``planned_dose_mg`` with
    :func:`dosing.weight_based_dose` (protocol mg/kg and infusion time, this
    session's concentration, the clinic's cap -> ``dose_capped``) or the
    protocol's fixed esketamine dose, and raises alerts: BP at or above the
    clinic's reassessment level, a positive pregnancy test (a usual exclusion,
    evidence.md section 6), active suicidal thoughts. May be repeated (a
    reassessment after a high reading) until the dose is recorded.
    """
    with transaction.atomic():
        session = open_session(session)
        if session.started_at is not None:
            raise ValidationError(
                "The dose is already recorded; the pre-dose checks can no longer change."
            )
        protocol = session.course.protocol
        if protocol.weight_based and weight_kg is None:
            raise ValidationError({"weight_kg": "Today's weight is needed to work out the dose."})
        if suicide_risk not in SuicideRisk.values:
            raise ValidationError({"suicide_risk": "Record today's suicide-risk check."})
        if pregnancy_test not in PregnancyTest.values:
            raise ValidationError({"pregnancy_test": "Choose a pregnancy test result."})
        session.weight_kg = weight_kg
        session.escort_confirmed = escort_confirmed
        session.fasting_confirmed = fasting_confirmed
        session.pregnancy_test = pregnancy_test
        session.suicide_risk = suicide_risk
        session.predose_note = note
        session.predose_checked_at = timezone.now()
        session.planned_dose_mg, session.dose_capped = _planned_dose(session, protocol)
        session.full_clean()
        session.save()
        reading = VitalsReading(
            session=session,
            taken_at=session.predose_checked_at,
            minute=-1,  # provisional: placed relative to the dose start when it is recorded
            phase=Phase.PRE,
            systolic=systolic,
            diastolic=diastolic,
            heart_rate=heart_rate,
            spo2=spo2,
            respiratory_rate=respiratory_rate,
            recorded_by=by,
        )
        reading.full_clean()
        reading.save()
        specs = evaluate_reading(
            reading, phase="pre", thresholds=Thresholds.from_clinic(session.clinic)
        )
        if pregnancy_test == PregnancyTest.POSITIVE:
            specs.append(
                AlertSpec(
                    "pregnancy_positive",
                    "reassess",
                    "Pregnancy test positive: pregnancy is a usual exclusion from ketamine "
                    "treatment (evidence.md §6); prescriber review before dosing.",
                )
            )
        if suicide_risk == SuicideRisk.ACTIVE:
            specs.append(
                AlertSpec(
                    "suicide_risk_active",
                    "reassess",
                    "Active suicidal thoughts today: escalate to the prescriber before dosing.",
                )
            )
        return session, raise_alerts(session, reading, specs)


def _planned_dose(session: DosingSession, protocol: Protocol) -> tuple[Decimal, bool]:
    """Today's dose by the protocol: (mg, capped by the clinic's maximum)."""
    clinic = session.clinic
    try:
        if protocol.fixed_dose_mg is not None:
            return Decimal(fixed_dose(dose_mg=protocol.fixed_dose_mg).dose_mg), False
        assert protocol.dose_mg_per_kg is not None and session.weight_kg is not None
        plan = weight_based_dose(
            weight_kg=session.weight_kg,
            mg_per_kg=protocol.dose_mg_per_kg,
            # An IM injection is given at once: one minute, and no pump rate is shown.
            minutes=protocol.infusion_minutes or 1,
            concentration_mg_per_ml=(
                session.concentration_mg_per_ml or clinic.default_concentration_mg_per_ml
            ),
            max_dose_mg=clinic.max_dose_mg,
        )
    except DoseInputError as exc:
        raise _dose_error(exc) from None
    return plan.dose_mg, plan.capped


_DOSE_FIELDS = {"weight_kg": "weight_kg", "concentration_mg_per_ml": "concentration_mg_per_ml"}


def _dose_error(exc: DoseInputError) -> ValidationError:
    field = _DOSE_FIELDS.get(exc.field)
    return ValidationError({field: exc.reason}) if field else ValidationError(str(exc))


# --- the dose ---


def session_record_dose(
    *,
    session: DosingSession,
    by: User,
    actual_dose_mg: Decimal,
    concentration_mg_per_ml: Decimal | None,
    lot_number: str,
    started_at: dt.datetime,
    deviation_reason: str = "",
) -> DosingSession:
    """Record the dose given: amount, concentration, lot and start time.

    A dose outside the protocol's range needs ``deviation_reason`` (else a
    ValidationError naming the range). The range is compared in mg for today's
    weight, each bound worked out by :func:`dosing.weight_based_dose`, so
    rounding to 0.1 mg is never a deviation; the dose the protocol gave today
    (``planned_dose_mg``, including a clinic cap) never is either. A fixed
    esketamine dose must be whole 28 mg devices and within the protocol's
    options. May be corrected until the session is signed; vitals already
    entered keep their minutes and move with the start time.
    """
    with transaction.atomic():
        session = open_session(session)
        require_dosing_role(by, session.clinic)
        if session.predose_checked_at is None:
            raise ValidationError("Record the pre-dose checks first.")
        if session.is_not_dosed:
            raise ValidationError(
                "This session is marked as ended without a dose; withdraw that first."
            )
        not_in_future(started_at, "started_at")
        if session.stopped_at is not None and started_at > session.stopped_at:
            raise ValidationError({"started_at": "The start is after the recorded stop."})
        protocol = session.course.protocol
        if protocol.weight_based and concentration_mg_per_ml is None:
            raise ValidationError({"concentration_mg_per_ml": "Give the concentration used."})
        if not lot_number.strip():
            raise ValidationError({"lot_number": "Record the lot number of the ketamine used."})
        deviation = _deviation(session, protocol, actual_dose_mg)
        if deviation and not deviation_reason.strip():
            raise ValidationError({"deviation_reason": deviation})
        session.actual_dose_mg = actual_dose_mg
        session.concentration_mg_per_ml = concentration_mg_per_ml
        session.lot_number = lot_number.strip()
        session.dose_deviation_reason = deviation_reason.strip()
        session.started_at = started_at
        session.full_clean()
        session.save()
        _place_readings(session)
        # Questionnaires anchored to this dose move to its real time (unsent ones only).
        schedule_reanchor(course=session.course)
        return session


def _deviation(session: DosingSession, protocol: Protocol, actual: Decimal) -> str:
    """Why ``actual`` mg needs a reason, or "" when it is within the protocol."""
    if actual <= 0:
        raise ValidationError({"actual_dose_mg": "The dose must be more than 0 mg."})
    found: DoseDeviation | None
    if protocol.fixed_dose_mg is not None:
        try:
            fixed_dose(dose_mg=actual)
        except DoseInputError as exc:
            raise ValidationError({"actual_dose_mg": exc.reason}) from None
        options = [Decimal(o) for o in protocol.fixed_dose_options_mg] or [
            Decimal(protocol.fixed_dose_mg)
        ]
        found = dose_deviation(dose=actual, low=min(options), high=max(options), unit="mg")
    else:
        if session.planned_dose_mg is not None and actual == session.planned_dose_mg:
            return ""
        assert protocol.dose_mg_per_kg is not None and session.weight_kg is not None
        low = protocol.dose_mg_per_kg_min or protocol.dose_mg_per_kg
        high = protocol.dose_mg_per_kg_max or protocol.dose_mg_per_kg
        found = dose_deviation(
            dose=actual, low=_mg_for(session, protocol, low), high=_mg_for(session, protocol, high)
        )
        if found is not None:
            per_kg = (
                f"{_plain(low)} mg/kg" if low == high else f"{_plain(low)}-{_plain(high)} mg/kg"
            )
            in_mg = DoseDeviation(found.dose, found.low, found.high, "mg", found.direction)
            stem = in_mg.message.removesuffix("; record a reason")
            return f"{stem} ({per_kg} at {session.weight_kg} kg); record a reason"
    cap = session.clinic.max_dose_mg
    if found is None and cap is not None and actual > cap:
        return f"{actual} mg is above the clinic's maximum single dose of {cap} mg; record a reason"
    return "" if found is None else found.message


def _plain(number: Decimal) -> str:
    """0.50 -> "0.5", 10.00 -> "10" (never an exponent)."""
    return format(number.normalize(), "f")


def _mg_for(session: DosingSession, protocol: Protocol, mg_per_kg: Decimal) -> Decimal:
    """``mg_per_kg`` at today's weight, rounded as the dosing module rounds a dose."""
    assert session.weight_kg is not None
    try:
        return weight_based_dose(
            weight_kg=session.weight_kg,
            mg_per_kg=mg_per_kg,
            minutes=protocol.infusion_minutes or 1,
            concentration_mg_per_ml=(
                session.concentration_mg_per_ml or session.clinic.default_concentration_mg_per_ml
            ),
        ).uncapped_dose_mg
    except DoseInputError as exc:
        raise _dose_error(exc) from None


def _place_readings(session: DosingSession) -> None:
    """Put each vitals row on the session clock once the dose start is known.

    A row from the dose start on is taken at ``start + minute``. A pre-dose row
    keeps its real time and gets the whole minutes before the start (at least
    1: a pre-dose reading entered late is still before the dose).
    """
    assert session.started_at is not None
    rows = list(session.vitals.all())
    for row in rows:
        if row.phase == Phase.PRE and row.minute == -1 and row.taken_at < session.started_at:
            before = (session.started_at - row.taken_at).total_seconds() / 60
            row.minute = -max(1, round(before))
        elif row.phase != Phase.PRE:
            row.taken_at = session.started_at + dt.timedelta(minutes=row.minute)
    VitalsReading.objects.bulk_update(rows, ["minute", "taken_at"])


def session_stop(*, session: DosingSession, by: User, stopped_at: dt.datetime) -> DosingSession:
    """Record the end of the infusion (or the last nasal device); later rows are recovery."""
    with transaction.atomic():
        session = open_session(session)
        if session.started_at is None:
            raise ValidationError("Record the dose start first.")
        not_in_future(stopped_at, "stopped_at")
        if stopped_at < session.started_at:
            raise ValidationError({"stopped_at": "The stop is before the dose started."})
        session.stopped_at = stopped_at
        session.full_clean()
        session.save(update_fields=["stopped_at"])
        end = stop_minute(session)
        assert end is not None
        rows = list(session.vitals.exclude(phase=Phase.PRE))
        for row in rows:
            row.phase = Phase.POST if row.minute > end else Phase.DURING
        VitalsReading.objects.bulk_update(rows, ["phase"])
        return session


# --- discharge and signature ---


def session_discharge(
    *,
    session: DosingSession,
    by: User,
    discharged_at: dt.datetime,
    vitals_near_baseline: bool,
    alert_and_oriented: bool,
    escort_present: bool,
    note: str = "",
    rems_bp_before: bool = False,
    rems_bp_40_min: bool = False,
    rems_pulse_oximetry: bool = False,
    rems_clinically_stable: bool = False,
    rems_form_submitted: bool = False,
) -> DosingSession:
    """Record the discharge as it happened.

    Stored even when something is missing (the record says what was true);
    the page lists the discharge problems and :func:`session_sign` refuses
    until they are resolved. The REMS fields apply to esketamine only.
    """
    with transaction.atomic():
        session = open_session(session)
        if session.started_at is None:
            raise ValidationError("Record the dose first.")
        not_in_future(discharged_at, "discharged_at")
        if discharged_at < session.started_at:
            raise ValidationError({"discharged_at": "The discharge is before the dose started."})
        session.discharged_at = discharged_at
        session.vitals_near_baseline = vitals_near_baseline
        session.alert_and_oriented = alert_and_oriented
        session.escort_present_at_discharge = escort_present
        session.discharge_note = note
        if session.route == Route.INTRANASAL:
            session.rems_bp_before = rems_bp_before
            session.rems_bp_40_min = rems_bp_40_min
            session.rems_pulse_oximetry = rems_pulse_oximetry
            session.rems_clinically_stable = rems_clinically_stable
            session.rems_form_submitted = rems_form_submitted
        session.full_clean()
        session.save()
        return session


def session_discharge_override(*, session: DosingSession, by: User, reason: str) -> DosingSession:
    """A prescriber authorises a discharge before the observation time (or against advice).

    With its reason recorded, :func:`session_sign` no longer requires the observation
    time; every other discharge check (vitals, alertness, escort, REMS) still stands.
    Shown on the session page; once signed it is immutable (amend the reason as usual).
    May be repeated before signing (the latest reason and prescriber count).
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why the patient left before the observation time."})
    with transaction.atomic():
        session = open_session(session)
        require_prescriber(by, session.clinic)
        if session.started_at is None:
            raise ValidationError("No dose is recorded: there is no observation time to override.")
        session.discharge_override_reason = reason.strip()
        session.discharge_override_by = by
        session.discharge_override_at = timezone.now()
        session.full_clean()
        session.save(
            update_fields=[
                "discharge_override_reason",
                "discharge_override_by",
                "discharge_override_at",
            ]
        )
        return session


# --- ending without a dose ---


def session_mark_not_dosed(
    *, session: DosingSession, by: User, reason: str, detail: str = ""
) -> DosingSession:
    """Record that the session ends without a dose (sent home at the pre-dose reassessment).

    ``reason`` is a :class:`NotDosedReason`; ``detail`` is free text, required for
    "other". Refused once a dose is recorded (then it is a dose, stopped early: record
    an adverse event or a deviation instead). Vitals, ratings and alerts taken so far
    stay. The session can then be signed without dose or discharge checks; see
    :func:`session_sign` for what happens to the planned session.
    """
    if reason not in NotDosedReason.values:
        raise ValidationError({"reason": "Choose why no dose was given."})
    if reason == NotDosedReason.OTHER and not detail.strip():
        raise ValidationError({"detail": "Describe why no dose was given."})
    with transaction.atomic():
        session = open_session(session)
        require_dosing_role(by, session.clinic)
        if session.started_at is not None or session.actual_dose_mg is not None:
            raise ValidationError(
                "A dose is already recorded; a session with a dose cannot end 'not dosed'."
            )
        session.not_dosed_reason = reason
        session.not_dosed_detail = detail.strip()
        session.not_dosed_by = by
        session.not_dosed_at = timezone.now()
        session.full_clean()
        session.save(
            update_fields=["not_dosed_reason", "not_dosed_detail", "not_dosed_by", "not_dosed_at"]
        )
        return session


def session_withdraw_not_dosed(*, session: DosingSession, by: User) -> DosingSession:
    """Undo :func:`session_mark_not_dosed` before signing (recorded by mistake, or the
    reassessment came back fine): the dose can be recorded again."""
    with transaction.atomic():
        session = open_session(session)
        require_dosing_role(by, session.clinic)
        session.not_dosed_reason = ""
        session.not_dosed_detail = ""
        session.not_dosed_by = None
        session.not_dosed_at = None
        session.save(
            update_fields=["not_dosed_reason", "not_dosed_detail", "not_dosed_by", "not_dosed_at"]
        )
        return session


def session_sign(*, session: DosingSession, by: User) -> DosingSession:
    """Sign and lock the session, or refuse with every reason (:class:`SessionNotReady`).

    Refused while the pre-dose checks, the dose, the stop of an infusion or the
    discharge are missing, while a discharge problem stands (observation time,
    baseline vitals, alertness, escort), while an esketamine session's REMS
    monitoring is incomplete, and while an alert is unacknowledged. Only a nurse
    or prescriber of the clinic signs; a therapist cannot. A prescriber's discharge
    override (:func:`session_discharge_override`) lifts the observation-time check.

    A session marked not dosed (:func:`session_mark_not_dosed`) is signed with
    status ``not_dosed``: only its open alerts are checked. It is no dose: it is
    left out of exposure, progress and course completion, and it lets go of its
    planned session, which is again "to come" under the same number, to be
    started again on another day, re-planned (pause/resume with a restart date)
    or cancelled by ending the course. The course's questionnaire anchors do not
    change: the planned date still anchors that dose until one is given.
    """
    with transaction.atomic():
        session = open_session(session)
        require_dosing_role(by, session.clinic)
        problems = session_sign_problems(
            session=session,
            protocol=session.course.protocol,
            vitals=list(session.vitals.all()),
            alerts=list(session.alerts.all()),
        )
        if problems:
            raise SessionNotReady(problems)
        session.signed_by = by
        session.signed_at = timezone.now()
        audit_record(
            action=Action.SIGN,
            actor=by,
            clinic=session.clinic_id,
            patient=session.patient_id,
            obj=session,
            note="not dosed" if session.is_not_dosed else "",
        )
        if session.is_not_dosed:
            session.status = SessionStatus.NOT_DOSED
            session.planned = None
            session.save(update_fields=["status", "signed_by", "signed_at", "planned"])
            return session
        session.status = SessionStatus.SIGNED
        session.save(update_fields=["status", "signed_by", "signed_at"])
        course_complete_if_done(course=session.course)
        return session
