"""The chair-side session pages: who may do what, bad input, the live vitals part, queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.models import Role
from afterglow.audit.models import Action, AuditEvent
from afterglow.treatment.models import Amendment, DosingSession, SessionAlert, VitalsReading
from afterglow.treatment.services.sessions import (
    dissociation_record,
    sedation_record,
    session_alerts_acknowledge,
    session_amend,
    session_record_dose,
    session_record_predose,
    session_sign,
    vitals_record,
)
from tests.conftest import _persona
from tests.factories import (
    PREDOSE,
    course_on,
    dosed,
    esketamine_protocol,
    iv_protocol,
    predosed,
    ready_to_sign,
    started,
)

LIVE = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def therapist(clinic):
    return _persona(clinic, Role.THERAPIST, "therapist")


@pytest.fixture
def course(clinic, colleague):
    return course_on(iv_protocol(clinic), by=colleague.user)


def url(name: str, session: DosingSession, **kwargs) -> str:
    return reverse(f"dosing:{name}", kwargs={"pk": session.pk, **kwargs})


def vitals_row(**values) -> dict[str, object]:
    return {
        "minute": 40,
        "systolic": "",
        "diastolic": "",
        "heart_rate": "",
        "spo2": "",
        "respiratory_rate": "",
        **values,
    }


# --- starting ---


def test_a_nurse_confirms_and_starts_the_planned_session_once(colleague, course) -> None:
    planned = course.planned.get(number=1)
    start = reverse("dosing:start", kwargs={"planned_pk": planned.pk})
    page = colleague.client.get(start)
    assert page.status_code == 200 and b"Start session 1" in page.content
    # The reason is stored only if today is off the plan (a weekend run): tested on its own.
    any_day = {"off_schedule_reason": "Any day of the week"}
    first = colleague.client.post(start, any_day)
    session = DosingSession.objects.get()
    assert first.status_code == 302 and first["Location"] == url("session", session)
    assert colleague.client.post(start, any_day)["Location"] == url("session", session)
    again = colleague.client.get(start)
    assert again.status_code == 200 and url("session", session).encode() in again.content
    assert DosingSession.objects.count() == 1


def test_a_therapist_cannot_start_a_dose_and_an_outsider_cannot_see_the_plan(
    therapist, outsider, course
) -> None:
    start = reverse("dosing:start", kwargs={"planned_pk": course.planned.get(number=1).pk})
    assert therapist.client.post(start).status_code == 403
    assert outsider.client.post(start).status_code == 404
    assert outsider.client.get(start).status_code == 404
    assert not DosingSession.objects.exists()


# --- who sees and who writes ---


def test_every_clinical_role_reads_the_page_but_only_dosing_roles_get_forms(
    colleague, clinician, therapist, course
) -> None:
    session = dosed(course, colleague.user)
    for persona, writes in ((colleague, True), (clinician, True), (therapist, False)):
        response = persona.client.get(url("session", session))
        assert response.status_code == 200
        page = response.content.decode()
        assert ('id="vitals-form"' in page) is writes
        assert (url("sign", session) in page) is writes
        assert "Dosing session 1" in page and session.patient.full_name in page


def test_an_outsider_gets_404_for_the_page_and_every_action(outsider, colleague, course) -> None:
    session = dosed(course, colleague.user)
    assert outsider.client.get(url("session", session)).status_code == 404
    for name in (
        "predose",
        "dose",
        "stop",
        "vitals",
        "dissociation",
        "sedation",
        "side_effects",
        "adverse_event",
        "discharge",
        "sign",
        "amend",
    ):
        assert outsider.client.post(url(name, session), vitals_row(systolic=200)).status_code == 404
    assert VitalsReading.objects.filter(phase="during").count() == 0


def test_a_therapist_cannot_sign_a_dose(therapist, colleague, course) -> None:
    session = ready_to_sign(course, colleague.user)
    response = therapist.client.post(url("sign", session))
    assert response.status_code == 403
    session.refresh_from_db()
    assert not session.is_signed and session.signed_by is None


def test_a_therapist_cannot_record_vitals_or_acknowledge_alerts(
    therapist, colleague, course
) -> None:
    session = dosed(course, colleague.user)
    _, (alert,) = vitals_record(session=session, by=colleague.user, minute=40, systolic=190)
    assert (
        therapist.client.post(url("vitals", session), vitals_row(systolic=120)).status_code == 403
    )
    assert therapist.client.post(url("alert_ack", session, alert_pk=alert.pk)).status_code == 403
    assert VitalsReading.objects.filter(phase="during").count() == 1
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_the_anonymous_visitor_is_sent_to_sign_in(anonymous, colleague, course) -> None:
    session = started(course, colleague.user)
    response = anonymous.get(url("session", session))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert anonymous.get(url("vitals", session)).status_code == 405


# --- the fast vitals entry ---


def test_a_crossing_reading_shows_its_alert_in_the_live_part_at_once(colleague, course) -> None:
    session = dosed(course, colleague.user)
    response = colleague.client.post(
        url("vitals", session),
        vitals_row(
            minute=40, systolic=185, diastolic=105, heart_rate=96, spo2=97, respiratory_rate=16
        ),
        **LIVE,
    )
    assert response.status_code == 200
    alert = SessionAlert.objects.get()
    assert alert.code == "bp_pause" and alert.reading.systolic == 185
    html = response.content.decode()
    assert "<html" not in html  # the live part only
    assert 'role="alert"' in html and alert.message in html
    assert 'id="vitals-live"' in html and 'id="session-alerts"' in html
    assert "<strong>185/105</strong>" in html
    # The next row proposes the minutes elapsed since the dose started (150 min ago),
    # not the next 10-minute mark after the last reading.
    assert 'name="minute" value="150"' in html


def test_without_the_script_a_reading_is_a_plain_post_and_redirect(colleague, course) -> None:
    session = dosed(course, colleague.user)
    response = colleague.client.post(url("vitals", session), vitals_row(minute=10, systolic=132))
    assert response.status_code == 302 and response["Location"].endswith("#vitals")
    page = colleague.client.get(response["Location"]).content.decode()
    assert "<strong>132/—</strong>" in page


def test_a_bad_reading_is_refused_with_the_typed_values_kept(colleague, course) -> None:
    session = dosed(course, colleague.user)
    typed = vitals_row(minute=20, systolic=400, diastolic=90)
    for extra in ({}, LIVE):
        response = colleague.client.post(url("vitals", session), typed, **extra)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'value="400"' in html and 'value="90"' in html and 'value="20"' in html
        assert "less than or equal to 300" in html
    empty = colleague.client.post(url("vitals", session), vitals_row(minute=20), **LIVE)
    assert empty.status_code == 400 and "Enter at least one value." in empty.content.decode()
    assert not VitalsReading.objects.filter(phase="during").exists()


def test_acknowledging_an_alert_clears_it_from_the_open_list(colleague, course) -> None:
    session = dosed(course, colleague.user)
    _, (alert,) = vitals_record(session=session, by=colleague.user, minute=30, spo2=88)
    response = colleague.client.post(url("alert_ack", session, alert_pk=alert.pk), **LIVE)
    assert response.status_code == 200
    assert 'role="alert"' not in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == colleague.user
    page = colleague.client.get(url("session", session)).content.decode()
    assert "acknowledged by" in page and alert.message in page  # kept in the alert log


def test_a_second_acknowledgement_keeps_the_first_and_says_so(colleague, clinician, course) -> None:
    session = dosed(course, colleague.user)
    _, (alert,) = vitals_record(session=session, by=colleague.user, minute=30, spo2=88)
    assert colleague.client.post(url("alert_ack", session, alert_pk=alert.pk)).status_code == 302
    again = clinician.client.post(url("alert_ack", session, alert_pk=alert.pk), follow=True)
    assert again.status_code == 200
    assert "This alert was already acknowledged." in again.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == colleague.user


def test_an_alert_of_another_session_is_not_found(colleague, course) -> None:
    session = dosed(course, colleague.user)
    other = started(course, colleague.user, number=2)
    _, (alert,) = vitals_record(session=session, by=colleague.user, minute=30, spo2=88)
    assert colleague.client.post(url("alert_ack", other, alert_pk=alert.pk)).status_code == 404


# --- bad input never 500s ---


def test_a_dose_outside_the_protocol_asks_for_the_reason_on_the_form(colleague, course) -> None:
    session = predosed(course, colleague.user)
    # Within the clinic's tolerance above the planned dose: only the protocol reason is asked.
    course.clinic.dose_above_planned_percent = 20
    course.clinic.save(update_fields=["dose_above_planned_percent"])
    # The form reads a time without a zone in the clinic's timezone.
    started_at = timezone.localtime(timezone=course.clinic.tzinfo).strftime("%Y-%m-%dT%H:%M")
    data = {
        "actual_dose_mg": "40.0",
        "concentration_mg_per_ml": "10",
        "lot_number": "L7",
        "started_at": started_at,
        "deviation_reason": "",
    }
    response = colleague.client.post(url("dose", session), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "40 mg is above the protocol&#x27;s dose of 35 mg" in html
    assert 'value="L7"' in html and 'value="40.0"' in html
    data["deviation_reason"] = "Prescriber's order, see note."
    assert colleague.client.post(url("dose", session), data).status_code == 302
    assert DosingSession.objects.get().actual_dose_mg == Decimal("40.0")


def test_signing_too_early_lists_the_reasons(colleague, course) -> None:
    session = dosed(course, colleague.user)
    response = colleague.client.post(url("sign", session))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not signed" in html and "The discharge is not recorded." in html


def test_a_change_to_a_signed_session_is_refused_with_409(colleague, course) -> None:
    session = session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    for extra in ({}, LIVE):
        response = colleague.client.post(url("vitals", session), vitals_row(systolic=200), **extra)
        assert response.status_code == 409
        assert "signed and locked" in response.content.decode()
    assert colleague.client.post(url("sign", session)).status_code == 409
    assert not VitalsReading.objects.filter(systolic=200).exists()


def test_moaas_on_an_iv_session_is_a_400_with_the_reason(colleague, course) -> None:
    session = dosed(course, colleague.user)
    response = colleague.client.post(url("sedation", session), {"minute": 40, "moaas": 4})
    assert response.status_code == 400
    assert "esketamine (intranasal) sessions only" in response.content.decode()


# --- signed: read-only, with the amendments ---


def test_a_signed_session_is_read_only_with_its_amendment_form(colleague, course) -> None:
    session = session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    html = colleague.client.get(url("session", session)).content.decode()
    assert "Signed and locked" in html
    for name in ("vitals", "predose", "dose", "discharge", "sign", "side_effects"):
        assert url(name, session) not in html
    assert url("amend", session) in html
    response = colleague.client.post(
        url("amend", session),
        {"field": "lot_number", "new_value": "KET-2299", "reason": "Vial label re-read."},
    )
    assert response.status_code == 302
    html = colleague.client.get(url("session", session)).content.decode()
    assert "KET-2291" in html and "KET-2299" in html and "Vial label re-read." in html
    assert Amendment.objects.get().author == colleague.user


def test_the_amendment_form_loads_when_opened(colleague, therapist, outsider, course) -> None:
    session = session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    page = colleague.client.get(url("session", session)).content.decode()
    assert "Record a correction" in page and f'hx-get="{url("amend", session)}"' in page
    assert 'name="reason"' not in page  # the form itself comes on demand
    partial = colleague.client.get(url("amend", session), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html and 'name="reason"' in html and "Record amendment" in html
    assert "Vitals before the dose: systolic" in html  # one group per vitals reading
    full = colleague.client.get(url("amend", session)).content.decode()  # without JavaScript
    assert "<html" in full and 'name="reason"' in full
    assert therapist.client.get(url("amend", session)).status_code == 403
    assert outsider.client.get(url("amend", session)).status_code == 404
    event = AuditEvent.objects.order_by("seq").last()
    assert (event.action, event.object_type, event.object_id) == (
        Action.READ,
        "dosing_amend_form",
        str(session.pk),
    )


def test_an_unsigned_session_has_no_amendment_form(colleague, course) -> None:
    session = dosed(course, colleague.user)
    response = colleague.client.get(url("amend", session))
    assert response.status_code == 302 and response["Location"].endswith("#sign")


def test_an_amendment_without_a_reason_is_a_400(colleague, course) -> None:
    session = session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    response = colleague.client.post(
        url("amend", session), {"field": "lot_number", "new_value": "X", "reason": ""}
    )
    assert response.status_code == 400 and not Amendment.objects.exists()
    html = response.content.decode()  # the form as typed, on the page, with its error
    assert 'name="reason"' in html and 'value="X"' in html and "This field is required" in html


# --- the chart and its table ---


def test_the_chart_plots_vitals_with_the_clinics_threshold_lines(colleague, course) -> None:
    clinic = course.clinic
    clinic.dosing_systolic_pause = 170
    clinic.save()
    session = dosed(course, colleague.user)
    vitals_record(
        session=session,
        by=colleague.user,
        minute=40,
        systolic=150,
        diastolic=92,
        heart_rate=88,
        spo2=96,
    )
    response = colleague.client.get(url("session", session))
    figure = response.context["figure"]
    names = [trace["name"] for trace in figure["data"]]
    assert names[:4] == ["Systolic (mmHg)", "Diastolic (mmHg)", "Heart rate (/min)", "SpO2 (%)"]
    assert figure["data"][0]["x"] == [-1, 40] and figure["data"][0]["y"] == [124, 150]
    levels = {shape["y0"] for shape in figure["layout"]["shapes"] if shape["type"] == "line"}
    assert {170, 100, 120, 140, 90, 92} <= levels
    # The expected-peak marker: baseline 124/78 + 16/11 at 40 min.
    assert figure["data"][4]["x"] == [40, 40] and figure["data"][4]["y"] == [140, 89]
    html = response.content.decode()
    assert "/static/vendor/plotly/plotly.min.js" in html and "cdn" not in html.lower()
    assert "<strong>150/92</strong>" in html.split('id="vitals-table"')[1]


def test_the_esketamine_page_has_moaas_and_rems(colleague, clinic) -> None:
    session = dosed(course_on(esketamine_protocol(clinic)), colleague.user)
    html = colleague.client.get(url("session", session)).content.decode()
    assert url("sedation", session) in html and "Esketamine REMS monitoring" in html
    # CADSS is proposed at its first set time not yet rated: the baseline.
    assert 'name="minute" value="-5"' in html.split('id="ratings"')[1]
    assert "esketamine REMS at least 120 min" in html


# --- constant queries ---


def _with_rows(course, nurse, number: int, rows: int) -> DosingSession:
    session = started(course, nurse, number=number)
    session, _ = session_record_predose(session=session, by=nurse, **PREDOSE)
    session = session_record_dose(
        session=session,
        by=nurse,
        actual_dose_mg=Decimal("35.0"),
        concentration_mg_per_ml=Decimal(10),
        lot_number="L",
        started_at=timezone.now() - dt.timedelta(hours=6),
    )
    for i in range(rows):
        # Every third reading crosses a threshold, so alerts grow with the rows too.
        vitals_record(
            session=session,
            by=nurse,
            minute=5 * i,
            systolic=185 if i % 3 == 0 else 130,
            diastolic=80,
            heart_rate=80,
            spo2=97,
            respiratory_rate=14,
        )
        dissociation_record(session=session, by=nurse, minute=5 * i, cadss_total=i)
    return session


def _page_queries(persona, session) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = persona.client.get(url("session", session))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_query_count_does_not_grow_with_the_rows(colleague, course) -> None:
    few = _with_rows(course, colleague.user, 1, rows=2)
    many = _with_rows(course, colleague.user, 2, rows=30)
    assert VitalsReading.objects.filter(session=many).count() == 31
    queries = _page_queries(colleague, few)
    assert queries == _page_queries(colleague, many)
    # 20 -> 17 (issue 13 §2, round 4): the audit event takes its patient from the session
    # the page reads (no object lookup), and an unsigned IV session has no amendments or
    # MOAA/S ratings to look for. The rest: session, membership, auth, one query per kind
    # of row, one for the people named, the read's audit event and the idle clock.
    assert queries == 17


def test_a_signed_page_names_its_people_in_the_same_queries_however_many(
    colleague, clinician, course
) -> None:
    plain = session_sign(session=ready_to_sign(course, colleague.user), by=colleague.user)
    baseline = _page_queries(colleague, plain)
    # Another session: an alert acknowledged by a colleague, signed by the prescriber,
    # corrected twice by two people.
    busy = ready_to_sign(course_on(course.protocol, by=colleague.user), colleague.user)
    _, (alert,) = vitals_record(session=busy, by=colleague.user, minute=50, spo2=88)
    session_alerts_acknowledge(session=busy, alert_ids=[alert.pk], by=colleague.user)
    busy = session_sign(session=busy, by=clinician.user)
    session_amend(session=busy, by=colleague.user, field="lot_number", new_value="K-1", reason="r")
    session_amend(session=busy, by=clinician.user, field="lot_number", new_value="K-2", reason="r")
    assert _page_queries(colleague, busy) == baseline
    html = colleague.client.get(url("session", busy)).content.decode()
    nurse, prescriber = colleague.user.get_full_name(), clinician.user.get_full_name()
    assert f"Signed and locked</strong> by {prescriber}" in html
    assert f"acknowledged by {nurse} at" in html
    amendments = html.split('id="amendments"')[1]
    assert amendments.index(nurse) < amendments.index(prescriber)  # in the order made


def test_the_esketamine_page_lists_its_moaas_ratings(colleague, clinic) -> None:
    session = dosed(course_on(esketamine_protocol(clinic)), colleague.user)
    sedation_record(session=session, by=colleague.user, minute=40, moaas=3)
    ratings = colleague.client.get(url("session", session)).content.decode().split("MOAA/S</h3>")
    assert '<span class="muted">40 min</span> <strong>3</strong>' in ratings[1]
