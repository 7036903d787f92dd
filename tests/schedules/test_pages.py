"""The worklist, the patient's Measurements card, and the staff actions."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.audit.models import Action, AuditEvent
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.schedules import selectors
from afterglow.schedules.models import Delivery, Invitation, InvitationStatus
from afterglow.treatment.services.courses import course_pause
from tests.schedules.conftest import invitation, ny, start_course

WORKLIST = reverse("schedules:worklist")


def section(html: str, section_id: str) -> str:
    """The HTML of the worklist card ``section_id`` (up to the next card)."""
    start = html.index(f'id="{section_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_the_worklist_shows_due_overdue_expired_and_silent_diaries(
    clinician, course, harness
) -> None:
    harness.sweep(ny(2, 25, 12, 5))  # the diary link goes; nothing written after it
    harness.sweep(ny(2, 28, 9, 5))  # baseline
    harness.sweep(ny(3, 1, 9, 5))  # before dose 1, baseline reminder
    harness.sweep(ny(3, 3, 9, 5))  # 24 h and before dose 2; before dose 1 has expired
    harness.at(ny(3, 3, 12))
    page = clinician.client.get(WORKLIST)
    assert page.status_code == 200
    html = page.content.decode()
    worklist = page.context["worklist"]
    assert worklist.today == dt.date(2026, 3, 3)
    assert {i.key for i in worklist.due_today} == {"pcl5@first_dose+24h", "phq9@dose:2"}
    assert "24 h after the first dose" in section(html, "due-today")
    assert "Stone" in section(html, "due-today")
    # The baseline closed at the end of 2 March (the planned first dose day): expired.
    assert {i.key for i in worklist.expired} == {"phq9@dose:1", "pcl5@baseline"}
    assert worklist.overdue == []
    assert "Nothing overdue." in section(html, "overdue")
    assert "Before dose 1" in section(html, "expired")
    # The diary link was made on 25 Feb: 26 Feb - 2 Mar are 5 whole days without an entry.
    [gap] = worklist.diary_gaps
    assert (gap.patient_id, gap.days_missed, gap.last_entry) == (course.patient_id, 5, None)
    assert reverse("patients:chart", args=[course.patient_id]) in section(html, "diary-gaps")

    DiaryEntry.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        day=dt.date(2026, 3, 2),
        intrusive_memories=2,
        flashbacks=0,
    )
    assert clinician.client.get(WORKLIST).context["worklist"].diary_gaps == []


def test_an_unanswered_invitation_due_yesterday_is_overdue(clinician, course, harness) -> None:
    harness.sweep(ny(3, 14, 9, 5))
    harness.at(ny(3, 15, 8))
    worklist = clinician.client.get(WORKLIST).context["worklist"]
    assert [i.key for i in worklist.overdue] == ["pcl5@end_of_course"]
    assert worklist.due_today == []


def test_the_worklist_keeps_each_clinic_to_itself(clinician, outsider, course, harness) -> None:
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    theirs = outsider.client.get(WORKLIST)
    assert theirs.status_code == 200
    assert "Stone" not in theirs.content.decode()
    assert theirs.context["worklist"].is_empty
    target = invitation(course, "phq9@dose:3")
    assert outsider.client.post(reverse("schedules:send_now", args=[target.pk])).status_code == 404
    assert outsider.client.get(reverse("schedules:cancel", args=[target.pk])).status_code == 404


def test_the_care_team_works_the_list_and_coordinators_and_researchers_cannot(
    colleague, coordinator, researcher, db
) -> None:
    """The worklist names each patient's measures and diary gaps: clinical follow-up."""
    assert colleague.client.get(WORKLIST).status_code == 200
    assert coordinator.client.get(WORKLIST).status_code == 403
    assert researcher.client.get(WORKLIST).status_code == 403


def test_a_paused_courses_rows_say_they_are_held(clinician, course, harness) -> None:
    """The course's status comes with each row (not a course model per row)."""
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    held = "Course paused: held"
    assert held not in clinician.client.get(WORKLIST).content.decode()
    course_pause(course=course, by=clinician.user, reason="Unwell this week")
    page = clinician.client.get(WORKLIST)
    shown = page.context["worklist"].due_today + page.context["worklist"].overdue
    assert shown and all(i.row.course_paused for i in shown)
    assert section(page.content.decode(), "due-today").count(held) == len(
        page.context["worklist"].due_today
    )


