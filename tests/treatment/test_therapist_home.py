"""The therapist's home: their recent sessions, each dose's post-dose window ("window
closes in 30 h"), and doses given without therapy in the window."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.audit.models import AuditEvent
from afterglow.treatment.models import Course, DosingSession, PlannedSession, SessionStatus
from afterglow.treatment.selectors_therapist import therapist_home
from afterglow.treatment.services.protocols import protocol_from_preset
from afterglow.treatment.services.therapy import therapy_session_record
from tests.conftest import _persona
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

# Monday 17 March 2025, New York (the factories' clinic timezone).
MON = dt.date(2025, 3, 17)


def at(clinic, day: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(MON + dt.timedelta(days=day), dt.time(hour), clinic.tzinfo)


def doses(patient, days: list[int], *, preset: str = "kepe_weekly") -> list[DosingSession]:
    """Signed doses at 10:00 on each day (KEPE pairs prolonged exposure with each dose)."""
    protocol = protocol_from_preset(clinic=patient.clinic, code=preset)
    course = Course.objects.create(
        clinic=patient.clinic, patient=patient, protocol=protocol, start_date=MON
    )
    made = []
    for number, day in enumerate(days, start=1):
        planned = PlannedSession.objects.create(
            course=course, number=number, planned_date=MON + dt.timedelta(days=day)
        )
        made.append(
            DosingSession.objects.create(
                clinic=patient.clinic,
                patient=patient,
                course=course,
                planned=planned,
                number=number,
                route=protocol.route,
                status=SessionStatus.SIGNED,
                actual_dose_mg=Decimal("35.0"),
                started_at=at(patient.clinic, day, 10),
            )
        )
    return made


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


def test_a_dose_without_therapy_shows_when_its_window_closes_or_that_it_was_missed(
    clinic, therapist
) -> None:
    # Window 24-72 h (the clinic default). Now: Thursday 16:00.
    now = at(clinic, 3, 16)
    waiting = PatientFactory(clinic=clinic, family_name="Waiting")
    doses(waiting, [2])  # Wednesday 10:00: window opens Thursday 10:00, closes Saturday 10:00
    soon = PatientFactory(clinic=clinic, family_name="Soon")
    doses(soon, [3])  # Thursday 10:00: opens Friday 10:00 (in 18 h)
    missed = PatientFactory(clinic=clinic, family_name="Missed")
    doses(missed, [-7])  # a week ago: closed Thursday before, 7 d ago... without therapy
    treated = PatientFactory(clinic=clinic, family_name="Treated")
    doses(treated, [1])  # Tuesday 10:00, therapy Wednesday 14:00 (+28 h): inside
    therapy_session_record(
        patient=treated,
        by=therapist.user,
        therapist=therapist.user,
        modality="prolonged_exposure",
        started_at=at(clinic, 2, 14),
        duration_minutes=90,
        now=now,
    )

    home = therapist_home(clinic=clinic, therapist=therapist.user, now=now)
    assert [(w.dose.patient.family_name, w.when) for w in home.upcoming] == [
        ("Waiting", "window closes in 42 h"),
        ("Soon", "window opens in 18 h"),
    ]
    assert [(w.dose.patient.family_name, w.when) for w in home.missed] == [
        ("Missed", "window closed 7 d 6 h ago"),
    ]
    [row] = home.recent
    assert (row.session.patient, row.label, row.in_window) == (
        treated,
        "+28 h after session 1",
        True,
    )


def test_a_dose_of_a_protocol_without_paired_therapy_is_listed_only_for_a_patient_in_therapy(
    clinic, therapist
) -> None:
    now = at(clinic, 3, 16)
    alone = PatientFactory(clinic=clinic, family_name="Alone")
    doses(alone, [2], preset="feder2021_six")
    in_therapy = PatientFactory(clinic=clinic, family_name="InTherapy")
    doses(in_therapy, [-30, 2], preset="feder2021_six")
    therapy_session_record(
        patient=in_therapy,
        by=therapist.user,
        therapist=therapist.user,
        modality="integration",
        started_at=at(clinic, -29, 12),
        duration_minutes=60,
        now=now,
    )
    home = therapist_home(clinic=clinic, therapist=therapist.user, now=now)
    assert [w.dose.patient.family_name for w in home.upcoming] == ["InTherapy"]


def test_the_page_is_one_audited_read_in_a_fixed_number_of_queries(clinic, therapist) -> None:
    now = at(clinic, 3, 16)

    pages: list[str] = []

    def visit() -> int:
        with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as ctx:
            response = therapist.client.get(reverse("board:therapist_home"))
        assert response.status_code == 200
        pages.append(response.content.decode())
        return len(ctx.captured_queries)

    def patient_with_therapy(name: str) -> None:
        patient = PatientFactory(clinic=clinic, family_name=name)
        doses(patient, [-2, 2])
        therapy_session_record(
            patient=patient,
            by=therapist.user,
            therapist=therapist.user,
            modality="prolonged_exposure",
            started_at=at(clinic, -1, 12),
            duration_minutes=90,
            now=now,
        )

    patient_with_therapy("One")
    before = AuditEvent.objects.count()
    one = visit()
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("seq")
    assert (event.object_type, event.action) == ("therapist_home", "read")
    for i in range(5):
        patient_with_therapy(f"Many{i}")
    assert visit() == one
    assert "Many4" in pages[-1] and "window closes in" in pages[-1]


def therapy(patient, persona, when: dt.datetime, now: dt.datetime) -> None:
    therapy_session_record(
        patient=patient,
        by=persona.user,
        therapist=persona.user,
        modality="prolonged_exposure",
        started_at=when,
        duration_minutes=90,
        now=now,
    )


def test_each_therapist_sees_their_own_sessions_and_patients_and_the_new_ones(
    clinic, therapist
) -> None:
    other = _persona(clinic, Role.THERAPIST, "other_therapist")
    now = at(clinic, 3, 16)
    ours = PatientFactory(clinic=clinic, family_name="Ours")
    doses(ours, [-2, 2])
    therapy(ours, therapist, at(clinic, -1, 12), now)
    theirs = PatientFactory(clinic=clinic, family_name="Theirs")
    doses(theirs, [-2, 2])
    therapy(theirs, other, at(clinic, -1, 12), now)
    fresh = PatientFactory(clinic=clinic, family_name="Fresh")
    doses(fresh, [2])  # KEPE pairs therapy with the dose; nobody has seen them yet
    missed_theirs = PatientFactory(clinic=clinic, family_name="MissedTheirs")
    doses(missed_theirs, [-10, -7])
    therapy(missed_theirs, other, at(clinic, -9, 12), now)

    mine = therapist_home(clinic=clinic, therapist=therapist.user, now=now)
    assert [r.session.patient.family_name for r in mine.recent] == ["Ours"]
    assert sorted(w.dose.patient.family_name for w in mine.upcoming) == ["Fresh", "Ours"]
    assert mine.missed == []
    assert mine.others == 2  # Theirs (upcoming) and MissedTheirs (missed)
    flags = {w.dose.patient.family_name: (w.own, w.new_to_therapy) for w in mine.upcoming}
    assert flags == {"Ours": (True, False), "Fresh": (False, True)}

    theirs_home = therapist_home(clinic=clinic, therapist=other.user, now=now)
    assert sorted(r.session.patient.family_name for r in theirs_home.recent) == [
        "MissedTheirs",
        "Theirs",
    ]
    assert sorted(w.dose.patient.family_name for w in theirs_home.upcoming) == ["Fresh", "Theirs"]
    assert [w.dose.patient.family_name for w in theirs_home.missed] == ["MissedTheirs"]
    assert theirs_home.others == 1  # Ours

    everyone = therapist_home(clinic=clinic, therapist=therapist.user, now=now, scope="clinic")
    assert sorted(w.dose.patient.family_name for w in everyone.upcoming) == [
        "Fresh",
        "Ours",
        "Theirs",
    ]
    assert [w.dose.patient.family_name for w in everyone.missed] == ["MissedTheirs"]
    assert everyone.others == 0
    assert [r.session.patient.family_name for r in everyone.recent] == ["Ours"]


def test_the_page_toggles_between_own_patients_and_the_whole_clinic(clinic, therapist) -> None:
    other = _persona(clinic, Role.THERAPIST, "other_therapist")
    now = at(clinic, 3, 16)
    theirs = PatientFactory(clinic=clinic, family_name="Theirs")
    doses(theirs, [-2, 2])
    therapy(theirs, other, at(clinic, -1, 12), now)
    fresh = PatientFactory(clinic=clinic, family_name="Fresh")
    doses(fresh, [2])
    url = reverse("board:therapist_home")
    with time_machine.travel(now, tick=False):
        own = therapist.client.get(url).content.decode()
        whole = therapist.client.get(url + "?scope=clinic").content.decode()
        odd = therapist.client.get(url + "?scope=everything").content.decode()
    assert "Fresh" in own and "no therapist yet" in own and "Theirs" not in own
    assert "1 more dose of other therapists' patients" in own
    assert 'aria-current="page">Your patients' in own
    assert "Theirs" in whole and "another therapist's patient" in whole
    assert 'aria-current="page">Whole clinic' in whole
    assert "Patients are not assigned to a therapist" in own
    assert "Theirs" not in odd  # an unknown scope is the default, not the whole clinic
