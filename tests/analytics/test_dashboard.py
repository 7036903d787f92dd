"""The cohort outcomes dashboard: who may open it, what it hides, and that its numbers are
the numbers ``afterglow analyze`` prints for the same data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from afterglow.accounts.models import Role
from afterglow.analytics.dashboard import banded
from afterglow.analytics.selectors import cohort_data
from afterglow.patients.models import Patient
from tests.analytics.cohort import cohort
from tests.factories import MembershipFactory, UserFactory

URL = reverse("analytics:dashboard")
EXPORT = reverse("analytics:export_csv")


def member(clinic, role: str) -> Client:
    client = Client()
    client.force_login(MembershipFactory(clinic=clinic, role=role, user=UserFactory()).user)
    return client


def analyze_cli(frame, tmp_path: Path, *args: str) -> dict:
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    out = io.StringIO()
    call_command("analyze", "--csv", str(path), *args, stdout=out)
    result: dict = json.loads(out.getvalue())
    return result


def as_json(value: object) -> object:
    return json.loads(json.dumps(value))


def same_numbers(left: object, right: object, path: str = "") -> None:
    """Equal: counts and texts exactly, floats to 1e-9 (the order of a sum moves the last
    bit, and the export's pseudonyms reorder the patients), and the mixed model to 1e-5:
    its REML optimiser stops at a tolerance, so patient order moves its 6th digit. Both
    far beyond anything the page shows."""
    if isinstance(left, dict) and isinstance(right, dict):
        assert left.keys() == right.keys(), path
        for key in left:
            same_numbers(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), path
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            same_numbers(a, b, f"{path}[{index}]")
    elif isinstance(left, float) and isinstance(right, float):
        tolerance = 1e-5 if path.startswith(".mixed_model") else 1e-9
        assert left == pytest.approx(right, rel=tolerance, abs=tolerance), path
    else:
        assert type(left) is type(right) and left == right, path


# --- who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PRESCRIBER, Role.RESEARCHER])
def test_clinic_leads_prescribers_and_researchers_open_the_dashboard(clinic, role) -> None:
    cohort(clinic, 2)
    response = member(clinic, role).get(URL)
    assert response.status_code == 200
    assert response.context["board"].n_selected == 2


def test_nurses_and_coordinators_are_refused(colleague, coordinator) -> None:
    for persona in (colleague, coordinator):
        assert persona.client.get(URL).status_code == 403
        assert persona.client.get(EXPORT).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(anonymous) -> None:
    response = anonymous.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_outsider_sees_only_their_own_clinic(clinic, outsider) -> None:
    cohort(clinic, 3)
    response = outsider.client.get(URL)
    assert response.status_code == 200
    assert response.context["board"].n_selected == 0
    assert response.context["board"].analysis is None


def test_the_staff_bar_links_the_dashboard_for_the_roles_that_may_open_it(
    researcher, colleague
) -> None:
    assert URL.encode() in researcher.client.get(URL).content
    page = colleague.client.get(reverse("patients:list"))
    assert URL.encode() not in page.content


# --- minimum N ----------------------------------------------------------------------------------


def test_nine_patients_are_too_few_for_any_figure(clinic, researcher) -> None:
    cohort(clinic, 9)

    response = researcher.client.get(URL)

    board = response.context["board"]
    assert (board.n_selected, board.n_patients, board.shown) == (9, 9, False)
    assert board.baseline_mean is None
    assert board.lines == []
    assert all(not row["shown"] for row in board.timepoints)
    assert board.km is None
    assert board.safety.shown is False
    figures = response.context["figures"]
    assert not {"trajectory", "km", "adverse", "subgroups", "calibration"} & set(figures)
    text = response.content.decode()
    assert "Not shown: fewer than 10 patients" in text
    assert 'id="timepoint-table"' in text
    assert "not-shown" in text


def test_ten_patients_show_the_figures_with_their_numbers(clinic, researcher) -> None:
    cohort(clinic, 10)

    response = researcher.client.get(URL)

    board = response.context["board"]
    assert (board.n_patients, board.shown) == (10, True)
    assert board.baseline_mean == pytest.approx(board.analysis["baseline_mean"])
    assert "trajectory" in response.context["figures"]
    assert len(board.lines) == 10
    day14 = next(row for row in board.timepoints if row["day"] == 14)
    assert day14["shown"] and day14["n"] == 10
    text = response.content.decode()
    assert 'id="baseline-mean">{:.1f}'.format(board.analysis["baseline_mean"]) in text


def test_a_small_subgroup_is_hidden_while_the_rest_is_shown(clinic, researcher) -> None:
    cohort(clinic, 10, trauma_context="civilian", veteran_status="none")
    cohort(clinic, 4, start=10, trauma_context="military", veteran_status="veteran")

    board = researcher.client.get(URL).context["board"]

    population = next(t for t in board.subgroups if t["column"] == "population")
    shown = {row["label"]: row["shown"] for row in population["rows"]}
    assert shown == {"civilian": True, "veteran": False}
    veterans = next(c for c in board.comparisons if c.key == "veteran_response")
    assert veterans.clinic is None and "fewer than 10" in veterans.clinic_text


def test_individual_lines_carry_no_hover_and_no_identifier(clinic, researcher) -> None:
    people = cohort(clinic, 10)

    figure = researcher.client.get(URL).context["figures"]["trajectory"]

    lines = next(t for t in figure["data"] if t.get("name") == "Individual patients")
    assert lines["hoverinfo"] == "skip"
    assert "customdata" not in lines and "text" not in lines
    serialised = json.dumps(figure)
    for person in people:
        assert person.mrn not in serialised and person.family_name not in serialised


# --- filters ------------------------------------------------------------------------------------


def test_a_filter_changes_n_and_stays_selected(clinic, researcher) -> None:
    cohort(clinic, 6, trauma_context="civilian", veteran_status="none")
    cohort(clinic, 4, start=6, trauma_context="military", veteran_status="veteran")

    everyone = researcher.client.get(URL).context["board"]
    veterans = researcher.client.get(URL, {"population": "veteran"})

    assert everyone.n_selected == 10
    assert veterans.context["board"].n_selected == 4
    assert veterans.context["board"].n_patients == 4
    assert '<option value="veteran" selected>' in veterans.content.decode()
    assert "population=veteran" in veterans.context["query"]


def test_an_unknown_filter_value_is_an_inline_error_and_filters_nothing(clinic, researcher) -> None:
    cohort(clinic, 3, sex="female")

    response = researcher.client.get(URL, {"sex": "alien", "population": "civilian"})

    assert response.status_code == 200
    assert response.context["form"].errors["sex"]
    assert response.context["board"].n_selected == 3
    text = response.content.decode()
    assert "Filters not applied" in text
    assert "has-error" in text


# --- the same numbers as afterglow analyze ------------------------------------------------


def test_the_dashboard_shows_the_numbers_afterglow_analyze_prints(
    clinic, researcher, tmp_path
) -> None:
    cohort(clinic, 12)

    board = researcher.client.get(URL).context["board"]
    frame = banded(cohort_data(clinic=clinic)).frame

    same_numbers(as_json(board.analysis), analyze_cli(frame, tmp_path))
    by_population = analyze_cli(frame, tmp_path, "--by", "population")
    same_numbers(by_population["timepoints"], as_json(board.analysis)["timepoints"])


def test_the_researchers_export_gives_the_dashboards_numbers(clinic, researcher, tmp_path) -> None:
    cohort(clinic, 11, consent_research=True)

    board = researcher.client.get(URL).context["board"]
    export = researcher.client.get(EXPORT)
    path = tmp_path / "export.csv"
    path.write_bytes(export.content)
    out = io.StringIO()
    call_command("analyze", "--csv", str(path), stdout=out)

    same_numbers(json.loads(out.getvalue()), as_json(board.analysis))


def test_a_filtered_dashboard_matches_analyze_on_the_filtered_frame(
    clinic, researcher, tmp_path
) -> None:
    cohort(clinic, 10, sex="female")
    cohort(clinic, 10, start=10, sex="male")

    board = researcher.client.get(URL, {"sex": "male"}).context["board"]
    frame = banded(cohort_data(clinic=clinic)).frame

    assert board.n_patients == 10
    same_numbers(as_json(board.analysis), analyze_cli(frame[frame["sex"] == "male"], tmp_path))


# --- performance ----------------------------------------------------------------------------------


def test_the_page_query_count_does_not_grow_with_the_cohort(clinic, researcher) -> None:
    clinic.analytics_min_n = 5
    clinic.save(update_fields=["analytics_min_n"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert researcher.client.get(URL).status_code == 200
        return len(captured)

    cohort(clinic, 5)
    few = queries()
    cohort(clinic, 20, start=5)
    many = queries()
    assert few == many


# --- the de-identified export ---------------------------------------------------------------------


def test_the_export_has_pseudonyms_and_no_names_dates_of_birth_or_ages(clinic, researcher) -> None:
    names = {"given_name": "Zebedee", "family_name": "Quill"}
    people = cohort(clinic, 10, consent_research=True, **names)
    refused = cohort(clinic, 2, start=10, consent_research=False, **names)

    response = researcher.client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "age" not in rows[0] and "age_band" in rows[0]
    assert {row["patient_id"] for row in rows} == {f"P{n:03d}" for n in range(1, 11)}
    for person in [*people, *refused]:
        for secret in (person.given_name, person.family_name, person.mrn):
            assert secret not in text
        assert person.date_of_birth.isoformat() not in text
    assert len(rows) == 10 * 6  # only the consenting patients' PCL-5s


def test_pseudonyms_are_drawn_afresh_for_every_export(clinic, researcher) -> None:
    cohort(clinic, 10, consent_research=True)

    def baselines() -> dict[str, str]:
        rows = csv.DictReader(io.StringIO(researcher.client.get(EXPORT).content.decode()))
        return {row["patient_id"]: row["pcl5_total"] for row in rows if row["day"] == "0"}

    first = baselines()
    assert any(baselines() != first for _ in range(3))


def test_an_export_below_the_minimum_n_is_refused_with_a_reason(clinic, researcher) -> None:
    cohort(clinic, 9, consent_research=True)
    cohort(clinic, 5, start=9, consent_research=False)

    response = researcher.client.get(EXPORT, {"population": "unknown"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "Not exported: fewer than 10 patients with research consent" in text
    assert "(9)" in text
    assert f'href="{URL}?population=unknown"' in text
    assert Patient.objects.filter(clinic=clinic).count() == 14


def test_subgroup_labels_cut_for_a_phone_stay_distinct() -> None:
    from afterglow.analytics.charts import LABEL_CHARS, forest_figure

    row = {"label": "", "rate": 0.5, "ci95": (0.3, 0.7), "n": 20, "shown": True}
    names = [
        "Six IV infusions over two weeks, 0.5 mg/kg",
        "Six IV infusions over two weeks, 1 mg/kg",
    ]
    rows = [("protocol", {**row, "label": name}) for name in names]
    rows.append(("psychotherapy_in_window", {**row, "label": "yes"}))
    rows.append(("psychotherapy_in_window", {**row, "label": "no"}))

    trace = forest_figure(rows)["data"][0]

    assert len(set(trace["y"])) == 4
    assert all(len(label) <= LABEL_CHARS for label in trace["y"])
    assert [data[1] for data in trace["customdata"]][:2] == [f"Protocol: {n}" for n in names]


def test_the_evidence_comparisons_carry_one_label_each_and_list_their_differences(
    clinic, researcher
) -> None:
    cohort(clinic, 10)

    response = researcher.client.get(URL)

    board = response.context["board"]
    labels = {c.key: c.comparability for c in board.comparisons}
    assert labels["six_infusion_response"] == "closest comparison"  # PCL-5 vs CAPS-5
    assert labels["durability"] == "closest comparison"
    assert labels["durability_vs_relapse"] == "different measure"
    assert "standardised_change_vs_almeida2024" not in labels  # Almeida's 0.25 is not an SMD
    text = response.content.decode()
    assert "For orientation only" not in text and "Like for like</span>" not in text
    durability = text.split('id="comparison-durability"')[1].split("</li>")[0]
    assert "Closest comparison" in durability
    assert "Differences:" in durability and "CAPS-5" in durability
    # The durability section says how it is measured: responders at day 14, confirmed loss.
    section = text.split('id="durability"')[1].split("</section>")[0]
    assert "meeting the response rule at day 14" in section
    assert "2 consecutive follow-ups" in section