def test_the_worklist_costs_the_same_queries_for_one_patient_or_four(clinician, harness) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert clinician.client.get(WORKLIST).status_code == 200
        return len(queries)

    start_course(clinician)
    harness.sweep(ny(2, 25, 12, 5))
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    one = count()
    # Issue 13 §2: the clinic switcher reuses the request's memberships, and the idle stamp
    # is not written again within a minute (no BEGIN, UPDATE, COMMIT of the session); "due
    # today" and "overdue" are counted in one aggregate query. Round 5: the messages of
    # every section's rows in one query rather than two subqueries in each section's
    # query and a query for the latest; the diary gaps read whole in one query, which
    # counts them. The view writes its read event (BEGIN, chain head, INSERT, head
    # UPDATE, COMMIT: five queries). Round 6: no section is full, so no count query.
    # Round 7: the messages in two queries (every message's ids, then the latest ones as
    # models), which read no message's times but the latest's.
    assert one == 16
    for n in range(3):
        start_course(clinician, email=f"p{n}@example.org")
    harness.sweep(ny(3, 3, 9, 10))
    DiaryLink.objects.update(created_at=ny(2, 25, 12))  # their diaries silent for as long
    harness.at(ny(3, 3, 12))
    worklist = clinician.client.get(WORKLIST).context["worklist"]
    assert len(worklist.due_today) == 8 and len(worklist.diary_gaps) == 4
    assert count() == one


def test_the_overview_counts_only_its_full_sections_in_the_database(
    clinician, harness, monkeypatch
) -> None:
    """A section the overview shows whole counts its rows; a full one is counted in the
    database (one query for "due today" and "overdue", one for "expired"). Either way the
    totals are those a section's own page counts, which always asks the database."""

    def overview() -> tuple[dict[str, int], int]:
        with CaptureQueriesContext(connection) as queries:
            page = clinician.client.get(WORKLIST)
        return page.context["worklist"].counts, len(queries)

    def counted() -> dict[str, int]:
        return dict(clinician.client.get(WORKLIST, {"show": "due"}).context["worklist"].counts)

    for n in range(3):
        start_course(clinician, email=f"p{n}@example.org")
    harness.sweep(ny(2, 25, 12, 5))
    harness.sweep(ny(3, 3, 9, 10))
    DiaryLink.objects.update(created_at=ny(2, 25, 12))
    harness.at(ny(3, 3, 12))
    whole, queries = overview()
    assert whole == counted() == {"due": 6, "overdue": 0, "expired": 6, "diary": 3}
    # Full at 6 rows: "due today" and "expired" are counted (two queries more).
    monkeypatch.setattr(selectors, "WORKLIST_OVERVIEW_ROWS", 6)
    assert overview() == (whole, queries + 2)
    # Fewer rows than there are: the rest is left out, and the totals are still right.
    monkeypatch.setattr(selectors, "WORKLIST_OVERVIEW_ROWS", 4)
    page = clinician.client.get(WORKLIST).context["worklist"]
    assert page.counts == whole and len(page.due_today) == len(page.expired) == 4
    assert page.left_out == {"due": 2, "overdue": 0, "expired": 2, "diary": 0}
    # A day later nothing is due today and the rows are overdue: counted alone.
    harness.at(ny(3, 4, 12))
    later, later_queries = overview()
    assert later == counted() and later["due"] == 0 and later["overdue"] > 4
    assert later_queries == queries + 1 + (later["expired"] >= 4)


