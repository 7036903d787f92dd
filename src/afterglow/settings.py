"""Django settings for Afterglow.

Every value comes from the environment through the typed helpers in
``afterglow.core.env``; ``.env.example`` lists each variable. With nothing set,
Afterglow runs in *local* mode on an embedded SQLite database under ``var/``.
``AFTERGLOW_MODE=production`` switches to production mode, which refuses to start
without ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``AFTERGLOW_BASE_URL``.

``.env`` in the working directory (or the file ``AFTERGLOW_ENV_FILE`` names) is read
first; a variable set in the environment wins over the file, and every variable can
come from a file instead (``SECRET_KEY_FILE=/run/credentials/...``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from afterglow.core.env import (
    ImproperSetting,
    email_from_url,
    env_bool,
    env_int,
    env_is_set,
    env_list,
    env_prefixed,
    env_required,
    env_str,
    load_env_file,
)

# Before anything else is read: the file only fills what the environment leaves unset.
if os.environ.get("AFTERGLOW_ENV_FILE"):
    load_env_file(Path(os.environ["AFTERGLOW_ENV_FILE"]), required=True)
else:
    load_env_file(Path.cwd() / ".env")

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

# Research exports: the secret behind keyed pseudonyms and date shifts (docs/research-exports.md)
# Empty in production: research and pseudonymous REDCap exports refuse until it is set.
RESEARCH_PSEUDONYM_KEY = env_str(
    "RESEARCH_PSEUDONYM_KEY", "" if PRODUCTION else "local-mode-only-research-pseudonym-key"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "afterglow.core",
    "afterglow.ops",
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
    "afterglow.research",
    "afterglow.charts",
    "afterglow.reports",
    "afterglow.imaging",
    "afterglow.demo",
    "afterglow.fhir",
    "afterglow.api",
    # django-ninja: its templates and static files serve the API docs page without a CDN.
    "ninja",
]

MIDDLEWARE = [
    # First: it gives the request its id and logs the one line about it, whatever
    # happens below (including a 500 or a refused host).
    "afterglow.ops.middleware.RequestLogMiddleware",
    # Every error answer under /api/ as application/problem+json (afterglow.api.problems).
    "afterglow.api.problems.ProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication: gives each request its id and lets services name the actor.
    "afterglow.audit.context.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Sign-in and hardening (issue 11): see the block "Sign-in and hardening" below.
    "afterglow.accounts.security_middleware.NoStoreMiddleware",
    "afterglow.accounts.security_middleware.RequestTooBigMiddleware",
    "afterglow.accounts.security_middleware.IdleTimeoutMiddleware",
    "afterglow.accounts.security_middleware.MfaRequiredMiddleware",
    "afterglow.accounts.middleware.ClinicMiddleware",
    # Last, so that a locked-out sign-in becomes the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "afterglow.accounts.context_processors.signin_limits",
            ],
        },
    },
    {
        # The row partials of long staff lists (each app's ``jinja2/`` folder), included
        # in Django templates with ``{% jinja_include %}``: a page of rows renders about
        # fifteen times faster than with Django's engine (issue 13 §2; CONTRIBUTING.md).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "afterglow.core.jinja.environment"},
    },
]


def _database() -> dict[str, Any]:
    default_sqlite = VAR_DIR / "afterglow.sqlite3"
    url = env_str("DATABASE_URL", f"sqlite:///{default_sqlite}")
    try:
        max_age = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
        # A reused connection is checked before its first query in each request, so a
        # database restart costs one reconnect instead of an error page.
        config = dj_database_url.parse(url, conn_max_age=max_age, conn_health_checks=max_age > 0)
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
        # Tests use a real file too (not Django's shared-cache in-memory database, where
        # connections share one cache and table locks fail at once instead of queueing):
        # concurrency tests then see the locking that production sees.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-afterglow.sqlite3")}
    return dict(config)


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in and hardening (issue 11) ----------------------------------------------------
# One block on purpose: lockout, MFA, password rules and reset, idle timeout, the client
# address behind proxies. Every key is listed in .env.example.

# The client address: with N trusted proxies in front (nginx = 1), the address is the
# N-th entry from the right of X-Forwarded-For (the one our own nearest proxy appended),
# never the left-most one, which the client writes itself. 0 ignores the header.
AFTERGLOW_TRUSTED_PROXY_COUNT = env_int("AFTERGLOW_TRUSTED_PROXY_COUNT", 0, minimum=0)

# Lockout (django-axes): per username and, separately, per client address.
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username or address before the password is checked ...
    "axes.backends.AxesStandaloneBackend",
    # ... then the password is checked against the user table.
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AFTERGLOW_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AFTERGLOW_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "afterglow.core.client.client_address"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# A failed try while locked does not extend the lock: it ends when the page says it does.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Usernames and addresses stay out of the log and out of an extra access table; sign-in
# events go through afterglow.accounts.events (the audit trail's future entry point).
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = True

# Multi-factor sign-in (django-otp TOTP). On by default in production, off in local mode.
# When the variable is not set at all, the demo clinic's users are exempt so that the
# printed demo logins keep working; setting it (to true) covers them too.
AFTERGLOW_REQUIRE_MFA = env_bool("AFTERGLOW_REQUIRE_MFA", PRODUCTION)
AFTERGLOW_MFA_EXEMPT_DEMO = not env_is_set("AFTERGLOW_REQUIRE_MFA")
AFTERGLOW_DEMO_CLINIC_SLUG = "demo"
OTP_TOTP_ISSUER = env_str("AFTERGLOW_MFA_ISSUER", "Afterglow")

# Passwords: at least 12 characters, not a common one, not like the user's name or
# email, not only digits (OWASP ASVS 2.1).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset by email: the link's lifetime, and requests allowed per hour from one
# address and for one account (beyond that the form says to wait; for an account the
# page looks the same, so it never tells whether an address has an account).
PASSWORD_RESET_TIMEOUT = env_int("AFTERGLOW_PASSWORD_RESET_MINUTES", 60, minimum=5) * 60
AFTERGLOW_PASSWORD_RESET_PER_ADDRESS = env_int("AFTERGLOW_PASSWORD_RESET_PER_ADDRESS", 5, minimum=1)
AFTERGLOW_PASSWORD_RESET_PER_ACCOUNT = env_int("AFTERGLOW_PASSWORD_RESET_PER_ACCOUNT", 3, minimum=1)

# Idle timeout: a staff session ends after this many minutes without a request (staff
# pages warn a minute before). The absolute limit stays SESSION_COOKIE_AGE from sign-in.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=2)

# Request size: a form post larger than this gets a page that explains the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=65_536)
# --- end of sign-in and hardening ---------------------------------------------------------

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home_staff"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"  # storage; pages show the clinic's own timezone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
# Plotly.js is vendored (static/vendor/plotly: the basic partial bundle, scatter and bar
# traces, 1.2 MB instead of the Python package's 4.8 MB full bundle): no CDN.
# In local mode WhiteNoise serves straight from the finders (no collectstatic step). In
# production nginx serves STATIC_ROOT (deploy/nginx/afterglow.conf); WhiteNoise stays in
# the middleware so `afterglow serve` alone (behind a load balancer) serves them too.
# Pages link the hashed names only, so the unhashed copies are not kept.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "afterglow.ops.static.GzipManifestStorage"
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
# /healthz answers monitoring on plain HTTP from inside the machine too.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS: a year in production by default (nginx adds the same header to the static files
# it serves itself). Preload is a one-way request to the browsers' built-in lists for the
# whole domain: the domain owner's decision, off by default, so its deploy-check warning
# (security.W021) is silenced in production unless SECURE_HSTS_PRELOAD is set.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or not PRODUCTION else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # personal links must not leak in Referer
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Content-Security-Policy (django-csp) ------------------------------------------
# One policy on every response (staff, public intake, patient links, error pages):
# everything from this origin only, no inline script, no eval, no plugins, no framing.
# Pages keep their JavaScript in static files and hand data to it through
# ``{{ value|json_script:"id" }}`` (a JSON block the browser never executes); see
# CONTRIBUTING.md. docs/security.md ("Content-Security-Policy") explains each line.
#   style-src: no inline style either, with two exact exceptions for the Plotly.js bundle
#   (/static/vendor/plotly/plotly.min.js, the vendored basic bundle), allowed by hash:
#   - PLOTLY_EMPTY_STYLE: Plotly adds an *empty* <style> element and fills it through
#     the CSSOM (insertRule), which CSP does not govern; an empty style element styles
#     nothing, so allowing it lets nothing else in;
#   - PLOTLY_MAPLIBRE_STYLE: the map traces' stylesheet, which the bundle inserts at
#     load with fixed text (tests/core/test_csp.py recomputes it from the served
#     bundle, so a plotly upgrade that changes it fails there with the new hash).
#   The traces Afterglow draws (scatter, bar: SVG) need no 'unsafe-eval'.
# AFTERGLOW_CSP_REPORT_ONLY=true sends the same policy as
# Content-Security-Policy-Report-Only: browsers report violations in the console but
# block nothing (for trying a change to the policy on a live site).
PLOTLY_EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
PLOTLY_MAPLIBRE_STYLE = "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='"
CSP_DIRECTIVES: dict[str, list[str]] = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF, PLOTLY_EMPTY_STYLE, PLOTLY_MAPLIBRE_STYLE],
    # data: small inline images; blob: Plotly's "Download plot as a PNG" draws the chart
    # into an <img> from a blob URL the page made (an image cannot run code).
    "img-src": [SELF, "data:", "blob:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
    "base-uri": [SELF],
    "object-src": [NONE],
}
AFTERGLOW_CSP_REPORT_ONLY = env_bool("AFTERGLOW_CSP_REPORT_ONLY", False)
if AFTERGLOW_CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY_REPORT_ONLY: dict[str, Any] | None = {"DIRECTIVES": CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY: dict[str, Any] | None = None
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "afterglow@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMTP: one EMAIL_URL (smtp://, smtp+tls://, smtps://) or the separate EMAIL_* values.
# Urgent safety alerts go by email: a mail server that hangs must not hang the worker.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
_email_url = env_str("EMAIL_URL")
if _email_url:
    if env_str("EMAIL_HOST"):
        raise ImproperSetting("both EMAIL_URL and EMAIL_HOST are set: keep one")
    globals().update(email_from_url("EMAIL_URL", _email_url))
else:
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperSetting("EMAIL_USE_TLS and EMAIL_USE_SSL are both true: keep one")
# django-anymail (EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend): every
# ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g. ANYMAIL_MAILGUN_API_KEY_FILE.
ANYMAIL = env_prefixed("ANYMAIL_")

# Public intake: which clinic the home page's "Start your journey" form belongs to
# (by slug). Empty means the only clinic, or the first one created.
AFTERGLOW_PUBLIC_CLINIC = env_str("AFTERGLOW_PUBLIC_CLINIC")
# Intake submissions accepted per client address per hour before a polite refusal.
AFTERGLOW_INTAKE_RATE_PER_HOUR = env_int("AFTERGLOW_INTAKE_RATE_PER_HOUR", 5, minimum=1)

# Key for the keyed hash (HMAC-SHA-256) of client addresses in the audit log. Empty:
# derived from SECRET_KEY. Set it to keep address hashes comparable across key rotations.
AFTERGLOW_AUDIT_KEY = env_str("AFTERGLOW_AUDIT_KEY")

# REST API tokens (afterglow.api): the lifetime of a new token when none is asked for, the
# longest one allowed, and the calls one token may make per minute (429 beyond).
AFTERGLOW_API_TOKEN_DAYS = env_int("AFTERGLOW_API_TOKEN_DAYS", 90, minimum=1)
AFTERGLOW_API_TOKEN_MAX_DAYS = env_int("AFTERGLOW_API_TOKEN_MAX_DAYS", 365, minimum=1)
if AFTERGLOW_API_TOKEN_DAYS > AFTERGLOW_API_TOKEN_MAX_DAYS:
    raise ImproperSetting(
        "AFTERGLOW_API_TOKEN_DAYS must not exceed AFTERGLOW_API_TOKEN_MAX_DAYS "
        f"({AFTERGLOW_API_TOKEN_DAYS} > {AFTERGLOW_API_TOKEN_MAX_DAYS})"
    )
AFTERGLOW_API_RATE_PER_MINUTE = env_int("AFTERGLOW_API_RATE_PER_MINUTE", 300, minimum=1)

# The port `make demo` / `afterglow serve` listen on in local mode.
PORT = env_int("PORT", 8000, minimum=1)
# Absolute address of this site, the start of every link in every message (invitations,
# reminders, alerts), where there is no request to take it from. Required in production;
# locally it follows the served port (PORT=8001 make demo sends links to 8001).
if PRODUCTION:
    AFTERGLOW_BASE_URL = env_required("AFTERGLOW_BASE_URL", "production mode").rstrip("/")
else:
    AFTERGLOW_BASE_URL = env_str("AFTERGLOW_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
if not AFTERGLOW_BASE_URL.startswith(("https://", "http://")):
    raise ImproperSetting(
        f"AFTERGLOW_BASE_URL must start with https:// (or http://), got {AFTERGLOW_BASE_URL!r}"
    )
# Text-message sender: a dotted path to a class with ``send(to, body) -> str``.
# Locally the console backend prints messages; in production nothing is sent by text
# until a provider is set (afterglow.schedules.sms_twilio.TwilioSMSBackend), and the
# console backend is refused: it would print personal links instead of sending them.
AFTERGLOW_SMS_BACKEND = env_str(
    "AFTERGLOW_SMS_BACKEND",
    "afterglow.schedules.sms.DisabledSMSBackend"
    if PRODUCTION
    else "afterglow.schedules.sms.ConsoleSMSBackend",
)
if PRODUCTION and AFTERGLOW_SMS_BACKEND.endswith(".ConsoleSMSBackend"):
    raise ImproperSetting(
        "AFTERGLOW_SMS_BACKEND is the console backend, which only prints messages: "
        "set a provider (afterglow.schedules.sms_twilio.TwilioSMSBackend) or leave it unset"
    )
# Twilio (AFTERGLOW_SMS_BACKEND=afterglow.schedules.sms_twilio.TwilioSMSBackend): the
# account, its auth token (keep it in TWILIO_AUTH_TOKEN_FILE) and the sender, either a
# phone number or a messaging service.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
if AFTERGLOW_SMS_BACKEND.endswith(".TwilioSMSBackend"):
    for _name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        if not globals()[_name]:
            raise ImproperSetting(f"the Twilio SMS backend needs {_name} (or {_name}_FILE) set")
    if not (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID):
        raise ImproperSetting(
            "the Twilio SMS backend needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"
        )
# Seconds between the worker's schedule sweeps (invitations due, reminders, expiry). The
# worker records a heartbeat each sweep; /healthz is unhealthy after 3 missed sweeps.
AFTERGLOW_SWEEP_SECONDS = env_int("AFTERGLOW_SWEEP_SECONDS", 60, minimum=1)
# A task still "running" this long after it started belonged to a worker that died:
# it is marked failed (and queued again when the task is safe to repeat).
AFTERGLOW_TASK_TIMEOUT_SECONDS = env_int("AFTERGLOW_TASK_TIMEOUT_SECONDS", 900, minimum=10)
# /healthz: unhealthy when the oldest queued task waits longer than this, or when the
# SQLite database's disk has less free space than this.
AFTERGLOW_HEALTH_QUEUE_MAX_AGE_SECONDS = env_int(
    "AFTERGLOW_HEALTH_QUEUE_MAX_AGE_SECONDS", 900, minimum=1
)
AFTERGLOW_HEALTH_MIN_FREE_MB = env_int("AFTERGLOW_HEALTH_MIN_FREE_MB", 500, minimum=0)
# `afterglow serve` (gunicorn): worker processes and threads each; 0 = from the CPUs
# (processes: 2 x CPUs + 1, at most 8; threads: 4).
AFTERGLOW_WEB_WORKERS = env_int("AFTERGLOW_WEB_WORKERS", 0, minimum=0)
AFTERGLOW_WEB_THREADS = env_int("AFTERGLOW_WEB_THREADS", 4, minimum=1)
# Backups (`afterglow backup`, the systemd timer): where, and how many to keep.
AFTERGLOW_BACKUP_DIR = Path(env_str("AFTERGLOW_BACKUP_DIR", str(VAR_DIR / "backups")))
# Where pg_dump and pg_restore are (empty: Debian's newest /usr/lib/postgresql/*/bin,
# then PATH). They must be at least as new as the PostgreSQL server.
AFTERGLOW_PG_BINDIR = env_str("AFTERGLOW_PG_BINDIR")

# Background work: Django's tasks API (the django-tasks backport on 5.2) stored in the
# database and run by `afterglow worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# LOG_FORMAT=json: one JSON object a line (for a log collector); plain otherwise. Every
# request is one line from afterglow.ops.middleware (request id, route, status, time),
# never a path, query string, name or answer: personal links carry their token in the
# path, so Django's own request loggers are given the route instead of the path.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperSetting(f"LOG_FORMAT must be 'plain' or 'json', got {LOG_FORMAT!r}")
# The time the request line logs, also sent as `Server-Timing: app;dur=<ms>` (browsers'
# developer tools show it; `make bench-web` reads it). Off by default: it tells any caller
# how long the server worked on its request.
AFTERGLOW_SERVER_TIMING = env_bool("AFTERGLOW_SERVER_TIMING", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_paths": {"()": "afterglow.ops.logs.RouteNotPath"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "afterglow.ops.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["no_paths"]},
        "django.server": {"filters": ["no_paths"]},
        "django.security.csrf": {"filters": ["no_paths"]},
        "django.db.backends": {"level": "WARNING"},
        # Logs every API request's URL and headers at INFO; nothing we need.
        "twilio.http_client": {"level": "WARNING"},
        # Two lines a second while idle ("Starting worker", "No more tasks").
        "django_tasks_db": {"level": "WARNING"},
        # PDF rendering logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes writes usernames and addresses at INFO/WARNING; our own sign-in
        # events (afterglow.accounts.events) carry only ids.
        "axes": {"level": "ERROR"},
    },
}
