"""``afterglow imaging``: the real console script, as a research pipeline runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli import cli_environment, cli_runner


def afterglow(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``afterglow imaging ...`` by the shared runner (``tests/cli.py``), var/ in ``tmp_path``."""
    return cli_runner(cli_environment(tmp_path / "var"), "imaging", timeout=300)(*args)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("cli")
    made = afterglow("synthesize", "--out", str(tmp / "sub-01"), "--seed", "4", tmp_path=tmp)
    assert made.returncode == 0, made.stderr
    return tmp, json.loads(made.stdout)


def test_synthesize_then_extract_prints_the_measures_as_json(run_dir):
    tmp, paths = run_dir
    done = afterglow(
        "extract",
        "--bold", paths["bold"],
        "--tr", "2",
        "--amygdala", paths["amygdala"],
        "--hippocampus", paths["hippocampus"],
        "--events", paths["events"],
        "--contrast", "trauma - neutral",
        tmp_path=tmp,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert -1 < out["amygdala_hippocampus_r"] < 1
    assert out["amygdala_reactivity"]["effect"] == pytest.approx(0.8, abs=0.15)
    assert out["n_volumes"] == 150


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--tr": "3"}, "does not match the TR"),
        ({"--tr": "-1"}, "must be a positive number"),
        ({"--contrast": "fear - neutral"}, 'no trial type "fear"'),
        ({"--bold": "missing.nii.gz"}, "no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(run_dir, change, message):
    tmp, paths = run_dir
    arguments = {
        "--bold": paths["bold"],
        "--tr": "2",
        "--amygdala": paths["amygdala"],
        "--hippocampus": paths["hippocampus"],
        "--events": paths["events"],
        "--contrast": "trauma - neutral",
        **change,
    }
    done = afterglow("extract", *[x for pair in arguments.items() for x in pair], tmp_path=tmp)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr
