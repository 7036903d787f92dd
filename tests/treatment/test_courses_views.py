"""Protocols and courses: presets adopted once, courses planned on the clinic's days and
following the documented screening decision, progress visible, roles respected."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from afterglow.accounts.models import Role
from afterglow.patients.models import CareStatus
from afterglow.treatment.models import Course, DosingSession, PlannedSession, Protocol
from afterglow.treatment.presets import UnknownPreset, get_preset
from afterglow.treatment.schedule import next_clinic_day
from afterglow.treatment.selectors_courses import course_plan, treatment_summary
from afterglow.treatment.services.courses import (
    course_add_maintenance,
    course_end_early,
    course_pause,
    course_resume,
    course_start,
)
from afterglow.treatment.services.protocols import protocol_from_preset, protocol_save
from tests.conftest import _persona
from tests.factories import (
    CourseFactory,
    PatientFactory,
    ProtocolFactory,
    ScreeningFactory,
    answers,
    planned_sessions,
)

WED = dt.date(2026, 12, 2)
MON_FRI = (0, 1, 2, 3, 4)


def d(day: int, month: int = 12) -> dt.date:
    return dt.date(2026, month, day)


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, given_name="Ada", family_name="Quill")


@pytest.fixture
def protocol(clinic):
    return ProtocolFactory(clinic=clinic, name="Feder six")


@pytest.fixture
def eligible(patient):
    return ScreeningFactory(patient=patient, eligible=True)


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


@pytest.fixture
def admin(clinic):
    return _persona(clinic, Role.ADMIN, "admin")


def _url_exists(name: str, **kwargs: int) -> bool:
    try:
        reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return False
    return True


# --- protocols ------------------------------------------------------------------------------


def test_adopting_a_preset_copies_its_numbers_once(clinic) -> None:
    first = protocol_from_preset(clinic=clinic, code="feder2021_six")
    preset = get_preset("feder2021_six")
    assert (first.sessions, first.sessions_per_week, first.infusion_minutes) == (6, 3, 40)
    assert first.dose_mg_per_kg == Decimal("0.5") and first.source == preset.source
    first.name = "Our six"
    first.save()
    again = protocol_from_preset(clinic=clinic, code="feder2021_six")
    assert again.pk == first.pk and again.name == "Our six"
    assert Protocol.objects.filter(clinic=clinic).count() == 1


def test_the_fixed_dose_preset_keeps_its_options(clinic) -> None:
    esketamine = protocol_from_preset(clinic=clinic, code="esketamine_label")
    assert esketamine.fixed_dose_mg == 56 and esketamine.fixed_dose_options_mg == [56, 84]
    kepe = protocol_from_preset(clinic=clinic, code="kepe_weekly")
    assert kepe.post_dose_therapy == "prolonged_exposure"


def test_an_unknown_preset_is_refused(clinic) -> None:
    with pytest.raises(UnknownPreset):
        protocol_from_preset(clinic=clinic, code="no_such_thing")


def test_a_clinic_protocol_gets_a_range_and_checks_its_doses(clinic) -> None:
    data = {
        "name": "Low dose",
        "route": "iv",
        "dose_mg_per_kg": Decimal("0.2"),
        "infusion_minutes": 40,
        "sessions": 8,
        "sessions_per_week": 2,
        "is_active": True,
    }
    protocol = protocol_save(clinic=clinic, data=data)
    assert protocol.dose_mg_per_kg_min == protocol.dose_mg_per_kg_max == Decimal("0.2")
    with pytest.raises(ValidationError, match="within its range"):
        protocol_save(clinic=clinic, data={**data, "dose_mg_per_kg_min": Decimal("0.3")})
    with pytest.raises(ValidationError, match="one of the options"):
        protocol_save(
            clinic=clinic,
            data={
                **data,
                "dose_mg_per_kg": None,
                "fixed_dose_mg": 56,
                "fixed_dose_options_mg": [84],
                "route": "intranasal",
            },
        )


def test_the_protocol_page_lists_presets_to_add(clinician, colleague, clinic) -> None:
    page = clinician.client.get(reverse("courses:protocols"))
    assert page.status_code == 200
    assert page.content.count(b"Add to clinic") == 6
    response = clinician.client.post(
        reverse("courses:protocol_adopt", kwargs={"code": "abdallah2022_eight_05"}), follow=True
    )
    assert response.status_code == 200
    assert response.content.count(b"Add to clinic") == 5
    clinician.client.post(
        reverse("courses:protocol_adopt", kwargs={"code": "abdallah2022_eight_05"})
    )
    assert Protocol.objects.filter(clinic=clinic).count() == 1
    # A nurse reads the list but cannot add.
    nurse_page = colleague.client.get(reverse("courses:protocols"))
    assert nurse_page.status_code == 200 and b"Add to clinic" not in nurse_page.content
    refused = colleague.client.post(
        reverse("courses:protocol_adopt", kwargs={"code": "feder2021_six"})
    )
    assert refused.status_code == 403


def test_an_unknown_preset_code_is_404(clinician) -> None:
    response = clinician.client.post(
        reverse("courses:protocol_adopt", kwargs={"code": "no_such_thing"})
    )
    assert response.status_code == 404


def test_a_clinic_admin_writes_a_protocol_and_errors_keep_the_input(admin, clinic) -> None:
    url = reverse("courses:protocol_new")
    bad = admin.client.post(
        url,
        {
            "name": "Mixed up",
            "route": "iv",
            "dose_mg_per_kg": "0.5",
            "fixed_dose_mg": "56",
            "infusion_minutes": "40",
            "sessions": "6",
            "sessions_per_week": "3",
        },
    )
    assert bad.status_code == 400
    assert b"Give either a dose in mg/kg or a fixed dose in mg" in bad.content
    assert b'value="Mixed up"' in bad.content
    assert b"saved" not in bad.content
    good = admin.client.post(
        url,
        {
            "name": "Esketamine twice weekly",
            "route": "intranasal",
            "fixed_dose_mg": "56",
            "fixed_dose_options": "56, 84",
            "sessions": "8",
            "sessions_per_week": "2",
            "is_active": "on",
        },
        follow=True,
    )
    assert b"saved" in good.content
    protocol = Protocol.objects.get(clinic=clinic)
    assert protocol.fixed_dose_options_mg == [56, 84]
    edit = admin.client.get(reverse("courses:protocol_edit", kwargs={"pk": protocol.pk}))
    assert b'value="56, 84"' in edit.content


def test_editing_a_protocol_in_use_warns(clinician, protocol, patient, eligible) -> None:
    course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    page = clinician.client.get(reverse("courses:protocol_edit", kwargs={"pk": protocol.pk}))
    assert b"1 open course uses this protocol" in page.content


# --- starting a course ----------------------------------------------------------------------


def test_a_course_is_planned_on_the_clinics_days(clinician, clinic, patient, eligible) -> None:
    clinic.dosing_weekdays = "1,3"  # Tuesday and Thursday
    clinic.save()
    protocol = ProtocolFactory(clinic=clinic, sessions=4, sessions_per_week=2)
    course = course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    assert course.start_date == d(3)
    assert course.screening == eligible
    assert list(course.planned.values_list("number", "planned_date", "kind")) == [
        (1, d(3), "course"),
        (2, d(8), "course"),
        (3, d(10), "course"),
        (4, d(15), "course"),
    ]
    patient.refresh_from_db()
    assert patient.status == CareStatus.ACTIVE


def test_a_course_needs_a_decided_screening(clinician, patient, protocol) -> None:
    with pytest.raises(ValidationError, match="Record a screening"):
        course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    ScreeningFactory(patient=patient)
    with pytest.raises(ValidationError, match="awaits the prescriber's decision"):
        course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    assert not Course.objects.exists()


def test_a_not_eligible_decision_is_respected(clinician, patient, protocol) -> None:
    ScreeningFactory(
        patient=patient, eligible=True, assessed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    ScreeningFactory(patient=patient, not_eligible=True)
    with pytest.raises(ValidationError, match="decided not eligible"):
        course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)


def test_an_documented_override_lets_the_course_start(clinician, patient, protocol) -> None:
    ScreeningFactory(
        patient=patient,
        answers=answers(pregnancy="unknown"),
        eligible=True,
        override_reason="Negative test on the day of each dose.",
    )
    course = course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    assert course.planned.count() == 6


def test_one_open_course_at_a_time(clinician, patient, protocol, eligible) -> None:
    course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    with pytest.raises(ValidationError, match="already on a course"):
        course_start(patient=patient, protocol=protocol, start_date=d(21), by=clinician.user)


def test_a_protocol_of_another_clinic_or_archived_is_refused(
    clinician, patient, other_clinic, eligible
) -> None:
    with pytest.raises(ValidationError, match="another clinic"):
        course_start(
            patient=patient,
            protocol=ProtocolFactory(clinic=other_clinic),
            start_date=WED,
            by=clinician.user,
        )
    archived = ProtocolFactory(clinic=patient.clinic, is_active=False)
    with pytest.raises(ValidationError, match="archived"):
        course_start(patient=patient, protocol=archived, start_date=WED, by=clinician.user)


def test_too_many_sessions_a_week_for_the_clinic_says_how_to_fix_it(
    clinician, clinic, patient, eligible
) -> None:
    clinic.dosing_weekdays = "1,3"
    clinic.save()
    protocol = ProtocolFactory(clinic=clinic)  # 3 a week
    with pytest.raises(ValidationError, match="add dosing days in the clinic settings"):
        course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)


# --- pause, resume, end early, maintenance ---------------------------------------------------


def test_pause_and_resume_with_a_new_start_replans_what_is_left(clinician, patient, protocol):
    course = CourseFactory(patient=patient, protocol=protocol)
    planned_sessions(course, [d(2), d(4), d(7), d(9), d(11), d(14)], signed=2)
    planned_sessions(course, [d(28)], kind="maintenance")
    with pytest.raises(ValidationError):
        course_pause(course=course, by=clinician.user, reason=" ")
    course_pause(course=course, by=clinician.user, reason="Flu")
    assert course.status == "paused" and course.status_reason == "Flu"
    with pytest.raises(ValidationError, match="Only an active course"):
        course_pause(course=course, by=clinician.user, reason="Again")
    course_resume(course=course, by=clinician.user, restart_date=d(16))
    dates = list(course.planned.order_by("number").values_list("planned_date", flat=True))
    # Done sessions keep their dates; four left from Wed 16 Dec at 3 a week; the
    # maintenance session moves by the same 5 days as the first remaining one (Mon 7 -> Wed 16
    # is 9 days: 28 Dec + 9 = 6 Jan).
    assert dates == [d(2), d(4), d(16), d(18), d(21), d(23), dt.date(2027, 1, 6)]
    assert course.status == "active" and course.status_reason == ""


def test_resume_without_a_date_keeps_the_plan(clinician, patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol, status="paused")
    planned_sessions(course, [d(2), d(4)])
    course_resume(course=course, by=clinician.user)
    assert list(course.planned.values_list("planned_date", flat=True)) == [d(2), d(4)]


def test_ending_early_cancels_what_has_not_begun(clinician, patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    rows = planned_sessions(course, [d(2), d(4), d(7), d(9)], signed=1)
    DosingSession.objects.create(
        clinic=course.clinic,
        patient=patient,
        course=course,
        planned=rows[1],
        number=2,
        route="iv",
    )  # begun, not signed
    with pytest.raises(ValidationError, match="Say why"):
        course_end_early(course=course, by=clinician.user, reason="")
    course_end_early(course=course, by=clinician.user, reason="Dissociation too distressing.")
    assert course.status == "ended_early"
    assert list(course.planned.order_by("number").values_list("cancelled", flat=True)) == [
        False,
        False,
        True,
        True,
    ]
    with pytest.raises(ValidationError, match="already ended early"):
        course_end_early(course=course, by=clinician.user, reason="Twice")
    with pytest.raises(ValidationError, match="start a new course"):
        course_add_maintenance(course=course, by=clinician.user, count=2, every_days=14)


def test_maintenance_continues_the_numbering_after_the_course(clinician, patient, protocol):
    course = CourseFactory(patient=patient, protocol=protocol, status="completed")
    planned_sessions(course, [d(2), d(4), d(7), d(9), d(11), d(14)], signed=6)
    added = course_add_maintenance(course=course, by=clinician.user, count=3, every_days=14)
    assert [(p.number, p.planned_date, p.kind) for p in added] == [
        (7, d(28), "maintenance"),
        (8, dt.date(2027, 1, 11), "maintenance"),
        (9, dt.date(2027, 1, 25), "maintenance"),
    ]
    course.refresh_from_db()
    assert course.status == "active"
    more = course_add_maintenance(
        course=course, by=clinician.user, count=1, every_days=7, start_date=dt.date(2027, 2, 6)
    )
    assert [(p.number, p.planned_date) for p in more] == [(10, dt.date(2027, 2, 8))]  # Sat -> Mon
    with pytest.raises(ValidationError, match="Start after the last planned session"):
        course_add_maintenance(
            course=course, by=clinician.user, count=1, every_days=7, start_date=d(20)
        )


def test_a_paused_course_takes_no_maintenance(clinician, patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol, status="paused")
    with pytest.raises(ValidationError, match="Resume the course"):
        course_add_maintenance(course=course, by=clinician.user, count=2, every_days=14)


# --- the plan and its progress ------------------------------------------------------------------


def test_progress_counts_signed_sessions_and_shows_the_next(patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    planned_sessions(course, [d(2), d(4), d(7), d(9), d(11), d(14)], signed=2)
    plan = course_plan(course=course, today=d(8))
    assert str(plan.course_progress) == "2 of 6"
    assert plan.course_progress.percent == 33
    assert [row.state for row in plan.rows] == ["done", "done", "next", *["planned"] * 3]
    assert plan.next_row is not None and plan.next_row.planned.number == 3
    assert plan.next_row.overdue  # planned for Mon 7, today is Tue 8
    assert plan.rows[0].weekday == "Wednesday"
    assert plan.maintenance_progress is None


def test_treatment_summary_for_the_chart(patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    planned_sessions(course, [d(2), d(4), d(7)], signed=1)
    summary = treatment_summary(patient=patient)
    assert summary.open_course == course
    [row] = summary.courses
    assert (row.n_done, row.n_planned) == (1, 3)


# --- pages ----------------------------------------------------------------------------------


def test_a_prescriber_previews_and_starts_a_course(clinician, patient, protocol, eligible):
    url = reverse("courses:new", kwargs={"patient_pk": patient.pk})
    page = clinician.client.get(url)
    assert page.status_code == 200
    first_day = next_clinic_day(timezone.localdate(timezone=patient.clinic.tzinfo), MON_FRI)
    assert f'value="{first_day:%Y-%m-%d}"'.encode() in page.content  # the next dosing day
    preview = clinician.client.post(
        url, {"protocol": protocol.pk, "start_date": "2026-12-02", "preview": "1"}
    )
    assert preview.status_code == 200
    assert b"Planned dates (preview, not saved)" in preview.content
    assert preview.content.count(b'<td data-label="Weekday">') == 6
    assert not Course.objects.exists()
    response = clinician.client.post(
        url, {"protocol": protocol.pk, "start_date": "2026-12-02"}, follow=True
    )
    course = Course.objects.get()
    assert response.redirect_chain[-1][0] == reverse("courses:detail", kwargs={"pk": course.pk})
    assert b"Course started" in response.content
    assert b"0 of 6" in response.content


def test_the_start_page_says_why_a_course_cannot_start(clinician, patient, protocol) -> None:
    ScreeningFactory(patient=patient)
    url = reverse("courses:new", kwargs={"patient_pk": patient.pk})
    page = clinician.client.get(url)
    assert b"awaits the prescriber&#x27;s decision" in page.content
    response = clinician.client.post(url, {"protocol": protocol.pk, "start_date": "2026-12-02"})
    assert response.status_code == 400
    assert b"awaits the prescriber&#x27;s decision" in response.content
    assert not Course.objects.exists()


def test_a_therapist_or_nurse_cannot_start_a_course(therapist, colleague, patient, eligible):
    url = reverse("courses:new", kwargs={"patient_pk": patient.pk})
    for persona in (therapist, colleague):
        assert persona.client.get(url).status_code == 403
        assert persona.client.post(url, {}).status_code == 403
    assert not Course.objects.exists()


def test_the_course_page_shows_the_plan_and_progress(clinician, colleague, patient, protocol):
    course = CourseFactory(patient=patient, protocol=protocol)
    rows = planned_sessions(course, [d(2), d(4), d(7), d(9), d(11), d(14)], signed=2)
    page = colleague.client.get(reverse("courses:detail", kwargs={"pk": course.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>2 of 6</strong> course sessions done" in html
    assert "Next: <strong>session 3</strong>" in html
    assert html.count('class="status status-done"') == 2
    assert "Wednesday" in html and "Monday" in html
    # The nurse runs the session but does not manage the course.
    assert "Pause course" not in html
    if _url_exists("dosing:start", planned_pk=rows[2].pk):
        assert reverse("dosing:start", kwargs={"planned_pk": rows[2].pk}) in html
    if _url_exists("dosing:session", pk=rows[0].session.pk):
        assert reverse("dosing:session", kwargs={"pk": rows[0].session.pk}) in html
    manager = clinician.client.get(reverse("courses:detail", kwargs={"pk": course.pk}))
    assert b"Pause course" in manager.content and b"End course early" in manager.content


def test_course_actions_through_the_page(clinician, patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    planned_sessions(course, [d(2), d(4), d(7)])
    detail = reverse("courses:detail", kwargs={"pk": course.pk})
    missing = clinician.client.post(reverse("courses:pause", kwargs={"pk": course.pk}), {})
    assert missing.status_code == 400 and b"Give the reason." in missing.content
    paused = clinician.client.post(
        reverse("courses:pause", kwargs={"pk": course.pk}), {"pause-reason": "Travel"}, follow=True
    )
    assert paused.redirect_chain[-1][0] == detail and b"Course paused." in paused.content
    assert b"Travel" in paused.content
    clinician.client.post(reverse("courses:resume", kwargs={"pk": course.pk}), {})
    maintenance = clinician.client.post(
        reverse("courses:maintenance", kwargs={"pk": course.pk}),
        {"count": "2", "every_days": "14"},
        follow=True,
    )
    assert b"Maintenance sessions added" in maintenance.content
    ended = clinician.client.post(
        reverse("courses:end", kwargs={"pk": course.pk}), {"end-reason": "Moved away"}, follow=True
    )
    assert b"Course ended early" in ended.content
    course.refresh_from_db()
    assert course.status == "ended_early"
    assert PlannedSession.objects.filter(course=course, cancelled=True).count() == 5


def test_a_refused_action_is_shown_on_the_page_not_as_success(clinician, patient, protocol):
    course = CourseFactory(patient=patient, protocol=protocol, status="ended_early")
    response = clinician.client.post(
        reverse("courses:pause", kwargs={"pk": course.pk}), {"pause-reason": "Travel"}
    )
    assert response.status_code == 400
    assert b"Only an active course can be paused" in response.content
    assert b"Course paused." not in response.content


def test_the_course_page_query_count_does_not_grow_with_sessions(clinician, clinic, protocol):
    counts = []
    for n in (1, 8):
        course = CourseFactory(patient=PatientFactory(clinic=clinic), protocol=protocol)
        planned_sessions(course, [d(1) + dt.timedelta(days=2 * i) for i in range(n)], signed=n // 2)
        url = reverse("courses:detail", kwargs={"pk": course.pk})
        clinician.client.get(url)  # warm the session and membership caches alike
        with CaptureQueriesContext(connection) as queries:
            assert clinician.client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_nurses_cannot_manage_a_course(colleague, patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    for name in ("pause", "resume", "end", "maintenance"):
        response = colleague.client.post(
            reverse(f"courses:{name}", kwargs={"pk": course.pk}), {"pause-reason": "x"}
        )
        assert response.status_code == 403, name
    course.refresh_from_db()
    assert course.status == "active"


def test_an_outsider_gets_404_for_another_clinics_course_protocol_and_patient(
    outsider, patient, protocol
) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    for method, url in (
        ("get", reverse("courses:detail", kwargs={"pk": course.pk})),
        ("post", reverse("courses:pause", kwargs={"pk": course.pk})),
        ("post", reverse("courses:end", kwargs={"pk": course.pk})),
        ("post", reverse("courses:maintenance", kwargs={"pk": course.pk})),
        ("get", reverse("courses:protocol_edit", kwargs={"pk": protocol.pk})),
        ("post", reverse("courses:protocol_edit", kwargs={"pk": protocol.pk})),
        ("get", reverse("courses:new", kwargs={"patient_pk": patient.pk})),
    ):
        response = getattr(outsider.client, method)(url, {"pause-reason": "x", "end-reason": "x"})
        assert response.status_code == 404, url
        assert b"Quill" not in response.content and b"Feder six" not in response.content
    listing = outsider.client.get(reverse("courses:protocols"))
    assert listing.status_code == 200 and b"Feder six" not in listing.content
    course.refresh_from_db()
    assert course.status == "active"


def test_a_researcher_cannot_open_courses_or_protocols(researcher, patient, protocol) -> None:
    course = CourseFactory(patient=patient, protocol=protocol)
    assert (
        researcher.client.get(reverse("courses:detail", kwargs={"pk": course.pk})).status_code
        == 403
    )
    assert researcher.client.get(reverse("courses:protocols")).status_code == 403


def test_the_start_page_points_to_the_open_course(clinician, patient, protocol, eligible):
    course = course_start(patient=patient, protocol=protocol, start_date=WED, by=clinician.user)
    page = clinician.client.get(reverse("courses:new", kwargs={"patient_pk": patient.pk}))
    assert b"is already on a course" in page.content
    assert reverse("courses:detail", kwargs={"pk": course.pk}).encode() in page.content
    assert b">Start course</button>" not in page.content
