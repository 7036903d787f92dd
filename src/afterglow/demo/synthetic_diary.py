"""Between visits in the synthetic clinic: the daily intrusion diary (and, through
``synthetic_phq9``, the PHQ-9 before each dose). No Django import.

``generate_between_visits(clinic)`` returns one :class:`BetweenVisits` per patient of a
:class:`~afterglow.demo.synthetic.SyntheticClinic`, in the same order. Patient ``i`` draws
from streams of its own (``"{seed}/diary/{i}"`` and ``"{seed}/phq9/{i}"``), so the same
clinic always gets the same diaries, a smaller clinic's are a prefix of a larger one's,
and the patients' PCL-5 histories and treatment are left as they were.

**The diary.** Each patient is sent a diary link at enrolment and writes from the next
day (7-10 days before the first dose: the baseline) to 8 weeks after the first dose. The
expected number of intrusions (intrusive memories + flashbacks) on day ``t`` is

    lambda(t) = lambda_0 * B(t) / B(baseline)

where ``B`` is the expected PCL-5 intrusion-cluster total (items 1-5) of the patient's
hidden trajectory in ``synthetic_pcl5``: the total falls by the trajectory's reduction
``r(t)`` and cluster B gives up more than its share, as the PCL-5 item answers do (see
:func:`intrusion_ratio`). So diary and PCL-5 agree: responders' counts fall after the
first dose, and come back when the response is lost. A day's count is negative binomial
(Poisson with a gamma-distributed daily rate of mean ``lambda(t)``); flashbacks are the
share of those intrusions with a here-and-now quality. Days are missing at random, some
patients stop writing (always those who stop coming), and the link is closed when the
diary period ends, the course is ended early or the patient is discharged. A missing day
is absent, never a zero row; a day without intrusions or nightmares is a recorded zero,
written with the "None today" button or by typing 0s.

**The PHQ-9** before each dose is drawn by ``synthetic_phq9`` from the same trajectory.

Parameters follow ``synthetic_params``: **cited** (from ``shared/evidence.md``, section in
brackets), **derived** (arithmetic shown) or **illustrative** (an Afterglow assumption:
evidence.md has no figure; it only makes the demo look like a clinic).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from dataclasses import dataclass

from afterglow.demo import synthetic_params as p
from afterglow.demo.synthetic import SyntheticClinic, SyntheticPatient
from afterglow.demo.synthetic_pcl5 import Trajectory, wall_clock
from afterglow.demo.synthetic_phq9 import (
    RECENT_DAYS,
    RECENT_ITEM9_EVERY,
    Phq9Administration,
    dosed_lately,
    draw_phq9,
)

# --- Diary parameters -----------------------------------------------------------------------------

# Derived: weekly intrusions at baseline are log-normal between people. Kleim 2013 counted 6.4
# per person-week in trauma survivors; a participant of the Iceland case series started at
# 38.8 a week [§7]. The median is their geometric mean, sqrt(6.4 x 38.8) = 15.8, and the log-SD
# puts both figures one SD from it: ln(38.8 / 15.8) = 0.90. Scaled by the person's true PCL-5
# baseline / 50 (illustrative; diary counts correlate with questionnaire intrusion scores,
# Singh 2023 [§7]).
BASELINE_WEEKLY_MEDIAN = math.sqrt(6.4 * 38.8)
BASELINE_WEEKLY_LOG_SD = math.log(38.8 / BASELINE_WEEKLY_MEDIAN)
BASELINE_WEEKLY_MAX = 100.0  # illustrative cap (about 14 a day)
# Illustrative: day-to-day overdispersion, gamma shape of the daily rate (CV = 1 / sqrt(1.5)).
DAILY_RATE_SHAPE = 1.5
# Illustrative: share of intrusions with a here-and-now (flashback) quality, beta between people.
# Kleim 2013 found more here-and-now quality in PTSD cases but gives no share [§7].
FLASHBACK_SHARE_BETA = (2.0, 8.0)  # mean 0.2
# Illustrative: chance of a nightmare on a baseline night (uniform between people); it falls
# with the intrusion rate (upsetting dreams are PCL-5 item 2, cluster B [§1]).
NIGHTMARE_PROBABILITY = (0.15, 0.60)

# Diary period. Baseline: from the day after enrolment, 8-11 days before the first dose
# (synthetic.py), so 7-10 days: "usually 7 days" of diary, longer baselines in case series [§7].
# End: 8 weeks after the first dose, the follow-up of Albott 2018 [§4a].
DAYS_AFTER_FIRST_DOSE = 56
LINK_SENT_AFTER_ENROLMENT_MINUTES = (10, 60)  # illustrative
CLOSED_AT_HOUR = 10  # the link is revoked the morning after the last diary day (illustrative)
WRITTEN_HOURS = (18, 23)  # entries written in the evening (illustrative)

# Missing days (illustrative: Rattel 2019 found similar compliance across prompt schedules but
# evidence.md gives no rate [§7]): each person misses a share of days, beta-distributed.
MISSED_DAY_BETA = (2.0, 12.0)  # mean 0.14
# Illustrative: besides everyone who stops coming (the trajectory's dropout), this share stop
# writing on a uniform day after the first dose while still attending; dropouts stop 1-4 days
# before their first missed visit.
STOP_WRITING_PROBABILITY = 0.2
DROPOUT_STOPS_DAYS_BEFORE = (1, 4)
# Illustrative, like NEW_FLAGGED_EVERY in synthetic_params: every 5th patient whose diary is
# still running on the start date (counted in patient order) stopped writing 4-9 days before
# it, so the "no diary for several days" worklist and the missed-diary alert have real cases.
SILENT_EVERY = 5
SILENT_FOR_DAYS = (4, 9)

# What a written day looks like (all illustrative).
NONE_TODAY_BUTTON_SHARE = 0.6  # of zero days: "None today" pressed rather than 0s typed
DISTRESS_SKIPPED = 0.08  # the optional 0-10 distress left blank
DISTRESS_PER_LOG_COUNT = 2.2  # distress ~ 2 + 2.2 ln(1 + count) + person offset + day noise
DISTRESS_ZERO_DAY = (0, 0, 1, 1, 2)
TRIGGER_PROBABILITY = 0.2  # on days with intrusions
NOTE_PROBABILITY = 0.06
# Illustrative and rare: a note the patient marks urgent for the care team, read the next
# morning, 08:00-11:00.
URGENT_NOTE_PROBABILITY = 0.0012
DIARY_REVIEW_HOURS = (8, 11)

# Triggers are mostly perceptual cues resembling the event (Kleim 2013 [§7]); bland on purpose.
TRIGGERS: tuple[str, ...] = (
    "loud bang", "siren", "smell of smoke", "crowded shop", "car braking hard", "raised voices",
    "news on TV", "someone walking behind me", "a song on the radio", "anniversary coming up",
    "film scene", "dark car park",
)  # fmt: skip
NOTES: tuple[str, ...] = (
    "Slept badly.",
    "Busy day at work, did not think about it much.",
    "Felt calmer after the session.",
    "Tired and a bit flat.",
    "Went for a long walk, helped.",
    "Hard morning, better afternoon.",
    "Talked to a friend about it.",
    "Headache in the evening.",
)
URGENT_NOTES: tuple[str, ...] = (
    "Very hard day. Please call me.",
    "I don't feel safe tonight and would like someone to contact me.",
    "Everything came back today. Can someone from the clinic call me tomorrow?",
)

# --- Current work in the alert inbox ----------------------------------------------------------

# Illustrative, like NEW_FLAGGED_EVERY in synthetic_params: so that the inbox shows a few open
# urgent alerts from the last days, whatever the start date. The OPEN_DIARY_ALERTS most recent
# urgent-note alerts are still open (the others were acknowledged), and every
# RECENT_URGENT_NOTE_EVERY-th patient whose diary is running (counted in patient order) marked
# their latest note urgent, if they wrote it in the RECENT_DAYS before the start date. The
# PHQ-9 counterparts are in synthetic_phq9.
OPEN_DIARY_ALERTS = 2
RECENT_URGENT_NOTE_EVERY = 8


@dataclass(frozen=True)
class DiaryDay:
    """One written day; days without an entry are absent (missing, never zero)."""

    day: dt.date
    written_at: dt.datetime  # naive: wall-clock time in the clinic's timezone
    none_today: bool
    intrusive_memories: int
    flashbacks: int
    nightmares: bool
    peak_distress: int | None
    triggers: str
    note: str
    urgent: bool
    reviewed_at: dt.datetime | None  # when the care team reads an urgent note

    @property
    def total(self) -> int:
        return self.intrusive_memories + self.flashbacks


@dataclass(frozen=True)
class SyntheticDiary:
    link_sent_at: dt.datetime  # naive, clinic wall-clock time
    first_day: dt.date
    last_day: dt.date  # planned last diary day (inclusive)
    stopped_after: dt.date | None  # the patient stopped writing after this day; None = kept on
    closed_at: dt.datetime | None  # link revoked (diary period over or course ended early)
    entries: tuple[DiaryDay, ...]
    baseline_weekly_rate: float  # expected intrusions per week before the first dose (hidden)


@dataclass(frozen=True)
class BetweenVisits:
    diary: SyntheticDiary
    phq9: tuple[Phq9Administration, ...]


def generate_between_visits(clinic: SyntheticClinic) -> tuple[BetweenVisits, ...]:
    """Diary and pre-dose PHQ-9s of every patient of ``clinic``, in patient order.

    The few showcase flags (``SILENT_EVERY``, ``RECENT_*_EVERY``) count the patients
    before this one that qualify, so a smaller clinic is still a prefix of a larger one.
    """
    result = []
    running = dosed = 0  # earlier patients whose diary runs / who had a dose lately
    for i, person in enumerate(clinic.patients):
        in_diary = diary_running(person, clinic.start)
        lately = dosed_lately(person, clinic.start) is not None
        diary = draw_diary(
            random.Random(f"{clinic.seed}/diary/{i}"),
            person,
            clinic.start,
            silent=in_diary and running % SILENT_EVERY == SILENT_EVERY - 1,
            urgent_lately=in_diary and running % RECENT_URGENT_NOTE_EVERY == 0,
        )
        phq9 = draw_phq9(
            random.Random(f"{clinic.seed}/phq9/{i}"),
            person,
            clinic.start,
            item9_lately=lately and dosed % RECENT_ITEM9_EVERY == 0,
        )
        result.append(BetweenVisits(diary, phq9))
        running, dosed = running + in_diary, dosed + lately
    return tuple(result)


def diary_running(person: SyntheticPatient, today: dt.date) -> bool:
    """Whether the diary period covers the days before ``today`` and its link is open."""
    first, last = _diary_period(person)
    yesterday = today - dt.timedelta(days=1)
    return first <= yesterday <= last and _closed_at(person, last, today) is None


def _diary_period(person: SyntheticPatient) -> tuple[dt.date, dt.date]:
    """From the day after enrolment (the link is sent that day) to 8 weeks after dose 1."""
    return (
        person.enrolled_at.date() + dt.timedelta(days=1),
        person.first_dose_on + dt.timedelta(days=DAYS_AFTER_FIRST_DOSE),
    )


def intrusion_ratio(reduction: float) -> float:
    """Expected PCL-5 cluster B total relative to baseline when the total falls by ``reduction``.

    ``synthetic_pcl5`` spreads the total over the items with weights that shrink by
    ``1 - CLUSTER_SHIFT * responsiveness * improvement`` (floored at 0.05), cluster B the
    most. Cluster B's part of the total is therefore ``f_B / sum_k s_k f_k`` of its
    baseline part, with ``s_k`` the clusters' shares of the baseline item weights, and

        ratio = (1 - reduction) * f_B / sum_k s_k f_k.

    A worsening (negative reduction) scales the total without shifting weight, as there.
    Example: a 50% reduction leaves 42% of the intrusion cluster (a 58% fall; the case
    series in evidence.md §7 fell 54% during treatment and 66% by three months).
    """
    improvement = max(0.0, reduction)
    factor = {
        key: max(0.05, 1.0 - p.CLUSTER_SHIFT * p.CLUSTER_RESPONSIVENESS[key] * improvement)
        for key in p.CLUSTER_ITEMS
    }
    mean_factor = sum(_CLUSTER_SHARE[key] * factor[key] for key in p.CLUSTER_ITEMS)
    return max(0.0, (1.0 - reduction) * factor["B"] / mean_factor)


_CLUSTER_WEIGHT = {
    key: sum(p.ITEM_BASE_SEVERITY.get(item, 1.0) for item in items)
    for key, items in p.CLUSTER_ITEMS.items()
}
_CLUSTER_SHARE = {key: w / sum(_CLUSTER_WEIGHT.values()) for key, w in _CLUSTER_WEIGHT.items()}


# --- the diary ------------------------------------------------------------------------------------


def draw_diary(
    rng: random.Random,
    person: SyntheticPatient,
    today: dt.date,
    *,
    silent: bool = False,
    urgent_lately: bool = False,
) -> SyntheticDiary:
    """The diary ``person`` wrote before ``today`` (module docstring).

    ``silent``: if the diary is still running on ``today``, the patient stopped writing
    ``SILENT_FOR_DAYS`` before it (unless they had already stopped). ``urgent_lately``:
    a latest entry in the last ``RECENT_DAYS`` carries an urgent note.
    """
    truth, day0 = person.truth, person.first_dose_on
    # Enrolment is in office hours (synthetic.py): the link goes out the same day.
    sent = person.enrolled_at + dt.timedelta(
        minutes=rng.randrange(*LINK_SENT_AFTER_ENROLMENT_MINUTES, 5)
    )
    first, last = _diary_period(person)
    weekly = min(
        BASELINE_WEEKLY_MAX,
        BASELINE_WEEKLY_MEDIAN
        * math.exp(rng.gauss(0.0, BASELINE_WEEKLY_LOG_SD))
        * truth.baseline
        / p.BASELINE_MEAN,
    )
    flashback_share = rng.betavariate(*FLASHBACK_SHARE_BETA)
    nightmare_chance = rng.uniform(*NIGHTMARE_PROBABILITY)
    missed = rng.betavariate(*MISSED_DAY_BETA)
    distress_offset = rng.gauss(0.0, 1.0)
    stopped = _stop_writing(rng, truth, day0, first, last)
    closed = _closed_at(person, last, today)
    quiet_since = today - dt.timedelta(days=rng.randint(*SILENT_FOR_DAYS))
    if silent and closed is None and first + dt.timedelta(days=2) <= quiet_since <= last:
        stopped = min(stopped or quiet_since, quiet_since)

    entries = []
    day, end = first, min(last, stopped or last, today - dt.timedelta(days=1))
    while day <= end:
        if rng.random() >= missed:
            ratio = intrusion_ratio(truth.reduction((day - day0).days))
            entry = _diary_day(
                rng,
                day,
                weekly / 7 * ratio,
                nightmare_chance * ratio,
                flashback_share,
                distress_offset,
            )
            if closed is not None and entry.written_at >= closed:
                break
            entries.append(entry)
        day += dt.timedelta(days=1)
    recent = today - dt.timedelta(days=RECENT_DAYS)
    if urgent_lately and entries and entries[-1].day >= recent and not entries[-1].urgent:
        entries[-1] = _urgent(rng, entries[-1])
    return SyntheticDiary(sent, first, last, stopped, closed, tuple(entries), weekly)


def _stop_writing(
    rng: random.Random, truth: Trajectory, day0: dt.date, first: dt.date, last: dt.date
) -> dt.date | None:
    """The last day the patient writes on, when they stop before the diary period ends."""
    if truth.dropout_day is not None:
        before = rng.randint(*DROPOUT_STOPS_DAYS_BEFORE)
        stop = day0 + dt.timedelta(days=truth.dropout_day - before)
    elif rng.random() < STOP_WRITING_PROBABILITY:
        stop = day0 + dt.timedelta(days=rng.randint(1, DAYS_AFTER_FIRST_DOSE - 1))
    else:
        return None
    return max(first, stop) if stop < last else None


def _closed_at(person: SyntheticPatient, last: dt.date, today: dt.date) -> dt.datetime | None:
    """When staff revoke the link, if before ``today``: the diary period is over, the course
    was ended early, or the patient was discharged after they stopped coming."""
    closing = [dt.datetime.combine(last + dt.timedelta(days=1), dt.time(CLOSED_AT_HOUR))]
    treatment, dropout = person.treatment, person.truth.dropout_day
    ended = treatment.status_changed_at if treatment is not None else None
    if treatment is not None and treatment.course_status == "ended_early" and ended is not None:
        closing.append(ended)
    if person.care_status == "discharged" and dropout is not None:
        # care_status: "paused" for PAUSED_WINDOW_DAYS after the first missed visit, then
        # "discharged"; the link is revoked that morning.
        discharged = person.first_dose_on + dt.timedelta(days=dropout + p.PAUSED_WINDOW_DAYS)
        closing.append(dt.datetime.combine(discharged, dt.time(CLOSED_AT_HOUR)))
    closed = min(closing)
    return closed if closed.date() < today else None


def _diary_day(
    rng: random.Random,
    day: dt.date,
    expected: float,
    nightmare_chance: float,
    flashback_share: float,
    distress_offset: float,
) -> DiaryDay:
    """One written day: ``expected`` intrusions and ``nightmare_chance`` on a typical day;
    a bad day (a high gamma draw) brings more of both."""
    daily = rng.gammavariate(DAILY_RATE_SHAPE, 1.0 / DAILY_RATE_SHAPE)
    count = min(_MAX_COUNT, poisson(rng, expected * daily))
    flashbacks = sum(rng.random() < flashback_share for _ in range(count))
    memories = count - flashbacks
    nightmares = rng.random() < min(0.95, nightmare_chance * math.sqrt(daily))
    zero = count == 0 and not nightmares
    if zero:
        distress: int | None = rng.choice(DISTRESS_ZERO_DAY)
    else:
        level = 2 + DISTRESS_PER_LOG_COUNT * math.log1p(count) + distress_offset
        distress = min(10, max(1, round(level + rng.gauss(0.0, 1.0))))
    if rng.random() < DISTRESS_SKIPPED:
        distress = None
    triggers = ""
    if count and rng.random() < TRIGGER_PROBABILITY:
        triggers = ", ".join(rng.sample(TRIGGERS, k=rng.choice((1, 1, 2))))
    written = wall_clock(rng, day, *WRITTEN_HOURS)
    urgent = rng.random() < URGENT_NOTE_PROBABILITY
    note = rng.choice(NOTES) if not urgent and rng.random() < NOTE_PROBABILITY else ""
    entry = DiaryDay(
        day=day,
        written_at=written,
        none_today=zero and rng.random() < NONE_TODAY_BUTTON_SHARE,
        intrusive_memories=memories,
        flashbacks=flashbacks,
        nightmares=nightmares,
        peak_distress=distress,
        triggers=triggers,
        note=note,
        urgent=False,
        reviewed_at=None,
    )
    return _urgent(rng, entry) if urgent else entry


def _urgent(rng: random.Random, entry: DiaryDay) -> DiaryDay:
    """``entry`` with a note the patient marked urgent, read the next morning."""
    return dataclasses.replace(
        entry,
        urgent=True,
        note=rng.choice(URGENT_NOTES),
        peak_distress=max(8, entry.peak_distress or 0),
        reviewed_at=wall_clock(rng, entry.day + dt.timedelta(days=1), *DIARY_REVIEW_HOURS),
    )


# Mirrors afterglow.diary.models.MAX_DAILY_COUNT (the writer validates every entry with the
# diary's own form, so a count past it would stop the demo rather than be stored).
_MAX_COUNT = 200


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by inversion of the cumulative distribution (exact; O(mean) steps)."""
    if mean <= 0:
        return 0
    if mean > 500:  # exp(-mean) would underflow; never reached with the capped rates
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    value, term = 0, math.exp(-mean)
    cumulative, u = term, rng.random()
    while u > cumulative:
        value += 1
        term *= mean / value
        cumulative += term
        if term == 0.0:
            break
    return value
