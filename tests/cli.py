"""The one way tests run the real ``afterglow`` console script (fixture ``afterglow_cli``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest


def afterglow_script() -> str:
    """The installed ``afterglow`` console script (beside this Python, else on PATH)."""
    beside_python = Path(sys.executable).parent / "afterglow"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("afterglow")
    if found is None:
        pytest.fail("the afterglow console script is not installed (pip install -e .)")
    return found


def cli_environment(var_dir: Path) -> dict[str, str]:
    """The environment of a command run as a user would: its var/ in ``var_dir``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "afterglow.settings",
        "AFTERGLOW_VAR_DIR": str(var_dir),
    }
    # pytest-django may set this for the test process; the real command runs without it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


class CliRunner(Protocol):
    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]: ...


def cli_runner(env: dict[str, str], *prefix: str, timeout: float = 120) -> CliRunner:
    """Run ``afterglow *prefix *args`` with ``stdin`` (text) in ``env``."""

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [afterglow_script(), *prefix, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )

    return run
