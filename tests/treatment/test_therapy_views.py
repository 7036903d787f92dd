"""Psychotherapy pages: record a session, see it linked to its dose, and who may do what.

Roles (``Capability.THERAPY`` in ``accounts/capabilities.py``): therapists and prescribers record
therapy; nurses and the other clinical roles see when it was held but not the notes;
another clinic's staff get a 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.treatment.models import (
    Course,
    DosingSession,
    PlannedSession,
    SessionStatus,
    TherapySession,
)
from afterglow.treatment.selectors_therapy import course_therapy_windows
from afterglow.treatment.services.protocols import protocol_from_preset
from afterglow.treatment.services.therapy import therapy_session_record
from tests.conftest import _persona
from tests.factories import PatientFactory

# Monday 17 March 2025, New York (the factories' clinic timezone); safely in the past.
MON = dt.date(2025, 3, 17)


def at(clinic, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MON + dt.timedelta(days=day), dt.time(hour, minute), clinic.tzinfo)


def course_with_doses(patient, days: list[int], *, hour: int = 10, planned_extra: int = 0):
    """A course on the Feder 2021 preset with a dose started at ``hour`` on each day."""
    protocol = protocol_from_preset(clinic=patient.clinic, code="feder2021_six")
    course = Course.objects.create(
        clinic=patient.clinic, patient=patient, protocol=protocol, start_date=MON
    )
    for number, day in enumerate(days, start=1):
        planned = PlannedSession.objects.create(
            course=course, number=number, planned_date=MON + dt.timedelta(days=day)
        )
        DosingSession.objects.create(
            clinic=patient.clinic,
            patient=patient,
            course=course,
            planned=planned,
            number=number,
            route="iv",
            status=SessionStatus.SIGNED,
            actual_dose_mg=Decimal("35.0"),
            started_at=at(patient.clinic, day, hour),
        )
    return course


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Wren")


def form_data(therapist_user, started_at: dt.datetime, **changes) -> dict[str, object]:
    data = {
        "therapist": therapist_user.pk,
        "modality": "prolonged_exposure",
        "started_at": started_at.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "90",
        "notes": "Imaginal exposure to the crash memory; SUDS fell from 80 to 45.",
    }
    data.update(changes)
    return data


def test_a_therapist_records_a_session_26_hours_after_dose_3(therapist, patient) -> None:
    clinic = patient.clinic
    course_with_doses(patient, days=[-7, -5, 0])  # doses 1, 2 the week before; dose 3 Monday
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})

    response = therapist.client.post(url, form_data(therapist.user, at(clinic, 1, 12)))

    session = TherapySession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("therapy:detail", kwargs={"pk": session.pk})
    assert (session.therapist, session.clinic, session.duration_minutes) == (
        therapist.user,
        clinic,
        90,
    )
    assert session.started_at == at(clinic, 1, 12)
    detail = therapist.client.get(response["Location"]).content.decode()
    assert "+26 h after session 3" in detail
    assert "Inside" in detail and "SUDS fell" in detail
    listing = therapist.client.get(reverse("therapy:list", kwargs={"patient_pk": patient.pk}))
    assert "+26 h after session 3" in listing.content.decode()
    assert "1 of 1 session inside the window" in listing.content.decode()


def test_the_success_message_says_where_the_session_fell(therapist, patient) -> None:
    course_with_doses(patient, days=[0])
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})

    response = therapist.client.post(
        url, form_data(therapist.user, at(patient.clinic, 0, 15)), follow=True
    )

    assert "Therapy session recorded: +5 h after session 1, outside the 24–72 h window." in (
        response.content.decode()
    )


def test_the_form_proposes_the_signed_in_therapist_and_lists_only_therapists_and_prescribers(
    therapist, clinician, colleague, outsider, patient
) -> None:
    response = therapist.client.get(reverse("therapy:new", kwargs={"patient_pk": patient.pk}))

    form = response.context["form"]
    assert form["therapist"].value() == therapist.user.pk
    listed = set(form.fields["therapist"].queryset)
    assert listed == {therapist.user, clinician.user}  # not the nurse, not another clinic's


def test_a_prescriber_may_record_therapy_too(clinician, patient) -> None:
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})

    response = clinician.client.post(
        url, form_data(clinician.user, at(patient.clinic, 0, 9), modality="integration")
    )

    assert response.status_code == 302
    assert TherapySession.objects.get().therapist == clinician.user


def test_before_any_dose_the_session_is_before_the_first_dose(therapist, patient) -> None:
    course_with_doses(patient, days=[2])
    therapy_session_record(
        patient=patient,
        by=therapist.user,
        therapist=therapist.user,
        modality="integration",
        started_at=at(patient.clinic, 0, 9),
        duration_minutes=60,
    )

    page = therapist.client.get(reverse("therapy:list", kwargs={"patient_pk": patient.pk}))

    assert "before the first dose" in page.content.decode()


def test_a_nurse_cannot_record_therapy_but_sees_it_without_the_notes(
    colleague, therapist, patient
) -> None:
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})
    assert colleague.client.get(url).status_code == 403
    assert (
        colleague.client.post(url, form_data(colleague.user, at(patient.clinic, 0, 9))).status_code
        == 403
    )
    session = therapy_session_record(
        patient=patient,
        by=therapist.user,
        therapist=therapist.user,
        modality="cpt",
        started_at=at(patient.clinic, 0, 9),
        duration_minutes=50,
        notes="Worked on a stuck point about blame.",
    )

    detail = colleague.client.get(reverse("therapy:detail", kwargs={"pk": session.pk}))
    listing = colleague.client.get(reverse("therapy:list", kwargs={"patient_pk": patient.pk}))

    assert detail.status_code == listing.status_code == 200
    assert "Cognitive processing therapy" in detail.content.decode()
    assert "stuck point" not in detail.content.decode()
    assert "Visible to therapists and prescribers only" in detail.content.decode()
    assert "Record therapy" not in listing.content.decode()


def test_another_clinic_gets_a_404_for_every_therapy_page(outsider, therapist, patient) -> None:
    session = therapy_session_record(
        patient=patient,
        by=therapist.user,
        therapist=therapist.user,
        modality="integration",
        started_at=at(patient.clinic, 0, 9),
        duration_minutes=60,
    )
    urls = [
        reverse("therapy:new", kwargs={"patient_pk": patient.pk}),
        reverse("therapy:list", kwargs={"patient_pk": patient.pk}),
        reverse("therapy:detail", kwargs={"pk": session.pk}),
    ]
    for url in urls:
        assert outsider.client.get(url).status_code == 404, url
    post = outsider.client.post(urls[0], form_data(outsider.user, at(patient.clinic, 0, 9)))
    assert post.status_code == 404
    assert TherapySession.objects.count() == 1


def test_the_form_keeps_the_input_and_names_the_problem(therapist, patient) -> None:
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})

    response = therapist.client.post(
        url, form_data(therapist.user, at(patient.clinic, 0, 9), duration_minutes="2")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "greater than or equal to 5" in page
    assert "SUDS fell from 80 to 45" in page
    assert 'value="2025-03-17T09:00"' in page
    assert not TherapySession.objects.exists()


def test_a_session_in_the_future_is_refused_on_the_form(therapist, patient) -> None:
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})
    future = dt.datetime(2999, 1, 4, 10, 0, tzinfo=patient.clinic.tzinfo)

    response = therapist.client.post(url, form_data(therapist.user, future))

    assert response.status_code == 200
    assert "record a session once it has started" in response.content.decode()
    assert not TherapySession.objects.exists()


def test_another_clinics_therapist_cannot_be_named(therapist, outsider, patient) -> None:
    url = reverse("therapy:new", kwargs={"patient_pk": patient.pk})

    response = therapist.client.post(url, form_data(outsider.user, at(patient.clinic, 0, 9)))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not TherapySession.objects.exists()


def _list_queries(persona, patient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = persona.client.get(reverse("therapy:list", kwargs={"patient_pk": patient.pk}))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_query_count_does_not_grow_with_doses_and_sessions(therapist, clinic) -> None:
    counts = []
    for n in (1, 10):
        patient = PatientFactory(clinic=clinic)
        course_with_doses(patient, days=[2 * i for i in range(n)])
        for i in range(n):
            therapy_session_record(
                patient=patient,
                by=therapist.user,
                therapist=therapist.user,
                modality="integration",
                started_at=at(clinic, 2 * i + 1, 11),
                duration_minutes=60,
            )
        counts.append(_list_queries(therapist, patient))
    assert counts[0] == counts[1]


def test_the_course_plan_shows_each_doses_window_and_what_fell_inside_it(
    therapist, patient
) -> None:
    clinic = patient.clinic
    course = course_with_doses(patient, days=[0, 2, 4])  # Mon, Wed, Fri 10:00
    # Planned doses 4-6 far in the future (not given yet): approximate windows.
    for number in (4, 5, 6):
        PlannedSession.objects.create(
            course=course, number=number, planned_date=dt.date(2999, 1, number)
        )
    record = {"patient": patient, "by": therapist.user, "therapist": therapist.user}
    inside = therapy_session_record(
        **record, modality="integration", started_at=at(clinic, 1, 12), duration_minutes=60
    )  # +26 h after 1
    outside = therapy_session_record(
        **record, modality="integration", started_at=at(clinic, 2, 15), duration_minutes=60
    )  # +5 h after 2

    with CaptureQueriesContext(connection) as ctx:
        windows = course_therapy_windows(course)

    assert len(ctx.captured_queries) == 3
    first, second, third, fourth = windows.windows[:4]
    assert (first.start, first.end) == (at(clinic, 1, 10), at(clinic, 2, 10))  # cut at dose 2
    assert [row.session for row in first.inside] == [inside]
    assert [row.session for row in second.outside] == [outside] and not second.inside
    assert (third.start, third.end) == (at(clinic, 5, 10), at(clinic, 7, 10))
    assert (fourth.status, fourth.approximate, fourth.dose) == ("planned", True, None)
    assert (windows.inside_count, windows.outside_count) == (1, 1)

    html = render_to_string(
        "treatment/_therapy_windows.html", {"windows": windows, "membership": therapist.membership}
    )
    assert "Session 1" in html and "+26 h after session 1" in html
    assert "(approx.)" in html
    assert reverse("therapy:new", kwargs={"patient_pk": patient.pk}) in html
