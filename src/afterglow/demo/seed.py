"""Write a synthetic clinic (``afterglow.demo.synthetic``) to the database.

Everything goes through the project's own services, as a real clinic's data would:
``intake_submit`` for every submission, ``intake_enrol`` to turn a submission into a
patient, ``patient_update`` for what enrolment does not ask, ``intake_set_status``
for the queue and ``response_record`` (which scores with ``instruments.scoring``)
for every PCL-5. Treatment (screening, course, therapy through their services; dosing
sessions in bulk, checked against the same rules) is in ``demo.seed_treatment``. The
only other direct writes are the demo's own clinic, staff and memberships, and
back-dating: services stamp "now", the demo has a nine-month past.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.demo.seed_alerts import seed_routine_alerts
from afterglow.demo.seed_diary import seed_between_visits
from afterglow.demo.seed_imaging import seed_imaging
from afterglow.demo.seed_schedules import seed_schedules
from afterglow.demo.seed_treatment import SessionRows, adopt_protocols, seed_patient_treatment
from afterglow.demo.synthetic import SyntheticClinic, SyntheticPatient, SyntheticSubmission
from afterglow.instruments.models import Response
from afterglow.instruments.services import response_record
from afterglow.intake.models import IntakeSubmission, Status
from afterglow.intake.services import intake_enrol, intake_set_status, intake_submit
from afterglow.patients.models import Patient
from afterglow.patients.services import patient_update
from afterglow.treatment.models import (
    AdverseEvent,
    Course,
    DosingSession,
    Protocol,
    SessionAlert,
    TherapySession,
    VitalsReading,
)
from afterglow.treatment.safety import Thresholds

DEMO_CLINIC_NAME = "Afterglow Demo Clinic"
DEMO_TIMEZONE = "America/New_York"
PCL5 = "pcl5"

# What happened to each demo login in this run.
LOGIN_CREATED = "created"  # new user with the demo password
LOGIN_KEPT = "kept"  # the user already existed: their password was left as it was
LOGIN_MISSING = "missing"  # the clinic existed but this user or membership is gone


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str  # the demo password (DEMO ONLY); may not apply when state is not "created"
    role: str
    role_label: str
    state: str


@dataclass(frozen=True)
class SeedResult:
    created: bool  # False: the clinic already existed and nothing was written
    clinic: Clinic
    logins: tuple[StaffLogin, ...]
    patients: int
    submissions: int
    waiting: int  # submissions with status "new"
    responses: int
    seconds: float
    courses: int = 0
    dosing_sessions: int = 0
    vitals: int = 0
    alerts: int = 0
    adverse_events: int = 0
    therapy_sessions: int = 0


def seed_demo_clinic(*, synthetic: SyntheticClinic, slug: str = "demo") -> SeedResult:
    """Create the demo clinic from ``synthetic`` in one transaction, or do nothing if it exists.

    Idempotent by clinic slug: when a clinic with ``slug`` exists, nothing is created or
    changed (not even staff passwords) and the result says so. Staff users that already
    exist under a demo username keep their password and get a membership in the new clinic.
    """
    started = time.perf_counter()
    try:
        # The existence check runs inside the transaction: on SQLite (IMMEDIATE mode) a
        # second run waits for the first to commit and then sees its clinic.
        with transaction.atomic():
            existing = Clinic.objects.filter(slug=slug).first()
            if existing is not None:
                return _result(existing, synthetic, started, created=False)
            clinic = Clinic(name=DEMO_CLINIC_NAME, slug=slug, timezone=DEMO_TIMEZONE)
            clinic.full_clean()
            clinic.save()
            logins, users = _staff(clinic, synthetic)
            protocols = adopt_protocols(clinic)
            rows = SessionRows(clinic, users[Role.NURSE], Thresholds.from_clinic(clinic))
            stored = [_patient(clinic, p, users, protocols, rows) for p in synthetic.patients]
            rows.write()
            seed_between_visits(clinic=clinic, synthetic=synthetic, patients=stored, users=users)
            seed_schedules(clinic=clinic)  # after the doses, diaries and PHQ-9s it links to
            seed_routine_alerts(clinic=clinic, by=users[Role.PRESCRIBER])  # needs the doses
            seed_imaging(clinic=clinic, by=users[Role.RESEARCHER])  # needs doses and PCL-5s
            for submission in synthetic.submissions:
                _queued(clinic, submission, users[Role.COORDINATOR])
    except IntegrityError:
        # A concurrent run (PostgreSQL) created the same slug first: report its clinic.
        existing = Clinic.objects.filter(slug=slug).first()
        if existing is None:
            raise
        return _result(existing, synthetic, started, created=False)
    return _result(clinic, synthetic, started, created=True, logins=logins)


def _staff(
    clinic: Clinic, synthetic: SyntheticClinic
) -> tuple[tuple[StaffLogin, ...], dict[str, User]]:
    # Hash each distinct password once: hashing is deliberately slow, and the demo
    # accounts share one documented password.
    hashes = {
        password: make_password(password) for password in {s.password for s in synthetic.staff}
    }
    logins, users = [], {}
    for staff in synthetic.staff:
        user = User.objects.filter(username=staff.username).first()
        state = LOGIN_KEPT
        if user is None:
            user = User(
                username=staff.username,
                first_name=staff.given_name,
                last_name=staff.family_name,
                email=staff.email,
                password=hashes[staff.password],
            )
            user.full_clean()
            user.save()
            state = LOGIN_CREATED
        membership = Membership(user=user, clinic=clinic, role=staff.role)
        membership.full_clean()
        membership.save()
        users[staff.role] = user
        logins.append(_login(staff.username, staff.password, staff.role, state))
    return tuple(logins), users


def _login(username: str, password: str, role: str, state: str) -> StaffLogin:
    return StaffLogin(username, password, role, Role(role).label, state)


def _form_data(person: SyntheticPatient | SyntheticSubmission) -> dict[str, Any]:
    """The submission as the public form's cleaned data."""
    intake = person.intake
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth,
        "email": person.email,
        "phone": person.phone,
        "reason": intake.reason,
        "symptoms": list(intake.symptoms),
        "treatments_tried": list(intake.treatments_tried),
        "treatments_other": intake.treatments_other,
        "current_medications": intake.current_medications,
        "psychosis_or_mania": intake.psychosis_or_mania,
        "high_blood_pressure": intake.high_blood_pressure,
        "heart_or_vascular": intake.heart_or_vascular,
        "pregnancy": intake.pregnancy,
        "substance_use": intake.substance_use,
        "consent_contact": intake.consent_contact,
    }