def test_a_section_pages_and_its_links_keep_the_section(
    clinician, course, harness, monkeypatch
) -> None:
    monkeypatch.setattr(selectors, "WORKLIST_PAGE_SIZE", 1)
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    # Every section: its first row, its total and a link to the rest.
    overview = clinician.client.get(WORKLIST)
    assert [i.key for i in overview.context["worklist"].due_today] == ["pcl5@first_dose+24h"]
    assert overview.context["worklist"].counts["due"] == 2
    assert '1 more not shown: <a href="?show=due">' in section(
        overview.content.decode(), "due-today"
    )
    # Page 2 of "due today" holds the next row, and only that section.
    second = clinician.client.get(WORKLIST, {"show": "due", "page": "2"})
    rows = second.context["worklist"]
    assert [i.key for i in rows.due_today] == ["phq9@dose:2"]
    assert rows.overdue == rows.expired == rows.diary_gaps == []
    html = second.content.decode()
    assert 'id="expired"' not in html and "Page 2 of 2" in html
    assert "?show=due&page=1" in html  # the pager keeps the section
    # Past the end: the last page; not a number: the first.
    assert (
        clinician.client.get(WORKLIST, {"show": "due", "page": "9"}).context["worklist"].page.number
        == 2
    )
    first = clinician.client.get(WORKLIST, {"show": "due", "page": "x"}).context["worklist"]
    assert [i.key for i in first.due_today] == ["pcl5@first_dose+24h"]
    # An unknown section is the overview.
    assert clinician.client.get(WORKLIST, {"show": "nope"}).context["worklist"].show == "all"


def test_a_full_page_of_a_section_costs_the_queries_of_one_row(
    clinician, harness, monkeypatch
) -> None:
    def count(**params: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert clinician.client.get(WORKLIST, params).status_code == 200
        return len(queries)

    start_course(clinician)
    harness.sweep(ny(3, 3, 9, 5))
    DiaryLink.objects.update(created_at=ny(2, 25, 12))  # a diary silent for five days
    harness.at(ny(3, 3, 12))
    assert clinician.client.get(WORKLIST).context["worklist"].counts == {
        "due": 2,
        "overdue": 0,
        "expired": 2,
        "diary": 1,
    }
    one = [count(show=name) for name in selectors.SECTIONS]
    for n in range(4):
        start_course(clinician, email=f"p{n}@example.org")
    harness.sweep(ny(3, 3, 9, 10))
    DiaryLink.objects.update(created_at=ny(2, 25, 12))
    harness.at(ny(3, 3, 12))
    assert clinician.client.get(WORKLIST, {"show": "due"}).context["worklist"].counts == {
        "due": 10,
        "overdue": 0,
        "expired": 10,
        "diary": 5,
    }
    assert [count(show=name) for name in selectors.SECTIONS] == one
    monkeypatch.setattr(selectors, "WORKLIST_PAGE_SIZE", 3)
    assert [count(show=name, page="2") for name in selectors.SECTIONS] == one


def test_a_diary_gap_is_listed_from_the_clinics_threshold_on(clinician, course, harness) -> None:
    """The database's filter agrees with the alerts' rule at the boundary (3 days here)."""
    assert course.clinic.diary_missed_days_alert == 3
    harness.sweep(ny(2, 25, 12, 5))
    DiaryEntry.objects.create(
        clinic=course.clinic,
        patient=course.patient,
        day=dt.date(2026, 3, 1),
        intrusive_memories=1,
        flashbacks=0,
    )
    harness.at(ny(3, 4, 23, 59))  # 2 and 3 March missed: 2 days
    assert clinician.client.get(WORKLIST).context["worklist"].diary_gaps == []
    harness.at(ny(3, 5, 0, 1))  # 2, 3 and 4 March: 3 days
    [gap] = clinician.client.get(WORKLIST).context["worklist"].diary_gaps
    assert (gap.days_missed, gap.last_entry) == (3, dt.date(2026, 3, 1))


def test_the_patient_page_shows_each_invitation_and_its_messages(
    clinician, course, harness
) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))
    harness.at(ny(3, 1, 12))
    page = clinician.client.get(reverse("patients:chart", args=[course.patient_id]))
    html = page.content.decode()
    card = section(html, "measurements")
    assert "Baseline, before the first dose" in card and "Month 6 after the course" in card
    # Each row shows its latest message; the whole list loads when the row is opened.
    assert "2 messages · last: reminder 1 by email, sent" in card
    assert "1 message · last: diary link by email, sent" in card
    assert "Reminder 1 · email · sent" not in card
    baseline = invitation(course, "pcl5@baseline")
    messages = reverse("schedules:deliveries", args=[baseline.pk])
    assert f'hx-get="{messages}"' in card and f'href="{messages}"' in card
    listed = clinician.client.get(messages, headers={"HX-Request": "true"}).content.decode()
    assert "Invitation · email · sent" in listed and "Reminder 1 · email · sent" in listed
    assert "<html" not in listed  # the list only, swapped into the row
    later = invitation(course, "phq9@dose:4")
    assert reverse("schedules:send_now", args=[later.pk]) in card
    assert reverse("schedules:cancel", args=[later.pk]) in card
    sent = invitation(course, "pcl5@baseline")
    assert reverse("schedules:send_now", args=[sent.pk]) not in card  # already sent


