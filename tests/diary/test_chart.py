"""The diary chart: the rolling-mean line it draws, and constant query counts."""

from __future__ import annotations

import datetime as dt
from statistics import mean

import plotly.graph_objects as go
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.charts.context import diary_days_context as diary_chart_context
from afterglow.charts.figures_diary import diary_figure
from afterglow.diary.models import DiaryEntry
from afterglow.diary.selectors import DiaryDay
from afterglow.patients.models import Patient
from tests.factories import PatientFactory

START = dt.date(2026, 10, 1)


def _entry(n: int, memories: int, flashbacks: int) -> DiaryEntry:
    return DiaryEntry(
        day=START + dt.timedelta(days=n), intrusive_memories=memories, flashbacks=flashbacks
    )


def _days(entries: dict[int, tuple[int, int]], length: int) -> list[DiaryDay]:
    return [
        DiaryDay(
            day=START + dt.timedelta(days=n),
            entry=_entry(n, *entries[n]) if n in entries else None,
        )
        for n in range(length)
    ]


def test_the_mean_line_is_the_trailing_mean_of_recorded_days() -> None:
    # 21 days; every third day missing; day 10 a "none" day.
    entries = {n: (n % 5, n % 2) for n in range(21) if n % 3 != 2}
    entries[10] = (0, 0)
    figure = go.Figure(diary_figure(_days(entries, 21)))  # validates the JSON too
    line = next(t for t in figure.data if t.name.startswith("7-day mean"))
    for x, y in zip(line.x, line.y, strict=True):
        n = (dt.date.fromisoformat(str(x)[:10]) - START).days
        # Independently: the totals of the recorded days among n-6..n.
        window = [sum(entries[k]) for k in range(n - 6, n + 1) if k in entries]
        if len(window) >= 4:
            assert y == pytest.approx(mean(window), abs=1e-9), n
        else:
            assert y is None, n
    assert len(line.x) == 21


def test_bars_leave_missing_days_empty_and_the_table_says_missing() -> None:
    days = _days({0: (2, 1), 2: (0, 0)}, 3)
    figure = go.Figure(diary_figure(days))  # validates the JSON too
    memories = next(t for t in figure.data if t.name == "Intrusive memories")
    assert [str(x)[:10] for x in memories.x] == ["2026-10-01", "2026-10-03"]
    assert list(memories.y) == [2, 0]
    context = diary_chart_context(days, doses=(), pcl5=())
    assert [(d.day.day, d.total) for d, _ in context["diary_rows"]] == [(3, 0), (2, None), (1, 3)]
    assert context["diary_recorded"] == 2


def _fill(patient: Patient, n: int) -> None:
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            clinic=patient.clinic,
            patient=patient,
            day=today - dt.timedelta(days=k),
            intrusive_memories=k % 4,
            flashbacks=k % 2,
        )
        for k in range(n)
    )


def _queries(persona, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = persona.client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["patients:chart", "diary:patient"])
def test_the_query_count_does_not_grow_with_the_number_of_entries(clinician, page) -> None:
    few = PatientFactory(clinic=clinician.clinic)
    _fill(few, 5)
    many = PatientFactory(clinic=clinician.clinic)
    _fill(many, 60)
    key = "pk" if page == "patients:chart" else "patient_pk"
    few_url = reverse(page, kwargs={key: few.pk})
    many_url = reverse(page, kwargs={key: many.pk})
    _queries(clinician, few_url)  # warm caches (sessions, content types)
    assert _queries(clinician, few_url) == _queries(clinician, many_url)


def test_the_patient_chart_has_the_diary_card(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    _fill(patient, 10)
    response = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    text = response.text
    assert "Intrusion diary" in text and 'id="diary-figure"' in text
    assert reverse("diary:patient", kwargs={"patient_pk": patient.pk}) in text
    assert reverse("diary:link_new", kwargs={"patient_pk": patient.pk}) in text
    assert "10 of 56 days have an entry" in text
