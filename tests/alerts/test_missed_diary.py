"""Missed diary days: one routine alert per gap, idempotent, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from afterglow.alerts.models import DIARY_GAP_CODE, Alert
from afterglow.alerts.services import alert_raise_for_missed_diary
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.services import diary_link_create, diary_link_revoke
from afterglow.patients.models import Patient
from tests.factories import PatientFactory

NEW_YORK = ZoneInfo("America/New_York")  # the factories' clinic timezone
D = dt.date
LINK_DAY = D(2026, 11, 26)  # the diary link is sent that afternoon


@pytest.fixture(autouse=True)
def _link_day_afternoon() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(dt.datetime(2026, 11, 26, 15, 0, tzinfo=NEW_YORK), tick=False) as t:
        yield t


@pytest.fixture
def patient(clinic) -> Patient:
    patient = PatientFactory(clinic=clinic)
    diary_link_create(patient=patient, by=None)
    return patient


def write(patient: Patient, day: dt.date) -> DiaryEntry:
    return DiaryEntry.objects.create(
        clinic=patient.clinic, patient=patient, day=day, intrusive_memories=2, flashbacks=0
    )


def sweep(clinic, today: dt.date) -> list[Alert]:
    return alert_raise_for_missed_diary(clinic=clinic, today=today)


def test_no_entry_since_the_link_alerts_after_exactly_three_whole_days(clinic, patient) -> None:
    # 27, 28 Nov missed and the 29th not over yet: two days.
    assert sweep(clinic, D(2026, 11, 29)) == []
    (alert,) = sweep(clinic, D(2026, 11, 30))  # 27, 28, 29 Nov: three
    assert (alert.patient, alert.code, alert.urgency, alert.source_kind, alert.gap_since) == (
        patient,
        DIARY_GAP_CODE,
        "routine",
        "diary_gap",
        D(2026, 11, 27),
    )
    assert alert.label == "No diary entry for 3 days (since 27 Nov 2026)"
    assert "sent on 26 Nov 2026" in alert.message
    assert mail.outbox == []  # routine: not emailed


def test_the_gap_counts_from_the_last_entry(clinic, patient) -> None:
    write(patient, D(2026, 12, 1))
    assert sweep(clinic, D(2026, 12, 4)) == []
    (alert,) = sweep(clinic, D(2026, 12, 5))
    assert alert.gap_since == D(2026, 12, 2)
    assert alert.message.startswith("Last entry 01 Dec 2026.")


def test_the_same_gap_is_raised_once_however_often_the_sweep_runs(clinic, patient) -> None:
    assert len(sweep(clinic, D(2026, 11, 30))) == 1
    assert sweep(clinic, D(2026, 11, 30)) == []  # same day
    assert sweep(clinic, D(2026, 12, 1)) == []  # next day, the gap is longer but the same
    assert Alert.objects.count() == 1


def test_an_entry_ends_the_gap_and_a_later_gap_is_a_new_alert(clinic, patient) -> None:
    sweep(clinic, D(2026, 11, 30))
    write(patient, D(2026, 11, 30))
    assert sweep(clinic, D(2026, 12, 3)) == []  # 1 and 2 Dec missed: two days
    (second,) = sweep(clinic, D(2026, 12, 4))
    assert second.gap_since == D(2026, 12, 1)
    assert list(Alert.objects.order_by("gap_since").values_list("gap_since", flat=True)) == [
        D(2026, 11, 27),
        D(2026, 12, 1),
    ]


def test_an_urgent_note_without_counts_is_a_written_day(clinic, patient) -> None:
    # The patient reached out: the day ends the gap even though its counts are missing.
    DiaryEntry.objects.create(
        clinic=clinic, patient=patient, day=D(2026, 12, 1), urgent=True, note="call me"
    )
    assert sweep(clinic, D(2026, 12, 4)) == []
    (alert,) = sweep(clinic, D(2026, 12, 5))
    assert alert.gap_since == D(2026, 12, 2)


def test_a_revoked_or_expired_link_raises_nothing(clinic, patient) -> None:
    other = PatientFactory(clinic=clinic)
    diary_link_create(patient=other, by=None)
    diary_link_revoke(link=DiaryLink.objects.get(patient=patient))
    DiaryLink.objects.filter(patient=other).update(
        expires_at=dt.datetime(2026, 11, 26, 16, 0, tzinfo=NEW_YORK)
    )
    with time_machine.travel(dt.datetime(2026, 12, 10, 9, 0, tzinfo=NEW_YORK)):
        assert sweep(clinic, D(2026, 12, 10)) == []


def test_a_patient_without_a_diary_link_raises_nothing(clinic) -> None:
    PatientFactory(clinic=clinic)
    assert sweep(clinic, D(2026, 12, 31)) == []


def test_the_clinic_setting_sets_the_number_of_days(clinic, patient) -> None:
    clinic.diary_missed_days_alert = 5
    clinic.save()
    assert sweep(clinic, D(2026, 12, 1)) == []  # 27-30 Nov: four
    assert len(sweep(clinic, D(2026, 12, 2))) == 1


def test_a_new_link_after_a_pause_counts_from_the_new_link(clinic, patient) -> None:
    write(patient, D(2026, 11, 26))
    with time_machine.travel(dt.datetime(2027, 1, 10, 10, 0, tzinfo=NEW_YORK)):
        diary_link_create(patient=patient, by=None)  # revokes the first
        assert sweep(clinic, D(2027, 1, 12)) == []
        (alert,) = sweep(clinic, D(2027, 1, 14))
    assert alert.gap_since == D(2027, 1, 11)


def test_only_the_clinics_own_patients_are_swept(clinic, other_clinic, patient) -> None:
    faraway = PatientFactory(clinic=other_clinic)
    diary_link_create(patient=faraway, by=None)
    raised = sweep(clinic, D(2026, 12, 1))
    assert [a.patient for a in raised] == [patient]
    assert not Alert.objects.filter(clinic=other_clinic).exists()


def test_the_sweep_costs_the_same_queries_for_one_patient_or_twenty(clinic, patient) -> None:
    def queries(today: dt.date) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            raised = sweep(clinic, today)
        return len(ctx.captured_queries), len(raised)

    one, raised_one = queries(D(2026, 11, 30))
    for _ in range(19):
        other = PatientFactory(clinic=clinic)
        diary_link_create(patient=other, by=None)
        write(other, D(2026, 11, 26))
    Alert.objects.all().delete()
    twenty, raised_twenty = queries(D(2026, 11, 30))
    assert (raised_one, raised_twenty) == (1, 20)
    assert one == twenty
