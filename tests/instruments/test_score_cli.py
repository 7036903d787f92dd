"""``afterglow score``: the real console script, run as a pipeline would run it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.cli import CliRunner as Runner
from tests.cli import afterglow_script, cli_runner


@pytest.fixture
def run(cli_env: dict[str, str]) -> Runner:
    """Run ``afterglow score ...`` with ``stdin`` (the shared runner, ``tests/cli.py``)."""
    return cli_runner(cli_env, "score")


def line(items: Sequence[object]) -> str:
    return json.dumps({"items": items}) + "\n"


#          B: 1  2  3  4  5   C: 6  7   D: 8  9 10 11 12 13 14   E: 15 16 17 18 19 20
MIXED = [3, 2, 1, 0, 2, 2, 0, 2, 1, 0, 3, 2, 1, 0, 4, 0, 2, 1, 0, 3]
# Worked by hand: B 8, C 2, D 9, E 10, total 29; endorsed (>= 2) B 3, C 1, D 3, E 3 items.
MIXED_RESULT = {
    "complete": True,
    "total": 29,
    "clusters": {"B": 8, "C": 2, "D": 9, "E": 10},
    "provisional_diagnosis": True,
    "probable_ptsd": False,
    "missing_items": [],
}
PARTIAL = [None, 4, 4, 4, 4] + [4] * 15
PARTIAL_RESULT = {
    "complete": False,
    "total": None,
    "clusters": {"B": None, "C": 8, "D": 28, "E": 24},
    "provisional_diagnosis": None,
    "probable_ptsd": None,
    "missing_items": [1],
}


def test_each_response_gives_one_result_line_in_input_order(run: Runner, tmp_path: Path) -> None:
    result = run("pcl5", stdin=line(MIXED) + "\n   \n" + line(PARTIAL) + line([4] * 20))

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    outputs = result.stdout.splitlines()
    assert [json.loads(output) for output in outputs] == [
        MIXED_RESULT,
        PARTIAL_RESULT,
        {
            **MIXED_RESULT,
            "total": 80,
            "clusters": {"B": 20, "C": 8, "D": 28, "E": 24},
            "probable_ptsd": True,
        },
    ]
    assert list(json.loads(outputs[0])) == list(MIXED_RESULT)  # keys in the documented order
    # The command never opens the database, so no SQLite file appears in var/.
    assert list(tmp_path.glob("*.sqlite3*")) == []


def test_a_clinic_cutoff_changes_only_the_flag(run: Runner) -> None:
    at_29 = run("pcl5", "--cutoff", "29", stdin=line(MIXED))
    at_30 = run("pcl5", "--cutoff", "30", stdin=line(MIXED))

    assert json.loads(at_29.stdout) == {**MIXED_RESULT, "probable_ptsd": True}
    assert json.loads(at_30.stdout) == MIXED_RESULT


def test_the_past_week_version_is_scored_the_same_way(run: Runner) -> None:
    result = run("pcl5_past_week", stdin=line(MIXED))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == MIXED_RESULT


@pytest.mark.parametrize("stdin", ["", "\n\n  \n"])
def test_no_responses_give_no_output_and_success(run: Runner, stdin: str) -> None:
    result = run("pcl5", stdin=stdin)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


MALFORMED = {
    "not JSON": ("{items: [0]}", "not valid JSON"),
    "NaN is not JSON": ('{"items": [NaN]}', "NaN is not valid JSON"),
    "duplicate key": ('{"items": [0], "items": ' + json.dumps([0] * 20) + "}", "more than once"),
    "not an object": ("[0, 0, 0]", "expected a JSON object"),
    "missing items": ('{"answers": [0]}', 'missing the key "items"'),
    "extra key": (json.dumps({"items": [0] * 20, "patient": 7}), 'unexpected key(s) "patient"'),
    "items not a list": ('{"items": "00000000000000000000"}', '"items" must be a list'),
    "too few values": (json.dumps({"items": [0] * 19}), "has 20 items but 19 answers were given"),
    "too many values": (json.dumps({"items": [0] * 21}), "has 20 items but 21 answers were given"),
    "value above 4": (json.dumps({"items": [5] + [0] * 19}), "item 1 is 5,"),
    "negative value": (json.dumps({"items": [0, -1] + [0] * 18}), "item 2 is -1,"),
    "fraction": (json.dumps({"items": [1.5] + [0] * 19}), "item 1 is 1.5,"),
    "number as text": (json.dumps({"items": ["2"] + [0] * 19}), 'item 1 is "2",'),
    "boolean": (json.dumps({"items": [True] + [0] * 19}), "item 1 is true,"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_line_stops_everything_with_one_line_naming_it(run: Runner, kind: str) -> None:
    bad, reason = MALFORMED[kind]
    # Line 1 is good and line 2 blank: the bad line is line 3, and line 1 is not printed.
    result = run("pcl5", stdin=line(MIXED) + "\n" + bad + "\n" + line(MIXED))

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "line 3: " in result.stderr
    assert reason in result.stderr


def test_input_that_is_not_utf8_is_refused_without_a_traceback(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [afterglow_script(), "score", "pcl5"],
        input=b'{"items": [\xff]}\n',
        capture_output=True,
        env=cli_env,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.decode().strip().endswith("line 1: not valid UTF-8 text")


def test_an_unknown_instrument_is_refused_listing_the_known_ones(run: Runner) -> None:
    result = run("phq-9", stdin=line(MIXED))

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "unknown instrument 'phq-9'; known codes: pcl5, pcl5_past_week, phq9" in result.stderr


@pytest.mark.parametrize("cutoff", ["81", "-1", "thirty", "33.5", "3_3", "", "\u0663\u0663"])
def test_a_cutoff_outside_0_to_80_is_refused(run: Runner, cutoff: str) -> None:
    result = run("pcl5", f"--cutoff={cutoff}", stdin=line(MIXED))

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "--cutoff" in result.stderr
    assert "Traceback" not in result.stderr


# --- PHQ-9: severity bands and the item 9 alert, with no PHQ-9 code in the command --------------

# Worked by hand (Kroenke 2001 bands): 3+1+1+1+1+1+1+1+2 = 12, moderate; item 9 = 2 > 0, alert.
PHQ9_MODERATE = [3, 1, 1, 1, 1, 1, 1, 1, 2]
PHQ9_MODERATE_RESULT = {
    "complete": True,
    "total": 12,
    "severity": "moderate",
    "clusters": {},
    "provisional_diagnosis": None,
    "alerts": ["self_harm_thoughts"],
    "missing_items": [],
}


def test_phq9_responses_get_a_total_a_severity_and_the_item_9_alert(run: Runner) -> None:
    skipped_item_3 = [0, 0, None, 0, 0, 0, 0, 0, 1]
    result = run(
        "phq9", stdin=line(PHQ9_MODERATE) + line([0] * 9) + line(skipped_item_3) + line([3] * 9)
    )

    assert result.returncode == 0, result.stderr
    outputs = result.stdout.splitlines()
    assert [json.loads(output) for output in outputs] == [
        PHQ9_MODERATE_RESULT,
        {**PHQ9_MODERATE_RESULT, "total": 0, "severity": "minimal", "alerts": []},
        # Incomplete: no total and no severity, but the alert is never hidden.
        {
            **PHQ9_MODERATE_RESULT,
            "complete": False,
            "total": None,
            "severity": None,
            "missing_items": [3],
        },
        {**PHQ9_MODERATE_RESULT, "total": 27, "severity": "severe"},
    ]
    assert list(json.loads(outputs[0])) == list(PHQ9_MODERATE_RESULT)  # documented key order


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ([4] + [0] * 8, "item 1 is 4, which is not an answer; use one of 0, 1, 2, 3"),
        ([0] * 10, "phq9 has 9 items but 10 answers were given"),
        ([0] * 20, "phq9 has 9 items but 20 answers were given"),
    ],
)
def test_a_phq9_line_outside_9_answers_of_0_to_3_is_refused(
    run: Runner, items: list[int], reason: str
) -> None:
    result = run("phq9", stdin=line(PHQ9_MODERATE) + line(items))

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "line 2: " in result.stderr and reason in result.stderr


def test_a_cutoff_is_refused_for_an_instrument_without_one(run: Runner) -> None:
    result = run("phq9", "--cutoff", "10", stdin=line(PHQ9_MODERATE))

    assert result.returncode == 2
    assert result.stdout == ""
    assert "phq9 has no cutoff" in result.stderr
