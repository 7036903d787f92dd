"""Configuration as a clinic's IT person meets it: .env, secrets in files, mail, modes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from afterglow.core.env import (
    ImproperSetting,
    email_from_url,
    env_prefixed,
    env_str,
    load_env_file,
)
from tests.core.test_project import _clean_env, _run

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "AFTERGLOW_MODE": "production",
    "SECRET_KEY": "s3cr3t-" * 8,
    "ALLOWED_HOSTS": "clinic.example.org",
    "AFTERGLOW_BASE_URL": "https://clinic.example.org",
}


def _setting(tmp_path: Path, expression: str, **extra: str) -> str:
    result = _run(
        "shell",
        "-c",
        f"from django.conf import settings; print(repr(({expression})))",
        env=_clean_env(tmp_path, **extra),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_environment_wins_over_the_env_file(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AFTERGLOW_T_ONE=from-file\nAFTERGLOW_T_TWO='quoted # kept'\n")
    monkeypatch.setenv("AFTERGLOW_T_ONE", "from-environment")
    monkeypatch.delenv("AFTERGLOW_T_TWO", raising=False)
    try:
        assert load_env_file(env_file) == ["AFTERGLOW_T_TWO"]
        assert os.environ["AFTERGLOW_T_ONE"] == "from-environment"
        assert os.environ["AFTERGLOW_T_TWO"] == "quoted # kept"
    finally:
        os.environ.pop("AFTERGLOW_T_TWO", None)


def test_a_named_env_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImproperSetting, match="AFTERGLOW_ENV_FILE"):
        load_env_file(tmp_path / "nope.env", required=True)
    assert load_env_file(tmp_path / "nope.env") == []


def test_a_secret_comes_from_its_file_without_the_newline(tmp_path: Path, monkeypatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("correct horse battery staple\n")
    monkeypatch.delenv("AFTERGLOW_T_SECRET", raising=False)
    monkeypatch.setenv("AFTERGLOW_T_SECRET_FILE", str(secret))
    assert env_str("AFTERGLOW_T_SECRET") == "correct horse battery staple"
    monkeypatch.setenv("AFTERGLOW_T_SECRET", "also set")
    with pytest.raises(
        ImproperSetting, match="both AFTERGLOW_T_SECRET and AFTERGLOW_T_SECRET_FILE"
    ):
        env_str("AFTERGLOW_T_SECRET")
    monkeypatch.delenv("AFTERGLOW_T_SECRET")
    monkeypatch.setenv("AFTERGLOW_T_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperSetting, match="cannot be read"):
        env_str("AFTERGLOW_T_SECRET")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://alerts%40clinic.org:p%40ss@mail.clinic.org",
            ("mail.clinic.org", 587, "alerts@clinic.org", "p@ss", True, False),
        ),
        ("smtps://u:p@mail.clinic.org", ("mail.clinic.org", 465, "u", "p", False, True)),
        ("smtp://relay:2525", ("relay", 2525, "", "", False, False)),
    ],
)
def test_email_url_gives_the_smtp_settings(url: str, expected: tuple[object, ...]) -> None:
    got = email_from_url("EMAIL_URL", url)
    keys = ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD")
    keys += ("EMAIL_USE_TLS", "EMAIL_USE_SSL")
    assert tuple(got[k] for k in keys) == expected


@pytest.mark.parametrize("url", ["http://mail", "smtp://", "smtp://h:port", "smtp://h?timeout=x"])
def test_a_bad_email_url_names_the_variable(url: str) -> None:
    with pytest.raises(ImproperSetting, match="EMAIL_URL"):
        email_from_url("EMAIL_URL", url)


def test_anymail_settings_are_gathered_by_prefix(tmp_path: Path, monkeypatch) -> None:
    key = tmp_path / "key"
    key.write_text("key-123\n")
    monkeypatch.setenv("ANYMAIL_MAILGUN_API_KEY_FILE", str(key))
    monkeypatch.setenv("ANYMAIL_MAILGUN_SENDER_DOMAIN", "mg.clinic.org")
    assert env_prefixed("ANYMAIL_") == {
        "MAILGUN_API_KEY": "key-123",
        "MAILGUN_SENDER_DOMAIN": "mg.clinic.org",
    }


def test_a_copied_env_file_is_read_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AFTERGLOW_MODE=production\n")
    result = _run("check", env=_clean_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "afterglow: error: production mode needs SECRET_KEY set to at least 32 random characters"
    ]


def test_production_mail_uses_the_configured_server_with_a_timeout(tmp_path: Path) -> None:
    password = tmp_path / "email_url"
    password.write_text("smtp+tls://alerts:pw@mail.clinic.org:587\n")
    got = _setting(
        tmp_path,
        "settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT",
        EMAIL_URL_FILE=str(password),
        **PRODUCTION,
    )
    assert got == "('mail.clinic.org', 587, True, 10)"


def test_production_refuses_to_start_without_a_base_url(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, **{**PRODUCTION, "AFTERGLOW_BASE_URL": ""})
    result = _run("check", env=env)
    assert result.returncode == 2
    assert "AFTERGLOW_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_the_console_sms_backend(tmp_path: Path) -> None:
    env = _clean_env(
        tmp_path, AFTERGLOW_SMS_BACKEND="afterglow.schedules.sms.ConsoleSMSBackend", **PRODUCTION
    )
    result = _run("check", env=env)
    assert result.returncode == 2
    assert "console backend" in result.stderr


def test_production_refuses_twilio_without_its_settings(tmp_path: Path) -> None:
    env = _clean_env(
        tmp_path,
        AFTERGLOW_SMS_BACKEND="afterglow.schedules.sms_twilio.TwilioSMSBackend",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        **PRODUCTION,
    )
    result = _run("check", env=env)
    assert result.returncode == 2
    assert "TWILIO_AUTH_TOKEN" in result.stderr


def test_local_links_follow_the_served_port(tmp_path: Path) -> None:
    assert _setting(tmp_path, "settings.AFTERGLOW_BASE_URL", PORT="8001") == (
        "'http://127.0.0.1:8001'"
    )


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path: Path) -> None:
    """deploy/afterglow.env as docs/deploy.md installs it, with the secrets in files."""
    (tmp_path / "secret_key").write_text("Zq3" + "x9-Lm_2" * 8 + "\n")
    (tmp_path / "database_url").write_text(f"sqlite:///{tmp_path}/afterglow.sqlite3\n")
    (tmp_path / "email_url").write_text("smtp+tls://alerts:pw@mail.clinic.example.org:587\n")
    documented = (ROOT / "deploy" / "afterglow.env").read_text()
    env_file = tmp_path / "afterglow.env"
    env_file.write_text(
        documented.replace("/etc/afterglow/", f"{tmp_path}/")
        .replace("/var/lib/afterglow", str(tmp_path / "var"))
        .replace("/var/backups/afterglow", str(tmp_path / "backups"))
    )
    env = _clean_env(tmp_path, AFTERGLOW_ENV_FILE=str(env_file))
    result = _run("check", "--deploy", env=env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr
