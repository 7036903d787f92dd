"""The demo clinic between visits: intrusion diaries, pre-dose PHQ-9s and their alerts.

Shape checks compute from the generated entries and answers, the way the application
reads them. Where the diary is checked against the PCL-5, the PCL-5 side is computed
from the generated item answers (cluster B = items 1-5, evidence.md §1), not from the
diary's own formula. Samples use fixed seeds, so every check is deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from afterglow.accounts.models import Role
from afterglow.alerts.models import DIARY_URGENT_CODE, Alert
from afterglow.demo import synthetic_diary as d
from afterglow.demo import synthetic_phq9 as phq
from afterglow.demo.seed import DEMO_TIMEZONE, SeedResult, seed_demo_clinic
from afterglow.demo.seed_diary import entry_form_data
from afterglow.demo.synthetic import (
    DEFAULT_START,
    SyntheticClinic,
    SyntheticPatient,
    generate_clinic,
)
from afterglow.diary.forms import DiaryEntryForm
from afterglow.diary.models import MAX_DAILY_COUNT, DiaryEntry, DiaryLink
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import Response
from afterglow.instruments.scoring import score
from afterglow.patients.models import Patient

END_OF_COURSE = "week 2 (end of course)"
# Evening of the generator's default "today" in the demo clinic: everything generated
# happened before it, so the seeded history is the same whatever day the tests run.
AFTER_START = dt.datetime.combine(DEFAULT_START, dt.time(20), zoneinfo.ZoneInfo(DEMO_TIMEZONE))


@dataclass(frozen=True)
class Drawn:
    clinic: SyntheticClinic
    between: tuple[d.BetweenVisits, ...]

    def pairs(self) -> Iterator[tuple[SyntheticPatient, d.BetweenVisits]]:
        return zip(self.clinic.patients, self.between, strict=True)


def drawn(**kwargs: int) -> Drawn:
    clinic = generate_clinic(n_new_intake=0, **kwargs)
    return Drawn(clinic, d.generate_between_visits(clinic))


@pytest.fixture(scope="module")
def large() -> Drawn:
    return drawn(seed=31337, n_patients=300)


@pytest.fixture(scope="module")
def demo() -> Drawn:
    """The clinic ``afterglow demo`` seeds (default seed, 120 patients)."""
    return drawn(n_patients=120)


def daily_mean(diary: d.SyntheticDiary, day0: dt.date, first: int, last: int) -> float | None:
    """Mean intrusions a recorded day, days ``first``..``last`` after the first dose; None
    with fewer than 4 recorded days (the diary chart's own minimum, diary.rules.MIN_DAYS)."""
    counts = [e.total for e in diary.entries if first <= (e.day - day0).days <= last]
    return statistics.mean(counts) if len(counts) >= 4 else None


# --- the generator: determinism ------------------------------------------------------------------


def test_the_same_clinic_always_gets_the_same_diaries_and_phq9s() -> None:
    clinic = generate_clinic(seed=5, n_patients=25)

    assert d.generate_between_visits(clinic) == d.generate_between_visits(
        generate_clinic(seed=5, n_patients=25)
    )


def test_another_seed_gives_other_diaries_and_a_smaller_clinic_is_a_prefix() -> None:
    first = d.generate_between_visits(generate_clinic(seed=1, n_patients=20))
    second = d.generate_between_visits(generate_clinic(seed=2, n_patients=20))
    bigger = d.generate_between_visits(generate_clinic(seed=1, n_patients=35))

    assert [b.diary.entries for b in first] != [b.diary.entries for b in second]
    assert bigger[:20] == first


def test_the_generator_leaves_the_global_random_state_alone() -> None:
    clinic = generate_clinic(n_patients=5)
    random.seed(99)
    expected = random.random()
    random.seed(99)

    d.generate_between_visits(clinic)

    assert random.random() == expected


# --- the generator: what a diary looks like -------------------------------------------------------


def test_every_entry_of_a_60_patient_clinic_passes_the_patients_own_diary_form() -> None:
    sample = drawn(seed=77, n_patients=60)
    entries = [e for b in sample.between for e in b.diary.entries]

    assert len(entries) > 1000
    for entry in entries:
        form = DiaryEntryForm(data=entry_form_data(entry))
        assert form.is_valid(), (entry, form.errors)
        answers = form.service_kwargs()
        assert (answers["intrusive_memories"], answers["flashbacks"]) == (
            entry.intrusive_memories,
            entry.flashbacks,
        )
        assert answers["urgent"] == entry.urgent and answers["none_today"] == entry.none_today


def test_diaries_run_from_before_the_first_dose_to_8_weeks_after_and_before_today(
    demo: Drawn,
) -> None:
    for person, between in demo.pairs():
        diary = between.diary
        assert diary.link_sent_at > person.enrolled_at
        # Baseline: 7-10 days before the first dose (evidence.md §7: "usually 7 days").
        assert 7 <= (person.first_dose_on - diary.first_day).days <= 10
        assert diary.last_day == person.first_dose_on + dt.timedelta(days=56)
        for entry in diary.entries:
            assert diary.first_day <= entry.day <= diary.last_day
            assert entry.day < demo.clinic.start
            assert entry.written_at.date() == entry.day
            if diary.closed_at is not None:
                assert entry.written_at < diary.closed_at


def test_missing_days_are_absent_and_never_stored_as_zero_rows(demo: Drawn) -> None:
    recorded = missing = 0
    for _person, between in demo.pairs():
        days = [e.day for e in between.diary.entries]
        assert days == sorted(set(days))  # one entry a day at most
        if days:
            span = (days[-1] - days[0]).days + 1
            recorded += len(days)
            missing += span - len(days)
    # MISSED_DAY_BETA has mean 2/14 = 0.14 of days.
    assert 0.08 < missing / (recorded + missing) < 0.22


def test_zero_days_are_recorded_zeros_some_through_the_none_today_button(demo: Drawn) -> None:
    entries = [e for b in demo.between for e in b.diary.entries]
    zeros = [e for e in entries if e.total == 0 and not e.nightmares]

    assert all(e.total == 0 and not e.nightmares for e in entries if e.none_today)
    pressed = sum(e.none_today for e in zeros)
    assert 0 < pressed < len(zeros)  # both "None today" and typed zeros
    assert 0.05 < len(zeros) / len(entries) < 0.6


def test_counts_stay_inside_the_diarys_limits_and_notes_are_rare(large: Drawn) -> None:
    entries = [e for b in large.between for e in b.diary.entries]

    assert max(e.intrusive_memories for e in entries) <= MAX_DAILY_COUNT
    assert max(e.flashbacks for e in entries) <= MAX_DAILY_COUNT
    assert all(e.peak_distress is None or 0 <= e.peak_distress <= 10 for e in entries)
    assert 0 < sum(e.urgent for e in entries) < 0.005 * len(entries)
    assert all(
        e.note and e.reviewed_at and e.reviewed_at > e.written_at for e in entries if e.urgent
    )
    assert 0.02 < sum(bool(e.note) for e in entries) / len(entries) < 0.12


def test_baseline_weeks_sit_between_the_published_weekly_counts(large: Drawn) -> None:
    weekly = [
        7 * mean
        for person, between in large.pairs()
        if (mean := daily_mean(between.diary, person.first_dose_on, -7, -1)) is not None
    ]

    assert len(weekly) > 200
    # Kleim 2013: 6.4 intrusions per person-week; a participant of the Iceland case series:
    # 38.8 a week (evidence.md §7).
    assert 6.4 < statistics.median(weekly) < 38.8


def test_daily_counts_are_overdispersed_like_a_negative_binomial(large: Drawn) -> None:
    ratios = []
    for person, between in large.pairs():
        counts = [e.total for e in between.diary.entries if (e.day - person.first_dose_on).days < 0]
        if len(counts) >= 6 and statistics.mean(counts) >= 1:
            ratios.append(statistics.variance(counts) / statistics.mean(counts))

    # Poisson would give variance / mean = 1; gamma shape 1.5 adds mean / 1.5.
    assert statistics.median(ratios) > 1.5


@pytest.mark.parametrize(("responder", "low", "high"), [(True, 0.3, 0.6), (False, 0.75, 1.1)])
def test_diary_counts_fall_by_week_2_in_responders_and_agree_with_the_pcl5_intrusion_cluster(
    large: Drawn, responder: bool, low: float, high: float
) -> None:
    baseline, week2, cluster_b0, cluster_b14 = [], [], [], []
    for person, between in large.pairs():
        if person.truth.responder is not responder:
            continue
        before = daily_mean(between.diary, person.first_dose_on, -7, -1)
        after = daily_mean(between.diary, person.first_dose_on, 8, 14)
        pcl5 = {g.timepoint: g.answers[:5] for g in person.pcl5}
        b0, b14 = pcl5.get("baseline"), pcl5.get(END_OF_COURSE)
        if before is None or after is None or b0 is None or b14 is None:
            continue
        if None in b0 or None in b14:
            continue
        baseline.append(before)
        week2.append(after)
        cluster_b0.append(sum(v or 0 for v in b0))
        cluster_b14.append(sum(v or 0 for v in b14))

    assert len(baseline) >= 80
    diary_ratio = statistics.mean(week2) / statistics.mean(baseline)
    pcl5_ratio = statistics.mean(cluster_b14) / statistics.mean(cluster_b0)
    assert low < diary_ratio < high
    # The diary follows the trajectory's intrusion cluster (cluster B, items 1-5).
    assert abs(diary_ratio - pcl5_ratio) < 0.15


def test_intrusion_ratio_matches_the_hand_worked_cluster_b_share() -> None:
    # Baseline item weights: B 5, C 2, D 6.45 (item 8 at 0.45), E 5.4 (item 16 at 0.40).
    # At a 50% reduction each weight shrinks by 1 - 0.8 x responsiveness x 0.5:
    # B 0.6, C 0.68, D 0.72, E 0.82; mean factor (3 + 1.36 + 4.644 + 4.428) / 18.85.
    mean_factor = (5 * 0.6 + 2 * 0.68 + 6.45 * 0.72 + 5.4 * 0.82) / 18.85

    assert d.intrusion_ratio(0.5) == pytest.approx(0.5 * 0.6 / mean_factor, rel=1e-9)
    assert d.intrusion_ratio(0.0) == pytest.approx(1.0)
    assert d.intrusion_ratio(-0.1) == pytest.approx(1.1)


def test_the_poisson_sampler_has_mean_and_variance_lambda() -> None:
    rng = random.Random(3)
    draws = [d.poisson(rng, 3.7) for _ in range(20_000)]

    # Standard errors: mean sqrt(3.7 / 20000) = 0.014; variance about 0.05.
    assert statistics.mean(draws) == pytest.approx(3.7, abs=0.05)
    assert statistics.variance(draws) == pytest.approx(3.7, abs=0.2)
    assert d.poisson(rng, 0.0) == 0


def test_some_patients_still_in_their_diary_period_have_stopped_writing(demo: Drawn) -> None:
    start = demo.clinic.start
    silent = [
        between
        for _person, between in demo.pairs()
        if between.diary.closed_at is None
        and between.diary.entries
        and (start - between.diary.entries[-1].day).days > 3
    ]

    # Real cases for the "no diary for several days" worklist and the missed-diary alert
    # (default 3 days, Clinic.diary_missed_days_alert).
    assert len(silent) >= 3


# --- the generator: PHQ-9 before each dose --------------------------------------------------------


def test_one_phq9_before_each_dose_on_the_same_day(demo: Drawn) -> None:
    for person, between in demo.pairs():
        doses = person.treatment.doses if person.treatment else ()
        assert [a.dose_number for a in between.phq9] == [dose.number for dose in doses]
        for given, dose in zip(between.phq9, doses, strict=True):
            assert given.administered_at.date() == dose.predose_checked_at.date()
            assert given.administered_at < dose.predose_checked_at < given.reviewed_at
            assert given.administered_at.hour >= 7
            assert len(given.answers) == 9 and all(0 <= v <= 3 for v in given.answers)


def test_item_9_is_above_zero_only_after_passive_thoughts_at_the_check_or_for_the_inbox(
    large: Drawn,
) -> None:
    positive = passive = 0
    for person, between in large.pairs():
        doses = person.treatment.doses if person.treatment else ()
        for given, dose in zip(between.phq9, doses, strict=True):
            passive += dose.suicide_risk == "passive"
            if given.answers[8] > 0:
                positive += 1
                # Or a recent dose chosen so the alert inbox has current work.
                showcase = dose.number == phq.dosed_lately(person, large.clinic.start)
                assert dose.suicide_risk == "passive" or showcase
    phq9 = sum(len(b.phq9) for b in large.between)
    # SUICIDE_RISK_PASSIVE_PROBABILITY 5% x ITEM9_GIVEN_PASSIVE_CHECK 35% = 1.75%, plus a few.
    assert 0.005 < positive / phq9 < 0.035
    assert positive < passive


def test_the_demos_newest_urgent_alerts_are_from_its_last_week(demo: Drawn) -> None:
    recent = demo.clinic.start - dt.timedelta(days=phq.RECENT_DAYS)
    item9 = sorted(a.administered_at for b in demo.between for a in b.phq9 if a.answers[8] > 0)
    notes = sorted(e.written_at for b in demo.between for e in b.diary.entries if e.urgent)

    # What stays open in the inbox: the newest OPEN_RESPONSE_ALERTS / OPEN_DIARY_ALERTS.
    assert len(item9) > phq.OPEN_RESPONSE_ALERTS and len(notes) > d.OPEN_DIARY_ALERTS
    assert all(at.date() >= recent for at in item9[-phq.OPEN_RESPONSE_ALERTS :])
    assert all(at.date() >= recent for at in notes[-d.OPEN_DIARY_ALERTS :])


def test_phq9_totals_fall_in_responders_and_not_in_non_responders(large: Drawn) -> None:
    phq9 = get_instrument("phq9")
    change: dict[bool, list[float]] = {True: [], False: []}
    for person, between in large.pairs():
        six = [a for a in between.phq9 if a.dose_number in (1, 6)]
        if len(six) == 2:
            first, last = (score(phq9, list(a.answers)).total or 0 for a in six)
            change[person.truth.responder].append((last - first) / max(first, 1))

    assert len(change[True]) > 80 and len(change[False]) > 50
    assert statistics.mean(change[True]) < -0.2
    assert abs(statistics.mean(change[False])) < 0.12


# --- seeding the database -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker) -> Iterator[tuple[Drawn, SeedResult]]:
    """Seed 14's first 30 patients (7 positive item-9 answers, 5 urgent notes), seeded once
    for the module inside a transaction that is rolled back at its end."""
    sample = drawn(seed=14, n_patients=30)
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(AFTER_START, tick=False):
            # Its own slug: other tests here seed "demo" while this one is still there.
            result = seed_demo_clinic(synthetic=sample.clinic, slug="diary-demo")
        yield sample, result
        transaction.set_rollback(True)


def test_seeding_stores_each_written_day_once_and_no_row_for_a_missing_day(
    db: None, seeded
) -> None:
    sample, result = seeded
    tz = result.clinic.tzinfo
    patients = {p.email: p for p in Patient.objects.for_clinic(result.clinic)}
    for person, between in sample.pairs():
        patient = patients[person.email]
        stored = list(DiaryEntry.objects.filter(patient=patient).order_by("day"))
        given = between.diary.entries
        assert [e.day for e in stored] == [e.day for e in given]
        for row, entry in zip(stored, given, strict=True):
            assert (row.intrusive_memories, row.flashbacks, row.nightmares) == (
                entry.intrusive_memories,
                entry.flashbacks,
                entry.nightmares,
            )
            assert (row.none_today, row.urgent, row.peak_distress) == (
                entry.none_today,
                entry.urgent,
                entry.peak_distress,
            )
            assert row.created_at.astimezone(tz).replace(tzinfo=None) == entry.written_at


def test_every_patient_has_one_back_dated_diary_link_closed_when_the_diary_ended(
    db: None, seeded
) -> None:
    sample, result = seeded
    tz = result.clinic.tzinfo
    links = {
        link.patient.email: link
        for link in DiaryLink.objects.filter(clinic=result.clinic).select_related("patient")
    }
    assert len(links) == len(sample.clinic.patients)
    for person, between in sample.pairs():
        link = links[person.email]
        assert link.created_at.astimezone(tz).replace(tzinfo=None) == between.diary.link_sent_at
        closed = between.diary.closed_at
        assert (link.revoked_at is None) is (closed is None)
        if between.diary.entries:
            last = between.diary.entries[-1].written_at
            assert link.last_used_at.astimezone(tz).replace(tzinfo=None) == last


def test_phq9_responses_are_scored_by_the_application_before_each_dose(db: None, seeded) -> None:
    sample, result = seeded
    phq9 = get_instrument("phq9")
    responses = Response.objects.for_clinic(result.clinic).filter(instrument="phq9")

    assert responses.count() == sum(len(b.phq9) for b in sample.between)
    for response in responses:
        expected = score(phq9, response.answers)
        assert (response.total, response.severity) == (expected.total, expected.severity)
        assert response.timepoint.startswith("before dose ")
        assert response.created_at == response.administered_at


def test_a_few_urgent_alerts_stay_open_and_the_rest_were_acknowledged_by_a_clinician(
    db: None, seeded
) -> None:
    sample, result = seeded
    users = {m.role: m.user for m in result.clinic.memberships.select_related("user")}
    alerts = Alert.objects.for_clinic(result.clinic)
    from_phq9 = alerts.filter(code="self_harm_thoughts").order_by("created_at")
    from_diary = alerts.filter(code=DIARY_URGENT_CODE).order_by("created_at")

    positives = sum(a.answers[8] > 0 for b in sample.between for a in b.phq9)
    urgent_notes = sum(e.urgent for b in sample.between for e in b.diary.entries)
    assert (from_phq9.count(), from_diary.count()) == (positives, urgent_notes) == (7, 5)
    # The most recent OPEN_RESPONSE_ALERTS (3) and OPEN_DIARY_ALERTS (2) stay open.
    assert [a.is_open for a in from_phq9] == [False] * 4 + [True] * 3
    assert [a.is_open for a in from_diary] == [False] * 3 + [True] * 2
    for alert in alerts.acknowledged():
        assert alert.acknowledged_by in (users[Role.PRESCRIBER], users[Role.NURSE])
        assert alert.created_at < alert.acknowledged_at < AFTER_START
        assert alert.ack_note
    for alert in from_phq9:
        assert alert.created_at == alert.response.administered_at
        assert alert.urgency == "urgent"


def test_seeding_emails_nobody_about_the_demos_past_alerts(
    db: None, django_capture_on_commit_callbacks
) -> None:
    sample = drawn(seed=18, n_patients=8)  # three positive item-9 answers, two urgent notes

    with django_capture_on_commit_callbacks(execute=True):
        result = seed_demo_clinic(synthetic=sample.clinic)

    assert Alert.objects.for_clinic(result.clinic).exists()
    assert mail.outbox == []


def test_seeding_again_adds_no_diary_phq9_or_alert_rows(db: None) -> None:
    def counts() -> tuple[int, ...]:
        return tuple(m.objects.count() for m in (DiaryEntry, DiaryLink, Response, Alert))

    synthetic = generate_clinic(n_patients=6)
    seed_demo_clinic(synthetic=synthetic)
    before = counts()

    again = seed_demo_clinic(synthetic=synthetic)

    assert not again.created
    assert counts() == before
    assert before[0] > 0


def test_the_demo_command_reports_diaries_phq9s_and_open_alerts(db: None, capsys) -> None:
    call_command("demo", "--patients", "4", "--seed", "14")

    out = capsys.readouterr().out
    entries = DiaryEntry.objects.filter(clinic__slug="demo").count()
    assert f"{entries} diary entries from 4 patients" in out
    assert "PHQ-9 responses" in out and "open alerts" in out


def test_routine_alerts_come_from_the_live_rules_once_the_doses_exist(db: None, seeded) -> None:
    """Each routine PCL-5 alert is what ``alert_raise_for_pcl5_outcome`` says of its response, is
    dated at that response, and only recent ones stay open (``seed_alerts.OPEN_DAYS``)."""
    from afterglow.demo.seed_alerts import OPEN_DAYS

    _, result = seeded
    routine = Alert.objects.for_clinic(result.clinic).filter(
        code__in=["pcl5_reliable_deterioration", "pcl5_loss_of_response"]
    )
    assert routine.exists()
    # One loss of response at most per patient (one course each in the demo).
    losses = list(routine.filter(code="pcl5_loss_of_response").values_list("patient", flat=True))
    assert len(losses) == len(set(losses))
    for alert in routine.select_related("response"):
        assert alert.urgency == "routine"
        assert alert.created_at == alert.response.administered_at
        assert alert.is_open == (AFTER_START - alert.created_at <= dt.timedelta(days=OPEN_DAYS))
