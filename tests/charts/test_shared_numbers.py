"""The chart page, the staff diary page and the patient PDF read one selector
(``charts.selectors.patient_chart``): they show the same numbers for one patient, and
each asks the database the same number of questions whatever the patient's history."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from afterglow.alerts.models import Alert
from afterglow.charts.selectors import CHART_DIARY_WEEKS, patient_chart
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.services import response_record
from afterglow.reports.patient_report import DIARY_WEEKS, patient_report
from tests.factories import PatientFactory
from tests.reports.conftest import SERIES, cluster_b, pcl5_answers, treated  # noqa: F401


def traces(figure) -> dict[str, dict]:
    return {trace.get("name", ""): trace for trace in figure["data"]}


def test_the_chart_the_diary_page_and_the_pdf_show_the_same_numbers(clinician, treated) -> None:  # noqa: F811
    patient = treated.patient
    chart_page = clinician.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    diary_page = clinician.client.get(reverse("diary:patient", kwargs={"patient_pk": patient.pk}))
    pdf = clinician.client.get(reverse("reports:patient_pdf", kwargs={"pk": patient.pk}))
    assert chart_page.status_code == diary_page.status_code == pdf.status_code == 200
    report = patient_report(patient=patient)

    # PCL-5 totals: the hand-worked series on all three.
    totals = [total for _, total in SERIES]
    assert traces(chart_page.context["figure"])["PCL-5 total (0–80)"]["y"] == totals
    assert traces(diary_page.context["diary_figure"])["PCL-5 total (0–80)"]["y"] == totals
    assert [row.total for row in report.rows] == totals
    assert [row.cluster_b for row in report.rows] == [cluster_b(t) for t in totals]
    assert traces(chart_page.context["figure"])["Intrusion, cluster B (0–20)"]["y"] == [
        cluster_b(t) for t in totals
    ]
    # The outcome of the latest course: one verdict.
    assert chart_page.context["outcome"].trajectory == report.outcome.trajectory

    # Doses: the same moment on the chart, under the diary, and in the PDF's course table.
    when = timezone.localtime(treated.first_dose_at, patient.clinic.tzinfo)
    assert traces(chart_page.context["figure"])["Dose details"]["x"] == [when.isoformat()]
    assert traces(diary_page.context["diary_figure"])["Dose details"]["x"] == [
        when.replace(tzinfo=None).isoformat()
    ]
    assert [mark.when for mark in report.treatment.dose_marks] == [when]
    assert report.courses[0].first_dose == when.date()

    # PHQ-9: totals 10 then 8, item 9 positive on the first only.
    phq9 = traces(chart_page.context["phq9_figure"])
    assert phq9["PHQ-9 total (0–27)"]["y"] == [10, 8]
    ringed = next(t for name, t in phq9.items() if name.startswith("Item 9 above"))
    assert report.phq9.latest_total == 8 and report.phq9.count == 2
    assert [report.phq9.item9_positive_on.isoformat()] == [x[:10] for x in ringed["x"]]

    # Diary: the chart's 8 weeks are the last 56 days of the diary page's 12 weeks.
    chart_rows = [(d.day, d.total, mean) for d, mean in chart_page.context["diary_rows"]]
    diary_rows = [(d.day, d.total, mean) for d, mean in diary_page.context["diary_rows"]]
    assert len(chart_rows) == 7 * CHART_DIARY_WEEKS and len(diary_rows) == 7 * DIARY_WEEKS
    assert chart_rows == diary_rows[: len(chart_rows)]
    # This week's 5 entries (hand-worked: 4+6+2+6+2 = 20): the PDF's weekly mean is 4.0.
    this_week = [total for _, total, _ in chart_rows[:7] if total is not None]
    assert sum(this_week) == 20 and len(this_week) == 5
    assert report.diary_weeks[-1].mean == 4.0
    assert report.diary_weeks[-1].recorded_days == 5


def test_the_selector_is_one_read_model_for_all_three(clinician, treated) -> None:  # noqa: F811
    patient = treated.patient
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    chart = patient_chart(patient=patient, today=today)
    assert [p.total for p in chart.pcl5] == [total for _, total in SERIES]
    assert [row.outcome.day if row.outcome else None for row in chart.pcl5_rows] == [
        None,
        1,
        14,
        28,
    ]
    assert [p.total for p in chart.phq9] == [10, 8]
    assert chart.diary_recorded == 7 and chart.diary_weeks == CHART_DIARY_WEEKS
    assert chart.diary_days[-1].day == today
    # The PHQ-9 item 9 answer raised an alert that nobody has acknowledged yet.
    assert [a.code for a in chart.open_alerts] == list(
        Alert.objects.filter(patient=patient, acknowledged_at__isnull=True).values_list(
            "code", flat=True
        )
    )
    assert chart.open_alerts, "the item 9 answer raises an alert"


def _history(patient, n: int) -> None:
    """``n`` PCL-5s, ``n`` PHQ-9s (each with item 9 above 0, so each raises an alert)
    and ``n`` diary days."""
    now = timezone.now()
    for k in range(n):
        response_record(
            patient=patient,
            instrument_code="pcl5",
            answers=pcl5_answers(60 - k),
            source="staff",
            administered_at=now - dt.timedelta(days=40 - k),
        )
        response_record(
            patient=patient,
            instrument_code="phq9",
            answers=[1] * 8 + [1],
            source="staff",
            administered_at=now - dt.timedelta(days=40 - k, hours=1),
        )
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            clinic=patient.clinic,
            patient=patient,
            day=today - dt.timedelta(days=k),
            intrusive_memories=k % 3,
            flashbacks=k % 2,
        )
        for k in range(n)
    )


def _queries(persona, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert persona.client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_each_page_asks_the_same_number_of_queries_for_one_row_or_many(clinician) -> None:
    one, many = PatientFactory(clinic=clinician.clinic), PatientFactory(clinic=clinician.clinic)
    _history(one, 1)
    _history(many, 12)
    assert Alert.objects.filter(patient=many).count() == 12
    for name, key in (
        ("patients:chart", "pk"),
        ("diary:patient", "patient_pk"),
        ("reports:patient_pdf", "pk"),
    ):
        _queries(clinician, reverse(name, kwargs={key: one.pk}))  # warm the session
        counts = [_queries(clinician, reverse(name, kwargs={key: p.pk})) for p in (one, many)]
        assert counts[0] == counts[1], name
