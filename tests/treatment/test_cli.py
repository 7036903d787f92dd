"""``afterglow protocols`` and ``afterglow dose``: the real console script, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import CliRunner as Runner


@pytest.fixture
def run(afterglow_cli: Runner) -> Runner:
    """Run ``afterglow ...`` (the shared runner, ``tests/cli.py``)."""
    return afterglow_cli


# --- afterglow protocols -------------------------------------------------------------------------

REQUIRED_KEYS = {
    "code",
    "name",
    "route",
    "dose_mg_per_kg",
    "fixed_dose_mg",
    "infusion_minutes",
    "sessions",
    "sessions_per_week",
    "source",
}


def test_protocols_json_lists_every_preset_with_the_required_keys(
    run: Runner, tmp_path: Path
) -> None:
    result = run("protocols", "--json")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    entries = json.loads(result.stdout)
    assert [entry["code"] for entry in entries] == [
        "abdallah2022_eight_02",
        "abdallah2022_eight_05",
        "esketamine_label",
        "feder2014_single",
        "feder2021_six",
        "kepe_weekly",
    ]
    for entry in entries:
        assert entry.keys() >= REQUIRED_KEYS, entry["code"]
        # Exactly one of the two doses is set, the other is null; only IV has minutes.
        assert (entry["dose_mg_per_kg"] is None) != (entry["fixed_dose_mg"] is None)
        assert (entry["infusion_minutes"] is not None) == (entry["route"] == "iv")
        # Every shipped IV preset is weight-based; the nasal spray is a fixed dose.
        assert (entry["dose_mg_per_kg"] is not None) == (entry["route"] == "iv")
        assert isinstance(entry["sessions"], int) and entry["sessions"] >= 1
        assert entry["source"].strip()
    # The command never opens the database, so no SQLite file appears in var/.
    assert list(tmp_path.glob("*.sqlite3*")) == []


def test_protocols_json_carries_the_cited_numbers(run: Runner) -> None:
    entries = {entry["code"]: entry for entry in json.loads(run("protocols", "--json").stdout)}

    feder = entries["feder2021_six"]
    assert (feder["dose_mg_per_kg"], feder["infusion_minutes"]) == (0.5, 40)
    assert (feder["sessions"], feder["sessions_per_week"]) == (6, 3)
    assert entries["feder2014_single"]["sessions_per_week"] is None
    assert entries["abdallah2022_eight_02"]["dose_mg_per_kg"] == 0.2
    esketamine = entries["esketamine_label"]
    assert (esketamine["dose_mg_per_kg"], esketamine["fixed_dose_mg"]) == (None, 56)
    assert esketamine["fixed_dose_options_mg"] == [56, 84]
    assert esketamine["observation_minutes"] >= 120
    assert entries["kepe_weekly"]["post_dose_therapy"]["window_hours"] == [24, 72]


def test_protocols_without_json_prints_a_table(run: Runner) -> None:
    result = run("protocols")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["CODE", "ROUTE", "DOSE"]
    assert len(lines) == 7
    feder = next(line for line in lines if line.startswith("feder2021_six"))
    assert feder.split()[:6] == ["feder2021_six", "iv", "0.5", "mg/kg", "40", "6"]
    esketamine = next(line for line in lines if line.startswith("esketamine_label"))
    assert "56/84 mg" in esketamine


# --- afterglow dose ------------------------------------------------------------------------------

STANDARD = {
    "--weight-kg": "70",
    "--mg-per-kg": "0.5",
    "--minutes": "40",
    "--concentration-mg-per-ml": "10",
}


def dose_args(**changes: str) -> list[str]:
    options = {**STANDARD, **{"--" + key.replace("_", "-"): v for key, v in changes.items()}}
    return ["dose", *(part for pair in options.items() for part in pair)]


def test_dose_prints_the_hand_worked_numbers(run: Runner, tmp_path: Path) -> None:
    # 70 kg x 0.5 mg/kg = 35.0 mg; / 10 mg/mL = 3.5 mL; / 40 min = 0.875 -> 0.88 mg/min;
    # 3.5 mL / 40 min x 60 = 5.25 -> 5.3 mL/h.
    result = run(*dose_args())

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == {
        "dose_mg": 35.0,
        "volume_ml": 3.5,
        "rate_mg_per_min": 0.88,
        "rate_ml_per_hour": 5.3,
        "mg_per_kg_per_hour": 0.75,  # 35.0 mg / 70 kg / 40 min x 60
        "capped": False,
        "warnings": [],
        "requires_cosign": False,
    }
    assert list(tmp_path.glob("*.sqlite3*")) == []


def test_dose_applies_the_clinic_cap(run: Runner) -> None:
    # 150 kg x 0.5 = 75 mg > 60 mg cap -> 60 / 1 mg/mL = 60.0 mL, which gives 60.0 mg;
    # 1.5 mg/min; 90.0 mL/h; 60 / 150 / 40 x 60 = 0.6 mg/kg/h.
    result = run(*dose_args(weight_kg="150", concentration_mg_per_ml="1", max_dose_mg="60"))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "dose_mg": 60.0,
        "volume_ml": 60.0,
        "rate_mg_per_min": 1.5,
        "rate_ml_per_hour": 90.0,
        "mg_per_kg_per_hour": 0.6,
        "capped": True,
        "warnings": [
            "The dose is capped at the clinic's maximum of 60 mg (75 mg ordered): "
            "60 mL at 1 mg/mL gives 60 mg."
        ],
        "requires_cosign": False,
    }


def test_a_capped_dose_rounds_the_volume_down_so_the_cap_is_never_exceeded(run: Runner) -> None:
    # 150 kg x 0.5 = 75 mg > 60 mg cap; 60 / 7 mg/mL = 8.571... mL -> 8.5 mL (down, not 8.6,
    # which would give 60.2 mg); 8.5 x 7 = 59.5 mg; 59.5 / 40 = 1.4875 -> 1.49 mg/min;
    # 8.5 / 40 x 60 = 12.75 -> 12.8 mL/h; 59.5 / 150 / 40 x 60 = 0.595 -> 0.6 mg/kg/h.
    result = run(*dose_args(weight_kg="150", concentration_mg_per_ml="7", max_dose_mg="60"))

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert (output["dose_mg"], output["volume_ml"]) == (59.5, 8.5)
    assert (output["rate_mg_per_min"], output["rate_ml_per_hour"]) == (1.49, 12.8)
    assert (output["mg_per_kg_per_hour"], output["capped"]) == (0.6, True)


def test_an_im_dose_has_no_rates_and_is_measured_in_hundredths_of_a_ml(run: Runner) -> None:
    # 70 kg x 0.5 = 35.0 mg of undiluted 100 mg/mL = 0.35 mL (0.01 mL steps; no dilution).
    result = run(
        "dose", "--route", "im", "--weight-kg", "70", "--mg-per-kg", "0.5",
        "--concentration-mg-per-ml", "100",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "dose_mg": 35.0,
        "volume_ml": 0.35,
        "rate_mg_per_min": None,
        "rate_ml_per_hour": None,
        "mg_per_kg_per_hour": None,
        "capped": False,
        "warnings": [],
        "requires_cosign": False,
    }


def test_a_dose_above_the_guardrails_warns_and_asks_for_a_cosignature(run: Runner) -> None:
    # 70 kg x 0.8 = 56.0 mg > 0.75 x 70 = 52.5 mg; over 40 min 56 / 70 / 40 x 60 = 1.2 mg/kg/h
    # > 1.0, within it from 0.8 / 1.0 x 60 = 48 min.
    result = run(*dose_args(mg_per_kg="0.8"))

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["requires_cosign"] is True
    assert output["warnings"] == [
        "0.8 mg/kg is above the clinic's IV guardrail of 0.75 mg/kg (52.5 mg at 70 kg); "
        "a second prescriber must co-sign.",
        "1.2 mg/kg/h is faster than the clinic's guardrail of 1 mg/kg/h (infuse over at least "
        "48 min to stay within it); a second prescriber must co-sign.",
    ]
    # The clinic's own guardrails replace the defaults.
    relaxed = run(*dose_args(mg_per_kg="0.8", max_mg_per_kg="1", max_mg_per_kg_per_hour="1.5"))
    assert json.loads(relaxed.stdout)["requires_cosign"] is False
    # IM: 0.9 mg/kg is within the 1.0 mg/kg IM default; 1.2 is not.
    im = ["dose", "--route", "im", "--weight-kg", "70", "--concentration-mg-per-ml", "50"]
    assert json.loads(run(*im, "--mg-per-kg", "0.9").stdout)["requires_cosign"] is False
    assert json.loads(run(*im, "--mg-per-kg", "1.2").stdout)["warnings"] == [
        "1.2 mg/kg is above the clinic's IM guardrail of 1 mg/kg (70 mg at 70 kg); "
        "a second prescriber must co-sign."
    ]


BAD_INPUT = {
    "weight too low": (
        dose_args(weight_kg="12"),
        "--weight-kg must be between 20 and 350 kg, got 12",
    ),
    "weight too high": (dose_args(weight_kg="351"), "--weight-kg must be between 20 and 350 kg"),
    "weight zero": (dose_args(weight_kg="0"), "--weight-kg must be between 20 and 350 kg, got 0"),
    "weight negative": (dose_args(weight_kg="-70"), "--weight-kg must be between 20 and 350 kg"),
    "weight not a number": (dose_args(weight_kg="seventy"), "--weight-kg must be a number"),
    "weight nan": (dose_args(weight_kg="nan"), "--weight-kg must be a number like 70 or 0.5"),
    "weight inf": (dose_args(weight_kg="inf"), "--weight-kg must be a number"),
    "weight empty": (dose_args(weight_kg=""), "--weight-kg must be a number"),
    "weight in exponent form": (dose_args(weight_kg="7e1"), "--weight-kg must be a number"),
    "mg/kg zero": (dose_args(mg_per_kg="0"), "--mg-per-kg must be greater than 0, got 0"),
    "mg/kg negative": (dose_args(mg_per_kg="-0.5"), "--mg-per-kg must be greater than 0"),
    "mg/kg above 2": (dose_args(mg_per_kg="2.5"), "--mg-per-kg must be at most 2 mg/kg, got 2.5"),
    "mg/kg with comma": (dose_args(mg_per_kg="0,5"), "--mg-per-kg must be a number"),
    "minutes zero": (dose_args(minutes="0"), "--minutes must be between 1 and 240 minutes"),
    "minutes too long": (dose_args(minutes="300"), "--minutes must be between 1 and 240 minutes"),
    "minutes infinite": (dose_args(minutes="Infinity"), "--minutes must be a number"),
    "concentration zero": (
        dose_args(concentration_mg_per_ml="0"),
        "--concentration-mg-per-ml must be between 0.1 and 100 mg/mL, got 0",
    ),
    "concentration too high": (
        dose_args(concentration_mg_per_ml="500"),
        "--concentration-mg-per-ml must be between 0.1 and 100 mg/mL",
    ),
    "volume too small to measure": (
        dose_args(concentration_mg_per_ml="100"),
        "--concentration-mg-per-ml gives a volume of 0.35 mL",
    ),
    "cap zero": (dose_args(max_dose_mg="0"), "--max-dose-mg must be greater than 0"),
    "cap not a number": (dose_args(max_dose_mg="none"), "--max-dose-mg must be a number"),
    "option missing": (
        ["dose", "--weight-kg", "70", "--mg-per-kg", "0.5"],
        "the following arguments are required: --concentration-mg-per-ml",
    ),
    "IV without minutes": (
        ["dose", "--weight-kg", "70", "--mg-per-kg", "0.5", "--concentration-mg-per-ml", "10"],
        "--minutes is required for an IV infusion",
    ),
    "IM with minutes": (
        [*dose_args(), "--route", "im"],
        "--minutes is for an IV infusion; an IM injection has no rate",
    ),
    "route unknown": ([*dose_args(), "--route", "oral"], "argument --route: invalid choice"),
    "IM volume too small": (
        # 20 kg x 0.01 mg/kg = 0.2 mg; at 100 mg/mL 0.002 mL, which rounds to 0.00 mL.
        [
            "dose",
            "--route",
            "im",
            "--weight-kg",
            "20",
            "--mg-per-kg",
            "0.01",
            "--concentration-mg-per-ml",
            "100",
        ],
        "--concentration-mg-per-ml gives a volume of 0.002 mL, too small to set in 0.01 mL "
        "steps within 5 %; check the dose and the concentration",
    ),
    "guardrail not positive": (dose_args(max_mg_per_kg="0"), "--max-mg-per-kg must be greater"),
    "rate guardrail not a number": (
        dose_args(max_mg_per_kg_per_hour="fast"),
        "--max-mg-per-kg-per-hour must be a number",
    ),
    "value missing": ([*dose_args(), "--minutes"], "argument --minutes: expected one argument"),
    "value that looks like an option": (
        [*dose_args(), "--weight-kg", "-inf"],
        "argument --weight-kg: expected one argument",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUT))
def test_bad_dose_input_exits_2_with_one_line_naming_the_option(run: Runner, kind: str) -> None:
    args, reason = BAD_INPUT[kind]

    result = run(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert reason in result.stderr
