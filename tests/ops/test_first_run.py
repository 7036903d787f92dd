"""A new installation without the demo: createclinic, createadmin, and serve's checks."""

from __future__ import annotations

from pathlib import Path

from tests.ops.conftest import afterglow, clean_env, ok

PRODUCTION = {
    "AFTERGLOW_MODE": "production",
    "SECRET_KEY": "Zq3-" + "x9Lm_2" * 9,
    "ALLOWED_HOSTS": "clinic.example.org",
    "AFTERGLOW_BASE_URL": "https://clinic.example.org",
}


def test_a_first_clinic_and_its_admin_from_the_command_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    ok(afterglow("migrate", "-v0", env=env))
    out = ok(
        afterglow(
            "createclinic",
            "--name",
            "Riverside Clinic",
            "--slug",
            "riverside",
            "--timezone",
            "Europe/London",
            env=env,
        )
    )
    assert "Created clinic Riverside Clinic (riverside, Europe/London)" in out
    again = afterglow("createclinic", "--name", "X", "--slug", "riverside", env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad_tz = afterglow(
        "createclinic", "--name", "X", "--slug", "x", "--timezone", "Mars/Olympus", env=env
    )
    assert bad_tz.returncode == 2 and "Mars/Olympus" in bad_tz.stderr

    weak = afterglow(
        "createadmin",
        "--clinic",
        "riverside",
        "--username",
        "ada",
        "--email",
        "ada@riverside.example",
        "--password-stdin",
        env=env,
        stdin="123\n",
    )
    assert weak.returncode == 2 and "too short" in weak.stderr
    no_tty = afterglow(
        "createadmin",
        "--clinic",
        "riverside",
        "--username",
        "ada",
        "--email",
        "ada@riverside.example",
        env=env,
        stdin="",
    )
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    made = ok(
        afterglow(
            "createadmin",
            "--clinic",
            "riverside",
            "--username",
            "ada",
            "--email",
            "ada@riverside.example",
            "--password-stdin",
            env=env,
            stdin="a long clinic passphrase\n",
        )
    )
    assert "Created ada, admin of Riverside Clinic" in made
    check = afterglow(
        "shell",
        "-c",
        "from afterglow.accounts.models import Membership; m = Membership.objects.get(); "
        "print(m.role, m.clinic.slug, m.user.check_password('a long clinic passphrase'))",
        env=env,
    )
    assert check.stdout.strip().splitlines()[-1] == "admin riverside True"


def test_serve_refuses_unapplied_migrations_in_one_line(tmp_path: Path) -> None:
    result = afterglow("serve", "--check-only", env=clean_env(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "not applied" in lines[0] and "afterglow migrate" in lines[0]


def test_serve_refuses_a_missing_production_setting_in_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path, **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    result = afterglow("serve", "--check-only", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "afterglow: error: production mode needs ALLOWED_HOSTS (comma-separated host names)"
    ]


def test_serve_collects_static_files_once_when_they_are_needed(tmp_path: Path) -> None:
    env = clean_env(tmp_path, **PRODUCTION)
    ok(afterglow("migrate", "-v0", env=env))
    first = ok(afterglow("serve", "--check-only", env=env))
    assert "Static files collected" in first
    manifest = tmp_path / "static" / "staticfiles.json"
    assert manifest.exists()
    assert list((tmp_path / "static").glob("afterglow*/**/*.css.gz")) or list(
        (tmp_path / "static").rglob("*.css.gz")
    )
    second = ok(afterglow("serve", "--check-only", env=env))
    assert "Static files collected" not in second and "Ready to serve." in second
