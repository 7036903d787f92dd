"""A seeded generator of a synthetic ketamine-for-PTSD clinic. No Django import.

``generate_clinic(seed, ...)`` returns plain dataclasses: staff logins, patients (each
with the intake submission they came from and a PCL-5 history) and submissions still
in the queue. The same seed and start date always give the same clinic; every draw
comes from a ``random.Random`` seeded from the seed, never from the global generator.
Patient ``i`` has its own stream, so a smaller clinic is a prefix of a larger one.
``afterglow demo``, the tests and the benchmarks all use it.

The PCL-5 trajectory model is in ``synthetic_pcl5``; every parameter, with where it
comes from, is in ``synthetic_params``.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from afterglow.demo import synthetic_params as p
from afterglow.demo.synthetic_pcl5 import (
    Pcl5Administration,
    Trajectory,
    care_status,
    draw_history,
    wall_clock,
)
from afterglow.demo.synthetic_treatment import SyntheticTreatment, draw_treatment
from afterglow.intake.rules import NO, SAFETY_FIELDS, UNSURE, YES

# Re-exported: the records a caller of generate_clinic meets.
__all__ = [
    "IntakeAnswers",
    "Pcl5Administration",
    "SyntheticClinic",
    "SyntheticPatient",
    "SyntheticStaff",
    "SyntheticSubmission",
    "SyntheticTreatment",
    "Trajectory",
    "generate_clinic",
]

DEFAULT_SEED = 20261127
DEFAULT_START = dt.date(2026, 11, 27)
_REVIEW_FIELDS = ("psychosis_or_mania", "heart_or_vascular", "substance_use")


@dataclass(frozen=True)
class SyntheticStaff:
    username: str
    role: str  # an accounts.models.Role value
    given_name: str
    family_name: str
    email: str
    password: str  # DEMO ONLY, see synthetic_params.DEMO_PASSWORD


@dataclass(frozen=True)
class IntakeAnswers:
    """The "Start your journey" form's answers (codes as in ``intake.models``)."""

    reason: str
    symptoms: tuple[str, ...]
    treatments_tried: tuple[str, ...]
    treatments_other: str
    current_medications: str
    psychosis_or_mania: str  # "yes", "no" or "unsure" (intake.rules)
    high_blood_pressure: str
    heart_or_vascular: str
    pregnancy: str
    substance_use: str
    consent_contact: bool = True  # the public form requires it

    @property
    def flagged(self) -> bool:
        """Whether any safety answer is "yes" or "unsure" (the queue shows a flag)."""
        return any(getattr(self, field) != NO for field in SAFETY_FIELDS)


@dataclass(frozen=True)
class SyntheticSubmission:
    """An intake submission that did not (yet) become a patient."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    email: str
    phone: str
    submission_key: uuid.UUID
    submitted_at: dt.datetime  # naive, clinic wall-clock time
    intake: IntakeAnswers
    status: str  # "new", "contacted", "screening" or "declined"
    staff_note: str
    status_changed_at: dt.datetime | None


@dataclass(frozen=True)
class SyntheticPatient:
    """A patient: the intake submission they came from, their record and PCL-5 history."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str  # patients.models.Sex value
    email: str
    phone: str
    trauma_context: str  # "civilian", "military" or "both"
    veteran_status: str  # "none", "veteran", "reserve" or "active"
    submission_key: uuid.UUID
    submitted_at: dt.datetime  # naive, clinic wall-clock time
    intake: IntakeAnswers
    enrolled_at: dt.datetime
    first_dose_on: dt.date  # day 0
    care_status: str  # patients.models.CareStatus value
    consent_research: bool
    pcl5: tuple[Pcl5Administration, ...]
    truth: Trajectory
    # Screening, course, doses and therapy (``synthetic_treatment``); drawn from a stream
    # of its own, so adding it left the PCL-5 histories as they were.
    treatment: SyntheticTreatment | None = None

    @property
    def is_service_member(self) -> bool:
        return self.veteran_status != "none"


@dataclass(frozen=True)
class SyntheticClinic:
    seed: int
    start: dt.date  # "today": every event happened before this date
    staff: tuple[SyntheticStaff, ...]
    patients: tuple[SyntheticPatient, ...]
    submissions: tuple[SyntheticSubmission, ...]  # not enrolled


