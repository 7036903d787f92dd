"""Django settings for Afterglow.

Every value comes from the environment through the typed helpers in
``afterglow.core.env``; ``.env.example`` lists each variable. With nothing set,
Afterglow runs in *local* mode on an embedded SQLite database under ``var/``.
``AFTERGLOW_MODE=production`` switches to production mode, which refuses to start
without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import plotly

from afterglow.core.env import ImproperSetting, env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
# In a source checkout (src/ layout) the repository root is two levels up.
REPO_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(env_str("AFTERGLOW_VAR_DIR", str(REPO_DIR / "var")))

MODE = env_str("AFTERGLOW_MODE", "local")
if MODE not in {"local", "production"}:
    raise ImproperSetting(f"AFTERGLOW_MODE must be 'local' or 'production', got {MODE!r}")
PRODUCTION = MODE == "production"

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ImproperSetting(
            "production mode needs SECRET_KEY set to at least 32 random characters"
        )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperSetting("production mode needs ALLOWED_HOSTS (comma-separated host names)")
    DEBUG = env_bool("DEBUG", False)
else:
    # Local mode only: a fixed key is fine because nothing here is reachable from outside.
    SECRET_KEY = env_str("SECRET_KEY", "local-mode-only-not-secret-afterglow-dev-key-0000")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DEBUG = env_bool("DEBUG", True)

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "afterglow.core",
    "afterglow.accounts",
    "afterglow.audit",
    "afterglow.patients",
    "afterglow.instruments",
    "afterglow.intake",
    "afterglow.treatment",
    "afterglow.outcomes",
    "afterglow.diary",
    "afterglow.alerts",
    "afterglow.schedules",
    "afterglow.analytics",
    "afterglow.reports",
    "afterglow.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: gives each request its id and lets services name the actor.
    "afterglow.audit.context.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "afterglow.accounts.middleware.ClinicMiddleware",
]

ROOT_URLCONF = "afterglow.urls"
WSGI_APPLICATION = "afterglow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "afterglow.accounts.context_processors.clinic",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    default_sqlite = VAR_DIR / "afterglow.sqlite3"
    url = env_str("DATABASE_URL", f"sqlite:///{default_sqlite}")
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0))
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise ImproperSetting(f"DATABASE_URL could not be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(str(config["NAME"]))
        if str(name) != ":memory:":
            name.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing mid-transaction
        # with "database is locked" after they have already read.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_TIMEOUT_SECONDS", 5, minimum=0),
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            ),
        }
    return dict(config)


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home_staff"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"  # storage; pages show the clinic's own timezone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    # Plotly's browser bundle is served from the installed Python package: no CDN,
    # and the script always matches the plotly version that built the figure.
    ("vendor/plotly", Path(plotly.__file__).resolve().parent / "package_data"),
]
# In local mode WhiteNoise serves straight from the finders (no collectstatic step).
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # personal links must not leak in Referer
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "afterglow@localhost")

# Public intake: which clinic the home page's "Start your journey" form belongs to
# (by slug). Empty means the only clinic, or the first one created.
AFTERGLOW_PUBLIC_CLINIC = env_str("AFTERGLOW_PUBLIC_CLINIC")
# Intake submissions accepted per client address per hour before a polite refusal.
AFTERGLOW_INTAKE_RATE_PER_HOUR = env_int("AFTERGLOW_INTAKE_RATE_PER_HOUR", 5, minimum=1)
# Trust X-Forwarded-For for the client address (only behind a proxy you control).
AFTERGLOW_TRUST_X_FORWARDED_FOR = env_bool("AFTERGLOW_TRUST_X_FORWARDED_FOR", False)

# Key for the keyed hash (HMAC-SHA-256) of client addresses in the audit log. Empty:
# derived from SECRET_KEY. Set it to keep address hashes comparable across key rotations.
AFTERGLOW_AUDIT_KEY = env_str("AFTERGLOW_AUDIT_KEY")

# Absolute address of this site, used in links sent by background tasks (invitations,
# reminders), where there is no request to take it from.
AFTERGLOW_BASE_URL = env_str("AFTERGLOW_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Text-message sender: a dotted path to a class with ``send(to, body) -> str``.
# The default prints to the log (like the console email backend); plug a provider here.
AFTERGLOW_SMS_BACKEND = env_str(
    "AFTERGLOW_SMS_BACKEND", "afterglow.schedules.sms.ConsoleSMSBackend"
)
# Seconds between the worker's schedule sweeps (invitations due, reminders, expiry).
AFTERGLOW_SWEEP_SECONDS = env_int("AFTERGLOW_SWEEP_SECONDS", 60, minimum=5)

# Background work: Django's tasks API (the django-tasks backport on 5.2) stored in the
# database and run by `afterglow worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # PDF rendering logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
