"""Write a synthetic patient's treatment (``demo.synthetic_treatment``) to the database.

Through the services where they are fast enough, as a real clinic's data would go:

* ``protocol_from_preset`` adopts the four shipped presets the demo uses;
* ``screening_record`` and ``screening_decide`` store each screening and its decision;
* ``course_start`` plans the course (its planned dates must equal the generator's, both
  come from ``treatment.schedule``); ``course_pause`` / ``course_end_early`` for people
  who stopped coming;
* ``therapy_session_record`` stores each therapy session.

Dosing sessions are written in bulk (:class:`SessionRows`): the chair-side services take
one call per vitals row, rating and checkbox (over 100 queries a session, ~70,000 for the
demo), far too slow for a demo that must seed in seconds. The bulk rows are checked to be
what those services would have produced: the dose comes from ``treatment.dosing`` (in the
generator), every alert from ``treatment.safety.evaluate_reading`` with the clinic's
thresholds, and each session must pass ``selectors_sessions.session_sign_problems``
before it is stored as signed. Only the back-dating is direct: services stamp "now", the
demo has a nine-month past.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import F, Model

from afterglow.accounts.models import Clinic, Role
from afterglow.demo.synthetic_treatment import SyntheticDose, SyntheticTreatment
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.treatment.models import (
    AdverseEvent,
    Course,
    CourseStatus,
    DissociationRating,
    DosingSession,
    PlannedSession,
    Protocol,
    Screening,
    SedationRating,
    SessionAlert,
    SessionStatus,
    SideEffect,
    TherapySession,
    VitalsReading,
)
from afterglow.treatment.safety import Thresholds, evaluate_reading
from afterglow.treatment.selectors_sessions import session_sign_problems
from afterglow.treatment.services.courses import (
    COMPLETED_REASON,
    course_end_early,
    course_pause,
    course_start,
)
from afterglow.treatment.services.protocols import protocol_from_preset
from afterglow.treatment.services.screening import screening_decide, screening_record
from afterglow.treatment.services.therapy import therapy_session_record

#: The presets the generator draws from (``synthetic_params.PROTOCOL_WEIGHTS_*``).
DEMO_PRESETS = ("feder2021_six", "abdallah2022_eight_05", "kepe_weekly", "esketamine_label")
ALERT_SEEN_AFTER = dt.timedelta(minutes=2)
BATCH = 500


def adopt_protocols(clinic: Clinic) -> dict[str, Protocol]:
    return {code: protocol_from_preset(clinic=clinic, code=code) for code in DEMO_PRESETS}


@dataclass
class _Session:
    """One dosing session and its rows, waiting for the bulk insert."""

    session: DosingSession
    dose: SyntheticDose
    vitals: list[VitalsReading] = field(default_factory=list)
    alerts: list[tuple[int, SessionAlert]] = field(default_factory=list)  # (vitals index, alert)


@dataclass
class SessionRows:
    """Every demo clinic's dosing session, inserted at the end in a few bulk statements."""

    clinic: Clinic
    nurse: User
    thresholds: Thresholds
    sessions: list[_Session] = field(default_factory=list)
    backdate: dict[type[Model], list[Model]] = field(default_factory=dict)

    def later(self, obj: Model) -> None:
        """Queue ``obj`` for a back-dating ``bulk_update``."""
        self.backdate.setdefault(type(obj), []).append(obj)

    def add(self, *, course: Course, planned: PlannedSession, dose: SyntheticDose) -> None:
        clinic, tz = self.clinic, self.clinic.tzinfo
        session = DosingSession(
            clinic=clinic,
            patient=course.patient,
            course=course,
            planned=planned,
            number=dose.number,
            route=dose.route,
            status=SessionStatus.IN_PROGRESS,
            weight_kg=dose.weight_kg,
            escort_confirmed=True,
            fasting_confirmed=True,
            pregnancy_test=dose.pregnancy_test,
            suicide_risk=dose.suicide_risk,
            predose_checked_at=dose.predose_checked_at.replace(tzinfo=tz),
            planned_dose_mg=dose.dose_mg,
            actual_dose_mg=dose.dose_mg,
            concentration_mg_per_ml=dose.concentration_mg_per_ml,
            lot_number=dose.lot_number,
            started_at=dose.started_at.replace(tzinfo=tz),
            stopped_at=dose.stopped_at.replace(tzinfo=tz),
            discharged_at=dose.discharged_at.replace(tzinfo=tz),
            vitals_near_baseline=True,
            alert_and_oriented=True,
            escort_present_at_discharge=True,
            discharge_note="Discharged home with escort; no driving until tomorrow.",
            created_by=self.nurse,
        )
        if dose.route == "intranasal":
            session.rems_bp_before = session.rems_bp_40_min = True
            session.rems_pulse_oximetry = session.rems_clinically_stable = True
            session.rems_form_submitted = True
        pending = _Session(session, dose)
        assert session.started_at is not None
        for index, given in enumerate(dose.vitals):
            reading = VitalsReading(
                session=session,
                taken_at=session.started_at + dt.timedelta(minutes=given.minute),
                minute=given.minute,
                phase=dose.phase(given.minute),
                systolic=given.systolic,
                diastolic=given.diastolic,
                heart_rate=given.heart_rate,
                spo2=given.spo2,
                respiratory_rate=given.respiratory_rate,
                recorded_by=self.nurse,
            )
            pending.vitals.append(reading)
            for spec in evaluate_reading(
                reading,
                phase=reading.phase,  # type: ignore[arg-type]
                thresholds=self.thresholds,
            ):
                alert = SessionAlert(
                    session=session,
                    code=spec.code,
                    level=spec.level,
                    message=spec.message[:300],
                    acknowledged_at=reading.taken_at + ALERT_SEEN_AFTER,
                    acknowledged_by=self.nurse,
                )
                pending.alerts.append((index, alert))
        # What session_sign would refuse, this refuses too.
        problems = session_sign_problems(
            session=session,
            protocol=course.protocol,
            vitals=pending.vitals,
            alerts=[alert for _, alert in pending.alerts],
        )
        if problems:
            raise AssertionError(f"demo session {dose.number} could not be signed: {problems}")
        session.status = SessionStatus.SIGNED
        session.signed_by = self.nurse
        session.signed_at = dose.signed_at.replace(tzinfo=tz)
        self.sessions.append(pending)

    def write(self) -> None:
        """Insert every queued session with its rows, then back-date what services stamped."""
        sessions = [s.session for s in self.sessions]
        DosingSession.objects.bulk_create(sessions, batch_size=BATCH)
        readings = []
        for pending in self.sessions:
            for reading in pending.vitals:
                reading.session = pending.session  # picks up the pk bulk_create set
            readings += pending.vitals
        VitalsReading.objects.bulk_create(readings, batch_size=BATCH)
        alerts, ratings, sedation, effects, events = [], [], [], [], []
        for pending in self.sessions:
            session, dose = pending.session, pending.dose
            for index, alert in pending.alerts:
                alert.session, alert.reading = session, pending.vitals[index]
                alert.created_at = pending.vitals[index].taken_at
                alerts.append(alert)
            ratings += [
                DissociationRating(
                    session=session, minute=minute, cadss_total=total, recorded_by=self.nurse
                )
                for minute, total in dose.cadss
            ]
            sedation += [
                SedationRating(session=session, minute=minute, moaas=score, recorded_by=self.nurse)
                for minute, score in dose.moaas
            ]
            effects += [
                SideEffect(session=session, code=code, severity=severity)
                for code, severity in dose.side_effects
            ]
            for given in dose.adverse_events:
                event = AdverseEvent(
                    session=session,
                    description=given.description,
                    onset_minute=given.onset_minute,
                    severity=given.severity,
                    serious=False,
                    action=given.action,
                    medication=given.medication,
                    recorded_by=self.nurse,
                )
                assert session.started_at is not None
                event.recorded_at = session.started_at + dt.timedelta(
                    minutes=(given.onset_minute or 0) + 5
                )
                events.append(event)
        stamped_alerts = [a.created_at for a in alerts]
        stamped_events = [e.recorded_at for e in events]
        SessionAlert.objects.bulk_create(alerts, batch_size=BATCH)
        DissociationRating.objects.bulk_create(ratings, batch_size=BATCH)
        SedationRating.objects.bulk_create(sedation, batch_size=BATCH)
        SideEffect.objects.bulk_create(effects, batch_size=BATCH)
        AdverseEvent.objects.bulk_create(events, batch_size=BATCH)
        # auto_now / auto_now_add fields were stamped "now" by the inserts: back-date them.
        for alert, stamp in zip(alerts, stamped_alerts, strict=True):
            alert.created_at = stamp
        for event, stamp in zip(events, stamped_events, strict=True):
            event.recorded_at = stamp
        SessionAlert.objects.bulk_update(alerts, ["created_at"], batch_size=BATCH)
        AdverseEvent.objects.bulk_update(events, ["recorded_at"], batch_size=BATCH)
        # A session is opened for its pre-dose checks: one UPDATE for all of them.
        DosingSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
            created_at=F("predose_checked_at")
        )
        for model, objects in self.backdate.items():
            model._default_manager.bulk_update(objects, _BACKDATED[model], batch_size=BATCH)