def generate_clinic(
    seed: int = DEFAULT_SEED,
    n_patients: int = 120,
    n_new_intake: int = 6,
    start: dt.date | None = None,
) -> SyntheticClinic:
    """Generate ``n_patients`` patients, ``n_new_intake`` new submissions and the staff.

    The same arguments always give the same result. Besides the new submissions the
    queue holds a few contacted, screening and declined ones (QUEUE_OTHER_STATUSES).

    ``start`` is "today" (default ``DEFAULT_START``; ``afterglow demo`` passes the
    clinic's date): first doses fall in the ~9 months before it (a few in the coming
    week) and only what happened before it is included.
    """
    if n_patients < 0 or n_new_intake < 0:
        raise ValueError("n_patients and n_new_intake must be zero or more")
    today = start or DEFAULT_START
    names: set[tuple[str, str]] = set()
    emails: set[str] = set()
    # One stream per record; random.Random hashes a str seed with SHA-512, so the streams
    # do not depend on PYTHONHASHSEED.
    patients = tuple(
        _patient(
            random.Random(f"{seed}/patient/{i}"),
            today,
            names,
            emails,
            random.Random(f"{seed}/treatment/{i}"),
        )
        for i in range(n_patients)
    )
    queue = [
        _submission(random.Random(f"{seed}/new/{i}"), today, names, emails, "new", i)
        for i in range(n_new_intake)
    ]
    for status in p.QUEUE_OTHER_STATUSES:
        count = p.QUEUE_OTHER_STATUSES[status][0]
        queue += [
            _submission(random.Random(f"{seed}/{status}/{i}"), today, names, emails, status, i)
            for i in range(count)
        ]
    return SyntheticClinic(seed, today, _staff(), patients, tuple(queue))


def _staff() -> tuple[SyntheticStaff, ...]:
    return tuple(
        SyntheticStaff(
            username=f"demo-{role}",
            role=role,
            given_name=given,
            family_name=family,
            email=f"demo-{role}@{p.STAFF_EMAIL_DOMAIN}",
            password=p.DEMO_PASSWORD,
        )
        for role, given, family in p.STAFF
    )


# --- people ---------------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person(
    rng: random.Random, today: dt.date, sex: str, names: set[tuple[str, str]], emails: set[str]
) -> tuple[str, str, dt.date, str, str]:
    """Name (unique when the lists allow), date of birth, fictional email and phone."""
    pool = p.GIVEN_NAMES_MALE if sex == "male" else p.GIVEN_NAMES_FEMALE
    if sex not in ("male", "female"):
        pool = p.GIVEN_NAMES_FEMALE + p.GIVEN_NAMES_MALE
    for _attempt in range(50):
        given, family = rng.choice(pool), rng.choice(p.FAMILY_NAMES)
        if (given, family) not in names:
            break
    names.add((given, family))
    stem = f"{given}.{family}".lower()
    email, number = f"{stem}@{p.PATIENT_EMAIL_DOMAIN}", 1
    while email in emails:
        number += 1
        email = f"{stem}{number}@{p.PATIENT_EMAIL_DOMAIN}"
    emails.add(email)
    age = min(p.AGE_MAX_YEARS, max(p.AGE_MIN_YEARS, rng.gauss(p.AGE_MEAN_YEARS, p.AGE_SD_YEARS)))
    born = today - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
    if born > _years_before(today, p.AGE_MIN_YEARS):  # keep "21-70" true on every date
        born = _years_before(today, p.AGE_MIN_YEARS)
    phone = f"+1 ({rng.choice(p.AREA_CODES)}) 555-01{rng.randrange(100):02d}"
    return given, family, born, email, phone


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _sex(rng: random.Random, service: bool) -> str:
    if rng.random() < p.SEX_UNDISCLOSED_SHARE:
        return "undisclosed"
    female = p.FEMALE_SHARE_SERVICE if service else p.FEMALE_SHARE_CIVILIAN
    return "female" if rng.random() < female else "male"


def _intake(
    rng: random.Random,
    service: bool,
    sex: str,
    rates: dict[str, tuple[float, float]],
    cluster_means: dict[str, float],
    forced: tuple[str, str] | None = None,
) -> IntakeAnswers:
    """Form answers; ticked symptoms follow the person's PCL-5 cluster means (0-4).

    ``forced`` is a (safety field, answer) pair that overrides the random answer.
    """
    template = rng.choice(p.REASONS_SERVICE if service else p.REASONS_CIVILIAN)
    symptoms = tuple(
        code
        for key, codes in p.SYMPTOMS_BY_CLUSTER.items()
        for code in codes
        if rng.random() < min(0.95, cluster_means[key] / 4 + 0.1)
    )
    tried = tuple(code for code, rate in p.TREATMENT_RATES.items() if rng.random() < rate)
    safety = {}
    for field, (yes, unsure) in rates.items():
        draw = rng.random()
        if field == "pregnancy" and sex != "female":
            draw = 1.0
        safety[field] = YES if draw < yes else UNSURE if draw < yes + unsure else NO
    if forced is not None:
        safety[forced[0]] = forced[1]
    medications = rng.sample(p.MEDICATIONS, k=rng.choice((0, 1, 1, 2)))
    return IntakeAnswers(
        reason=template.format(years=rng.randint(2, 15)),
        symptoms=symptoms,
        treatments_tried=tried or ("none",),
        treatments_other=rng.choice(p.TREATMENTS_OTHER) if rng.random() < 0.15 else "",
        current_medications="; ".join(medications) or "none",
        psychosis_or_mania=safety["psychosis_or_mania"],
        high_blood_pressure=safety["high_blood_pressure"],
        heart_or_vascular=safety["heart_or_vascular"],
        pregnancy=safety["pregnancy"],
        substance_use=safety["substance_use"],
    )


