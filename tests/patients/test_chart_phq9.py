"""The PHQ-9 card of the patient chart: totals on the catalog's severity bands, item 9
above zero marked, a table of the same numbers, and no card without a PHQ-9."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.services import response_record
from tests.factories import PatientFactory


def phq9(patient, answers, days_ago: int):
    return response_record(
        patient=patient,
        instrument_code="phq9",
        answers=answers,
        source="staff",
        administered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def chart(persona, patient):
    return persona.client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))


def traces(figure) -> dict[str, dict]:
    return {trace.get("name", ""): trace for trace in figure["data"]}


def table(html: str) -> str:
    return html.split('id="phq9-table"')[1].split("</table>")[0]


def test_a_patient_without_a_phq9_has_no_phq9_card(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    response_record(patient=patient, instrument_code="pcl5", answers=[2] * 20, source="staff")
    page = chart(clinician, patient)
    assert page.context["phq9_rows"] == [] and page.context["phq9_figure"] is None
    assert 'id="phq9"' not in page.content.decode()


def test_totals_are_drawn_on_the_catalogs_bands_with_item_9_marked(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    # Hand-worked totals: 0+0+1+1+1+0+0+0+0 = 3 (minimal, item 9 = 0);
    # 2+2+2+1+1+1+1+0+2 = 12 (moderate, item 9 = 2); 3+3+3+3+3+2+2+1+1 = 21 (severe, item 9 = 1).
    phq9(patient, [0, 0, 1, 1, 1, 0, 0, 0, 0], days_ago=30)
    phq9(patient, [2, 2, 2, 1, 1, 1, 1, 0, 2], days_ago=15)
    phq9(patient, [3, 3, 3, 3, 3, 2, 2, 1, 1], days_ago=1)
    page = chart(clinician, patient)
    figure = page.context["phq9_figure"]
    named = traces(figure)
    assert named["PHQ-9 total (0–27)"]["y"] == [3, 12, 21]
    ringed = next(t for name, t in named.items() if name.startswith("Item 9 above"))
    assert ringed["y"] == [12, 21]
    assert [c[:2] for c in ringed["customdata"]] == [
        [2, "More than half the days"],
        [1, "Several days"],
    ]

    bands = get_instrument("phq9").scoring.severity.bands
    rects = [s for s in figure["layout"]["shapes"] if s["type"] == "rect"]
    assert [(r["y0"], r["y1"]) for r in rects] == [
        (0, 4.5),
        (4.5, 9.5),
        (9.5, 14.5),
        (14.5, 19.5),
        (19.5, 27),
    ]
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert [f"{b.label} {b.min}–{b.max}" for b in bands] == labels[: len(bands)]
    assert labels[:5] == [
        "minimal 0–4",
        "mild 5–9",
        "moderate 10–14",
        "moderately severe 15–19",
        "severe 20–27",
    ]
    assert figure["layout"]["yaxis"]["range"] == [0, 27]

    rows = table(page.content.decode()).split("<tr")[2:]  # newest first, after the header
    assert (
        "<strong>21</strong>" in rows[0] and "severe" in rows[0] and "1 — Several days" in rows[0]
    )
    assert "<strong>12</strong>" in rows[1] and "moderate" in rows[1]
    assert "flag-review" in rows[1] and "2 — More than half the days" in rows[1]
    assert "<strong>3</strong>" in rows[2] and "minimal" in rows[2]
    assert "flag-review" not in rows[2] and "0 — Not at all" in rows[2]
    assert "/static/vendor/plotly/plotly.min.js" in page.content.decode()


def test_an_incomplete_phq9_is_listed_not_plotted_but_its_item_9_is_still_marked(
    clinician,
) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    phq9(patient, [1] * 9, days_ago=10)  # 9, mild
    phq9(patient, [None, 2, 2, 2, 2, 2, 2, 2, 1], days_ago=2)  # item 1 missing: no total
    page = chart(clinician, patient)
    named = traces(page.context["phq9_figure"])
    assert named["PHQ-9 total (0–27)"]["y"] == [9]
    ringed = next(t for name, t in named.items() if name.startswith("Item 9 above"))
    assert ringed["y"] == [9, 27]  # the incomplete one on the top edge, not at a made-up total
    assert ringed["customdata"][1][2] == " (incomplete, not scored)"
    newest = table(page.content.decode()).split("<tr")[2]
    assert "item 1 not answered; not scored" in newest and "1 — Several days" in newest


def test_only_incomplete_phq9s_without_item_9_give_a_table_and_no_figure(clinician) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    phq9(patient, [1] * 8 + [None], days_ago=2)
    page = chart(clinician, patient)
    assert page.context["phq9_figure"] is None
    html = page.content.decode()
    assert "No complete PHQ-9 yet." in html and "not answered" in table(html)
