"""Project-level guarantees: migrations, settings that fail loudly, the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from afterglow.core.env import ImproperSetting, env_bool, env_int, env_list

AFTERGLOW = str(Path(sys.executable).parent / "afterglow")


def test_no_model_change_lacks_its_migration(db) -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when one is missing
        pytest.fail(f"missing migration:\n{out.getvalue()}\nexit {exc.code}")


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AFTERGLOW, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=env["AFTERGLOW_VAR_DIR"],  # away from any .env in the checkout
    )


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "AFTERGLOW_MODE"}}
    env.pop("SECRET_KEY", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' conftest
    env.pop("ALLOWED_HOSTS", None)
    for name in list(env):  # anything a developer's shell or .env would add
        if name.startswith(("AFTERGLOW_", "EMAIL_", "TWILIO_", "ANYMAIL_", "SECURE_")):
            env.pop(name)
    env.update(AFTERGLOW_VAR_DIR=str(tmp_path), **extra)
    return env


def test_local_mode_runs_on_sqlite_under_var_with_wal(tmp_path: Path) -> None:
    result = _run("migrate", "-v0", env=_clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    database = tmp_path / "afterglow.sqlite3"
    assert database.exists()
    import sqlite3

    assert sqlite3.connect(database).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = _run("check", env=_clean_env(tmp_path, AFTERGLOW_MODE="production"))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mode_refuses_to_start_without_allowed_hosts(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, AFTERGLOW_MODE="production", SECRET_KEY="k" * 50)
    result = _run("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_mode_starts_with_both_and_a_base_url(tmp_path: Path) -> None:
    env = _clean_env(
        tmp_path,
        AFTERGLOW_MODE="production",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="clinic.example",
        AFTERGLOW_BASE_URL="https://clinic.example",
    )
    result = _run("check", "--deploy", "--fail-level", "ERROR", env=env)
    assert result.returncode == 0, result.stderr


def test_database_url_selects_another_sqlite_file(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "db.sqlite3"
    result = _run("migrate", "-v0", env=_clean_env(tmp_path, DATABASE_URL=f"sqlite:///{target}"))
    assert result.returncode == 0, result.stderr
    assert target.exists()
    assert not (tmp_path / "afterglow.sqlite3").exists()


@pytest.mark.parametrize(
    ("helper", "value"),
    [(env_bool, "maybe"), (env_int, "ten"), (env_int, "-3")],
)
def test_a_bad_setting_fails_loudly_naming_the_variable(monkeypatch, helper, value) -> None:
    monkeypatch.setenv("AFTERGLOW_TEST_SETTING", value)
    with pytest.raises(ImproperSetting, match="AFTERGLOW_TEST_SETTING"):
        if helper is env_int:
            helper("AFTERGLOW_TEST_SETTING", 1, minimum=0)
        else:
            helper("AFTERGLOW_TEST_SETTING")


def test_env_list_splits_on_commas(monkeypatch) -> None:
    monkeypatch.setenv("AFTERGLOW_TEST_LIST", " a.example, b.example ,,")
    assert env_list("AFTERGLOW_TEST_LIST") == ["a.example", "b.example"]


def test_every_setting_read_from_the_environment_is_in_env_example() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    source = (root / "src" / "afterglow" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list|required)\(\s*"([A-Z_]+)"', source))
    example = (root / ".env.example").read_text()
    missing = sorted(n for n in names if not re.search(rf"^#?\s*{n}=", example, re.M))
    assert names and not missing, f"not in .env.example: {missing}"


@pytest.mark.parametrize(("max_age", "checked"), [("0", False), ("60", True)])
def test_reused_connections_are_checked_before_use(monkeypatch, tmp_path, max_age, checked) -> None:
    from afterglow.settings import _database

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/db.sqlite3")
    monkeypatch.setenv("DB_CONN_MAX_AGE", max_age)
    config = _database()
    assert config["CONN_MAX_AGE"] == int(max_age)
    assert config["CONN_HEALTH_CHECKS"] is checked


def test_bench_web_serves_with_the_deployed_connection_reuse(tmp_path) -> None:
    from afterglow.bench_web import _environment

    deployed = (Path(__file__).resolve().parents[2] / "deploy" / "afterglow.env").read_text()
    assert "\nDB_CONN_MAX_AGE=60\n" in deployed
    assert _environment(str(tmp_path), 8000)["DB_CONN_MAX_AGE"] == "60"


def test_bench_web_interleaves_the_pages_and_spreads_the_pdfs() -> None:
    from afterglow.bench_web import interleaved

    counts = {("demo", "chart"): 4, ("demo", "PDF"): 2, ("large", "chart"): 4}
    order = interleaved(counts)
    chart, pdf, large = counts
    assert order == [chart, large, chart, pdf, large, chart, large, chart, pdf, large]
    assert interleaved({("demo", "PDF"): 5, ("demo", "list"): 20}).count(("demo", "PDF")) == 5
    assert interleaved({}) == []


def test_bench_web_reads_the_servers_own_time(tmp_path) -> None:
    from afterglow.bench_web import _environment, server_time

    assert _environment(str(tmp_path), 8000)["AFTERGLOW_SERVER_TIMING"] == "true"
    assert server_time("app;dur=12.34") == 12.34
    assert server_time('db;dur=3, app;desc="view";dur="7.5"') == 7.5
    assert server_time("cache;desc=hit") is None
    assert server_time("app;dur=soon") is None
    assert server_time(None) is None


def test_a_reader_that_goes_away_ends_the_cli_quietly(tmp_path: Path) -> None:
    # `afterglow redcap dictionary | head -1`: the pipe closes before the output is written.
    reader, writer = os.pipe()
    os.close(reader)
    result = subprocess.run(
        [AFTERGLOW, "redcap", "dictionary"],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        env=_clean_env(tmp_path),
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    os.close(writer)
    assert result.returncode == 141
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr


def test_bench_web_reads_the_hosts_steal_time_from_proc_stat() -> None:
    from afterglow.bench_web import cpu_times, steal_share

    before = cpu_times("cpu  100 5 50 800 10 0 5 30 0 0\ncpu0 50 2 25 400 5 0 2 15 0 0\n")
    after = cpu_times("cpu  300 5 150 1500 10 0 5 130 0 0\ncpu0 150 2 75 750 5 0 2 65 0 0\n")
    assert before == (30, 1000) and after == (130, 2100)
    assert steal_share(before, after) == 100 / 1100
    assert cpu_times("intr 1 2 3\n") is None  # no cpu line: not Linux
    assert cpu_times("cpu  1 2 3 4\n") is None  # no steal column
    assert steal_share(None, after) is None and steal_share(after, after) is None
