"""Protocol presets: the shipped regimens carry the cited numbers, and broken files are refused."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from afterglow.treatment import presets
from afterglow.treatment.dosing import fixed_dose, weight_based_dose
from afterglow.treatment.presets import (
    PostDoseTherapy,
    PresetError,
    UnknownPreset,
    all_presets,
    get_preset,
    load_presets,
    preset_as_json,
)

PRESETS_DIR = Path(presets.__file__).parent / "preset_definitions"
CODES = [
    "abdallah2022_eight_02",
    "abdallah2022_eight_05",
    "esketamine_label",
    "feder2014_single",
    "feder2021_six",
    "kepe_weekly",
]


def test_the_six_presets_ship_ordered_by_code() -> None:
    assert [preset.code for preset in all_presets()] == CODES


@pytest.mark.parametrize("code", CODES)
def test_each_preset_reads_back_exactly_as_its_file(code: str) -> None:
    on_disk = json.loads((PRESETS_DIR / f"{code}.json").read_text(encoding="utf-8"))

    assert preset_as_json(get_preset(code)) == on_disk
    assert list(preset_as_json(get_preset(code))) == list(on_disk)  # same key order


@pytest.mark.parametrize("code", CODES)
def test_each_preset_cites_its_source_and_can_be_dosed(code: str) -> None:
    preset = get_preset(code)

    assert preset.source.strip() and preset.description.strip()
    if preset.dose_mg_per_kg is not None:
        assert preset.infusion_minutes is not None
        plan = weight_based_dose(
            weight_kg=70,
            mg_per_kg=preset.dose_mg_per_kg,
            minutes=preset.infusion_minutes,
            concentration_mg_per_ml=1,
        )
        assert plan.dose_mg == 70 * preset.dose_mg_per_kg
        assert preset.deviation(preset.dose_mg_per_kg) is None
    else:
        for option in preset.fixed_dose_options_mg:
            assert fixed_dose(dose_mg=option).dose_mg == option


def test_feder_2014_is_one_infusion_of_0_5_mg_per_kg_over_40_minutes() -> None:
    preset = get_preset("feder2014_single")

    assert (preset.route, preset.dose_mg_per_kg, preset.infusion_minutes) == (
        "iv",
        Decimal("0.5"),
        40,
    )
    assert (preset.sessions, preset.sessions_per_week) == (1, None)
    assert "PMID 24740528" in preset.source


def test_feder_2021_is_six_infusions_three_a_week_with_four_hours_on_site() -> None:
    preset = get_preset("feder2021_six")

    assert (preset.dose_mg_per_kg, preset.infusion_minutes) == (Decimal("0.5"), 40)
    assert (preset.sessions, preset.sessions_per_week) == (6, 3)
    assert preset.observation_minutes == 240
    assert "doi 10.1176/appi.ajp.2020.20050596" in preset.source
    assert "NCT02397889" in preset.source


@pytest.mark.parametrize(
    ("code", "dose"), [("abdallah2022_eight_05", "0.5"), ("abdallah2022_eight_02", "0.2")]
)
def test_abdallah_2022_is_eight_infusions_twice_a_week_at_either_dose(code: str, dose: str) -> None:
    preset = get_preset(code)

    assert (preset.dose_mg_per_kg, preset.infusion_minutes) == (Decimal(dose), 40)
    assert (preset.dose_mg_per_kg_min, preset.dose_mg_per_kg_max) == (Decimal(dose), Decimal(dose))
    assert (preset.sessions, preset.sessions_per_week) == (8, 2)
    assert "doi 10.1038/s41386-022-01266-9" in preset.source
    assert "did not differ from placebo" in preset.note


def test_ketamine_enhanced_exposure_puts_pe_24_to_72_hours_after_each_weekly_infusion() -> None:
    preset = get_preset("kepe_weekly")

    assert (preset.sessions, preset.sessions_per_week) == (3, 1)
    assert preset.post_dose_therapy == PostDoseTherapy(
        type="prolonged_exposure", window_hours=(24, 72), sessions_after_course=7
    )
    assert "NCT04560660" in preset.source
    # The dose is the evidence table's default, and the preset says so.
    assert "0.5 mg/kg over 40 minutes is the default" in preset.note


def test_esketamine_is_a_fixed_56_or_84_mg_dose_with_two_hours_of_monitoring() -> None:
    preset = get_preset("esketamine_label")

    assert preset.route == "intranasal"
    assert (preset.dose_mg_per_kg, preset.dose_mg_per_kg_min, preset.dose_mg_per_kg_max) == (
        None,
        None,
        None,
    )
    assert preset.fixed_dose_mg == 56
    assert preset.fixed_dose_options_mg == (56, 84)
    assert preset.infusion_minutes is None
    assert (preset.sessions, preset.sessions_per_week) == (8, 2)
    assert preset.observation_minutes is not None and preset.observation_minutes >= 120
    assert "Not approved for PTSD" in preset.note


def test_a_dose_outside_a_preset_needs_a_reason() -> None:
    feder = get_preset("feder2021_six")
    esketamine = get_preset("esketamine_label")

    assert feder.deviation(Decimal("0.5")) is None
    above = feder.deviation(Decimal("0.6"))
    assert above is not None and above.direction == "above"
    assert esketamine.deviation(84) is None
    below = esketamine.deviation(28)
    assert below is not None and (below.unit, below.direction) == ("mg", "below")


def test_an_unknown_code_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(UnknownPreset) as caught:
        get_preset("feder2099")

    assert str(caught.value) == f"unknown preset 'feder2099'; known codes: {', '.join(CODES)}"


def test_the_loader_needs_no_django() -> None:
    code = (
        "import sys; import afterglow.treatment.presets as p; p.all_presets(); "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- broken files --------------------------------------------------------------------------------


def feder() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PRESETS_DIR / "feder2021_six.json").read_text())
    return data


def esketamine() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PRESETS_DIR / "esketamine_label.json").read_text())
    return data


def changed(base: Callable[[], dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {**base(), **changes}


def without(key: str) -> dict[str, Any]:
    data = feder()
    del data[key]
    return data


BROKEN: dict[str, tuple[dict[str, Any] | list[Any], str]] = {
    "not an object": ([], "must be a JSON object"),
    "missing key": (without("observation_minutes"), "missing key(s) observation_minutes"),
    "unknown key": (changed(feder, dose_mg_per_kg_typo=0.5), "unknown key(s) dose_mg_per_kg_typo"),
    "both doses": (changed(feder, fixed_dose_mg=56), "exactly one of"),
    "no dose": (changed(feder, dose_mg_per_kg=None), "exactly one of"),
    "dose outside its range": (changed(feder, dose_mg_per_kg_max=0.4), "within dose_mg_per_kg_min"),
    "range missing": (changed(feder, dose_mg_per_kg_min=None), "needs dose_mg_per_kg_min/max"),
    "above 2 mg/kg": (changed(feder, dose_mg_per_kg_max=2.5), "at most 2 mg/kg"),
    "negative dose": (changed(feder, dose_mg_per_kg=-0.5), "must be a positive number"),
    "iv without minutes": (changed(feder, infusion_minutes=None), "required for route iv"),
    "minutes out of range": (
        changed(feder, infusion_minutes=300),
        "infusion_minutes must be 1-240",
    ),
    "nasal with minutes": (changed(esketamine, infusion_minutes=5), "must be null otherwise"),
    "fixed dose not an option": (changed(esketamine, fixed_dose_mg=28), "including it"),
    "options not a list": (changed(esketamine, fixed_dose_options_mg=56), "must be a list"),
    "no sessions": (changed(feder, sessions=0), "sessions must be a whole number of at least 1"),
    "sessions as boolean": (changed(feder, sessions=True), "got True"),
    "per week missing": (changed(feder, sessions_per_week=None), "only for a single session"),
    "unknown route": (changed(feder, route="oral"), "route must be one of iv, intranasal, im"),
    "empty source": (changed(feder, source="  "), "source must be a non-empty string"),
    "bad code": (changed(feder, code="Feder 2021"), "code must be lower-case"),
    "therapy window backwards": (
        changed(
            feder,
            post_dose_therapy={"type": "pe", "window_hours": [72, 24], "sessions_after_course": 0},
        ),
        "must run forwards",
    ),
    "therapy keys": (changed(feder, post_dose_therapy={"type": "pe"}), "post_dose_therapy must be"),
    "note not text": (changed(feder, note=None), "note must be a string"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_preset_is_refused_naming_the_file(tmp_path: Path, kind: str) -> None:
    data, reason = BROKEN[kind]
    code = data.get("code", "broken") if isinstance(data, dict) else "broken"
    name = f"{code}.json"
    (tmp_path / "good.json").write_text(json.dumps(changed(feder, code="good")))
    (tmp_path / name).write_text(json.dumps(data))

    with pytest.raises(PresetError) as caught:
        load_presets(tmp_path)

    assert str(caught.value).startswith(f"{name}: ")
    assert reason in str(caught.value)


def test_a_file_that_is_not_json_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "typo.json").write_text('{\n  "code": "typo",\n  "name": oops\n}')

    with pytest.raises(PresetError, match=r"^typo\.json: not valid JSON at line 3"):
        load_presets(tmp_path)


def test_a_code_that_does_not_match_its_file_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "copy.json").write_text(json.dumps(feder()))

    with pytest.raises(PresetError, match=r"^copy\.json: code 'feder2021_six' does not match"):
        load_presets(tmp_path)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="protocol presets folder not found"):
        load_presets(tmp_path / "nowhere")


def test_a_clinic_folder_of_valid_presets_loads(tmp_path: Path) -> None:
    (tmp_path / "ours.json").write_text(
        json.dumps(changed(feder, code="ours", dose_mg_per_kg_min=0.4, dose_mg_per_kg_max=0.6))
    )

    loaded = load_presets(tmp_path)["ours"]

    assert (loaded.dose_mg_per_kg_min, loaded.dose_mg_per_kg_max) == (
        Decimal("0.4"),
        Decimal("0.6"),
    )
    assert loaded.deviation(Decimal("0.55")) is None
