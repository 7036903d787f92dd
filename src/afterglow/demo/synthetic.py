"""A seeded generator of a synthetic ketamine-for-PTSD clinic. No Django import.

``generate_clinic(seed, ...)`` returns plain dataclasses: staff logins, patients (each
with the intake submission they came from and a PCL-5 history) and submissions still
in the queue. The same seed and start date always give the same clinic; every draw
comes from a ``random.Random`` seeded from the seed, never from the global generator.
Patient ``i`` has its own stream, so a smaller clinic is a prefix of a larger one.
``afterglow demo``, the tests and the benchmarks all use it.

Trajectory model (every parameter is in ``synthetic_params`` with its source). For a
person with true baseline total ``b`` the expected PCL-5 total on day ``t`` after the
first dose is ``b * (1 - r(t))``:

* responders (probability 0.67 civilian, 0.30 service members): ``r`` rises to a
  reduction ``R`` >= 36% by the end of the two-week course, most of it by day 1
  (24 h effect); after the course it holds, then wanes and crosses the 30% response
  threshold after an exponential time with median 27.5 days, settling at a small
  residual reduction;
* non-responders: a small change of about 2.7 points (g = 0.27), fading afterwards.

Each administration adds normal noise of SD 5.4 (the SEM implied by a reliable change
index of 15 points) and is rounded and clipped to 0-80. The 20 item answers are that
total distributed over the items with the person's own item weights, the intrusion
cluster B losing weight fastest as the total falls, so item answers and total agree.

Assumptions: response is judged on the PCL-5 total (the trials used CAPS-5); noise is
independent between administrations; missed questionnaires and dropout are unrelated
to the outcome (missing completely at random).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import uuid
from dataclasses import dataclass, replace

from afterglow.demo import synthetic_params as p
from afterglow.intake.rules import NO, SAFETY_FIELDS, UNSURE, YES

DEFAULT_SEED = 20261127
DEFAULT_START = dt.date(2026, 11, 27)
PCL5_ITEMS = 20
PCL5_MAX_ITEM = 4
_CLUSTER_OF = {item: key for key, items in p.CLUSTER_ITEMS.items() for item in items}


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
class Pcl5Administration:
    day: int  # days after the first dose; 0 = baseline, answered before it
    timepoint: str  # e.g. "week 2 (end of course)"
    source: str  # "staff" or "patient_link" (instruments.models.Source)
    administered_at: dt.datetime  # naive: wall-clock time in the clinic's timezone
    answers: tuple[int | None, ...]  # 20 values 0-4 in item order; None = left blank


@dataclass(frozen=True)
class Trajectory:
    """The hidden truth behind one patient's history, for benchmarks to check estimates against.

    Tests of the shape of the data must not read this: they compute response from the
    answers, as the application does.
    """

    baseline: float  # true PCL-5 total before treatment
    responder: bool
    end_of_course_reduction: float  # fraction of baseline removed at END_OF_COURSE_DAY
    loss_of_response_after_days: float | None  # days after the course; responders only
    residual_reduction: float  # fraction kept once the response is lost
    dropout_day: int | None  # first scheduled day no longer attended

    def expected_total(self, day: int) -> float:
        """The noise-free PCL-5 total ``day`` days after the first dose."""
        return self.baseline * (1.0 - self.reduction(day))

    def reduction(self, day: int) -> float:
        """Fraction of the baseline total removed on ``day`` (see the module docstring)."""
        if day <= 0:
            return 0.0
        onset = _onset(day)
        end = p.END_OF_COURSE_DAY
        if not self.responder:
            fading = 1.0 - 0.5 * min(1.0, max(0, day - end) / (90 - end))
            return self.end_of_course_reduction * onset * fading
        if day <= end:
            return self.end_of_course_reduction * onset
        since, loss = day - end, self.loss_of_response_after_days or math.inf
        threshold, start = p.RESPONSE_REDUCTION, self.end_of_course_reduction
        if since < loss:
            return start - (start - threshold) * (since / loss) ** p.WANING_EXPONENT
        settled = min(1.0, (since - loss) / p.RELAPSE_SETTLE_DAYS)
        return threshold - (threshold - self.residual_reduction) * settled


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
    """Generate the clinic; the same arguments always give the same result.

    ``start`` is "today" (default ``DEFAULT_START``; ``afterglow demo`` passes the
    clinic's date): first doses fall in the ~9 months before it (a few in the coming
    week) and only what happened before it is included.
    """
    if n_patients < 0 or n_new_intake < 0:
        raise ValueError("n_patients and n_new_intake must be zero or more")
    today = start or DEFAULT_START
    names: set[tuple[str, str]] = set()
    emails: set[str] = set()
    patients = tuple(
        _patient(random.Random(f"{seed}/patient/{i}"), today, names, emails)
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


def _at(rng: random.Random, day: dt.date, first_hour: int, last_hour: int) -> dt.datetime:
    """A time on ``day`` between the hours, on a 5-minute grid."""
    minutes = rng.randrange(first_hour * 60, last_hour * 60, 5)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))


def _intake(
    rng: random.Random,
    service: bool,
    sex: str,
    rates: dict[str, tuple[float, float]],
    cluster_means: dict[str, float],
) -> IntakeAnswers:
    """Form answers; ticked symptoms follow the person's PCL-5 cluster means (0-4)."""
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
    medications = rng.sample(p.MEDICATIONS, k=rng.choice((0, 1, 1, 2)))
    return IntakeAnswers(
        reason=template.format(years=rng.randint(2, 15)),
        symptoms=symptoms,
        treatments_tried=tried or ("none",),
        treatments_other=rng.choice(p.TREATMENTS_OTHER) if rng.random() < 0.15 else "",
        current_medications="; ".join(medications) or "none",
        **safety,
    )


