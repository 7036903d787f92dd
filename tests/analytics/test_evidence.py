"""The trials data file and the clinic-vs-trials comparisons.

Expected study values are typed in from evidence.md §4 (cited per test), not
read back from the data file, so a typo in trials.json fails here.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from scipy import optimize, stats

from afterglow.analytics import evidence
from afterglow.analytics.evidence import (
    ClinicFigures,
    Comparison,
    TrialDataError,
    comparisons,
    get_trial,
    load_trials,
    standardised_mean_change,
)

# The project keeps a copy of the shared evidence file (docs/evidence.md) so this
# provenance check runs everywhere.
EVIDENCE_MD = Path(__file__).resolve().parents[2] / "docs" / "evidence.md"
DATA_FILE = Path(evidence.__file__).parent / "data" / "trials.json"


def raw_file() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


# --- the shipped file -----------------------------------------------------------------------------


def test_the_shipped_file_loads_every_study_and_meta_analysis_of_section_4() -> None:
    ids = [trial.id for trial in load_trials()]
    assert len(ids) == len(set(ids))
    for expected in (
        "feder2014",
        "feder2021",
        "abdallah2022",
        "albott2018",
        "pradhan2017",
        "pradhan2018",
        "duek2023",
        "shiroma2020",
        "nct04560660",
        "nct06795659",
        "borgogna2024",
        "almeida2024",
        "du2022",
    ):
        assert expected in ids
    kinds = {trial.id: trial.kind for trial in load_trials()}
    assert kinds["albott2018"] == "open_label"
    assert kinds["borgogna2024"] == "meta_analysis"
    assert kinds["review2023_pmc10316217"] == "review"


def test_feder_2021_matches_evidence_md() -> None:
    # evidence.md §4a: "30 (15/15)", "6 infusions, 3/week × 2 weeks", "CAPS-5 11.88 points
    # lower (SE 3.96), d=1.13 (95% CI 0.36–1.91); responders 67% vs 20%; ... median time to
    # loss of response 27.5 days", doi 10.1176/appi.ajp.2020.20050596, NCT02397889.
    feder = get_trial("feder2021")
    assert (feder.kind, feder.n, feder.population_group) == ("rct", 30, "mixed")
    assert [arm.n for arm in feder.arms] == [15, 15]
    assert feder.regimen is not None
    assert (feder.regimen.infusions, feder.regimen.dose_mg_per_kg) == (6, (0.5,))
    assert feder.primary_measure == "CAPS-5"
    responders = feder.figure("responders")
    assert (responders.value, responders.n) == (0.67, 15)
    assert responders.comparator is not None
    assert (responders.comparator.value, responders.comparator.n) == (0.20, 15)
    assert feder.figure("median_days_to_loss_of_response").value == 27.5
    difference = feder.figure("caps5_difference_week2")
    assert (difference.value, difference.se) == (-11.88, 3.96)
    assert feder.figure("caps5_effect_size").ci95 == (0.36, 1.91)
    assert (feder.doi, feder.nct) == ("10.1176/appi.ajp.2020.20050596", "NCT02397889")


def test_albott_abdallah_and_feder_2014_match_evidence_md() -> None:
    # evidence.md §4a Albott 2018: "PCL-5 −33.3 (95% CI 23.0–43.5), d′=2.17; PTSD remission
    # 80%; median time to PTSD relapse 41 days (n=12 remitters)"; veterans, 15, open-label.
    albott = get_trial("albott2018")
    assert (albott.n, albott.population_group) == (15, "veteran")
    change = albott.figure("pcl5_change")
    assert (change.value, change.ci95) == (-33.3, (-43.5, -23.0))
    assert albott.figure("pcl5_effect_size").value == 2.17
    assert albott.figure("remission").value == 0.80
    relapse = albott.figure("median_days_to_relapse")
    assert (relapse.value, relapse.n) == (41, 12)
    # Abdallah 2022: 158 veterans/active duty, placebo 54 / 0.2 mg/kg 53 / 0.5 mg/kg 51,
    # "No significant group×time effect on PCL-5 or CAPS-5", PMID 35046508, NCT02655692.
    abdallah = get_trial("abdallah2022")
    assert (abdallah.n, abdallah.population_group) == (158, "veteran")
    assert [arm.n for arm in abdallah.arms] == [54, 53, 51]
    null = abdallah.figure("pcl5_no_effect")
    assert (null.statistic, null.value, null.direction) == ("qualitative", None, "no_difference")
    assert (abdallah.pmid, abdallah.nct) == ("35046508", "NCT02655692")
    # Feder 2014: "IES-R 12.7 points lower with ketamine (95% CI 2.5–22.8; P=.02)", PMID 24740528.
    iesr = get_trial("feder2014").figure("iesr_difference_24h")
    assert (iesr.value, iesr.ci95, iesr.p) == (-12.7, (-22.8, -2.5), 0.02)
    assert get_trial("feder2014").pmid == "24740528"
    # Pradhan 2018: "34.44 ± 19.12 vs 16.50 ± 11.39 days (p=0.022)".
    pradhan = get_trial("pradhan2018").figure("days_of_sustained_response")
    assert (pradhan.value, pradhan.sd, pradhan.p) == (34.44, 19.12, 0.022)
    assert pradhan.comparator is not None
    assert (pradhan.comparator.value, pradhan.comparator.sd) == (16.50, 11.39)


def test_meta_analyses_match_evidence_md() -> None:
    # evidence.md §4b Borgogna 2024: "6 RCTs, n=221", "Overall g=0.27 (95% CI 0.03–0.51);
    # bias-adjusted g=0.20 (−0.08–0.48)", "vs active control g=0.24 (−0.30–0.78)".
    borgogna = get_trial("borgogna2024")
    assert (borgogna.n, borgogna.n_studies) == (221, 6)
    assert borgogna.figure("overall").value == 0.27
    assert borgogna.figure("overall").ci95 == (0.03, 0.51)
    assert borgogna.figure("bias_adjusted").ci95 == (-0.08, 0.48)
    assert borgogna.figure("vs_active_control").ci95 == (-0.30, 0.78)
    # Almeida 2024: "standardized effect 0.25, p=0.036", 10 studies, PMID 38559428.
    almeida = get_trial("almeida2024")
    end = almeida.figure("end_of_course")
    assert (end.value, end.p, almeida.n_studies, almeida.pmid) == (0.25, 0.036, 10, "38559428")
    # Du 2022: "chronic PTSD (3 trials, n=91): −3.66 (−7.05 to −0.27), P=0.03", scale in doubt.
    chronic = get_trial("du2022").figure("chronic_ptsd")
    assert (chronic.value, chronic.ci95, chronic.n) == (-3.66, (-7.05, -0.27), 91)
    assert chronic.unconfirmed


def test_what_evidence_md_marks_unconfirmed_stays_flagged() -> None:
    # evidence.md: Shiroma 2020 "result numbers UNCONFIRMED"; Duek 2023 "civilian/veteran mix —
    # UNCONFIRMED"; Yale Phase II "registry ID UNCONFIRMED"; §8: Feder 2021 PMID, Feder 2014 DOI
    # and Albott 2018 DOI not confirmed; §4b: Almeida's 0.25 is not a pooled SMD.
    shiroma = get_trial("shiroma2020")
    assert shiroma.figures == ()
    assert any("UNCONFIRMED" in item for item in shiroma.unconfirmed)
    assert any("not a pooled standardised" in item for item in get_trial("almeida2024").unconfirmed)
    for trial_id in ("duek2023", "yale_phase2_planned"):
        assert any("UNCONFIRMED" in item for item in get_trial(trial_id).unconfirmed), trial_id
    assert get_trial("feder2021").pmid is None
    assert any("PMID" in item for item in get_trial("feder2021").unconfirmed)
    assert get_trial("feder2014").doi is None and get_trial("albott2018").doi is None
    assert get_trial("yale_phase2_planned").status == "planned"
    assert get_trial("nct04560660").status == "no_results"


def test_the_corrections_of_issue_9_are_in_the_data() -> None:
    # evidence.md §4a "Other evidence noted": Dadabayev AR … Chronic Stress 2020, doi
    # 10.1177/2470547020981670, PMID 33426410, NCT04322968; 41 enrolled, planned 40; ketamine
    # 0.5 mg/kg over 40 min vs ketorolac 15 mg (not midazolam).
    ids = [trial.id for trial in load_trials()]
    assert "single_infusion_rct_n40" not in ids
    dadabayev = get_trial("dadabayev2020")
    assert dadabayev.short_name == "Dadabayev 2020"
    assert (dadabayev.doi, dadabayev.pmid, dadabayev.nct) == (
        "10.1177/2470547020981670",
        "33426410",
        "NCT04322968",
    )
    assert dadabayev.n == 41 and dadabayev.regimen is not None
    assert dadabayev.regimen.comparator == "ketorolac 15 mg"
    assert "midazolam" not in dadabayev.result
    assert dadabayev.unconfirmed == ()
    # §4b Borgogna: ~1 week g=0.24 (0.00–0.48), "no meaningful group difference".
    one_week = get_trial("borgogna2024").figure("one_week")
    assert (one_week.value, one_week.ci95, one_week.direction) == (
        0.24,
        (0.0, 0.48),
        "no_difference",
    )
    # §4b Almeida: "not a pooled standardised mean difference".
    almeida = get_trial("almeida2024").figure("end_of_course")
    assert "not a pooled standardised mean difference" in almeida.label
    # §4a Albott: "median time to depression relapse 20 days (among 14 depression responders".
    depression = get_trial("albott2018").figure("median_days_to_depression_relapse")
    assert (depression.value, depression.n, depression.measure) == (20, 14, "MADRS")
    # §4a Shiroma 2020 "CAPS-5 >33, PCL-5 >33 (registry)"; §6 NCT04560660 excludes severe SUD only.
    assert "CAPS-5 >33" in get_trial("shiroma2020").population
    assert any("severe" in c for c in get_trial("nct04560660").caveats)


def _numbers(text: str) -> set[float]:
    return {float(token) for token in re.findall(r"\d+(?:\.\d+)?", text)}


def test_every_figure_and_ci_limit_appears_in_its_own_quote() -> None:
    for trial in load_trials():
        for figure in trial.figures:
            if figure.value is None:
                continue
            found = _numbers(figure.quote)
            scale = 100 if figure.statistic == "proportion" else 1
            wanted = [figure.value, *(figure.ci95 or ())]
            if figure.comparator is not None:
                wanted.append(figure.comparator.value)
            for number in wanted:
                assert round(abs(number) * scale, 4) in found, (trial.id, figure.key, number)


def test_every_quote_is_verbatim_text_of_evidence_md() -> None:
    text = EVIDENCE_MD.read_text(encoding="utf-8").replace("**", "")
    for trial in load_trials():
        for figure in trial.figures:
            assert figure.quote in text, (trial.id, figure.key, figure.quote)


# --- validation -----------------------------------------------------------------------------------


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "trials.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def feder_only() -> dict[str, Any]:
    data = raw_file()
    data["entries"] = [e for e in data["entries"] if e["id"] == "feder2021"]
    return data


def test_a_copy_of_one_entry_loads(tmp_path: Path) -> None:
    assert [t.id for t in load_trials(write(tmp_path, feder_only()))] == ["feder2021"]


@pytest.mark.parametrize(
    ("mutate", "field", "reason_part"),
    [
        (lambda e: e.pop("doi"), "doi", "is missing"),
        (lambda e: e.update(year=2021), "year", "is not a known field"),
        (lambda e: e.update(kind="trial"), "kind", "must be one of rct"),
        (lambda e: e.update(n=-1), "n", "whole number"),
        (lambda e: e.update(nct="02397889"), "nct", "must look like NCT"),
        (lambda e: e["figures"][2].update(value=67), "figures[2].value", "proportion"),
        (lambda e: e["figures"][1].update(ci95=[1.2, 1.9]), "figures[1].ci95", "contain"),
        (lambda e: e["figures"][1].update(ci95=[1.9, 0.3]), "figures[1].ci95", "low <= high"),
        (lambda e: e["figures"][0].update(statistic="qualitative"), "figures[0].value", "null"),
        (lambda e: e["figures"][3].update(key="responders"), "figures[3].key", "repeats"),
        (lambda e: e["figures"][2]["comparator"].pop("n"), "figures[2].comparator.n", "missing"),
        (lambda e: e.update(regimen=None), "regimen", "required for a rct"),
        (lambda e: e["regimen"].update(drug="midazolam"), "regimen.drug", "one of"),
    ],
)
def test_a_schema_error_names_the_entry_and_the_field(
    tmp_path: Path, mutate: Any, field: str, reason_part: str
) -> None:
    data = feder_only()
    mutate(data["entries"][0])
    with pytest.raises(TrialDataError) as raised:
        load_trials(write(tmp_path, data))
    assert (raised.value.entry_id, raised.value.field) == ("feder2021", field)
    assert reason_part in raised.value.reason
    assert str(raised.value).startswith(f"feder2021: {field} ")


def test_duplicate_ids_and_entries_without_an_id_are_named(tmp_path: Path) -> None:
    data = feder_only()
    data["entries"].append(copy.deepcopy(data["entries"][0]))
    with pytest.raises(TrialDataError, match=r"^feder2021: id is used by an earlier entry"):
        load_trials(write(tmp_path, data))
    data = feder_only()
    del data["entries"][0]["id"]
    with pytest.raises(TrialDataError) as raised:
        load_trials(write(tmp_path, data))
    assert (raised.value.entry_id, raised.value.field) == ("entries[0]", "id")


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trials.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(TrialDataError, match="cannot be read as JSON"):
        load_trials(path)


# --- comparisons ---------------------------------------------------------------------------------

FULL = ClinicFigures(
    min_n=10,
    response_day=14,
    response_rate=0.45,
    response_ci95=(0.31, 0.60),
    response_n=40,
    six_infusion_response_rate=0.5,
    six_infusion_response_ci95=(0.31, 0.69),
    six_infusion_response_n=24,
    veteran_response_rate=0.3,
    veteran_response_ci95=(0.14, 0.52),
    veteran_response_n=20,
    median_days_to_loss_of_response=31.0,
    median_days_ci95=(21.0, math.inf),
    n_responders=14,
    mean_change=-15.0,
    sd_change=12.0,
    n=40,
)


def by_key(items: list[Comparison]) -> dict[str, Comparison]:
    return {item.key: item for item in items}


def test_comparisons_pair_each_clinic_figure_with_the_right_study_figure() -> None:
    pairs = [(c.key, c.study.id, c.figure.key, c.comparability) for c in comparisons(FULL)]
    assert pairs == [
        ("six_infusion_response", "feder2021", "responders", "closest comparison"),
        ("response_any_course", "feder2021", "responders", "closest comparison"),
        ("durability", "feder2021", "median_days_to_loss_of_response", "closest comparison"),
        ("durability_vs_relapse", "albott2018", "median_days_to_relapse", "different measure"),
        ("veteran_response", "abdallah2022", "pcl5_no_effect", "different measure"),
        (
            "standardised_change_vs_borgogna2024",
            "borgogna2024",
            "overall",
            "different measure",
        ),
    ]


def test_every_comparison_carries_one_of_the_three_labels_and_never_almeida() -> None:
    for item in comparisons(FULL):
        assert item.comparability in ("like for like", "closest comparison", "different measure")
        assert item.study.id != "almeida2024"  # its 0.25 is not a pooled SMD (evidence.md §4b)
        assert item.to_dict()["comparability"] == item.comparability
        if item.comparability == "closest comparison":
            assert item.differences, item.key


def test_pcl5_against_caps5_can_never_be_like_for_like() -> None:
    feder = get_trial("feder2021")
    with pytest.raises(ValueError, match="PCL-5 against CAPS-5"):
        Comparison(
            key="x",
            label="x",
            clinic=None,
            clinic_reason="",
            clinic_measure="PCL-5",
            study=feder,
            figure=feder.figure("responders"),
            study_summary="",
            measure_note="",
            caveats=(),
            comparability=evidence.LIKE_FOR_LIKE,
        )
    with pytest.raises(ValueError, match="must state every difference"):
        Comparison(
            key="x",
            label="x",
            clinic=None,
            clinic_reason="",
            clinic_measure="PCL-5",
            study=feder,
            figure=feder.figure("responders"),
            study_summary="",
            measure_note="",
            caveats=(),
            comparability=evidence.CLOSEST,
        )
    with pytest.raises(ValueError, match="comparability must be one of"):
        Comparison(
            key="x",
            label="x",
            clinic=None,
            clinic_reason="",
            clinic_measure="PCL-5",
            study=feder,
            figure=feder.figure("responders"),
            study_summary="",
            measure_note="",
            caveats=(),
            comparability="for orientation only",
        )


def test_the_durability_comparison_states_every_difference_from_feder() -> None:
    figures = ClinicFigures(
        median_days_to_loss_of_response=31.0,
        n_responders=14,
        durability_from_day=14,
        loss_confirmations=2,
    )
    durability = by_key(comparisons(figures))["durability"]
    differences = " ".join(durability.differences)

    assert durability.comparability == "closest comparison"
    assert "PCL-5" in differences and "CAPS-5" in differences  # instrument
    assert "not the trial's sample" in differences  # population
    assert "day 14" in differences and "end of its two-week course" in differences  # clock
    assert "2 consecutive follow-ups" in differences and "UNCONFIRMED" in differences  # rule
    assert "not been validated on the PCL-5" in differences
    other_day = by_key(comparisons(dataclasses.replace(figures, durability_from_day=28)))
    assert "Day 28 is not the end of a two-week course" in " ".join(
        other_day["durability"].differences
    )


def test_the_clinic_values_are_set_beside_the_study_values() -> None:
    result = by_key(comparisons(FULL))
    six = result["six_infusion_response"]
    assert six.clinic is not None
    assert (six.clinic.value, six.clinic.n, six.clinic.unit) == (0.5, 24, "proportion")
    assert six.clinic_text == "50% (95% CI 31%–69%), n=24"
    assert "67% of 15 vs 20% of 15 with midazolam" in six.study_summary
    durability = result["durability"]
    assert durability.clinic_text == "31 days (95% CI 21–not reached), 14 responders"
    assert "27.5 days" in durability.study_summary
    assert "41 days" in result["durability_vs_relapse"].study_summary
    assert "No significant group×time effect" in result["veteran_response"].study_summary
    assert "g = 0.27 (95% CI 0.03 to 0.51)" in (
        result["standardised_change_vs_borgogna2024"].study_summary
    )
    json.dumps([c.to_dict() for c in comparisons(FULL)])  # JSON-ready for the dashboard


def test_the_honest_caveats_are_shown_in_place() -> None:
    result = by_key(comparisons(FULL))
    for item in result.values():
        assert any("observational" in caveat for caveat in item.caveats), item.key
    six = result["six_infusion_response"]
    assert any("CAPS-5" in c and "PCL-5" in c for c in six.differences)
    assert any("exclusions" in c for c in six.differences)  # selection
    assert any("day 14" in c and "week 2" in c for c in six.differences)  # follow-up windows
    assert "Not the same measure" in result["durability_vs_relapse"].measure_note
    assert "neither confirm nor refute" in result["veteran_response"].measure_note
    assert any("80% remission" in c for c in result["veteran_response"].caveats)
    borgogna = result["standardised_change_vs_borgogna2024"]
    assert borgogna.caveats[0].startswith("Not comparable: ")
    assert "between-group" in borgogna.caveats[0]
    assert any("g = 0.20" in c for c in borgogna.caveats)
    # The ~1-week figure is read as no meaningful difference, never as favouring ketamine.
    assert any("g = 0.24 (95% CI 0.00 to 0.48)" in c and "no meaningful" in c
               for c in borgogna.caveats)  # fmt: skip


def test_figures_below_min_n_are_hidden_with_a_reason() -> None:
    small = ClinicFigures(
        min_n=10,
        six_infusion_response_rate=0.5,
        six_infusion_response_n=9,
        veteran_response_rate=0.0,
        veteran_response_n=3,
        median_days_to_loss_of_response=20.0,
        n_responders=9,
        mean_change=-10.0,
        sd_change=8.0,
        n=9,
    )
    result = by_key(comparisons(small))
    expected = {
        "six_infusion_response": "fewer than 10 patients",
        "response_any_course": "not available for this selection",
        "durability": "fewer than 10 responders",
        "durability_vs_relapse": "fewer than 10 responders",
        "veteran_response": "fewer than 10 veterans",
        "standardised_change_vs_borgogna2024": "fewer than 10 patients",
    }
    for key, reason in expected.items():
        assert result[key].clinic is None, key
        assert result[key].clinic_reason == reason
        assert result[key].clinic_text == reason


def test_exactly_min_n_is_shown_and_a_median_not_reached_says_so() -> None:
    figures = ClinicFigures(
        min_n=12, six_infusion_response_rate=0.25, six_infusion_response_n=12, n_responders=12
    )
    result = by_key(comparisons(figures))
    assert result["six_infusion_response"].clinic is not None
    assert result["durability"].clinic is None
    assert (result["durability"].clinic_reason or "").startswith("median not reached")


def test_standardised_mean_change_agrees_with_the_exact_noncentral_t_interval() -> None:
    # d_z = 15 / 12 = 1.25 (improvement positive). Independent check: the exact CI for
    # d_z inverts the noncentral t distribution of t = d_z √n with n − 1 df.
    n, d = 40, 1.25
    value, (low, high) = standardised_mean_change(-15.0, 12.0, n)
    assert value == pytest.approx(d)
    t = d * math.sqrt(n)

    def limit(tail: float) -> float:
        delta = optimize.brentq(lambda nc: stats.nct.sf(t, n - 1, nc) - tail, 0, 20)
        return float(delta) / math.sqrt(n)

    assert low == pytest.approx(limit(0.025), abs=0.03)
    assert high == pytest.approx(limit(0.975), abs=0.03)
    comparison = by_key(comparisons(FULL))["standardised_change_vs_borgogna2024"]
    assert comparison.clinic is not None
    assert comparison.clinic.value == pytest.approx(1.25)
    assert comparison.clinic_text == f"1.25 (95% CI {low:.2f} to {high:.2f}), n=40"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("response_rate", 1.5),
        ("response_ci95", (0.6, 0.2)),
        ("response_n", -1),
        ("min_n", 0),
        ("sd_change", -2.0),
    ],
)
def test_clinic_figures_refuse_impossible_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{field} "):
        ClinicFigures(**{field: value})  # type: ignore[arg-type]


def test_comparisons_need_the_trials_they_compare_with() -> None:
    without_feder = [trial for trial in load_trials() if trial.id != "feder2021"]
    with pytest.raises(KeyError, match="feder2021"):
        comparisons(FULL, trials=without_feder)
