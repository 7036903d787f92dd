"""Typed helpers that read settings from the environment and fail loudly.

A setting that is present but cannot be parsed stops the process with a message
that names the variable, rather than quietly falling back to a default
(after healthchecks' ``envbool``).

Where values come from, first match wins:

1. the process environment (``NAME=value``);
2. a file named by ``NAME_FILE`` (its content, without the trailing newline), for
   secrets kept out of the environment: Docker/systemd credentials, a 0600 file;
3. the ``.env`` file (:func:`load_env_file`), which only fills names the environment
   leaves unset.

``NAME`` and ``NAME_FILE`` both set is an error: which one was meant is unknowable.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from dotenv import dotenv_values


class ImproperSetting(RuntimeError):
    """Raised when an environment variable holds a value we cannot use."""


def load_env_file(path: Path, *, required: bool = False) -> list[str]:
    """Copy ``KEY=value`` lines of ``path`` into ``os.environ`` where unset.

    The environment wins over the file, so a process manager can override one value
    without editing it. Returns the names taken from the file. A missing file is
    fine unless ``required`` (``AFTERGLOW_ENV_FILE`` names a file that must exist).
    """
    if not path.is_file():
        if required:
            raise ImproperSetting(f"AFTERGLOW_ENV_FILE names {str(path)!r}, which is not a file")
        return []
    taken = []
    for key, value in dotenv_values(path).items():
        if value is None:
            raise ImproperSetting(f"{path}: the line for {key} has no '=value'")
        if key not in os.environ:
            os.environ[key] = value
            taken.append(key)
    return taken


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        if value is not None:
            raise ImproperSetting(f"both {name} and {name}_FILE are set: keep one")
        try:
            return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperSetting(
                f"{name}_FILE names {file_name!r}, which cannot be read ({exc.strerror})"
            ) from None
    return value


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default if raw is None else raw


def env_required(name: str, why: str) -> str:
    """A setting that must be present and non-empty; ``why`` ends the error message."""
    raw = _raw(name)
    if raw is None or not raw.strip():
        raise ImproperSetting(f"{why} needs {name} (or {name}_FILE) set")
    return raw.strip()


def env_is_set(name: str) -> bool:
    """Whether ``name`` is present and non-empty (a default differs from an explicit value)."""
    return bool(os.environ.get(name, "").strip())


def env_bool(name: str, default: bool = False) -> bool:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperSetting(f"{name} must be true/false (or 1/0, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperSetting(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperSetting(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = _raw(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_prefixed(prefix: str) -> dict[str, str]:
    """Every ``PREFIXNAME`` (or ``PREFIXNAME_FILE``) as ``{"NAME": value}``, for settings
    a library defines by the dozen (django-anymail's ``ANYMAIL = {...}``)."""
    names = {k.removesuffix("_FILE") for k in os.environ if k.startswith(prefix)}
    return {n.removeprefix(prefix): env_str(n) for n in sorted(names) if n != prefix}


#: EMAIL_URL schemes: how the connection is secured.
EMAIL_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}


def email_from_url(name: str, url: str) -> dict[str, object]:
    """Django's SMTP settings from one URL, e.g. ``smtp+tls://user:pass@host:587``.

    ``smtp://`` is a plain connection (a local relay), ``smtp+tls://`` upgrades with
    STARTTLS (port 587, default), ``smtps://`` is TLS from the start (port 465).
    User and password are percent-decoded (``%40`` for ``@``). ``?timeout=N`` sets
    the connection timeout in seconds.
    """
    parts = urlsplit(url)
    if parts.scheme not in EMAIL_SCHEMES:
        raise ImproperSetting(
            f"{name} must start with smtp://, smtp+tls:// or smtps://, got {parts.scheme!r}"
        )
    if not parts.hostname:
        raise ImproperSetting(f"{name} has no host name")
    use_tls, use_ssl = EMAIL_SCHEMES[parts.scheme]
    try:
        port = parts.port or (465 if use_ssl else 587 if use_tls else 25)
    except ValueError:
        raise ImproperSetting(f"{name} has a port that is not a number") from None
    settings: dict[str, object] = {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
    query = parse_qs(parts.query)
    if "timeout" in query:
        try:
            settings["EMAIL_TIMEOUT"] = int(query["timeout"][-1])
        except ValueError:
            raise ImproperSetting(f"{name}: timeout must be a whole number of seconds") from None
    return settings