_BACKDATED: dict[type[Model], list[str]] = {
    Screening: ["created_at", "decided_at"],
    Course: ["created_at", "status_changed_at", "status", "status_reason"],
    TherapySession: ["created_at"],
}


def seed_patient_treatment(
    *,
    clinic: Clinic,
    patient: Patient,
    treatment: SyntheticTreatment,
    screening_pcl5: Response,
    users: dict[str, User],
    protocols: dict[str, Protocol],
    rows: SessionRows,
) -> None:
    """Screening, course, doses and therapy of one patient (doses queued in ``rows``)."""
    tz = clinic.tzinfo
    nurse, prescriber = users[Role.NURSE], users[Role.PRESCRIBER]
    given = treatment.screening
    screening = screening_record(
        patient=patient,
        by=nurse,
        answers=given.answers,
        systolic=given.systolic,
        diastolic=given.diastolic,
        heart_rate=given.heart_rate,
        spo2=given.spo2,
        weight_kg=given.weight_kg,
        height_cm=given.height_cm,
        route=protocols[treatment.protocol_code].route,
        baseline_pcl5=screening_pcl5,
        assessed_at=given.assessed_at.replace(tzinfo=tz),
    )
    screening = screening_decide(
        screening=screening,
        by=prescriber,
        decision="eligible",
        reason="No exclusion on the checklist; PCL-5 above the entry level.",
    )
    screening.created_at = screening.assessed_at
    screening.decided_at = given.decided_at.replace(tzinfo=tz)
    rows.later(screening)

    day0 = treatment.planned_dates[0]
    course = course_start(
        patient=patient,
        protocol=protocols[treatment.protocol_code],
        start_date=day0,
        by=prescriber,
        screening=screening,
    )
    course.created_at = screening.decided_at + dt.timedelta(minutes=30)
    planned = {p.number: p for p in PlannedSession.objects.filter(course=course)}
    dates = tuple(planned[n].planned_date for n in sorted(planned))
    if dates != treatment.planned_dates:
        raise AssertionError(
            f"course_start planned {dates}, the generator {treatment.planned_dates}: "
            "treatment.schedule and the generator disagree"
        )
    for dose in treatment.doses:
        rows.add(course=course, planned=planned[dose.number], dose=dose)

    status, reason = treatment.course_status, treatment.status_reason
    if status == CourseStatus.PAUSED:
        course = course_pause(course=course, by=prescriber, reason=reason)
    elif status == CourseStatus.ENDED_EARLY:
        course = course_end_early(course=course, by=prescriber, reason=reason)
    elif status == CourseStatus.COMPLETED:
        # session_sign completes a course through course_complete_if_done; the demo's
        # sessions are bulk-stored later, so it sets the same status and reason here.
        course.status = CourseStatus.COMPLETED
        course.status_reason = COMPLETED_REASON
    if treatment.status_changed_at is not None:
        course.status_changed_at = treatment.status_changed_at.replace(tzinfo=tz)
    rows.later(course)

    therapist = users[Role.THERAPIST]
    for session in treatment.therapy:
        started = session.started_at.replace(tzinfo=tz)
        stored = therapy_session_record(
            patient=patient,
            by=therapist,
            therapist=therapist,
            modality=session.modality,
            started_at=started,
            duration_minutes=session.duration_minutes,
            notes=session.notes,
        )
        stored.created_at = started + dt.timedelta(minutes=session.duration_minutes + 15)
        rows.later(stored)