def _key(clinic: Clinic, key: uuid.UUID) -> uuid.UUID:
    # Submission keys are globally unique and intake_submit returns the stored row for a
    # known key, so the same seed under another slug needs keys of its own.
    return uuid.uuid5(key, clinic.slug)


def _aware(clinic: Clinic, moment: dt.datetime) -> dt.datetime:
    """The generator's wall-clock time in the clinic's timezone (never in a DST gap: 06-23 h)."""
    return moment.replace(tzinfo=clinic.tzinfo)


def _patient(
    clinic: Clinic,
    person: SyntheticPatient,
    users: dict[str, User],
    protocols: dict[str, Protocol],
    rows: SessionRows,
) -> Patient:
    coordinator, nurse = users[Role.COORDINATOR], users[Role.NURSE]
    submission, _created = intake_submit(
        clinic=clinic, data=_form_data(person), submission_key=_key(clinic, person.submission_key)
    )
    patient = intake_enrol(
        submission=submission,
        by=coordinator,
        trauma_context=person.trauma_context,
        veteran_status=person.veteran_status,
    )
    patient = patient_update(
        patient=patient,
        data={
            "sex": person.sex,
            "status": person.care_status,
            "consent_research": person.consent_research,
        },
    )
    responses = []
    for given in person.pcl5:
        response = response_record(
            patient=patient,
            instrument_code=PCL5,
            answers=list(given.answers),
            source=given.source,
            by=nurse if given.source == "staff" else None,
            administered_at=_aware(clinic, given.administered_at),
            timepoint=given.timepoint,
        )
        responses.append(response)
    if person.treatment is not None:
        seed_patient_treatment(
            clinic=clinic,
            patient=patient,
            treatment=person.treatment,
            screening_pcl5=responses[0],
            users=users,
            protocols=protocols,
            rows=rows,
        )
    # Back-date to the synthetic timeline (the services stamp "now").
    enrolled_at = _aware(clinic, person.enrolled_at)
    IntakeSubmission.objects.filter(pk=submission.pk).update(
        created_at=_aware(clinic, person.submitted_at), status_changed_at=enrolled_at
    )
    # Starting a course made the patient "active": their status is the generator's.
    Patient.objects.filter(pk=patient.pk).update(created_at=enrolled_at, status=person.care_status)
    return patient


def _queued(clinic: Clinic, person: SyntheticSubmission, coordinator: User) -> None:
    submission, _created = intake_submit(
        clinic=clinic, data=_form_data(person), submission_key=_key(clinic, person.submission_key)
    )
    changes: dict[str, Any] = {"created_at": _aware(clinic, person.submitted_at)}
    if person.status != Status.NEW and person.status_changed_at is not None:
        intake_set_status(submission=submission, status=person.status, by=coordinator)
        changed_at = _aware(clinic, person.status_changed_at)
        changes["status_changed_at"] = changed_at
        if person.staff_note:
            # Same stamp format as intake_set_status, but at the synthetic time.
            changes["staff_note"] = f"[{changed_at:%Y-%m-%d %H:%M}] {person.staff_note}"
    IntakeSubmission.objects.filter(pk=submission.pk).update(**changes)


def _result(
    clinic: Clinic,
    synthetic: SyntheticClinic,
    started: float,
    *,
    created: bool,
    logins: tuple[StaffLogin, ...] | None = None,
) -> SeedResult:
    if logins is None:
        logins = _existing_logins(clinic, synthetic)
    submissions = IntakeSubmission.objects.for_clinic(clinic)
    return SeedResult(
        created=created,
        clinic=clinic,
        logins=logins,
        patients=Patient.objects.for_clinic(clinic).count(),
        submissions=submissions.count(),
        waiting=submissions.filter(status=Status.NEW).count(),
        responses=Response.objects.for_clinic(clinic).filter(instrument=PCL5).count(),
        seconds=time.perf_counter() - started,
        courses=Course.objects.for_clinic(clinic).count(),
        dosing_sessions=DosingSession.objects.for_clinic(clinic).count(),
        vitals=VitalsReading.objects.filter(session__clinic=clinic).count(),
        alerts=SessionAlert.objects.filter(session__clinic=clinic).count(),
        adverse_events=AdverseEvent.objects.filter(session__clinic=clinic).count(),
        therapy_sessions=TherapySession.objects.for_clinic(clinic).count(),
    )


def _existing_logins(clinic: Clinic, synthetic: SyntheticClinic) -> tuple[StaffLogin, ...]:
    members = set(
        Membership.objects.active().filter(clinic=clinic).values_list("user__username", flat=True)
    )
    return tuple(
        _login(
            staff.username,
            staff.password,
            staff.role,
            LOGIN_KEPT if staff.username in members else LOGIN_MISSING,
        )
        for staff in synthetic.staff
    )