# --- patients -------------------------------------------------------------------------------------


def _patient(
    rng: random.Random, today: dt.date, names: set[tuple[str, str]], emails: set[str]
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

    truth, screening_total = _trajectory(rng, service)
    weights = [
        p.ITEM_BASE_SEVERITY.get(item, 1.0)
        * rng.gammavariate(p.ITEM_WEIGHT_SHAPE, 1 / p.ITEM_WEIGHT_SHAPE)
        for item in range(1, PCL5_ITEMS + 1)
    ]
    history = _history(rng, truth, screening_total, weights, day0, today)
    screening = history[0].answers
    cluster_means = {
        key: sum(screening[i - 1] or 0 for i in items) / len(items)
        for key, items in p.CLUSTER_ITEMS.items()
    }
    return SyntheticPatient(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex=sex,
        email=email,
        phone=phone,
        trauma_context=context,
        veteran_status=service_status,
        submission_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        submitted_at=_at(rng, submitted_on, 6, 23),
        intake=_intake(rng, service, sex, p.SAFETY_RATES_ENROLLED, cluster_means),
        enrolled_at=_at(rng, enrolled_on, 9, 17),
        first_dose_on=day0,
        care_status=_care_status(truth, day0, today),
        consent_research=rng.random() < p.RESEARCH_CONSENT_PROBABILITY,
        pcl5=history,
        truth=truth,
    )


def _trajectory(rng: random.Random, service: bool) -> tuple[Trajectory, int]:
    """The hidden trajectory and the observed screening total (which must pass entry)."""
    while True:
        baseline = rng.gauss(p.BASELINE_MEAN, p.BASELINE_SD)
        screening = _observe(rng, baseline)
        if baseline <= 80 and screening >= p.ENTRY_MIN_TOTAL:
            break
    chance = p.RESPONDER_PROBABILITY_SERVICE if service else p.RESPONDER_PROBABILITY_CIVILIAN
    responder = rng.random() < chance
    if responder:
        reduction = rng.gauss(p.RESPONDER_REDUCTION_MEAN, p.RESPONDER_REDUCTION_SD)
        reduction = min(p.RESPONDER_REDUCTION_MAX, max(p.RESPONDER_REDUCTION_MIN, reduction))
        loss: float | None = rng.expovariate(p.LOSS_OF_RESPONSE_RATE)
    else:
        change = rng.gauss(p.NONRESPONDER_CHANGE_MEAN, p.NONRESPONDER_CHANGE_SD)
        reduction, loss = change / baseline, None
    residual = rng.uniform(*p.RELAPSE_RESIDUAL_REDUCTION)
    draw, dropout = rng.random(), None
    if draw < p.DROPOUT_DURING_COURSE:
        dropout = rng.choice((7, 14))
    elif draw < p.DROPOUT_DURING_COURSE + p.DROPOUT_DURING_FOLLOW_UP:
        dropout = rng.choice((21, 28, 42, 56, 90))
    truth = Trajectory(baseline, responder, reduction, loss, residual, dropout)
    return truth, screening


def _observe(rng: random.Random, expected: float) -> int:
    return min(80, max(0, round(expected + rng.gauss(0.0, p.MEASUREMENT_SD))))


def _onset(day: int) -> float:
    points = p.RESPONSE_ONSET
    for (d0, f0), (d1, f1) in itertools.pairwise(points):
        if day <= d1:
            return f0 + (f1 - f0) * (day - d0) / (d1 - d0)
    return 1.0


def _history(
    rng: random.Random,
    truth: Trajectory,
    screening_total: int,
    weights: list[float],
    day0: dt.date,
    today: dt.date,
) -> tuple[Pcl5Administration, ...]:
    history = []
    for day, label, source, late in p.SCHEDULE:
        if truth.dropout_day is not None and day >= truth.dropout_day:
            break
        missed = (
            p.MISSED_LINK_PROBABILITY if source == "patient_link" else p.MISSED_CLINIC_PROBABILITY
        )
        if day > 0 and rng.random() < missed:
            continue
        actual = day + rng.randint(0, late)
        on = day0 + dt.timedelta(days=actual)
        if on >= today:
            break
        total = screening_total if day < 0 else _observe(rng, truth.expected_total(actual))
        improvement = max(0.0, truth.reduction(actual))
        answers: list[int | None] = list(_items(rng, total, weights, improvement))
        if day > 0 and rng.random() < p.INCOMPLETE_RESPONSE_PROBABILITY:
            answers[rng.randrange(PCL5_ITEMS)] = None
        hours = (8, 12) if source == "staff" else (7, 22)
        history.append(
            Pcl5Administration(actual, label, source, _at(rng, on, *hours), tuple(answers))
        )
    return tuple(history)


def _items(rng: random.Random, total: int, base: list[float], improvement: float) -> list[int]:
    """Spread ``total`` over the 20 items (each 0-4) so that the answers sum to it exactly.

    Item weights are the person's own, each shrunk by CLUSTER_SHIFT x the cluster's
    responsiveness x the fractional improvement, so cluster B gives up most as
    symptoms fall. Expected values are water-filled under the cap of 4, rounded at
    random, and the rounding error is corrected one point at a time.
    """
    weights = [
        w
        * max(
            0.05, 1 - p.CLUSTER_SHIFT * p.CLUSTER_RESPONSIVENESS[_CLUSTER_OF[i + 1]] * improvement
        )
        for i, w in enumerate(base)
    ]
    expected = [0.0] * PCL5_ITEMS
    free, remaining = set(range(PCL5_ITEMS)), float(total)
    while free:
        scale = remaining / sum(weights[i] for i in free)
        full = {i for i in free if weights[i] * scale > PCL5_MAX_ITEM}
        if not full:
            for i in free:
                expected[i] = weights[i] * scale
            break
        for i in full:
            expected[i] = PCL5_MAX_ITEM
        free -= full
        remaining -= PCL5_MAX_ITEM * len(full)
    values = [min(PCL5_MAX_ITEM, int(e) + (rng.random() < e - int(e))) for e in expected]
    indices = range(PCL5_ITEMS)
    while (gap := total - sum(values)) != 0:
        if gap > 0:
            room = [weights[i] if values[i] < PCL5_MAX_ITEM else 0.0 for i in indices]
            values[rng.choices(indices, weights=room)[0]] += 1
        else:
            values[rng.choices(indices, weights=[float(v) for v in values])[0]] -= 1
    return values


def _care_status(truth: Trajectory, day0: dt.date, today: dt.date) -> str:
    elapsed = (today - day0).days
    if elapsed <= 0:
        return "screening"
    if truth.dropout_day is not None and truth.dropout_day <= elapsed:
        recent = elapsed - truth.dropout_day < p.PAUSED_WINDOW_DAYS
        return "paused" if recent else "discharged"
    if elapsed <= p.END_OF_COURSE_DAY:
        return "active"
    return "follow_up" if elapsed <= p.DISCHARGE_AFTER_DAYS else "discharged"


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
    # Queue members have no PCL-5 yet; tick symptoms as for a typical entry profile (2.5/item).
    intake = _intake(rng, service, sex, p.SAFETY_RATES_QUEUE, dict.fromkeys("BCDE", 2.5))
    force = status == "declined" or (status == "new" and index % p.NEW_FLAGGED_EVERY == 0)
    if force and not intake.flagged:
        fields = ["psychosis_or_mania", "heart_or_vascular", "substance_use"]
        answer = YES if status == "declined" else rng.choice((YES, UNSURE))
        intake = replace(intake, **{rng.choice(fields): answer})
    if status == "new":
        oldest, newest, notes = 10, 1, ("",)
    else:
        _count, oldest, newest, notes = p.QUEUE_OTHER_STATUSES[status]
    submitted = today - dt.timedelta(days=rng.randint(newest, oldest))
    changed = None
    if status != "new":
        changed_on = min(today - dt.timedelta(days=1), submitted + dt.timedelta(rng.randint(1, 3)))
        changed = _at(rng, changed_on, 9, 17)
    return SyntheticSubmission(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        email=email,
        phone=phone if rng.random() < 0.9 else "",
        submission_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        submitted_at=_at(rng, submitted, 6, 23),
        intake=intake,
        status=status,
        staff_note=rng.choice(notes),
        status_changed_at=changed,
    )