def test_a_worklist_row_sums_up_its_messages_by_the_latest_in_sending_order(
    clinician, course, harness
) -> None:
    """The latest message is the highest sequence (then id), whatever order the rows were
    written in; the count is every message; the chart's card says the same."""
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))
    harness.at(ny(3, 1, 12))
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.deliveries.count() == 2  # the invitation and reminder 1, both sent
    # Reminder 2 is written before a resend of reminder 1 by text, and it failed.
    Delivery.objects.create(
        invitation=baseline, sequence=2, channel="email", status="failed", finished_at=ny(3, 1, 10)
    )
    Delivery.objects.create(
        invitation=baseline, sequence=1, channel="sms", status="sent", finished_at=ny(3, 1, 11)
    )
    page = clinician.client.get(WORKLIST)
    [row] = [i.row for i in page.context["worklist"].overdue if i.pk == baseline.pk]
    assert row.summary.deliveries_text == "4 messages"
    assert (row.summary.last_kind, row.summary.last_state) == ("reminder 2", "failed")
    assert row.can_send_again  # a sent questionnaire whose latest message did not go out
    html = section(page.content.decode(), "overdue")
    assert "4 messages · last: reminder 2 by email, " in html and "not delivered" in html
    chart = clinician.client.get(reverse("patients:chart", args=[course.patient_id]))
    card = section(chart.content.decode(), "measurements")
    assert "4 messages · last: reminder 2 by email, " in card