# --- patients -------------------------------------------------------------------------------------


def _patient(
    rng: random.Random,
    today: dt.date,
    names: set[tuple[str, str]],
    emails: set[str],
    treatment_rng: random.Random,
) -> SyntheticPatient:
    context = _weighted(rng, p.TRAUMA_CONTEXT_WEIGHTS)
    service_status = "none" if context == "civilian" else _weighted(rng, p.SERVICE_STATUS_WEIGHTS)
    service = service_status != "none"
    sex = _sex(rng, service)
    given, family, born, email, phone = _person(rng, today, sex, names, emails)

    if rng.random() < p.BOOKED_AHEAD_SHARE:
        day0 = today + dt.timedelta(days=rng.randrange(0, 7))
    else:
        day0 = today - dt.timedelta(days=rng.randint(1, p.DAY0_SPREAD_DAYS))
    while day0.weekday() > 2:  # courses start Monday to Wednesday (3 infusions a week)
        day0 -= dt.timedelta(days=1)
    enrolled_on = day0 - dt.timedelta(days=7 + rng.randint(1, 4))
    submitted_on = enrolled_on - dt.timedelta(days=rng.randint(3, 25))

    truth, history = draw_history(rng, service, day0, today)
    screening = history[0].answers
    cluster_means = {
        key: sum(screening[i - 1] or 0 for i in items) / len(items)
        for key, items in p.CLUSTER_ITEMS.items()
    }
    # Draws from ``rng`` in the order they always had, so the same seed gives the same people.
    submission_key = uuid.UUID(int=rng.getrandbits(128), version=4)
    submitted_at = wall_clock(rng, submitted_on, 6, 23)
    intake = _intake(rng, service, sex, p.SAFETY_RATES_ENROLLED, cluster_means)
    enrolled_at = wall_clock(rng, enrolled_on, 9, 17)
    consent_research = rng.random() < p.RESEARCH_CONSENT_PROBABILITY
    status = care_status(truth, day0, today)
    treatment = draw_treatment(
        treatment_rng,
        sex=sex,
        service=service,
        high_blood_pressure=intake.high_blood_pressure == YES,
        day0=day0,
        today=today,
        pcl5=history,
        dropout_day=truth.dropout_day,
        care_status=status,
    )
    return SyntheticPatient(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex=sex,
        email=email,
        phone=phone,
        trauma_context=context,
        veteran_status=service_status,
        submission_key=submission_key,
        submitted_at=submitted_at,
        intake=intake,
        enrolled_at=enrolled_at,
        first_dose_on=day0,
        care_status=status,
        consent_research=consent_research,
        pcl5=history,
        truth=truth,
        treatment=treatment,
    )


# --- the queue ------------------------------------------------------------------------------------


def _submission(
    rng: random.Random,
    today: dt.date,
    names: set[tuple[str, str]],
    emails: set[str],
    status: str,
    index: int,
) -> SyntheticSubmission:
    context = _weighted(rng, p.TRAUMA_CONTEXT_WEIGHTS)
    service = context != "civilian"
    sex = _sex(rng, service)
    given, family, born, email, phone = _person(rng, today, sex, names, emails)
    # Declined people answered "yes" to a question needing review; every few new ones
    # carry a flag so the queue shows one.
    forced = None
    if status == "declined":
        forced = (rng.choice(_REVIEW_FIELDS), YES)
    elif status == "new" and index % p.NEW_FLAGGED_EVERY == 0:
        forced = (rng.choice(_REVIEW_FIELDS), rng.choice((YES, UNSURE)))
    # Queue members have no PCL-5 yet; tick symptoms as for a typical entry profile (2.5/item).
    typical = dict.fromkeys(p.CLUSTER_ITEMS, 2.5)
    intake = _intake(rng, service, sex, p.SAFETY_RATES_QUEUE, typical, forced)
    notes: tuple[str, ...]
    if status == "new":
        oldest, newest, notes = 10, 1, ("",)
    else:
        _count, oldest, newest, notes = p.QUEUE_OTHER_STATUSES[status]
    submitted = today - dt.timedelta(days=rng.randint(newest, oldest))
    changed = None
    if status != "new":
        changed_on = min(today - dt.timedelta(days=1), submitted + dt.timedelta(rng.randint(1, 3)))
        changed = wall_clock(rng, changed_on, 9, 17)
    return SyntheticSubmission(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        email=email,
        phone=phone if rng.random() < 0.9 else "",
        submission_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        submitted_at=wall_clock(rng, submitted, 6, 23),
        intake=intake,
        status=status,
        staff_note=rng.choice(notes),
        status_changed_at=changed,
    )
