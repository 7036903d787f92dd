"""docs/imaging.md's worked example runs as written and prints what the page says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import cli_environment

DOC = Path(__file__).resolve().parents[2] / "docs" / "imaging.md"


def test_the_worked_example_runs_and_recovers_the_synthetic_reactivity(tmp_path):
    block = re.search(r"```sh\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/imaging.md lost its worked example"
    script = block.group(1).replace("\\\n", " ")
    env = cli_environment(tmp_path / "var")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    outputs = []
    for line in filter(None, (text.strip() for text in script.splitlines())):
        done = subprocess.run(
            line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    result = json.loads(outputs[-1])
    assert result["voxels"] == {"amygdala": 27, "hippocampus": 36}
    assert result["amygdala_reactivity"]["effect"] == pytest.approx(0.8, abs=0.15)
