"""``afterglow outcome pcl5``: the real console script, run as a pipeline would run it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli import CliRunner as Runner
from tests.cli import afterglow_script, cli_runner


@pytest.fixture
def run(cli_env: dict[str, str]) -> Runner:
    """Run ``afterglow outcome ...`` with ``stdin`` (the shared runner, ``tests/cli.py``)."""
    return cli_runner(cli_env, "outcome")


def line(baseline: object, followups: object) -> str:
    return json.dumps({"baseline": baseline, "followups": followups}) + "\n"


def visits(*pairs: tuple[object, object]) -> list[dict[str, object]]:
    return [{"day": day, "total": total} for day, total in pairs]


# Baseline 50, given out of day order. Worked by hand in day order (defaults P 30, R 10, cutoff 33,
# loss confirmed by 2 consecutive follow-ups):
#   day 1: 34 (-32 %, response)  day 14: 30 (-40 %, below 33: reliable recovery)
#   day 28: 38 (-24 %: a single dip)  day 56: 30 (-40 %, response again: the dip is no loss)
# With --confirm-loss 1 (the old rule) day 28 is the loss, and it stays 28.
COURSE = line(50, visits((28, 38), (1, 34), (56, 30), (14, 30)))
COURSE_RESULT = {
    "latest": {
        "day": 56,
        "total": 30,
        "change": -20,
        "percent_change": -40.0,
        "response": True,
        "reliable_improvement": True,
        "reliable_deterioration": False,
        "below_cutoff": True,
        "reliable_recovery": True,
    },
    "first_response_day": 1,
    "loss_of_response_day": None,
    "possible_loss_day": None,
    "last_day": 56,
}
NO_FOLLOWUPS_RESULT = {
    "latest": None,
    "first_response_day": None,
    "loss_of_response_day": None,
    "possible_loss_day": None,
    "last_day": None,
}


def test_each_course_gives_one_result_line_in_input_order(run: Runner, tmp_path: Path) -> None:
    # 30 -> 42: +40.0 %, a reliable deterioration (12 >= 10), not below 33.
    worse = line(30, visits((7, 42)))
    result = run("pcl5", stdin=COURSE + "\n   \n" + line(41, []) + worse)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    outputs = result.stdout.splitlines()
    assert [json.loads(output) for output in outputs] == [
        COURSE_RESULT,
        NO_FOLLOWUPS_RESULT,
        {
            "latest": {
                "day": 7,
                "total": 42,
                "change": 12,
                "percent_change": 40.0,
                "response": False,
                "reliable_improvement": False,
                "reliable_deterioration": True,
                "below_cutoff": False,
                "reliable_recovery": False,
            },
            "first_response_day": None,
            "loss_of_response_day": None,
            "possible_loss_day": None,
            "last_day": 7,
        },
    ]
    first = json.loads(outputs[0])
    assert list(first) == list(COURSE_RESULT)  # keys in the documented order
    assert list(first["latest"]) == list(COURSE_RESULT["latest"])  # type: ignore[call-overload]
    # The command never opens the database, so no SQLite file appears in var/.
    assert list(tmp_path.glob("*.sqlite3*")) == []


def test_a_baseline_of_zero_has_a_null_percent_change(run: Runner) -> None:
    result = run("pcl5", stdin=line(0, visits((7, 0))))

    latest = json.loads(result.stdout)["latest"]
    assert (latest["percent_change"], latest["response"], latest["change"]) == (None, False, 0)


def test_confirm_loss_1_gives_the_single_dip_rule_of_earlier_versions(run: Runner) -> None:
    result = run("pcl5", "--confirm-loss", "1", stdin=COURSE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {**COURSE_RESULT, "loss_of_response_day": 28}


def test_two_failing_follow_ups_confirm_a_loss_and_one_at_the_end_is_only_possible(
    run: Runner,
) -> None:
    # Baseline 50: day 14 30 (-40 %, response); day 28 38 (-24 %) and day 42 40 (-20 %) fail:
    # two in a row confirm a loss on day 28 (then day 56 at 30 does not undo it).
    confirmed = line(50, visits((14, 30), (28, 38), (42, 40), (56, 30)))
    # Same start, but the series ends on one failing follow-up (day 28): a possible loss.
    possible = line(50, visits((14, 30), (28, 38)))

    result = run("pcl5", stdin=confirmed + possible)

    assert result.returncode == 0, result.stderr
    first, second = (json.loads(out) for out in result.stdout.splitlines())
    assert (first["loss_of_response_day"], first["possible_loss_day"]) == (28, None)
    assert (second["loss_of_response_day"], second["possible_loss_day"]) == (None, 28)
    three = json.loads(run("pcl5", "--confirm-loss=3", stdin=confirmed).stdout)
    # Three are needed: day 56 meets the rule again, so there is neither a loss nor a possible one.
    assert (three["loss_of_response_day"], three["possible_loss_day"]) == (None, None)


def test_response_requires_reliable_needs_the_fall_in_points_as_well(run: Runner) -> None:
    # Baseline 20 -> 13: -35 % meets the 30 % rule, but 7 points is under 10 reliable points.
    course = line(20, visits((14, 13)))

    default = json.loads(run("pcl5", stdin=course).stdout)
    strict = json.loads(run("pcl5", "--response-requires-reliable", stdin=course).stdout)

    assert (default["latest"]["response"], default["first_response_day"]) == (True, 14)
    assert (strict["latest"]["response"], strict["first_response_day"]) == (False, None)


def test_a_clinic_cutoff_changes_below_cutoff_and_recovery(run: Runner) -> None:
    # Marx 2022's endpoint "PCL-5 <= 28" is --cutoff 29: the latest total 30 is then not below.
    result = run("pcl5", "--cutoff", "29", stdin=COURSE)

    assert result.returncode == 0, result.stderr
    latest = {**COURSE_RESULT["latest"], "below_cutoff": False, "reliable_recovery": False}  # type: ignore[dict-item]
    assert json.loads(result.stdout) == {**COURSE_RESULT, "latest": latest}


def test_a_clinic_response_percent_moves_the_first_response(run: Runner) -> None:
    # At 40 %, day 1 (-32 %) is not a response; day 14 (-40 %) is, and day 28 loses it.
    result = run("pcl5", "--response-percent=40", stdin=COURSE)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {**COURSE_RESULT, "first_response_day": 14}


def test_veterans_reliable_points_need_a_larger_change(run: Runner) -> None:
    # 50 -> 36 is a 14-point improvement: reliable at 10 (NCPTSD), not at 15 (Marx 2022).
    course = line(50, visits((14, 36)))

    default = json.loads(run("pcl5", stdin=course).stdout)["latest"]
    veteran = json.loads(run("pcl5", "--reliable-points", "15", stdin=course).stdout)["latest"]

    assert default["reliable_improvement"] is True
    assert veteran["reliable_improvement"] is False


@pytest.mark.parametrize("stdin", ["", "\n\n  \n"])
def test_no_courses_give_no_output_and_success(run: Runner, stdin: str) -> None:
    result = run("pcl5", stdin=stdin)

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


MALFORMED = {
    "not JSON": ("{baseline: 50}", "not valid JSON"),
    "NaN is not JSON": ('{"baseline": NaN, "followups": []}', "NaN is not valid JSON"),
    "duplicate key": ('{"baseline": 50, "baseline": 40, "followups": []}', "more than once"),
    "not an object": ("[50, []]", "the course must be a JSON object like"),
    "missing baseline": ('{"followups": []}', 'the course is missing the key(s) "baseline"'),
    "missing followups": ('{"baseline": 50}', 'the course is missing the key(s) "followups"'),
    "extra key": (
        json.dumps({"baseline": 50, "followups": [], "patient": 7}),
        'the course has unexpected key(s) "patient"',
    ),
    "followups not a list": (line(50, {"day": 7, "total": 30}), '"followups" must be a list'),
    "followups null": (line(50, None), '"followups" must be a list of objects like'),
    "follow-up not an object": (line(50, [[7, 30]]), "follow-up 1 must be a JSON object like"),
    "follow-up missing total": (
        line(50, [{"day": 7}]),
        'follow-up 1 is missing the key(s) "total"',
    ),
    "follow-up extra key": (
        line(50, [{"day": 7, "total": 30, "form": "pcl5"}]),
        'follow-up 1 has unexpected key(s) "form"',
    ),
    "baseline above 80": (line(81, []), "baseline must be a whole number from 0 to 80"),
    "baseline negative": (line(-1, []), "baseline must be a whole number from 0 to 80"),
    "baseline fraction": (line(50.5, []), "got 50.5"),
    "baseline as text": (line("50", []), 'got "50"'),
    "baseline boolean": (line(True, []), "baseline must be a whole number from 0 to 80"),
    "baseline null": (line(None, []), "got null"),
    "total above 80": (line(50, visits((7, 81))), "follow-up 1 total must be a whole number"),
    "total negative": (line(50, visits((7, 30), (14, -1))), "follow-up 2 total must be"),
    "total as text": (line(50, visits((7, "30"))), "follow-up 1 total must be a whole number"),
    "total boolean": (line(50, visits((7, False))), "got false"),
    "total fraction": (line(50, visits((7, 30.0))), "got 30.0"),
    "day negative": (line(50, visits((-3, 30))), "follow-up 1 day must be a whole number of at"),
    "day fraction": (line(50, visits((7.5, 30))), "follow-up 1 day must be a whole number"),
    "day boolean": (line(50, visits((True, 30))), "got true"),
    "day null": (line(50, visits((None, 30))), "got null"),
    "duplicate day": (
        line(50, visits((7, 30), (14, 28), (7, 31))),
        "follow-up 3 is on day 7 like follow-up 1",
    ),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_line_stops_everything_with_one_line_naming_it(run: Runner, kind: str) -> None:
    bad, reason = MALFORMED[kind]
    # Line 1 is good and line 2 blank: the bad line is line 3, and line 1 is not printed.
    result = run("pcl5", stdin=COURSE + "\n" + bad.rstrip("\n") + "\n" + COURSE)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "line 3: " in result.stderr
    assert reason in result.stderr


def test_input_that_is_not_utf8_is_refused_without_a_traceback(cli_env: dict[str, str]) -> None:
    result = subprocess.run(
        [afterglow_script(), "outcome", "pcl5"],
        input=b'{"baseline": 50, "followups": []}\n{"baseline": \xff}\n',
        capture_output=True,
        env=cli_env,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode().strip().endswith("line 2: not valid UTF-8 text")


@pytest.mark.parametrize("instrument", ["phq9", "pcl5_past_week", "PCL5"])
def test_an_unknown_instrument_is_refused_listing_the_known_ones(
    run: Runner, instrument: str
) -> None:
    result = run(instrument, stdin=COURSE)

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert f"unknown instrument {instrument!r}; known codes: pcl5" in result.stderr


BAD_OPTIONS = {
    "cutoff above 80": (["--cutoff", "81"], "--cutoff must be a whole number from 0 to 80"),
    "cutoff negative": (["--cutoff=-1"], "--cutoff must be a whole number from 0 to 80"),
    "cutoff a word": (["--cutoff", "thirty"], "--cutoff must be a whole number, got 'thirty'"),
    "cutoff fraction": (["--cutoff", "33.5"], "--cutoff must be a whole number"),
    "cutoff underscore": (["--cutoff", "3_3"], "--cutoff must be a whole number"),
    "cutoff empty": (["--cutoff="], "--cutoff must be a whole number"),
    "cutoff arabic digits": (["--cutoff", "\u0663\u0663"], "--cutoff must be a whole number"),
    "percent zero": (["--response-percent", "0"], "--response-percent must be a whole number"),
    "percent above 100": (["--response-percent", "101"], "from 1 to 100"),
    "percent with sign": (["--response-percent", "30%"], "--response-percent must be a whole"),
    "points zero": (["--reliable-points", "0"], "--reliable-points must be a whole number"),
    "points above 80": (["--reliable-points", "81"], "--reliable-points must be a whole number"),
    "confirm loss zero": (
        ["--confirm-loss", "0"],
        "--confirm-loss must be a whole number from 1 to 4",
    ),
    "confirm loss five": (
        ["--confirm-loss", "5"],
        "--confirm-loss must be a whole number from 1 to 4",
    ),
    "confirm loss word": (["--confirm-loss", "two"], "--confirm-loss must be a whole number, got"),
    "value missing": (["--reliable-points"], "argument --reliable-points: expected one argument"),
    "unknown option": (["--threshold", "30"], "unrecognized arguments"),
}


@pytest.mark.parametrize("kind", sorted(BAD_OPTIONS))
def test_a_bad_option_exits_2_with_one_line_naming_it(run: Runner, kind: str) -> None:
    args, reason = BAD_OPTIONS[kind]

    result = run("pcl5", *args, stdin=COURSE)

    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert reason in result.stderr


def test_a_missing_instrument_exits_2_with_one_line(run: Runner) -> None:
    result = run(stdin=COURSE)

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "the following arguments are required: instrument" in result.stderr