def test_the_measurements_card_costs_the_same_queries_with_many_messages(
    clinician, course, harness
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = clinician.client.get(reverse("patients:chart", args=[course.patient_id]))
        assert page.status_code == 200
        return len(queries)

    # One message sent, then many: the same queries (the messages' ids, then the latest
    # ones; with none sent at all, Django skips the second query's empty lookup).
    harness.sweep(ny(2, 25, 12, 5))
    harness.at(ny(2, 25, 13))
    assert Delivery.objects.filter(invitation__course=course).count() == 1
    count()
    one_sent = count()
    for moment in (ny(2, 28, 9, 5), ny(3, 1, 9, 5), ny(3, 3, 9, 5)):
        harness.sweep(moment)
    harness.at(ny(3, 3, 12))
    clinician.client.force_login(clinician.user)  # a week later: signed in again
    count()  # the sign-in's first request stamps the session
    assert Delivery.objects.filter(invitation__course=course).count() >= 5
    assert InvitationStatus.EXPIRED in set(course.invitations.values_list("status", flat=True))
    assert count() == one_sent


def test_staff_send_an_invitation_now(clinician, course, harness) -> None:
    harness.at(ny(3, 1, 12))
    later = invitation(course, "phq9@dose:4")  # due 8 March
    with harness.capture(execute=True):
        response = clinician.client.post(reverse("schedules:send_now", args=[later.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/patients/{course.patient_id}/#measurements")
    later.refresh_from_db()
    assert (later.status, later.due_at) == (InvitationStatus.SENT, ny(3, 1, 12))
    again = clinician.client.post(reverse("schedules:send_now", args=[later.pk]), follow=True)
    assert "only one that has not been sent" in again.content.decode()


def test_cancelling_needs_a_reason_and_stops_the_links(clinician, course, harness) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    url = reverse("schedules:cancel", args=[baseline.pk])
    assert clinician.client.get(url).status_code == 200
    too_long = "Answered on paper. " * 20
    refused = clinician.client.post(url, {"reason": too_long})
    assert refused.status_code == 200
    assert "at most 300 characters" in refused.content.decode()
    assert "Answered on paper. Answered" in refused.content.decode()  # what was typed is kept
    done = clinician.client.post(url, {"reason": "Answered on paper at the visit."})
    assert done.status_code == 302
    baseline.refresh_from_db()
    assert (baseline.status, baseline.status_reason, baseline.cancelled_by) == (
        InvitationStatus.CANCELLED,
        "Answered on paper at the visit.",
        clinician.user,
    )
    assert baseline.deliveries.get().personal_link.state == "revoked"
    closed = clinician.client.get(url)
    assert "can no longer be cancelled" in closed.content.decode()
    chart = clinician.client.get(reverse("patients:chart", args=[course.patient_id]))
    closed_url = reverse("schedules:measurements_closed", args=[course.patient_id])
    summary = section(chart.content.decode(), "measurements-done")
    assert "Answered, expired or cancelled: 1" in summary and closed_url in summary
    assert "Answered on paper at the visit." not in summary  # loaded when opened
    closed = clinician.client.get(closed_url, headers={"HX-Request": "true"}).content.decode()
    assert "Answered on paper at the visit." in closed and "Cancelled" in closed
    assert "<html" not in closed  # the table only


def test_an_invitations_messages_open_as_a_page_without_javascript(
    clinician, outsider, course, harness
) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))
    harness.at(ny(3, 1, 12))
    baseline = invitation(course, "pcl5@baseline")
    url = reverse("schedules:deliveries", args=[baseline.pk])
    page = clinician.client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and "Messages: Baseline, before the first dose" in html
    assert "Reminder 1 · email · sent" in html
    assert reverse("patients:chart", args=[course.patient_id]) in html
    assert outsider.client.get(url).status_code == 404
    assert outsider.client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_opening_an_invitations_messages_is_audited(clinician, course, harness) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    before = AuditEvent.objects.count()
    clinician.client.get(
        reverse("schedules:deliveries", args=[baseline.pk]), headers={"HX-Request": "true"}
    )
    event = AuditEvent.objects.order_by("seq").last()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.object_id, event.patient_id) == (
        Action.READ,
        "invitation_messages",
        str(baseline.pk),
        course.patient_id,
    )


def test_an_invitations_messages_cost_the_same_queries_however_many(
    clinician, course, harness
) -> None:
    baseline = invitation(course, "pcl5@baseline")
    url = reverse("schedules:deliveries", args=[baseline.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = clinician.client.get(url, headers={"HX-Request": "true"})
        assert page.status_code == 200
        return len(queries)

    harness.at(ny(2, 25, 13))
    count()
    none_sent = count()
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))
    harness.at(ny(3, 1, 12))
    clinician.client.force_login(clinician.user)
    count()  # the sign-in's first request stamps the session
    assert baseline.deliveries.count() == 2
    assert count() == none_sent


def test_the_closed_invitations_open_as_a_page_of_this_clinic_only(
    clinician, outsider, course, harness
) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 3, 9, 5))  # the baseline and before-dose-1 invitations expire
    harness.at(ny(3, 3, 12))
    url = reverse("schedules:measurements_closed", args=[course.patient_id])
    page = clinician.client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and "Answered, expired or cancelled invitations" in html
    assert "Baseline, before the first dose" in html and "Expired" in html
    assert "24 h after the first dose" not in html  # still open: on the chart itself
    chart = clinician.client.get(reverse("patients:chart", args=[course.patient_id]))
    assert "24 h after the first dose" in section(chart.content.decode(), "measurements")
    assert outsider.client.get(url).status_code == 404
    assert outsider.client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_opening_the_closed_invitations_is_audited(clinician, course, harness) -> None:
    harness.sweep(ny(3, 3, 9, 5))
    before = AuditEvent.objects.count()
    clinician.client.get(
        reverse("schedules:measurements_closed", args=[course.patient_id]),
        headers={"HX-Request": "true"},
    )
    event = AuditEvent.objects.order_by("seq").last()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.patient_id) == (
        Action.READ,
        "measurements_closed",
        course.patient_id,
    )


def test_the_closed_invitations_cost_the_same_queries_however_many(
    clinician, course, harness
) -> None:
    url = reverse("schedules:measurements_closed", args=[course.patient_id])

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = clinician.client.get(url, headers={"HX-Request": "true"})
        assert page.status_code == 200
        return len(queries), page.content.decode()

    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    clinician.client.force_login(clinician.user)
    count()  # the sign-in's first request stamps the session
    one, html = count()
    assert html.count('<tr id="invitation-') == 2
    harness.sweep(ny(3, 20, 9, 5))
    harness.at(ny(3, 20, 12))
    clinician.client.force_login(clinician.user)
    count()
    many, html = count()
    assert html.count('<tr id="invitation-') > 2
    assert many == one


