"""An urgent diary note is never refused for its counts (issue 9 safety fix).

Urgent ticked with both counts untouched: the entry is stored with the counts *not
answered* (NULL, never 0), the urgent alert is raised once, and the page shows the
crisis box. Without "urgent" the untouched save stays refused; "None today" still
stores real zeros. Everywhere the counts are read, not answered is missing data.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from afterglow.alerts.models import DIARY_URGENT_CODE, Alert
from afterglow.charts.context import diary_days_context as diary_chart_context
from afterglow.charts.figures_diary import diary_figure
from afterglow.diary.models import DiaryEntry
from afterglow.diary.selectors import DiaryDay, diary_series
from afterglow.diary.services import diary_entry_save
from tests.diary.test_diary_pages import TODAY
from tests.diary.test_diary_pages import _afternoon_in_new_york as _afternoon_in_new_york
from tests.diary.test_diary_pages import patient as patient
from tests.diary.test_diary_pages import token as token

UNTOUCHED = "Tap &#x27;None today&#x27; if you had none, or enter your counts"


def post(token: str, data: dict[str, str], capture) -> str:
    with capture(execute=True):
        response = Client().post(reverse("diary:today", args=[token]), data)
    assert response.status_code == 200
    return response.text


def urgent_alerts(entry: DiaryEntry) -> int:
    return Alert.objects.filter(diary_entry=entry, code=DIARY_URGENT_CODE).count()


def test_an_urgent_note_without_counts_is_stored_as_not_answered_and_raises_the_alert(
    token, patient, django_capture_on_commit_callbacks
) -> None:
    html = post(
        token,
        {"urgent": "on", "note": "I can't cope tonight", "nightmares": "no"},
        django_capture_on_commit_callbacks,
    )

    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks) == (None, None)  # never 0
    assert (entry.urgent, entry.note, entry.none_today) == (True, "I can't cope tonight", False)
    assert not entry.counts_answered
    assert urgent_alerts(entry) == 1
    assert len(mail.outbox) == 1  # the care team is told, once
    # The saved page: the crisis box (shown, not hidden) and the numbers as not answered.
    assert "Saved — thank you" in html
    assert 'id="crisis-box" role="alert"' in html and 'id="urgent-help"' not in html
    assert 'href="tel:000-112"' in html
    assert "Harbour Crisis Line 0800 555 0199" in html
    assert html.count("Not answered") == 2
    assert "Memories not answered · flashbacks not answered · urgent note" in html


def test_urgent_ticked_without_a_note_is_stored_too(
    token, patient, django_capture_on_commit_callbacks
) -> None:
    post(token, {"urgent": "on"}, django_capture_on_commit_callbacks)
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks, entry.urgent) == (None, None, True)
    assert urgent_alerts(entry) == 1


def test_urgent_with_one_count_stores_it_and_leaves_the_other_not_answered(
    token, patient, django_capture_on_commit_callbacks
) -> None:
    html = post(
        token, {"urgent": "on", "intrusive_memories": "5"}, django_capture_on_commit_callbacks
    )
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks) == (5, None)
    assert urgent_alerts(entry) == 1
    assert "Enter a number" not in html
    # The day's total is unknown: not 5, not 0.
    (day,) = diary_series(patient=patient, start=TODAY, end=TODAY)
    assert day.total is None


def test_without_urgent_a_note_and_no_counts_is_still_refused(
    token, django_capture_on_commit_callbacks
) -> None:
    html = post(
        token, {"note": "a hard day", "nightmares": "yes"}, django_capture_on_commit_callbacks
    )
    assert UNTOUCHED in html
    assert "a hard day" in html  # kept on the page
    assert not DiaryEntry.objects.exists() and not Alert.objects.exists()
    assert mail.outbox == []


def test_without_urgent_one_count_keeps_the_per_field_error(
    token, django_capture_on_commit_callbacks
) -> None:
    html = post(token, {"intrusive_memories": "2"}, django_capture_on_commit_callbacks)
    assert "Enter a number (0 if there were none)." in html
    assert not DiaryEntry.objects.exists()


def test_none_today_with_urgent_still_stores_real_zeros(
    token, patient, django_capture_on_commit_callbacks
) -> None:
    post(token, {"none_today": "1", "urgent": "on"}, django_capture_on_commit_callbacks)
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks, entry.none_today) == (0, 0, True)
    assert urgent_alerts(entry) == 1


def test_editing_the_day_later_fills_in_the_counts_without_a_second_alert(
    token, patient, django_capture_on_commit_callbacks
) -> None:
    post(token, {"urgent": "on", "note": "help"}, django_capture_on_commit_callbacks)
    form = Client().get(reverse("diary:today", args=[token])).text
    for name in ("intrusive_memories", "flashbacks"):
        box = form.split(f'name="{name}"', 1)[1].split(">", 1)[0]
        assert 'value=""' in box, box  # empty, not 0
    post(
        token,
        {"urgent": "on", "note": "help", "intrusive_memories": "6", "flashbacks": "2"},
        django_capture_on_commit_callbacks,
    )
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.intrusive_memories, entry.flashbacks, entry.urgent) == (6, 2, True)
    assert urgent_alerts(entry) == 1 and len(mail.outbox) == 1
    (day,) = diary_series(patient=patient, start=TODAY, end=TODAY)
    assert day.total == 8


def test_the_service_refuses_missing_counts_unless_urgent(token, patient) -> None:
    with pytest.raises(ValidationError, match="unless the entry is marked urgent"):
        diary_entry_save(token=token, day=TODAY, intrusive_memories=3)
    assert not DiaryEntry.objects.exists()
    entry = diary_entry_save(token=token, day=TODAY, urgent=True, note="now")
    assert (entry.intrusive_memories, entry.flashbacks) == (None, None)
    assert Alert.objects.filter(diary_entry=entry).count() == 1


def test_the_database_refuses_unanswered_counts_on_a_non_urgent_entry(patient) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(
            clinic=patient.clinic, patient=patient, day=TODAY, intrusive_memories=None, flashbacks=1
        )


def test_the_staff_diary_page_shows_not_answered_never_zero(
    clinician, patient, token, django_capture_on_commit_callbacks
) -> None:
    post(token, {"urgent": "on", "note": "call me"}, django_capture_on_commit_callbacks)
    html = clinician.client.get(reverse("diary:patient", kwargs={"patient_pk": patient.pk})).text
    row = html.split('class="urgent-row"', 1)[1].split("</tr>", 1)[0]
    assert "counts not answered" in row
    assert row.count('<span title="Not answered">—</span>') == 3  # memories, flashbacks, total
    assert '<td data-label="Memories" class="num">0' not in row
    assert "1 of 84 days have an entry" in html
    # The patient chart's diary panel uses the same partial.
    chart = clinician.client.get(reverse("patients:chart", args=[patient.pk])).text
    assert "counts not answered" in chart


def _day(n: int, memories: int | None, flashbacks: int | None, urgent: bool = False) -> DiaryDay:
    day = TODAY + dt.timedelta(days=n)
    entry = DiaryEntry(day=day, intrusive_memories=memories, flashbacks=flashbacks, urgent=urgent)
    return DiaryDay(day=day, entry=entry)


def test_the_chart_leaves_a_gap_for_an_unanswered_day_and_the_mean_skips_it() -> None:
    # Days 0-4: 2+0, 3+1, not answered (urgent), 4+0, 5+1.
    days = [
        _day(0, 2, 0),
        _day(1, 3, 1),
        _day(2, None, None, urgent=True),
        _day(3, 4, 0),
        _day(4, 5, 1),
    ]
    figure = go.Figure(diary_figure(days))  # validates the JSON too
    memories = next(t for t in figure.data if t.name == "Intrusive memories")
    flashbacks = next(t for t in figure.data if t.name == "Flashbacks")
    assert list(memories.y) == [2, 3, None, 4, 5]  # a gap, not a 0 bar
    assert list(flashbacks.y) == [0, 1, None, 0, 1]
    assert "not answered memories, not answered flashbacks" in memories.customdata[2]
    zero = [t for t in figure.data if t.name == "None that day (0)"]
    assert zero == []  # no "none" marker on the unanswered day
    line = next(t for t in figure.data if t.name.startswith("7-day mean"))
    # Hand-worked: on day 3 the answered days are 2, 4, 4 (three: below 4 of 7, no
    # mean); on day 4 they are 2, 4, 4, 6 -> 16 / 4 = 4.0. Counting the urgent day as
    # 0 would give 16 / 5 = 3.2 on day 4 and 10 / 4 = 2.5 on day 3.
    assert list(line.y) == [None, None, None, None, pytest.approx(4.0)]
    context = diary_chart_context(days, doses=(), pcl5=())
    assert [d.total for d, _ in context["diary_rows"]] == [6, 4, None, 4, 2]
    assert context["diary_recorded"] == 5  # the urgent day is a written day
