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
from afterglow.treatment.dosing import DoseInputError, fixed_dose
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
from afterglow.treatment.safety import (
    AlertSpec,
    Thresholds,
    evaluate_reading,
    stop_before_during_readings,
)
from afterglow.treatment.schedule import off_schedule_warning
from afterglow.treatment.selectors_sessions import session_sign_problems, stop_minute, weight_plan
from afterglow.treatment.services.courses import course_complete_if_done

# Corrections after signing and the writes made during the session live in their own
# modules; they are part of this API.
from afterglow.treatment.services.session_amendments import (
    AMENDABLE_FIELDS,
    VITALS_AMENDABLE_FIELDS,
    session_amend,
)
from afterglow.treatment.services.session_dose import (
    cosigner_verify,
    planned_mg,
    session_record_dose,
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
    dissociation_record,
    sedation_record,
    session_alert_acknowledge,
    session_alerts_acknowledge,
    side_effects_set,
    vitals_record,
)

__all__ = [
    "AMENDABLE_FIELDS",
    "VITALS_AMENDABLE_FIELDS",
    "SessionLocked",
    "SessionNotReady",
    "adverse_event_record",
    "cosigner_verify",
    "dissociation_record",
    "sedation_record",
    "session_alert_acknowledge",
    "session_alerts_acknowledge",
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


def session_start(
    *, planned: PlannedSession, by: User, off_schedule_reason: str = ""
) -> DosingSession:
    """Open the dosing session for a planned session, once.

    Idempotent: pressing Start twice, or two nurses at once, returns the same
    session (the planned row is locked while we look). The number comes from
    the planned session, the route from the course's protocol, and a
    weight-based protocol's concentration starts at the clinic's usual one.

    Starting on a day other than the planned date, or on a day that is not one of
    the clinic's dosing days (:func:`schedule.off_schedule_warning`, in the
    clinic's timezone), needs ``off_schedule_reason``; the warning and the reason
    are recorded on the session.
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
        warning = off_schedule_warning(
            today=timezone.localdate(timezone=clinic.tzinfo),
            planned=locked.planned_date,
            weekdays=clinic.weekdays,
        )
        if warning and not off_schedule_reason.strip():
            raise ValidationError(
                {"off_schedule_reason": f"{warning} Give the reason for dosing today."}
            )
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
            off_schedule_warning=warning[:300],
            off_schedule_reason=off_schedule_reason.strip() if warning else "",
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
    try:
        if protocol.fixed_dose_mg is not None:
            return Decimal(fixed_dose(dose_mg=protocol.fixed_dose_mg).dose_mg), False
        plan = weight_plan(session=session, protocol=protocol)
    except DoseInputError as exc:
        raise _dose_error(exc) from None
    return planned_mg(plan.dose_mg), plan.capped


_DOSE_FIELDS = {"weight_kg": "weight_kg", "concentration_mg_per_ml": "concentration_mg_per_ml"}


def _dose_error(exc: DoseInputError) -> ValidationError:
    field = _DOSE_FIELDS.get(exc.field)
    return ValidationError({field: exc.reason}) if field else ValidationError(str(exc))


def session_stop(
    *, session: DosingSession, by: User, stopped_at: dt.datetime, confirm: bool = False
) -> DosingSession:
    """Record the end of the infusion (or the last nasal device); later rows are recovery.

    A stop earlier than readings already marked "during" would turn them into
    recovery readings: refused with a warning (on ``confirm``) until confirmed.
    """
    with transaction.atomic():
        session = open_session(session)
        if session.started_at is None:
            raise ValidationError("Record the dose start first.")
        not_in_future(stopped_at, "stopped_at")
        if stopped_at < session.started_at:
            raise ValidationError({"stopped_at": "The stop is before the dose started."})
        end = int((stopped_at - session.started_at).total_seconds() // 60)
        warning = stop_before_during_readings(
            stop_minute=end,
            during_minutes=[v.minute for v in session.vitals.all() if v.phase == Phase.DURING],
        )
        if warning and not confirm:
            raise ValidationError({"confirm": warning})
        session.stopped_at = stopped_at
        session.full_clean()
        session.save(update_fields=["stopped_at"])
        end_minute = stop_minute(session)
        assert end_minute is not None
        rows = list(session.vitals.exclude(phase=Phase.PRE))
        for row in rows:
            row.phase = Phase.POST if row.minute > end_minute else Phase.DURING
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
