"""The REDCap data dictionary, generated from the catalog: headers, fields, calculations."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command

from afterglow.instruments.catalog import all_instruments, get_instrument
from afterglow.research import redcap

# REDCap's data dictionary columns, typed out from REDCap's own template (not generated).
REDCAP_HEADERS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


def dictionary(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("redcap", "dictionary", *args, stdout=out)
    reader = csv.DictReader(io.StringIO(out.getvalue()))
    rows = list(reader)
    assert reader.fieldnames == REDCAP_HEADERS
    return rows


def evaluate(expression: str, values: dict[str, int | None]) -> object:
    """Evaluate a REDCap calculation of the shape Afterglow writes, ``if(COND, '', SUM)``,
    as REDCap would: ``[x]=''`` is true for a blank field, and only the chosen branch runs."""
    shape = re.fullmatch(r"if\((.*), '', (.*)\)", expression)
    assert shape, expression
    v = {name: "" if value is None else value for name, value in values.items()}

    def python(part: str) -> str:
        return re.sub(r"\[(\w+)\]", lambda m: f"v[{m.group(1)!r}]", part).replace("=''", "==''")

    if eval(python(shape.group(1)), {"v": v}):
        return ""
    return eval(python(shape.group(2)), {"v": v})


def test_the_dictionary_has_redcaps_18_headers_and_every_catalog_item() -> None:
    rows = dictionary()
    names = [row["Variable / Field Name"] for row in rows]
    assert names[0] == "record_id"
    assert len(names) == len(set(names))
    for instrument in all_instruments():
        for item in instrument.items:
            row = rows[names.index(f"{instrument.code}_{item.number}")]
            assert row["Form Name"] == instrument.code
            assert row["Field Type"] == "radio"
            assert item.text in row["Field Label"]
    assert {"diary_intrusive_memories", "diary_flashbacks", "diary_date"} <= set(names)


def test_radio_choices_are_value_comma_label_separated_by_bars() -> None:
    row = next(r for r in dictionary() if r["Variable / Field Name"] == "pcl5_1")
    assert row["Choices, Calculations, OR Slider Labels"] == (
        "0, Not at all | 1, A little bit | 2, Moderately | 3, Quite a bit | 4, Extremely"
    )


def test_only_the_record_number_and_date_of_birth_are_flagged_as_identifiers() -> None:
    flagged = {r["Variable / Field Name"] for r in dictionary() if r["Identifier?"] == "y"}
    assert flagged == {"mrn", "date_of_birth"}


def test_dates_use_date_ymd_validation() -> None:
    rows = {r["Variable / Field Name"]: r for r in dictionary()}
    for name in ("pcl5_date", "phq9_date", "diary_date", "date_of_birth"):
        assert rows[name]["Text Validation Type OR Show Slider Number"] == "date_ymd"


def test_totals_and_clusters_are_calculated_fields_that_stay_blank_when_an_item_is_missing() -> (
    None
):
    rows = {r["Variable / Field Name"]: r for r in dictionary("--instruments", "pcl5")}
    pcl5 = get_instrument("pcl5")
    total = rows["pcl5_total"]
    assert total["Field Type"] == "calc"
    answers = {f"pcl5_{n}": (n % 5) for n in pcl5.item_numbers}
    # Hand-worked: items 1..20 rated n mod 5 = 1,2,3,4,0 four times: 4 x 10 = 40.
    assert evaluate(total["Choices, Calculations, OR Slider Labels"], answers) == 40
    # Cluster B = items 1-5: 1+2+3+4+0 = 10.
    assert evaluate(rows["pcl5_b"]["Choices, Calculations, OR Slider Labels"], answers) == 10
    answers["pcl5_7"] = None  # item 7 is in cluster C (items 6-7)
    assert evaluate(total["Choices, Calculations, OR Slider Labels"], answers) == ""
    assert evaluate(rows["pcl5_c"]["Choices, Calculations, OR Slider Labels"], answers) == ""
    assert evaluate(rows["pcl5_b"]["Choices, Calculations, OR Slider Labels"], answers) == 10
    assert "sum(" not in total["Choices, Calculations, OR Slider Labels"]


def test_instruments_can_be_chosen_and_an_unknown_one_is_refused_in_one_line() -> None:
    forms = {r["Form Name"] for r in dictionary("--instruments", "phq9")}
    assert forms == {"participant", "phq9"}
    with pytest.raises(CommandError, match="unknown instrument 'nope'") as raised:
        call_command("redcap", "dictionary", "--instruments", "nope")
    assert raised.value.returncode == 2


def test_unique_event_names_follow_redcaps_pattern_and_never_collide() -> None:
    name = redcap.unique_event_name("week 2 (end of course)")
    assert re.fullmatch(r"[a-z0-9_]{1,18}_arm_1", name)
    assert name.startswith("week_2_end_of_cour")
    taken = [name]
    other = redcap.unique_event_name("Week 2 (end of course) #2", taken)
    assert other != name and other.endswith("_arm_1")
