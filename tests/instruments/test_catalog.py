"""The instrument catalog: the shipped PCL-5 definitions and the loader's checks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from afterglow.instruments import catalog
from afterglow.instruments.catalog import (
    CatalogError,
    UnknownInstrument,
    all_instruments,
    get_instrument,
    load_catalog,
)
from afterglow.instruments.scoring import score

DEFINITIONS = Path(catalog.__file__).parent / "definitions"
CRITERIA = [f"B{i}" for i in range(1, 6)] + ["C1", "C2"]
CRITERIA += [f"D{i}" for i in range(1, 8)] + [f"E{i}" for i in range(1, 7)]


# --- the shipped PCL-5 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "frame", "label"),
    [("pcl5", "past month", "Past month"), ("pcl5_past_week", "past week", "Past week")],
)
def test_both_pcl5_versions_load_with_20_items_rated_0_to_4(
    code: str, frame: str, label: str
) -> None:
    pcl5 = get_instrument(code)

    assert pcl5.name == "PTSD Checklist for DSM-5"
    assert pcl5.short_name == "PCL-5"
    assert pcl5.version_label == label
    assert pcl5.item_numbers == tuple(range(1, 21))
    assert pcl5.option_values == (0, 1, 2, 3, 4)
    assert [o.label for o in pcl5.response_options] == [
        "Not at all",
        "A little bit",
        "Moderately",
        "Quite a bit",
        "Extremely",
    ]
    assert pcl5.stem == f"In the {frame}, how much were you bothered by:"
    assert pcl5.instructions.startswith(
        "Below is a list of problems that people sometimes have in response to a very "
        "stressful experience."
    )
    assert f"bothered by that problem in the {frame}." in pcl5.instructions
    assert (pcl5.scoring.min, pcl5.scoring.max) == (0, 80)
    assert "National Center for PTSD" in pcl5.attribution


def test_items_follow_dsm5_criteria_b1_to_e6_in_order() -> None:
    pcl5 = get_instrument("pcl5")

    assert [item.criterion for item in pcl5.items] == CRITERIA


def test_each_cluster_holds_exactly_the_items_of_its_criterion() -> None:
    pcl5 = get_instrument("pcl5")

    assert {s.key: s.items for s in pcl5.subscales} == {
        "B": (1, 2, 3, 4, 5),
        "C": (6, 7),
        "D": (8, 9, 10, 11, 12, 13, 14),
        "E": (15, 16, 17, 18, 19, 20),
    }
    for subscale in pcl5.subscales:
        assert {pcl5.item(n).criterion[0] for n in subscale.items} == {subscale.key}
    assert pcl5.subscale("B").label == "Intrusion"


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "Repeated, disturbing, and unwanted memories of the stressful experience?"),
        (
            3,
            "Suddenly feeling or acting as if the stressful experience were actually happening "
            "again (as if you were actually back there reliving it)?",
        ),
        (17, "Being \u201csuperalert\u201d or watchful or on guard?"),
        (20, "Trouble falling or staying asleep?"),
    ],
)
def test_items_keep_the_official_wording(number: int, text: str) -> None:
    assert get_instrument("pcl5").item(number).text == text


def test_the_scoring_rules_are_the_ncptsd_ones() -> None:
    rules = get_instrument("pcl5").scoring

    assert rules.method == "sum"
    assert rules.provisional_diagnosis is not None
    assert rules.provisional_diagnosis.endorsed_at_least == 2
    assert dict(rules.provisional_diagnosis.require) == {"B": 1, "C": 1, "D": 2, "E": 2}
    assert rules.cutoff is not None
    assert (rules.cutoff.default, rules.cutoff.flag) == (33, "probable_ptsd")
    assert rules.cutoff.clinic_setting == "pcl5_cutoff"


def test_the_past_week_version_has_the_same_items_and_rules_as_the_past_month_one() -> None:
    month, week = get_instrument("pcl5"), get_instrument("pcl5_past_week")

    assert week.items == month.items
    assert week.response_options == month.response_options
    assert week.subscales == month.subscales
    # Only the cutoff's explanatory note differs: 31-33 was validated on the past-month form.
    assert week.scoring.cutoff is not None and month.scoring.cutoff is not None
    assert replace(week.scoring.cutoff, note="") == replace(month.scoring.cutoff, note="")
    assert replace(week.scoring, cutoff=None) == replace(month.scoring, cutoff=None)
    assert "past month" not in (week.stem + week.instructions)


def test_unknown_codes_raise_a_key_error_that_lists_the_known_codes() -> None:
    with pytest.raises(UnknownInstrument) as caught:
        get_instrument("pcl-5")

    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == (
        "unknown instrument 'pcl-5'; known codes: pcl5, pcl5_past_week, phq9"
    )


def test_all_instruments_are_listed_by_code_and_loaded_once() -> None:
    codes = [instrument.code for instrument in all_instruments()]

    assert codes == sorted(codes)
    assert {"pcl5", "pcl5_past_week"} <= set(codes)
    assert get_instrument("pcl5") is get_instrument("pcl5")


def test_catalog_and_scoring_import_without_django() -> None:
    code = (
        "import sys; import afterglow.instruments.scoring; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- adding an instrument -----------------------------------------------------------------------


def tiny_instrument(code: str = "tiny") -> dict[str, Any]:
    return {
        "code": code,
        "name": "Tiny two-item scale",
        "short_name": "TINY",
        "version_label": "Today",
        "time_frame": "today",
        "instructions": "Answer both questions.",
        "stem": "Today:",
        "response_options": [{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}],
        "items": [
            {"number": 1, "text": "First?", "criterion": "A1", "short_label": "first"},
            {"number": 2, "text": "Second?", "criterion": "A2", "short_label": "second"},
        ],
        "subscales": {},
        "scoring": {"method": "sum", "min": 0, "max": 2},
        "source": "Test fixture.",
        "licence": "Test fixture.",
        "attribution": "Test fixture.",
    }


def write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_instrument_is_just_one_json_file(tmp_path: Path) -> None:
    write(tmp_path, "tiny.json", tiny_instrument())

    tiny = load_catalog(tmp_path)["tiny"]
    result = score(tiny, [1, None])

    assert tiny.scoring.cutoff is None
    assert result.to_dict() == {
        "complete": False,
        "total": None,
        "clusters": {},
        "provisional_diagnosis": None,
        "missing_items": [2],
    }


def test_the_shipped_definitions_load_from_an_explicit_directory() -> None:
    assert set(load_catalog(DEFINITIONS)) == {i.code for i in all_instruments()}


def pcl5_data() -> dict[str, Any]:
    return json.loads((DEFINITIONS / "pcl5.json").read_text(encoding="utf-8"))


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """Return a mutation that sets a dotted path (list indexes as numbers) to value."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


