"""The alert panel at the chair: merged lines, and "acknowledge all seen" with one note."""

from __future__ import annotations

import pytest
from django.urls import reverse

from afterglow.audit.models import AuditEvent
from afterglow.treatment.models import SessionAlert
from afterglow.treatment.services.sessions import (
    SessionLocked,
    session_alerts_acknowledge,
    vitals_record,
)
from tests.factories import course_on, dosed, iv_protocol, ready_to_sign

pytestmark = pytest.mark.django_db

LIVE = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def session(clinic, colleague):
    return dosed(course_on(iv_protocol(clinic)), colleague.user, minutes_ago=60)


def breach_bp_three_times(session, by) -> list[SessionAlert]:
    alerts = []
    for minute, (sbp, dbp) in ((20, (181, 96)), (30, (190, 99)), (35, (182, 95))):
        _, raised = vitals_record(
            session=session, by=by, minute=minute, systolic=sbp, diastolic=dbp
        )
        alerts.extend(raised)
    return alerts


def test_three_bp_breaches_are_one_line_with_the_latest_value(colleague, session) -> None:
    breach_bp_three_times(session, colleague.user)
    html = colleague.client.get(reverse("dosing:session", args=[session.pk])).content.decode()
    panel = html[
        html.index('id="alert-lines"') : html.index("</ul>", html.index('id="alert-lines"'))
    ]
    assert panel.count('class="alert-line') == 1
    assert "BP 182/95 ×3, last +35 min · " in panel
    assert "3 open alerts" in html and "in 1 line" in html


def test_acknowledge_all_seen_puts_one_note_on_each_alert_shown(colleague, session) -> None:
    shown = breach_bp_three_times(session, colleague.user)
    # An alert raised after the page was drawn has not been seen: it stays open.
    _, (later,) = vitals_record(session=session, by=colleague.user, minute=45, spo2=85)
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = colleague.client.post(
        reverse("dosing:alerts_ack", args=[session.pk]),
        {"alert": [a.pk for a in shown], "note": "  BP rechecked, prescriber told "},
        **LIVE,
    )
    assert response.status_code == 200
    for alert in SessionAlert.objects.filter(pk__in=[a.pk for a in shown]):
        assert alert.acknowledged_by == colleague.user
        assert alert.acknowledged_note == "BP rechecked, prescriber told"
    later.refresh_from_db()
    assert later.acknowledged_at is None
    [event] = AuditEvent.objects.filter(seq__gt=last)
    assert (event.action, event.note, event.patient_id) == (
        "update",
        "session_alerts_acknowledge",
        session.patient_id,
    )
    panel = response.content.decode().split('id="vitals-live"')[0]
    assert "SpO2 85%, +45 min" in panel and "BP 182/95" not in panel


def test_a_second_acknowledgement_keeps_the_first(colleague, clinician, session) -> None:
    [alert] = vitals_record(session=session, by=colleague.user, minute=10, spo2=80)[1]
    session_alerts_acknowledge(session=session, alert_ids=[alert.pk], by=colleague.user, note="a")
    again = session_alerts_acknowledge(
        session=session, alert_ids=[alert.pk], by=clinician.user, note="b"
    )
    assert again == []
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_note) == (colleague.user, "a")


def test_nothing_to_acknowledge_or_a_long_note_is_refused_and_nothing_changes(
    colleague, session
) -> None:
    [alert] = vitals_record(session=session, by=colleague.user, minute=10, spo2=80)[1]
    url = reverse("dosing:alerts_ack", args=[session.pk])
    assert colleague.client.post(url, {"note": "x"}, **LIVE).status_code == 400
    response = colleague.client.post(url, {"alert": [alert.pk], "note": "n" * 301}, **LIVE)
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_another_sessions_alert_is_not_acknowledged(colleague, clinic, session) -> None:
    other = dosed(course_on(iv_protocol(clinic)), colleague.user, minutes_ago=60)
    [foreign] = vitals_record(session=other, by=colleague.user, minute=10, spo2=80)[1]
    session_alerts_acknowledge(session=session, alert_ids=[foreign.pk], by=colleague.user)
    foreign.refresh_from_db()
    assert foreign.acknowledged_at is None


def test_a_signed_session_refuses(colleague, clinic) -> None:
    from afterglow.treatment.services.sessions import session_sign

    session = ready_to_sign(course_on(iv_protocol(clinic)), colleague.user)
    session_sign(session=session, by=colleague.user)
    with pytest.raises(SessionLocked):
        session_alerts_acknowledge(session=session, alert_ids=[1], by=colleague.user)
