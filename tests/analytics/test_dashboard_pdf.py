"""The clinic outcomes PDF: the dashboard's figures and tables, same filters, in print."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from afterglow.analytics import views
from afterglow.reports.pdf import PdfUnavailable
from tests.analytics.cohort import cohort

URL = reverse("analytics:report_pdf")
DASHBOARD = reverse("analytics:dashboard")


@pytest.fixture
def captured(monkeypatch) -> dict[str, Any]:
    """Swap WeasyPrint out: keep what the view asked to print, render the HTML only."""
    from afterglow.reports.pdf import render_html

    seen: dict[str, Any] = {}

    def fake_render_pdf(*, template: str, context: dict[str, Any], **kwargs: Any) -> bytes:
        seen["context"] = context
        seen["html"] = render_html(template=template, context=context, tz=kwargs.get("tz"))
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(views, "render_pdf", fake_render_pdf)
    return seen


def test_the_pdf_is_a_download_that_is_never_cached(clinic, clinician) -> None:
    cohort(clinic, 10)

    response = clinician.client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert "afterglow-outcomes-home-" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"


def test_the_report_prints_the_dashboards_numbers_for_the_same_filters(
    clinic, researcher, captured
) -> None:
    cohort(clinic, 10, trauma_context="civilian", veteran_status="none", sex="female")
    cohort(clinic, 3, start=10, trauma_context="military", veteran_status="veteran")

    page = researcher.client.get(DASHBOARD, {"population": "civilian"}).context["board"]
    researcher.client.get(URL, {"population": "civilian"})

    board = captured["context"]["board"]
    assert board.n_selected == page.n_selected == 10
    assert board.analysis == page.analysis
    html = captured["html"]
    assert "Population: Civilian" in html
    assert "10 in the selection; 10 with a baseline PCL-5" in html
    day14 = board.analysis["timepoints"]["14"]
    assert f"{round(100 * day14['response_rate'])}%" in html
    assert "Clinic outcomes report" in html
    # Black-and-white charts beside their tables, as images.
    assert set(captured["context"]["charts"]) >= {"trajectory", "intrusion", "adverse"}
    assert html.count('<img class="chart"') == len(captured["context"]["charts"])
    for table in ("timepoint-table", "trajectory-table", "adverse-table", "subgroup-table"):
        assert f'id="{table}"' in html


def test_a_small_selection_prints_not_shown_instead_of_numbers(
    clinic, researcher, captured
) -> None:
    cohort(clinic, 4)

    researcher.client.get(URL)

    html = captured["html"]
    assert "Not shown: fewer than 10 patients" in html
    assert captured["context"]["charts"] == {}


def test_without_pango_the_report_answers_503(clinic, researcher, monkeypatch) -> None:
    def unavailable(**kwargs: Any) -> bytes:
        raise PdfUnavailable("no pango")

    monkeypatch.setattr(views, "render_pdf", unavailable)
    response = researcher.client.get(URL)
    assert response.status_code == 503


def test_roles_without_the_dashboard_cannot_print_it(colleague, coordinator) -> None:
    assert colleague.client.get(URL).status_code == 403
    assert coordinator.client.get(URL).status_code == 403


def test_the_dashboard_links_the_report_with_its_filters(clinic, researcher) -> None:
    cohort(clinic, 2, sex="male")
    text = researcher.client.get(DASHBOARD, {"sex": "male"}).content.decode()
    assert f'href="{URL}?sex=male"' in text


def test_the_report_labels_every_comparison_with_one_of_the_three_labels(
    clinic, researcher, captured
) -> None:
    cohort(clinic, 10)

    researcher.client.get(URL)

    html = captured["html"]
    board = captured["context"]["board"]
    for comparison in board.comparisons:
        block = html.split(f'id="comparison-{comparison.key}"')[1].split("</div>")[0]
        assert f'<span class="comparability">{comparison.comparability}</span>' in block
        for difference in comparison.differences:
            assert escape(difference) in block
    assert "for orientation only" not in html
    durability = html.split('id="comparison-durability"')[1].split("</div>")[0]
    assert "closest comparison" in durability and "not been validated on the PCL-5" in durability