BROKEN = {
    "duplicate item number": (_set("items.3.number", 3), "duplicate item numbers: [3]"),
    "subscale with unknown item": (_set("subscales.C.items", [6, 7, 21]), "unknown item(s) [21]"),
    "option value as text": (_set("response_options.1.value", "1"), "must be an integer"),
    "option value as boolean": (_set("response_options.1.value", True), "must be an integer"),
    "duplicate option value": (_set("response_options.1.value", 0), "duplicate values"),
    "items out of order": (
        lambda d: d["items"].reverse(),
        "must be numbered 1 to 20 in order",
    ),
    "max that does not match the items": (_set("scoring.max", 79), "give 0/80"),
    "unsupported method": (_set("scoring.method", "mean"), "not supported"),
    "misspelt key": (_set("atribution", "x"), "unknown key(s) atribution"),
    "missing key": (lambda d: d.pop("instructions"), "missing instructions"),
    "cutoff out of range": (_set("scoring.cutoff.default", 81), "outside the score range"),
    "flag clashing with a result key": (_set("scoring.cutoff.flag", "total"), "flag 'total'"),
    "rule naming an unknown subscale": (
        _set("scoring.provisional_diagnosis.require.F", 1),
        "unknown subscale 'F'",
    ),
    "rule needing more items than the cluster has": (
        _set("scoring.provisional_diagnosis.require.C", 3),
        "between 1 and 2",
    ),
    "threshold that is not an option": (
        _set("scoring.provisional_diagnosis.endorsed_at_least", 5),
        "not a response option value",
    ),
    "code that does not match the file name": (_set("code", "pcl5x"), "does not match the file"),
    "empty item text": (_set("items.0.text", " "), "items[0].text must be a non-empty string"),
}


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_a_broken_definition_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, problem: str
) -> None:
    mutate, expected = BROKEN[problem]
    data = pcl5_data()
    mutate(data)
    write(tmp_path, "pcl5.json", data)
    write(tmp_path, "tiny.json", tiny_instrument())

    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)

    assert str(caught.value).startswith("pcl5.json: ")
    assert expected in str(caught.value)


def test_a_definition_that_is_not_json_is_refused_with_its_position(tmp_path: Path) -> None:
    write(tmp_path, "broken.json", '{"code": "broken",\n  "name": }')

    with pytest.raises(CatalogError, match=r"^broken\.json: not valid JSON at line 2 column"):
        load_catalog(tmp_path)


def test_a_missing_definitions_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="folder not found"):
        load_catalog(tmp_path / "nowhere")
