"""The dashboard's selectors turn one clinic's rows into the analysis engine's input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from afterglow.analytics.selectors import cohort_data, population_of
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.services import response_record
from afterglow.treatment.models import (
    AdverseEvent,
    DissociationRating,
    DosingSession,
    SessionAlert,
    TherapySession,
)
from tests.analytics.cohort import FIRST_DOSE, answers_for, cohort, course_on_doses, pcl5, treated
from tests.factories import PatientFactory, esketamine_protocol, iv_protocol

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def rows(frame, patient) -> list[tuple[int, int]]:
    mine = frame[frame["patient_id"] == patient.pk]
    return list(zip(mine["day"].tolist(), mine["pcl5_total"].tolist(), strict=True))


def patient_row(data, patient) -> dict:
    table = data.patients
    return table[table["patient_id"] == patient.pk].iloc[0].to_dict()


def test_each_complete_past_month_pcl5_is_a_row_counted_in_days_from_the_first_signed_dose(
    clinic,
) -> None:
    patient = treated(clinic, {-7: 52, 0: 50, 1: 40, 14: 30})
    # Left out: an incomplete response, a past-week PCL-5, and one taken after the first
    # dose on the same day (neither a pre-dose baseline nor a day-1 follow-up).
    response_record(
        patient=patient,
        instrument_code="pcl5",
        answers=[None, *answers_for(40)[1:]],
        source="staff",
        administered_at=FIRST_DOSE + 7 * DAY,
    )
    pcl5(patient, 35, FIRST_DOSE + 3 * DAY, instrument="pcl5_past_week")
    pcl5(patient, 44, FIRST_DOSE + 2 * HOUR)
    # Two on one day: the later one counts, as on the patient chart.
    pcl5(patient, 28, FIRST_DOSE + 14 * DAY + 3 * HOUR)

    data = cohort_data(clinic=clinic)

    assert rows(data.frame, patient) == [(-7, 52), (0, 50), (1, 40), (14, 28)]
    assert list(data.frame.columns[:3]) == ["patient_id", "day", "pcl5_total"]


def test_days_are_calendar_days_in_the_clinics_timezone(clinic) -> None:
    # 22:00 in New York is 03:00 the next day in UTC; 09:00 New York the next morning
    # is day 1 for the clinic, though the same UTC date as the dose.
    evening = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)
    patient = treated(clinic, {0: 50}, first_dose=evening)
    pcl5(patient, 41, dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC))

    assert rows(cohort_data(clinic=clinic).frame, patient) == [(0, 50), (1, 41)]


def test_the_first_course_with_a_signed_dose_counts_and_follow_up_ends_at_the_next(
    clinic,
) -> None:
    first, second = iv_protocol(clinic), esketamine_protocol(clinic)
    patient = treated(clinic, {0: 50, 30: 30}, protocol=first)
    later = FIRST_DOSE + 60 * DAY
    course_on_doses(patient, second, later, doses=2, dose_mg=Decimal(56))
    pcl5(patient, 45, later - HOUR)  # just before the second course: day 60 of the first
    pcl5(patient, 20, later + 5 * DAY)  # after it: another course's outcome, left out

    data = cohort_data(clinic=clinic)

    assert rows(data.frame, patient) == [(0, 50), (30, 30), (60, 45)]
    row = patient_row(data, patient)
    assert row["protocol"] == first.name
    assert row["route"] == "iv"
    assert row["infusions"] == 6


def test_patients_without_a_signed_dose_are_not_in_the_cohort(clinic) -> None:
    treated(clinic, {0: 50, 14: 30})
    waiting = PatientFactory(clinic=clinic)
    pcl5(waiting, 60, FIRST_DOSE)
    course = course_on_doses(waiting, iv_protocol(clinic, name="Other"), FIRST_DOSE, doses=1)
    DosingSession.objects.filter(course=course).update(status="in_progress", signed_at=None)

    data = cohort_data(clinic=clinic)

    assert waiting.pk not in set(data.patients["patient_id"])
    assert waiting.pk not in set(data.frame["patient_id"])
    assert len(data.patients) == 1


def test_covariates_are_one_value_per_patient_on_every_row(clinic) -> None:
    veteran = treated(
        clinic,
        {0: 50, 14: 30},
        sex="male",
        date_of_birth=dt.date(1984, 5, 17),
        trauma_context="military",
        veteran_status="veteran",
        dose_mg=Decimal("42.0"),
    )
    civilian = treated(
        clinic,
        {0: 40},
        sex="female",
        date_of_birth=dt.date(1990, 3, 2),  # 36 on the day of the first dose
        trauma_context="civilian",
        veteran_status="none",
        weight_kg=None,  # no weight: the protocol's planned mg/kg
    )
    # An unsigned session is not an infusion.
    DosingSession.objects.filter(patient=civilian, number=6).update(status="in_progress")

    data = cohort_data(clinic=clinic)

    vet, civ = patient_row(data, veteran), patient_row(data, civilian)
    assert (vet["population"], vet["sex"], vet["age"]) == ("veteran", "male", 41)
    assert (civ["population"], civ["sex"], civ["age"]) == ("civilian", "female", 36)
    assert vet["mg_per_kg"] == pytest.approx(0.6)  # 42 mg / 70 kg, mean of the signed doses
    assert civ["mg_per_kg"] == pytest.approx(0.5)
    assert (vet["infusions"], civ["infusions"]) == (6, 5)
    vet_rows = data.frame[data.frame["patient_id"] == veteran.pk]
    assert set(vet_rows["population"]) == {"veteran"} and len(vet_rows) == 2
    assert "consent_research" not in data.frame.columns


@pytest.mark.parametrize(
    ("context", "status", "population"),
    [
        ("civilian", "none", "civilian"),
        ("civilian", "unknown", "civilian"),
        ("civilian", "reserve", "veteran"),
        ("military", "none", "veteran"),
        ("both", "unknown", "veteran"),
        ("unknown", "active", "veteran"),
        ("unknown", "unknown", "unknown"),
    ],
)
def test_population_is_veteran_for_service_or_military_trauma(
    context: str, status: str, population: str
) -> None:
    assert population_of(context, status) == population


def test_psychotherapy_counts_when_inside_the_post_dose_window_of_the_course(clinic) -> None:
    inside = treated(clinic, {0: 50})
    outside = treated(clinic, {0: 50})
    none = treated(clinic, {0: 50})
    dose_two = FIRST_DOSE + 2 * DAY
    for patient, after in ((inside, 30 * HOUR), (outside, 10 * HOUR)):
        TherapySession.objects.create(
            clinic=clinic,
            patient=patient,
            modality="integration",
            started_at=dose_two + after,
            duration_minutes=50,
        )

    data = cohort_data(clinic=clinic)

    assert patient_row(data, inside)["psychotherapy_in_window"] is True
    assert patient_row(data, outside)["psychotherapy_in_window"] is False
    assert patient_row(data, none)["psychotherapy_in_window"] is False


def test_the_intrusion_series_is_cluster_b_of_the_same_responses(clinic) -> None:
    patient = treated(clinic, {0: 50, 14: 30})

    data = cohort_data(clinic=clinic)

    mine = data.intrusion[data.intrusion["patient_id"] == patient.pk]
    # answers_for spreads the total evenly: 50 -> items 1-5 are 3,3,3,3,3 (10 items of 3)
    assert list(zip(mine["day"], mine["intrusion"], strict=True)) == [(0, 15), (14, 10)]


def test_diary_weeks_need_four_recorded_days_and_scale_the_mean_day_to_a_week(clinic) -> None:
    patient = treated(clinic, {0: 50})
    day0 = dt.date(2026, 3, 2)
    # Week -1 (days -7..-1): four days, 3 + 4 + 5 + 0 = 12 -> 3 a day -> 21 a week.
    for offset, (memories, flashbacks) in zip(
        (-7, -5, -3, -1), ((2, 1), (4, 0), (3, 2), (0, 0)), strict=True
    ):
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=day0 + dt.timedelta(days=offset),
            intrusive_memories=memories,
            flashbacks=flashbacks,
            none_today=memories + flashbacks == 0,
        )
    # Week 0: only three recorded days -> no weekly count (missing is not zero).
    for offset in (0, 2, 4):
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=day0 + dt.timedelta(days=offset),
            intrusive_memories=1,
            flashbacks=0,
        )

    diary = cohort_data(clinic=clinic).diary

    assert diary[["week", "days_recorded"]].values.tolist() == [[-1, 4]]
    assert diary["intrusions_per_week"].tolist() == [pytest.approx(21.0)]


def test_diary_weeks_leave_out_days_whose_counts_were_not_answered(clinic) -> None:
    patient = treated(clinic, {0: 50})
    day0 = dt.date(2026, 3, 2)
    # Week 0: four answered days 2, 4, 0, 6 (12 / 4 = 3 a day -> 21 a week) and two
    # urgent notes without counts (NaN: counting them as 0 would give 12 / 6 * 7 = 14).
    for offset, counts in zip(
        range(6), ((2, 0), (None, None), (3, 1), (0, 0), (None, 4), (5, 1)), strict=True
    ):
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=day0 + dt.timedelta(days=offset),
            intrusive_memories=counts[0],
            flashbacks=counts[1],
            urgent=None in counts,
        )
    # Week 1: three answered days and four unanswered ones -> no weekly count.
    for offset in range(7, 14):
        answered = offset in (7, 9, 11)
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=day0 + dt.timedelta(days=offset),
            intrusive_memories=1 if answered else None,
            flashbacks=0 if answered else None,
            urgent=not answered,
        )

    diary = cohort_data(clinic=clinic).diary

    assert diary[["week", "days_recorded"]].values.tolist() == [[0, 4]]
    assert diary["intrusions_per_week"].tolist() == [pytest.approx(21.0)]


def test_diary_weeks_are_empty_when_no_day_has_its_counts(clinic) -> None:
    patient = treated(clinic, {0: 50})
    for offset in range(5):
        DiaryEntry.objects.create(
            clinic=clinic,
            patient=patient,
            day=dt.date(2026, 3, 2) + dt.timedelta(days=offset),
            urgent=True,
        )
    diary = cohort_data(clinic=clinic).diary
    assert diary.empty and list(diary.columns) == [
        "patient_id",
        "week",
        "days_recorded",
        "intrusions_per_week",
    ]


def test_safety_rows_are_aggregated_per_patient_from_signed_sessions(clinic) -> None:
    patient = treated(clinic, {0: 50})
    first, second = DosingSession.objects.filter(patient=patient).order_by("number")[:2]
    AdverseEvent.objects.create(session=first, description="Nausea", severity="mild", action="none")
    AdverseEvent.objects.create(
        session=second, description="Vomiting", severity="mild", action="medication", serious=True
    )
    for session, code in ((first, "bp_pause"), (first, "bp_pause"), (second, "predose_bp")):
        SessionAlert.objects.create(session=session, code=code, level="pause", message="BP")
    SessionAlert.objects.create(session=first, code="spo2_pause", level="pause", message="SpO2")
    for minute, cadss in ((-5, 0), (40, 18), (120, 3)):
        DissociationRating.objects.create(session=first, minute=minute, cadss_total=cadss)

    data = cohort_data(clinic=clinic)

    assert data.sessions.set_index("patient_id")["sessions"].to_dict() == {patient.pk: 6}
    assert data.adverse[["severity", "events", "serious"]].values.tolist() == [["mild", 2, 1]]
    alerts = data.bp_alerts.set_index("code")[["alerts", "sessions"]].to_dict("index")
    assert alerts == {
        "bp_pause": {"alerts": 2, "sessions": 1},
        "predose_bp": {"alerts": 1, "sessions": 1},
    }
    assert data.cadss[["number", "peak"]].values.tolist() == [[1, 18]]


def test_nothing_of_another_clinic_is_read(clinic, other_clinic) -> None:
    mine = cohort(clinic, 2)
    theirs = cohort(other_clinic, 3)
    DiaryEntry.objects.create(
        clinic=other_clinic,
        patient=theirs[0],
        day=dt.date(2026, 3, 2),
        intrusive_memories=1,
        flashbacks=0,
    )

    data = cohort_data(clinic=clinic)

    ids = {p.pk for p in mine}
    for table in (data.patients, data.frame, data.intrusion, data.sessions):
        assert set(table["patient_id"]) == ids
    assert data.diary.empty


def test_the_query_count_does_not_grow_with_the_number_of_patients(clinic) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            cohort_data(clinic=clinic)
        return len(captured)

    cohort(clinic, 5)
    for patient in list(clinic.patients.all())[:2]:
        TherapySession.objects.create(
            clinic=clinic,
            patient=patient,
            modality="cpt",
            started_at=FIRST_DOSE + 30 * HOUR,
            duration_minutes=50,
        )
    few = queries()
    cohort(clinic, 20, start=5)
    assert len(cohort_data(clinic=clinic).patients) == 25
    assert queries() == few <= 10
    assert timezone.is_aware(FIRST_DOSE)
