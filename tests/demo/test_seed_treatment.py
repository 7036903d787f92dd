"""Seeding the demo clinic's treatment: screenings, courses, signed sessions, therapy.

The counts are compared with the generator's own records (computed here, not read from
the seed's result), and the stored rows with the rules the pages use.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.demo.seed import seed_demo_clinic
from afterglow.demo.synthetic import generate_clinic
from afterglow.demo.synthetic_params import DEMO_PASSWORD
from afterglow.patients.models import Patient
from afterglow.treatment.models import (
    AdverseEvent,
    Course,
    Decision,
    DissociationRating,
    DosingSession,
    PlannedSession,
    Protocol,
    Screening,
    SedationRating,
    SessionAlert,
    SessionStatus,
    TherapySession,
    VitalsReading,
)
from afterglow.treatment.safety import Thresholds, evaluate_reading
from afterglow.treatment.selectors_therapy import therapy_rows

N = 20


@pytest.fixture
def seeded(db):
    synthetic = generate_clinic(n_patients=N)
    return synthetic, seed_demo_clinic(synthetic=synthetic)


def by_email(result, synthetic):
    patients = {p.email: p for p in Patient.objects.for_clinic(result.clinic)}
    return [(person, patients[person.email]) for person in synthetic.patients]


def test_every_patient_gets_an_eligible_screening_and_a_course_from_day_0(seeded) -> None:
    synthetic, result = seeded
    users = {m.role: m.user for m in result.clinic.memberships.select_related("user")}
    for person, patient in by_email(result, synthetic):
        screening = Screening.objects.get(patient=patient)
        assert screening.decision == Decision.ELIGIBLE
        assert (screening.assessed_by, screening.decided_by) == (
            users[Role.NURSE],
            users[Role.PRESCRIBER],
        )
        # The screening PCL-5 (day -7) is the screening's baseline.
        first = patient.responses.order_by("administered_at").first()
        assert screening.baseline_pcl5 == first
        course = Course.objects.get(patient=patient)
        assert course.screening == screening
        assert course.protocol.preset_code == person.treatment.protocol_code
        assert course.start_date == person.first_dose_on
        assert course.status == person.treatment.course_status
        planned = list(
            PlannedSession.objects.filter(course=course).values_list("planned_date", flat=True)
        )
        assert tuple(planned) == person.treatment.planned_dates
        # Starting a course made nobody "active" who is not: the generator's status stands.
        assert patient.status == person.care_status
    assert result.courses == N
    assert set(
        Protocol.objects.filter(clinic=result.clinic).values_list("preset_code", flat=True)
    ) == {
        "feder2021_six",
        "abdallah2022_eight_05",
        "kepe_weekly",
        "esketamine_label",
    }


def test_each_dose_is_a_signed_session_with_its_rows_alerts_and_events(seeded) -> None:
    synthetic, result = seeded
    nurse = result.clinic.memberships.get(role=Role.NURSE).user
    expected = [d for p in synthetic.patients for d in p.treatment.doses]
    sessions = DosingSession.objects.for_clinic(result.clinic)
    assert sessions.count() == result.dosing_sessions == len(expected) > 0
    assert set(sessions.values_list("status", flat=True)) == {SessionStatus.SIGNED}
    assert set(sessions.values_list("signed_by", flat=True)) == {nurse.pk}
    rows = VitalsReading.objects.filter(session__clinic=result.clinic)
    assert rows.count() == result.vitals == sum(len(d.vitals) for d in expected)
    ratings = DissociationRating.objects.filter(session__clinic=result.clinic)
    assert ratings.count() == 3 * len(expected)
    esketamine = [d for d in expected if d.route == "intranasal"]
    assert SedationRating.objects.filter(session__clinic=result.clinic).count() == 3 * len(
        esketamine
    )
    for session in sessions.select_related("planned")[:40]:
        assert session.planned is not None and session.planned.number == session.number
        assert session.started_at.astimezone(result.clinic.tzinfo).date() == (
            session.planned.planned_date
        )
        assert session.created_at == session.predose_checked_at  # back-dated
        assert session.predose_checked_at < session.started_at < session.discharged_at
        assert session.discharged_at < session.signed_at

    # Alerts are the safety rules' own, for the clinic's thresholds, and all acknowledged.
    thresholds = Thresholds.from_clinic(result.clinic)
    expected = 0
    for reading in VitalsReading.objects.filter(session__clinic=result.clinic):
        expected += len(evaluate_reading(reading, phase=reading.phase, thresholds=thresholds))
    alerts = SessionAlert.objects.filter(session__clinic=result.clinic)
    assert alerts.count() == result.alerts == expected
    assert not alerts.filter(acknowledged_at__isnull=True).exists()
    for alert in alerts.select_related("reading"):
        assert alert.reading is not None and alert.created_at == alert.reading.taken_at

    # A few adverse events, mild or moderate, none serious (Feder 2021).
    events = AdverseEvent.objects.filter(session__clinic=result.clinic)
    assert events.count() == result.adverse_events
    assert not events.filter(serious=True).exists()
    assert set(events.values_list("severity", flat=True)) <= {"mild", "moderate"}


def test_therapy_is_stored_with_the_therapist_linked_to_doses_and_seeded_once(seeded) -> None:
    synthetic, result = seeded
    therapist = result.clinic.memberships.get(role=Role.THERAPIST).user
    stored = TherapySession.objects.for_clinic(result.clinic)
    assert (
        stored.count()
        == result.therapy_sessions
        == sum(len(p.treatment.therapy) for p in synthetic.patients)
    )
    assert set(stored.values_list("therapist", flat=True)) == {therapist.pk}
    inside = outside = 0
    for _person, patient in by_email(result, synthetic):
        for row in therapy_rows(patient=patient):
            assert row.link.number is not None  # every demo session follows a dose
            inside += row.in_window
            outside += not row.in_window
    assert inside > outside > 0

    # Seeding again adds nothing.
    models = (Screening, Course, DosingSession, VitalsReading, TherapySession, SessionAlert)
    before = {m.__name__: m.objects.count() for m in models}

    again = seed_demo_clinic(synthetic=generate_clinic(n_patients=N))

    assert not again.created
    assert {m.__name__: m.objects.count() for m in models} == before


def test_a_seeded_chart_shows_the_overlay_and_the_therapy_pages_open(seeded) -> None:
    synthetic, result = seeded
    _person, patient = next(
        (person, patient)
        for person, patient in by_email(result, synthetic)
        if len(person.treatment.doses) >= 3 and person.treatment.therapy
    )
    client = Client()
    assert client.login(request=HttpRequest(), username="demo-therapist", password=DEMO_PASSWORD)

    with CaptureQueriesContext(connection) as ctx:
        chart = client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))

    names = {trace["name"] for trace in chart.context["figure"]["data"]}
    assert "Doses" in names
    assert len(ctx.captured_queries) < 40
    listing = client.get(reverse("therapy:list", kwargs={"patient_pk": patient.pk}))
    assert listing.status_code == 200 and "after session" in listing.content.decode()


def test_dosing_rows_are_stored_in_bulk_not_one_query_per_row(db) -> None:
    """Speed lives in benchmarks; this guards the shape: the hundreds of vitals rows of
    the demo's sessions go in with a handful of bulk inserts, not one query a row."""
    with CaptureQueriesContext(connection) as ctx:
        result = seed_demo_clinic(synthetic=generate_clinic(n_patients=10))
    table = VitalsReading._meta.db_table
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith(f'INSERT INTO "{table}"')]
    rows = VitalsReading.objects.count()
    assert result.dosing_sessions > 30 and rows > 400
    assert 1 <= len(inserts) <= rows / 50  # at least 50 rows per insert
