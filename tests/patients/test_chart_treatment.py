"""The patient chart's treatment overlay: doses and therapy on the PCL-5 trajectory,
the table of the same events, the Treatment card and the cumulative exposure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.models import Role
from afterglow.instruments.services import response_record
from afterglow.treatment.models import (
    Course,
    DosingSession,
    PlannedSession,
    Screening,
    SessionKind,
    SessionStatus,
    TherapySession,
)
from afterglow.treatment.selectors_courses import treatment_summary
from afterglow.treatment.services.protocols import protocol_from_preset
from tests.conftest import _persona
from tests.factories import PatientFactory

MON = dt.date(2025, 3, 17)  # a Monday, New York (the factories' clinic timezone)


def at(clinic, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MON + dt.timedelta(days=day), dt.time(hour, minute), clinic.tzinfo)


def iso(moment: dt.datetime, clinic) -> str:
    """How the figure's JSON writes a time: ISO 8601 in the clinic's timezone."""
    return timezone.localtime(moment, clinic.tzinfo).isoformat()


def treated_patient(clinic, therapist, *, doses: int, mg: list[str] | None = None):
    """A patient with two PCL-5s, ``doses`` doses every other day from MON 10:00 and one
    integration session the day after each dose at 12:00 (+26 h, inside 24-72 h)."""
    patient = PatientFactory(clinic=clinic)
    for day, answers in ((-7, [3] * 20), (30, [1] * 20)):
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=answers,
            source="staff",
            administered_at=at(clinic, day, 9),
        )
    protocol = protocol_from_preset(clinic=clinic, code="feder2021_six")
    screening = Screening.objects.create(
        clinic=clinic,
        patient=patient,
        systolic=120,
        diastolic=80,
        heart_rate=70,
        weight_kg=Decimal(70),
        height_cm=175,
        assessed_at=at(clinic, -7, 10),
        decision="eligible",
    )
    course = Course.objects.create(
        clinic=clinic, patient=patient, protocol=protocol, screening=screening, start_date=MON
    )
    mg = mg or ["35.0"] * doses
    for i in range(doses):
        planned = PlannedSession.objects.create(
            course=course, number=i + 1, planned_date=MON + dt.timedelta(days=2 * i)
        )
        DosingSession.objects.create(
            clinic=clinic,
            patient=patient,
            course=course,
            planned=planned,
            number=i + 1,
            route="iv",
            status=SessionStatus.SIGNED,
            actual_dose_mg=Decimal(mg[i]),
            started_at=at(clinic, 2 * i, 10),
        )
        TherapySession.objects.create(
            clinic=clinic,
            patient=patient,
            therapist=therapist.user,
            modality="integration",
            started_at=at(clinic, 2 * i + 1, 12),
            duration_minutes=60,
        )
    return patient


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


def chart(persona, patient):
    return persona.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))


def traces(figure) -> dict[str, dict]:
    return {trace["name"]: trace for trace in figure["data"]}


def test_doses_and_therapy_are_overlaid_at_their_own_times(clinician, therapist) -> None:
    clinic = clinician.clinic
    patient = treated_patient(clinic, therapist, doses=2)
    # An outside session too: 5 h after dose 2.
    TherapySession.objects.create(
        clinic=clinic,
        patient=patient,
        therapist=therapist.user,
        modality="prolonged_exposure",
        started_at=at(clinic, 2, 15),
        duration_minutes=90,
    )

    by_name = traces(chart(clinician, patient).context["figure"])

    dose_1, dose_2 = iso(at(clinic, 0, 10), clinic), iso(at(clinic, 2, 10), clinic)
    assert by_name["Doses"]["x"] == [dose_1, dose_1, None, dose_2, dose_2, None]
    assert by_name["Doses"]["y"] == [0, 80, None, 0, 80, None]
    details = by_name["Dose details"]
    assert details["x"] == [dose_1, dose_2]
    assert details["text"] == ["dose 1", "dose 2"]
    assert details["customdata"][0][:2] == ["35.0 mg", "Intravenous infusion"]
    inside = by_name["Therapy inside the 24–72 h window"]
    assert inside["x"] == [iso(at(clinic, 3, 12), clinic), iso(at(clinic, 1, 12), clinic)]
    assert inside["customdata"][0] == ["Integration", "+26 h after session 2"]
    outside = by_name["Therapy outside the window"]
    assert outside["x"] == [iso(at(clinic, 2, 15), clinic)]
    assert outside["customdata"][0] == ["Prolonged exposure", "+5 h after session 2"]
    # The PCL-5 lines and the cutoff are where they were.
    assert by_name["PCL-5 total (0–80)"]["y"] == [60, 20]


def test_each_dose_is_labelled_dose_n_on_the_chart(clinician, therapist) -> None:
    patient = treated_patient(clinician.clinic, therapist, doses=3)

    layout = chart(clinician, patient).context["figure"]["layout"]

    labels = [a["text"] for a in layout["annotations"] if a.get("name") == "dose-label"]
    assert labels == ["dose 1", "dose 2", "dose 3"]
    assert layout["shapes"][0]["y0"] == 33  # the cutoff stays the first shape


def test_the_table_under_the_chart_lists_every_dose_and_therapy_session(
    clinician, therapist
) -> None:
    patient = treated_patient(clinician.clinic, therapist, doses=2)

    page = chart(clinician, patient).content.decode()

    table = page.split('id="treatment-table"')[1].split("</table>")[0]
    assert table.count('class="event-dose"') == 2
    assert table.count('class="event-therapy"') == 2
    assert "17 Mar 2025 10:00" in table and "Dose 1" in table
    assert "18 Mar 2025 12:00" in table and "+26 h after session 1" in table
    assert "inside the 24–72 h window" in table
    session = DosingSession.objects.get(patient=patient, number=1)
    assert reverse("dosing:session", kwargs={"pk": session.pk}) in table


def test_cumulative_exposure_counts_signed_sessions_and_their_mg(clinician, therapist) -> None:
    patient = treated_patient(clinician.clinic, therapist, doses=3, mg=["35.0", "36.5", "34.0"])
    unsigned = DosingSession.objects.get(patient=patient, number=3)
    unsigned.status = SessionStatus.IN_PROGRESS
    unsigned.save()

    treatment = chart(clinician, patient).context["treatment"]

    # Worked by hand: sessions 1 and 2 are signed, 35.0 + 36.5 = 71.5 mg; the third is not.
    assert (treatment.exposure_sessions, treatment.exposure_mg) == (2, Decimal("71.5"))
    page = chart(clinician, patient).content.decode()
    exposure = page.split('id="exposure"')[1].split("</dl>")[0]
    assert "<dd>2</dd>" in exposure and "<dd>71.5</dd>" in exposure


def test_the_treatment_card_links_courses_screenings_sessions_and_therapy(
    clinician, therapist
) -> None:
    patient = treated_patient(clinician.clinic, therapist, doses=1)
    course = Course.objects.get(patient=patient)
    course.status = "completed"  # no open course, so another may start
    course.save()
    screening = Screening.objects.get(patient=patient)
    dose = DosingSession.objects.get(patient=patient)
    therapy = TherapySession.objects.get(patient=patient)

    page = chart(clinician, patient).content.decode()

    card = page.split('id="treatment"')[1]
    for name, pk in (
        ("courses:detail", course.pk),
        ("screening:detail", screening.pk),
        ("dosing:session", dose.pk),
        ("therapy:detail", therapy.pk),
    ):
        assert reverse(name, kwargs={"pk": pk}) in card, name
    for name, text in (
        ("screening:new", "New screening"),
        ("courses:new", "Start course"),
        ("therapy:new", "Record therapy"),
    ):
        assert reverse(name, kwargs={"patient_pk": patient.pk}) in card and text in card
    therapy_list = reverse("therapy:list", kwargs={"patient_pk": patient.pk})
    assert f'<a href="{therapy_list}">All 1 therapy session</a>' in card


def test_the_treatment_card_counts_every_therapy_session_and_says_none_when_none(
    clinician, therapist
) -> None:
    patient = treated_patient(clinician.clinic, therapist, doses=2)
    card = chart(clinician, patient).content.decode().split('id="treatment"')[1]
    assert "All 2 therapy sessions</a>" in card
    assert card.count('<li><a href="/staff/sessions/') == 2

    TherapySession.objects.filter(patient=patient).delete()
    card = chart(clinician, patient).content.decode().split('id="treatment"')[1]
    therapy = card.split("<h3>Therapy</h3>")[1].split("</div>")[0]
    assert therapy.strip() == '<p class="empty">None.</p>'
    assert "therapy session" not in card.split('id="diary"')[0]


def test_start_course_is_offered_only_without_an_open_course(clinician, therapist) -> None:
    patient = treated_patient(clinician.clinic, therapist, doses=1)  # its course is active

    card = chart(clinician, patient).content.decode().split('id="treatment"')[1]

    assert "Start course" not in card
    assert "1 of 1 done" in card  # the course's signed sessions of its planned ones


def test_the_course_counts_skip_cancelled_and_maintenance_sessions_and_unsigned_doses(
    clinician, therapist
) -> None:
    clinic = clinician.clinic
    patient = treated_patient(clinic, therapist, doses=2)  # planned 1-2, both signed
    course = Course.objects.get(patient=patient)
    DosingSession.objects.filter(course=course, number=2).update(status=SessionStatus.IN_PROGRESS)
    PlannedSession.objects.create(course=course, number=3, planned_date=MON, cancelled=True)
    PlannedSession.objects.create(course=course, number=4, planned_date=MON)
    maintenance = PlannedSession.objects.create(
        course=course, number=5, planned_date=MON, kind=SessionKind.MAINTENANCE
    )
    DosingSession.objects.create(
        clinic=clinic,
        patient=patient,
        course=course,
        planned=maintenance,
        number=5,
        route="iv",
        status=SessionStatus.SIGNED,
    )
    empty = Course.objects.create(
        clinic=clinic, patient=patient, protocol=course.protocol, start_date=MON
    )

    counts = {c.pk: (c.n_planned, c.n_done) for c in treatment_summary(patient=patient).courses}

    # Planned: course sessions 1, 2 and 4 (3 is cancelled, 5 is maintenance); done: 1
    # (2 is in progress, 5 is maintenance).
    assert counts == {course.pk: (3, 1), empty.pk: (0, 0)}
    card = chart(clinician, patient).content.decode().split('id="treatment"')[1]
    assert "1 of 3 done" in card and "0 of 0 done" in card


def test_a_nurse_sees_the_treatment_card_without_the_prescribing_buttons(
    colleague, therapist
) -> None:
    patient = treated_patient(colleague.clinic, therapist, doses=1)

    card = chart(colleague, patient).content.decode().split('id="treatment"')[1]

    assert "New screening" in card  # nurses take screenings
    assert "Start course" not in card and "Record therapy" not in card


def test_the_chart_query_count_does_not_grow_with_doses_and_therapy(clinician, therapist) -> None:
    few = treated_patient(clinician.clinic, therapist, doses=1)
    many = treated_patient(clinician.clinic, therapist, doses=10)

    counts = []
    for patient in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            response = chart(clinician, patient)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))

    assert counts[0] == counts[1]
    assert len(traces(response.context["figure"])["Dose details"]["x"]) == 10


def test_a_patient_without_treatment_keeps_the_plain_chart(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response_record(patient=patient, instrument_code="pcl5", answers=[2] * 20, source="staff")

    response = chart(clinician, patient)

    assert [t["name"] for t in response.context["figure"]["data"]] == [
        "PCL-5 total (0–80)",
        "Intrusion, cluster B (0–20)",
    ]
    assert 'id="treatment-table"' not in response.content.decode()
    assert "No screening, course or therapy yet." in response.content.decode()