def test_the_charts_measurements_take_the_course_it_has_read(clinician, course, harness) -> None:
    """The chart passes its courses (protocol joined): the invitations' course comes from
    them, not joined onto every invitation row (issue 13 §2, round 3)."""
    from afterglow.treatment.models import Course

    read = Course.objects.select_related("protocol").get(pk=course.pk)
    with CaptureQueriesContext(connection) as queries:
        given = selectors.measurements_for_patient(patient=course.patient, courses=[read])
        names = [r.invitation.course.protocol.name for r in given.rows]
    assert len(queries) == 2  # the invitations, the shown rows' deliveries
    # (the latest course is still found in a subquery; no protocol joined onto the rows)
    assert not any("treatment_protocol" in q["sql"] for q in queries.captured_queries)
    assert given.course is read and names and set(names) == {read.protocol.name}
    joined = selectors.measurements_for_patient(patient=course.patient)  # as before: joined
    assert joined.course == read and joined.course.protocol.name == read.protocol.name
    assert [r.invitation.pk for r in joined.rows] == [r.invitation.pk for r in given.rows]
    assert (joined.open_count, joined.closed_count) == (given.open_count, given.closed_count)


def test_worklist_rows_escape_what_patients_and_staff_typed_and_post_with_the_token(
    clinician, harness
) -> None:
    # The rows are a Jinja2 partial (afterglow.core.jinja): autoescaped like Django's.
    patient = start_course(clinician).patient
    patient.family_name = '<b onmouseover="x()">Stone</b>'
    patient.save(update_fields=["family_name"])
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    html = clinician.client.get(WORKLIST).content.decode()
    due = section(html, "due-today")
    assert "River &lt;b onmouseover=&#34;x()&#34;&gt;Stone&lt;/b&gt;" in due
    assert "<b onmouseover" not in html
    forms = due.count("<form")
    assert forms > 0 and due.count('name="csrfmiddlewaretoken"') == forms


def test_the_worklists_status_and_messages_cells_are_the_shared_macros(
    clinician, course, harness
) -> None:
    """``_worklist_rows.html`` writes ``_summary.html``'s two macros out in place (speed):
    every row's cells are what the macros give, in each state a row can show."""
    from django.template import engines

    harness.sweep(ny(2, 25, 12, 5))
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))
    harness.sweep(ny(3, 3, 9, 5))
    harness.at(ny(3, 3, 12))
    shown = selectors.worklist(clinic=course.clinic)
    due = sorted(i.pk for i in shown.due_today)
    # One due row's latest message failed, the other's send never finished ("unknown"),
    # an expired row's is still going out ("sending"): with the sent ones and the expired
    # rows' reasons, every branch of both cells.
    latest = [Delivery.objects.filter(invitation_id=pk).order_by("-sequence").first() for pk in due]
    latest[0].status, latest[0].finished_at = "failed", ny(3, 3, 9, 6)
    latest[0].save()
    latest[1].status, latest[1].claimed_at, latest[1].finished_at = "sending", ny(3, 3, 9, 6), None
    latest[1].save()
    Delivery.objects.create(
        invitation_id=shown.expired[0].pk, sequence=9, channel="sms", claimed_at=ny(3, 3, 11, 59)
    )
    Invitation.objects.filter(pk=due[1]).update(reminders_sent=1)  # "1 reminder"
    page = clinician.client.get(WORKLIST)
    html = page.content.decode()
    cells = engines["jinja2"].env.get_template("schedules/_summary.html").module
    shown = page.context["worklist"]
    rows = [i.row for i in shown.due_today + shown.overdue + shown.expired]
    states = {r.summary.last_state for r in rows}
    assert {"sent", "failed", "unknown", "sending"} <= states, states
    assert any(r.summary.status.reason for r in rows)
    assert any(r.summary.status.reminders for r in rows)
    for row in rows:
        status = str(cells.status(row.summary.status))
        if row.course_paused:
            status += '<br><span class="muted small">Course paused: held</span>'
        assert f'<td data-label="Status"><div class="cell">{status}</div></td>' in html
        messages = str(cells.messages(row.summary, row.messages_url))
        assert f'<td data-label="Messages"><div class="cell">{messages}</div></td>' in html
