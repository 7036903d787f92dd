"""The patient progress report: its numbers, its words, who may download it, and how."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from afterglow.accounts.models import Clinic, Role
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.services import response_record
from afterglow.outcomes.rules import Followup, OutcomeRules, evaluate
from afterglow.reports import pdf, views
from afterglow.reports.patient_report import patient_report
from tests.conftest import _persona
from tests.factories import PatientFactory
from tests.reports.conftest import SERIES, cluster_b, page_texts, pcl5_answers


def report_html(patient, user: str = "Dr Test (Prescriber)") -> str:
    report = patient_report(patient=patient)
    context = {
        "report": report,
        **pdf.print_context(clinic=patient.clinic, title="Progress", prepared_by=user),
    }
    return pdf.render_html(
        template="reports/patient.html", context=context, tz=patient.clinic.tzinfo
    )


def url(patient) -> str:
    return reverse("reports:patient_pdf", kwargs={"pk": patient.pk})


def test_the_outcome_is_the_outcome_modules_verdict(treated) -> None:
    report = patient_report(patient=treated.patient)
    expected = evaluate(50, [Followup(d, t) for d, t in SERIES[1:]], OutcomeRules())
    assert report.outcome is not None
    assert report.outcome.trajectory == expected
    assert [row.total for row in report.rows] == [50, 34, 30, 38]
    assert [row.cluster_b for row in report.rows] == [cluster_b(t) for _, t in SERIES]
    assert [row.is_baseline for row in report.rows] == [True, False, False, False]
    # Day 28 is one failing follow-up: a possible loss, not a loss (2 confirm by default).
    assert [row.loss_of_response for row in report.rows] == [False, False, False, False]
    assert [row.possible_loss for row in report.rows] == [False, False, False, True]
    assert [row.outcome.day if row.outcome else None for row in report.rows] == [None, 1, 14, 28]


def test_a_second_failing_follow_up_confirms_the_loss_in_the_report(treated) -> None:
    session = treated.patient.dosing_sessions.get()
    # In the clinic's time, so that adding days keeps day N across a daylight-saving change.
    start = session.started_at.astimezone(session.clinic.tzinfo)
    response_record(
        patient=treated.patient,
        instrument_code="pcl5",
        answers=pcl5_answers(40),  # −20 %: the second failing follow-up
        source="staff",
        administered_at=start + dt.timedelta(days=29),
    )
    report = patient_report(patient=treated.patient)
    assert [row.loss_of_response for row in report.rows] == [False, False, False, True, False]
    assert not any(row.possible_loss for row in report.rows)
    html = report_html(treated.patient)
    outcome = html.split('id="outcome"')[1].split("</table>")[0]
    assert "<strong>Day 28</strong>" in outcome  # loss of response, dated from the first
    summary = html.split('id="summary"')[1].split("</div>")[0]
    assert "lost from day 28 (confirmed by 2 consecutive follow-ups)" in summary


def test_the_report_shows_identifiers_totals_and_outcome_words(treated) -> None:
    html = report_html(treated.patient)
    for text in ("Zebedee Quill", "17 May 1984", "AG-000777"):
        assert text in html
    table = html.split('id="pcl5-table"')[1].split("</table>")[0]
    for total in (50, 34, 30, 38):
        assert f'<td class="num strong">{total}</td>' in table  # bold
    assert "-12 (-24.0%)" in table
    assert "possible loss of response — confirm at the next measurement" in table
    assert "<strong>loss of response</strong>" not in table
    outcome = html.split('id="outcome"')[1].split("</table>")[0]
    assert "<td>38 (day 28)</td>" in outcome
    assert "<td>-12 points</td>" in outcome
    assert "<td>-24.0%</td>" in outcome
    assert "Possible loss of response — confirm at the next measurement (day 28)" in outcome
    assert "Response (≥ 30% below baseline)" in outcome
    summary = html.split('id="summary"')[1].split("</div>")[0]
    assert "Latest PCL-5 38" in summary and "Does not meet the clinic&#x27;s response" in summary
    assert (
        "Response was first met on day 1 and shows a possible loss of response from day 28 — "
        "confirm at the next measurement." in summary
    )
    sources = html.split('id="rule-sources"')[1].split("</ol>")[0]
    assert "2 consecutive follow-ups" in sources and "evidence.md §1" in sources
    assert "not been validated on the PCL-5" in sources
    assert "Feder" not in sources.split("Loss of response:")[1].split("Baseline")[0]


def test_the_rule_sources_are_the_clinics_settings(treated) -> None:
    clinic = treated.patient.clinic
    clinic.outcome_response_percent = 50
    clinic.save()
    html = report_html(treated.patient)
    notes = html.split('id="rule-sources"')[1].split("</ol>")[0]
    for name in ("outcome_response_percent", "outcome_reliable_points", "pcl5_cutoff"):
        assert escape(Clinic._meta.get_field(name).help_text) in notes
    assert "Response: reduction from baseline (%): 50." in notes
    assert "Response (≥ 50% below baseline)" in html


def test_the_course_summary_counts_sessions_dose_and_adverse_events(treated) -> None:
    report = patient_report(patient=treated.patient)
    (course,) = report.courses
    assert (course.signed, course.planned) == (1, 3)
    assert course.dose_mg == treated.session.actual_dose_mg == 35
    assert course.adverse_events == 2
    assert course.adverse_by_severity == [("Severe", 1), ("Moderate", 1)]
    assert course.serious_adverse_events == 1
    assert course.is_outcome_course
    html = report_html(treated.patient)
    row = html.split('id="courses"')[1].split("</table>")[0]
    assert "2 (1 severe, 1 moderate), <strong>1 serious</strong>" in row
    assert "35.0" in row


def test_phq9_shows_the_latest_total_and_only_flags_item_9(treated) -> None:
    report = patient_report(patient=treated.patient)
    assert (report.phq9.latest_total, report.phq9.latest_severity) == (8, "mild")
    positive_on = timezone.localtime(
        treated.first_dose_at + dt.timedelta(days=7), treated.patient.clinic.tzinfo
    ).date()
    assert report.phq9.item9_positive_on == positive_on
    html = report_html(treated.patient)
    assert f"Item 9 positive on {positive_on:%d %b %Y} — see record" in html
    item9 = get_instrument("phq9").item(9)
    assert item9.text not in html and item9.short_label not in html  # never the answer itself


def test_the_diary_is_summarised_by_week_without_counting_missing_days(treated) -> None:
    report = patient_report(patient=treated.patient)
    last, before = report.diary_weeks[-1], report.diary_weeks[-2]
    assert (last.recorded_days, last.mean) == (5, 4.0)
    assert (before.recorded_days, before.mean) == (2, None)
    table = report_html(treated.patient).split('id="diary-table"')[1].split("</table>")[0]
    assert '5 of 7</td><td class="num">4.0' in table
    assert "— (too few days)" in table
    assert report.diary_figure is not None


def test_urgent_notes_without_counts_are_left_out_of_the_report_weeks(treated) -> None:
    from afterglow.diary.models import DiaryEntry

    patient = treated.patient
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    # This week's free days 5 and 6, and four free days of the week before: urgent
    # notes with the counts not answered.
    for back in (5, 6, 7, 9, 11, 12):
        DiaryEntry.objects.create(
            clinic=patient.clinic,
            patient=patient,
            day=today - dt.timedelta(days=back),
            urgent=True,
            note="please call",
            intrusive_memories=None,
            flashbacks=None,
        )
    report = patient_report(patient=patient)
    last, before = report.diary_weeks[-1], report.diary_weeks[-2]
    # Unchanged by hand: 20 / 5 = 4.0 this week (counting them as 0: 20 / 7 = 2.9),
    # and the week before still has 2 answered days, too few (as 0: 36 / 6 = 6.0).
    assert (last.recorded_days, last.mean) == (5, 4.0)
    assert (before.recorded_days, before.mean) == (2, None)


def test_no_dose_yet_says_so_instead_of_an_outcome(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response_record(patient=patient, instrument_code="pcl5", answers=[2] * 20, source="staff")
    report = patient_report(patient=patient)
    assert report.outcome is None
    html = report_html(patient)
    assert "No ketamine dose is recorded yet" in html
    assert 'id="outcome"' not in html
    assert "No PHQ-9 recorded." in html and "No diary entries in the last 12 weeks." in html


def test_an_incomplete_pcl5_is_listed_but_never_scored(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response_record(
        patient=patient, instrument_code="pcl5", answers=[2] * 18 + [None, None], source="staff"
    )
    report = patient_report(patient=patient)
    assert report.pcl5_figure is None
    html = report_html(patient)
    assert "Incomplete — items 19, 20 not answered; not scored" in html
    assert "No complete PCL-5 yet." in html


def test_the_download_is_a_pdf_attachment_that_is_never_cached(clinician, treated) -> None:
    response = clinician.client.get(url(treated.patient))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    today = timezone.localdate(timezone=treated.patient.clinic.tzinfo)
    assert response["Content-Disposition"] == (
        f'attachment; filename="afterglow-AG-000777-{today.isoformat()}.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    assert response.content.startswith(b"%PDF-")
    assert b"Zebedee" not in response.content  # text is in compressed, subset-font streams


def test_the_laid_out_pages_carry_the_patient_and_the_outcome(treated) -> None:
    context = {
        "report": patient_report(patient=treated.patient),
        **pdf.print_context(clinic=treated.patient.clinic, title="Progress"),
    }
    document = pdf.layout(
        template="reports/patient.html", context=context, tz=treated.patient.clinic.tzinfo
    )
    text = " ".join(page_texts(document))
    assert "Zebedee Quill" in text and "AG-000777" in text
    assert "Loss of response" in text and "Reliable recovery" in text
    assert f"Page 1 of {len(document.pages)}" in text
    assert "Home Clinic" in text


def test_the_query_count_does_not_grow_with_the_number_of_responses(clinician, colleague) -> None:
    def queries_for(n: int) -> int:
        patient = PatientFactory(clinic=clinician.clinic)
        for k in range(n):
            response_record(
                patient=patient,
                instrument_code="pcl5",
                answers=pcl5_answers(60 - k),
                source="staff",
                administered_at=timezone.now() - dt.timedelta(days=30 - k),
            )
        with CaptureQueriesContext(connection) as ctx:
            assert clinician.client.get(url(patient)).status_code == 200
        return len(ctx.captured_queries)

    assert queries_for(1) == queries_for(10)


def test_another_clinics_patient_does_not_exist(outsider, treated) -> None:
    response = outsider.client.get(url(treated.patient))
    assert response.status_code == 404
    assert b"Zebedee" not in response.content


@pytest.mark.parametrize("persona", ["coordinator", "researcher"])
def test_non_clinical_roles_cannot_download_it(request, persona, treated) -> None:
    response = request.getfixturevalue(persona).client.get(url(treated.patient))
    assert response.status_code == 403
    assert b"Zebedee" not in response.content


@pytest.mark.parametrize("role", [Role.NURSE, Role.THERAPIST, Role.ADMIN])
def test_clinical_roles_can_download_it(monkeypatch, role, treated) -> None:
    # The access decision is what is tested here; drawing the PDF is tested above.
    monkeypatch.setattr(views, "render_pdf", lambda **kwargs: b"%PDF-1.7 stand-in")
    persona = _persona(treated.patient.clinic, role, f"user-{role}")
    response = persona.client.get(url(treated.patient))
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 stand-in"


def test_a_visitor_is_sent_to_sign_in(anonymous, treated) -> None:
    response = anonymous.get(url(treated.patient))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_without_pango_the_download_answers_503_with_the_fix(
    without_pango,
    clinician,
    treated,
) -> None:
    response = clinician.client.get(url(treated.patient))
    assert response.status_code == 503
    assert (
        b"PDF reports need the Pango library: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
        in response.content
    )
    assert response["Content-Type"].startswith("text/html")


def test_the_chart_offers_the_download_to_clinical_roles_only(
    clinician, coordinator, treated
) -> None:
    chart = reverse("patients:chart", kwargs={"pk": treated.patient.pk})
    page = clinician.client.get(chart).content.decode()
    assert f'href="{url(treated.patient)}"' in page and "Download PDF report" in page
    # A coordinator has no chart at all (minimum necessary), so no report link either.
    page = coordinator.client.get(chart)
    assert page.status_code == 403 and "Download PDF report" not in page.content.decode()
