"""The alert inbox: urgent / routine filters, open vs acknowledged, 50 a page, who
acknowledged what and when, and a query count that does not grow with the alerts."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.alerts.models import DIARY_GAP_CODE, Alert, SourceKind, Urgency
from afterglow.alerts.selectors import INBOX_PAGE_SIZE
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient
from tests.factories import PatientFactory

INBOX = reverse("alerts:inbox")
_day = itertools.count()


@pytest.fixture
def patient(clinician) -> Patient:
    return PatientFactory(clinic=clinician.clinic, given_name="Zebedee", family_name="Quill")


def routine(patient: Patient, *, acknowledged_by=None, label: str = "") -> Alert:
    """A routine missed-diary alert (each on its own first missed day)."""
    since = dt.date(2026, 1, 1) + dt.timedelta(days=next(_day))
    return Alert.objects.create(
        clinic=patient.clinic,
        patient=patient,
        code=DIARY_GAP_CODE,
        label=label or f"No diary entry since {since}",
        urgency=Urgency.ROUTINE,
        source_kind=SourceKind.DIARY_GAP,
        gap_since=since,
        acknowledged_by=acknowledged_by,
        acknowledged_at=timezone.now() if acknowledged_by else None,
    )


def urgent(patient: Patient) -> Alert:
    response_record(patient=patient, instrument_code="phq9", answers=[0] * 8 + [2], source="staff")
    return Alert.objects.filter(urgency=Urgency.URGENT).latest("pk")


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="alert-row alert-(\w+)">', html)


def test_open_alerts_list_urgent_before_routine_and_say_which_is_which(clinician, patient) -> None:
    routine(patient, label="No diary entry for 3 days")
    urgent(patient)
    routine(patient, label="Reliable deterioration")
    html = clinician.client.get(INBOX).content.decode()
    assert rows(html) == ["urgent", "routine", "routine"]
    # Said in words (and an icon), not by colour alone.
    assert html.count(">Urgent</span>") == 1 and html.count(">Routine</span>") == 2
    assert 'Open <span class="count">(1 urgent, 2 routine)</span>' in html


@pytest.mark.parametrize(
    ("urgency", "expected"),
    [
        ("urgent", ["urgent"]),
        ("routine", ["routine"] * 2),
        ("all", ["urgent", "routine", "routine"]),
    ],
)
def test_the_urgency_filter_keeps_only_those_alerts(clinician, patient, urgency, expected) -> None:
    routine(patient)
    routine(patient)
    urgent(patient)
    html = clinician.client.get(INBOX, {"urgency": urgency}).content.decode()
    assert rows(html) == expected


def test_unknown_filter_values_fall_back_to_open_and_all(clinician, patient) -> None:
    routine(patient)
    acknowledged = routine(patient, acknowledged_by=clinician.user)
    page = clinician.client.get(INBOX, {"tab": "x", "urgency": "x", "page": "x"})
    assert page.status_code == 200
    assert (page.context["tab"], page.context["urgency"]) == ("open", "all")
    assert acknowledged not in page.context["alerts"]


def test_the_acknowledged_tab_shows_who_and_when_and_is_paged_by_fifty(
    clinician, colleague, patient
) -> None:
    first = routine(patient, acknowledged_by=colleague.user)
    for _ in range(INBOX_PAGE_SIZE):
        routine(patient, acknowledged_by=clinician.user)
    Alert.objects.filter(pk=first.pk).update(
        acknowledged_at=dt.datetime(2026, 1, 2, 14, 5, tzinfo=dt.UTC), ack_note="Called her"
    )
    one = clinician.client.get(INBOX, {"tab": "acknowledged"})
    assert len(one.context["alerts"]) == 50
    assert "51 acknowledged alerts" in one.content.decode()
    assert "Page 1 of 2" in one.content.decode()
    two = clinician.client.get(INBOX, {"tab": "acknowledged", "page": 2})
    assert list(two.context["alerts"]) == [first]  # the oldest acknowledgement is last
    html = two.content.decode()
    # 14:05 UTC is 09:05 in New York, the clinic's timezone.
    assert f"02 Jan 2026 09:05 by {colleague.user.get_full_name()}" in html
    assert "Called her" in html
    assert "← Previous" in html and "tab=acknowledged" in html


def test_the_open_tab_is_paged_too(clinician, patient) -> None:
    for _ in range(INBOX_PAGE_SIZE + 2):
        routine(patient)
    assert len(clinician.client.get(INBOX).context["alerts"]) == 50
    assert len(clinician.client.get(INBOX, {"page": 2}).context["alerts"]) == 2


def test_acknowledging_returns_to_the_filter_it_was_made_from(clinician, patient) -> None:
    alert = routine(patient)
    done = clinician.client.post(
        reverse("alerts:acknowledge", kwargs={"pk": alert.pk}),
        {"note": "Emailed", "urgency": "routine", "page": "1"},
    )
    assert done["Location"] == INBOX + "?urgency=routine"
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician.user and alert.ack_note == "Emailed"
    bad = clinician.client.post(
        reverse("alerts:acknowledge", kwargs={"pk": routine(patient).pk}),
        {"urgency": "\r\nSet-Cookie: x", "page": "2"},
    )
    assert bad["Location"] == INBOX + "?page=2"


def test_the_query_count_does_not_grow_with_the_alerts(clinician, colleague, patient) -> None:
    def queries(**params: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert clinician.client.get(INBOX, params).status_code == 200
        return len(ctx.captured_queries)

    urgent(patient)
    routine(patient)
    routine(patient, acknowledged_by=colleague.user)
    before = [queries(), queries(tab="acknowledged"), queries(urgency="routine")]
    # Issue 13 §2: the tabs' counts serve the pager and the menu (three queries fewer), and
    # the idle stamp is not written again within a minute (three more). Each view writes
    # its read event (BEGIN, chain head, INSERT, head UPDATE, COMMIT: five more).
    assert before == [11, 12, 11]
    for _ in range(30):
        other = PatientFactory(clinic=clinician.clinic)
        urgent(other)
        routine(other)
        routine(other, acknowledged_by=colleague.user)
    assert [queries(), queries(tab="acknowledged"), queries(urgency="routine")] == before


def test_the_inbox_counts_its_open_alerts_once_for_the_tabs_the_pager_and_the_menu(
    clinician, patient
) -> None:
    """One aggregate serves the tab, the paginator and the menu's urgent count; the page's
    rows are the only other read of the alerts (issue 13 §2)."""
    urgent(patient)
    routine(patient)
    routine(patient, acknowledged_by=clinician.user)

    def alert_queries(**params: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = clinician.client.get(INBOX, params)
        assert response.status_code == 200
        reads = sum('FROM "alerts_alert"' in q["sql"] for q in ctx.captured_queries)
        return reads, response.content.decode()

    reads, page = alert_queries()
    assert reads == 2
    assert 'aria-label="1 open urgent"' in page and "2 open alerts, urgent first." in page
    reads, page = alert_queries(urgency="routine")
    assert reads == 2 and "1 open routine alert, newest first." in page
    # The acknowledged tab counts its own rows.
    assert alert_queries(tab="acknowledged")[0] == 3


def test_another_clinics_alerts_are_neither_listed_nor_counted(
    clinician, outsider, patient
) -> None:
    urgent(patient)
    routine(patient)
    routine(patient, acknowledged_by=clinician.user)
    for tab in ("open", "acknowledged"):
        page = outsider.client.get(INBOX, {"tab": tab})
        assert list(page.context["alerts"]) == []
        assert "Zebedee" not in page.content.decode()
    counts = outsider.client.get(INBOX).context["counts"]
    assert (counts.urgent, counts.routine) == (0, 0)


def test_the_inbox_is_readable_at_360_px(clinician, patient) -> None:
    """The page links its phone layout: table cells stack with their labels."""
    routine(patient)
    html = clinician.client.get(INBOX).content.decode()
    assert "alerts/inbox.css" in html
    assert 'data-label="Acknowledge"' in html and 'data-label="Alert"' in html


def test_a_diary_note_keeps_its_line_breaks_and_is_escaped(clinician, patient) -> None:
    entry = DiaryEntry.objects.create(
        clinic=patient.clinic,
        patient=patient,
        day=dt.date(2026, 1, 5),
        note='Bad night.\n<script>alert("x")</script> & worse',
        urgent=True,
    )
    Alert.objects.create(
        clinic=patient.clinic,
        patient=patient,
        code="diary_urgent",
        label="Diary note marked urgent",
        urgency=Urgency.URGENT,
        source_kind=SourceKind.DIARY,
        diary_entry=entry,
    )
    html = clinician.client.get(INBOX).content.decode()
    assert (
        "<blockquote>Bad night.<br>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
        "&amp; worse</blockquote>"
    ) in html
    assert "<script>alert" not in html
