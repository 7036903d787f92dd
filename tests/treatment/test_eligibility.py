"""The screening checklist: every exclusion is asked, every positive or unknown answer is a
flag with its kind and source, and a decision is refused only for missing documentation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from afterglow.treatment import eligibility
from afterglow.treatment.eligibility import (
    ABSOLUTE,
    CHECKLIST,
    RELATIVE,
    absolute_flags,
    answer_problems,
    baseline_bp_flag,
    decision_errors,
    decision_problems,
    flags,
)
from tests.factories import answers

# Every item of the issue, and how this module classes it.
EXPECTED_KINDS = {
    "psychotic_disorder": ABSOLUTE,
    "current_mania": ABSOLUTE,
    "bipolar_disorder": RELATIVE,
    "brain_injury": RELATIVE,
    "pregnancy": ABSOLUTE,
    "suicide_risk": ABSOLUTE,
    "substance_use": RELATIVE,
    "ketamine_misuse": ABSOLUTE,
    "bp_rise_hazard": ABSOLUTE,  # for IV/IM ketamine; relative for esketamine (below)
    "untreated_hyperthyroidism": RELATIVE,
    "aneurysmal_vascular_disease": ABSOLUTE,
    "arteriovenous_malformation": ABSOLUTE,
    "intracerebral_haemorrhage": ABSOLUTE,
    "hypersensitivity": ABSOLUTE,
    "dementia": RELATIVE,
    "unsafe_medical_condition": RELATIVE,
}
LABEL_CONTRAINDICATIONS = (
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_haemorrhage",
    "hypersensitivity",
)


def test_the_checklist_asks_every_exclusion_of_the_issue_with_its_kind() -> None:
    assert {item.code: item.kind for item in CHECKLIST} == EXPECTED_KINDS
    for route in ("iv", "im"):
        assert {item.code: item.kind_for(route) for item in CHECKLIST} == EXPECTED_KINDS


def test_a_blood_pressure_hazard_is_absolute_for_ketamine_citing_the_ketalar_label() -> None:
    item = eligibility.get_item("bp_rise_hazard")
    for words in ("uncontrolled hypertension", "cardiovascular", "cerebrovascular", "aneurysm"):
        assert words in item.question
    for route in ("iv", "im"):
        [flag] = flags(answers(bp_rise_hazard="yes"), route=route)
        assert (flag.kind, flag.is_absolute) == (ABSOLUTE, True)
        assert "Ketalar" in flag.source
        assert "significant elevation of blood pressure would constitute a serious hazard" in (
            flag.source
        )
        assert "UNCONFIRMED" in flag.source  # the verbatim label text was not retrieved
        assert [f.code for f in absolute_flags(answers(bp_rise_hazard="unknown"), route=route)] == [
            "bp_rise_hazard"
        ]


def test_esketamine_keeps_its_labels_wording() -> None:
    # The blood-pressure item is relative for esketamine (consider delaying >140/90) ...
    [flag] = flags(answers(bp_rise_hazard="yes"), route="intranasal")
    assert flag.kind == RELATIVE and "Esketamine label" in flag.source and "140/90" in flag.source
    assert absolute_flags(answers(bp_rise_hazard="yes"), route="intranasal") == []
    # ... and its own contraindications stay absolute, with the label as the source.
    for code in LABEL_CONTRAINDICATIONS:
        [flag] = flags(answers(**{code: "yes"}), route="intranasal")
        assert flag.kind == ABSOLUTE and "Spravato" in flag.source
    # Every other item is classed the same way for every route.
    for item in CHECKLIST:
        if item.code != "bp_rise_hazard":
            assert item.kind_for("intranasal") == item.kind_for("iv") == item.kind, item.code


def test_untreated_hyperthyroidism_is_a_relative_flag_for_every_route() -> None:
    for route in ("iv", "im", "intranasal"):
        [flag] = flags(answers(untreated_hyperthyroidism="yes"), route=route)
        assert (flag.kind, flag.label) == (RELATIVE, "Untreated hyperthyroidism")
    source = eligibility.get_item("untreated_hyperthyroidism").source
    assert "UNCONFIRMED" in source and "Swiss" in source


def test_a_screening_answered_before_the_new_items_flags_them_as_unknown() -> None:
    old = answers()
    del old["bp_rise_hazard"], old["untreated_hyperthyroidism"]
    old["uncontrolled_hypertension"] = "no"  # the question the new item replaced
    raised = {(f.code, f.answer, f.kind) for f in flags(old, route="iv")}
    assert raised == {
        ("bp_rise_hazard", "unknown", ABSOLUTE),
        ("untreated_hyperthyroidism", "unknown", RELATIVE),
    }


def test_the_label_contraindications_and_psychosis_are_absolute() -> None:
    for code in (*LABEL_CONTRAINDICATIONS, "psychotic_disorder"):
        assert eligibility.get_item(code).kind == ABSOLUTE
    for code in LABEL_CONTRAINDICATIONS:
        assert "label" in eligibility.get_item(code).source


def test_every_item_cites_its_source_in_the_evidence_file() -> None:
    for item in CHECKLIST:
        assert "evidence.md" in item.source, item.code
        assert item.question.strip() and item.label.strip()
    label_items = {*LABEL_CONTRAINDICATIONS, "bp_rise_hazard", "untreated_hyperthyroidism"}
    trial_items = [i for i in CHECKLIST if i.code not in label_items]
    for item in trial_items:
        assert "NCT04560660" in item.source and "Shiroma 2020" in item.source, item.code


def test_codes_are_unique() -> None:
    codes = [item.code for item in CHECKLIST]
    assert len(codes) == len(set(codes))


def test_all_no_raises_no_flag() -> None:
    assert flags(answers(), route="iv") == []
    assert absolute_flags(answers(), route="iv") == []


def test_a_yes_raises_a_flag_with_its_kind_and_source() -> None:
    [flag] = flags(answers(pregnancy="yes"), route="iv")
    assert (flag.code, flag.kind, flag.answer, flag.unknown) == (
        "pregnancy",
        ABSOLUTE,
        "yes",
        False,
    )
    assert flag.source == eligibility.get_item("pregnancy").source


def test_an_unknown_answer_raises_a_flag_marked_unknown() -> None:
    [flag] = flags(answers(brain_injury="unknown"), route="iv")
    assert (flag.code, flag.kind, flag.answer, flag.unknown) == (
        "brain_injury",
        RELATIVE,
        "unknown",
        True,
    )


def test_a_missing_or_odd_answer_is_never_dropped() -> None:
    partial = answers()
    del partial["hypersensitivity"]
    partial["dementia"] = "maybe"
    raised = {f.code: f.answer for f in flags(partial, route="iv")}
    assert raised == {"hypersensitivity": "unknown", "dementia": "unknown"}
    # Nothing answered at all: every item is flagged.
    assert len(flags({}, route="iv")) == len(CHECKLIST)


def test_flags_come_absolute_first_then_yes_before_unknown() -> None:
    raised = flags(
        answers(
            dementia="yes",
            suicide_risk="unknown",
            bipolar_disorder="unknown",
            hypersensitivity="yes",
        ),
        route="iv",
    )
    assert [(f.code, f.answer) for f in raised] == [
        ("hypersensitivity", "yes"),
        ("suicide_risk", "unknown"),
        ("dementia", "yes"),
        ("bipolar_disorder", "unknown"),
    ]
    assert [f.code for f in absolute_flags(answers(dementia="yes"), route="iv")] == []
    assert [
        f.code for f in absolute_flags(answers(dementia="yes", current_mania="yes"), route="iv")
    ] == ["current_mania"]


def test_answers_need_every_question_and_only_checklist_codes() -> None:
    assert answer_problems(answers()) == []
    incomplete = answers(pregnancy="perhaps", typo_code="no")
    del incomplete["dementia"]
    problems = answer_problems(incomplete)
    assert any("Pregnancy" in p for p in problems)
    assert any("Dementia" in p for p in problems)
    assert problems[-1] == "Not on the checklist: typo_code."


def test_a_baseline_bp_at_the_clinic_limit_is_a_relative_flag() -> None:
    kwargs = {"systolic_limit": 140, "diastolic_limit": 90}
    assert baseline_bp_flag(systolic=139, diastolic=89, **kwargs) is None
    flag = baseline_bp_flag(systolic=140, diastolic=70, **kwargs)
    assert flag is not None and flag.kind == RELATIVE and "140/70" in flag.label
    assert baseline_bp_flag(systolic=120, diastolic=95, **kwargs) is not None


# --- the decision ---------------------------------------------------------------------------


def _errors(decision: str, reason: str = "", override: str = "", **given: str) -> dict[str, str]:
    return decision_errors(
        decision=decision,
        reason=reason,
        override_reason=override,
        flags=flags(answers(**given), route="iv"),
    )


def test_not_eligible_needs_a_reason() -> None:
    assert set(_errors("not_eligible")) == {"reason"}
    assert _errors("not_eligible", reason="Current mania.") == {}


def test_eligible_without_flags_needs_nothing() -> None:
    assert _errors("eligible") == {}


def test_eligible_with_only_relative_flags_needs_no_override() -> None:
    assert _errors("eligible", dementia="yes", brain_injury="unknown") == {}


def test_eligible_with_an_absolute_flag_needs_a_written_override() -> None:
    errors = _errors("eligible", pregnancy="yes")
    assert set(errors) == {"override_reason"}
    assert "Pregnancy or breastfeeding" in errors["override_reason"]
    assert _errors("eligible", override="   ", pregnancy="yes").keys() == {"override_reason"}
    assert _errors("eligible", override="Negative test today.", pregnancy="yes") == {}


def test_an_unknown_absolute_answer_also_needs_the_override() -> None:
    errors = _errors("eligible", hypersensitivity="unknown")
    assert "Hypersensitivity (unknown)" in errors["override_reason"]


def test_not_eligible_is_never_refused_for_its_flags() -> None:
    assert _errors("not_eligible", reason="Psychosis.", psychotic_disorder="yes") == {}


def test_a_decision_must_be_one_of_the_two() -> None:
    assert set(_errors("pending")) == {"decision"}
    assert set(_errors("")) == {"decision"}


def test_decision_problems_lists_the_messages() -> None:
    problems = decision_problems(
        "eligible", "", "", flags(answers(current_mania="yes"), route="iv")
    )
    assert len(problems) == 1 and "override" in problems[0]


@pytest.mark.parametrize("module", ["eligibility.py", "schedule.py"])
def test_the_rule_modules_import_nothing_from_django(module: str) -> None:
    path = Path(eligibility.__file__).with_name(module)
    tree = ast.parse(path.read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("django") for name in imported)
