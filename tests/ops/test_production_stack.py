"""The production stack as docs/deploy.md sets it up, started for real.

nginx (deploy/nginx/afterglow.conf, with a self-signed certificate) in front of
``afterglow serve`` in production mode (deploy/afterglow.env) on PostgreSQL, and
``afterglow worker`` beside it. Through HTTPS: sign in, submit the intake form, enrol
the submission and open the chart, fetch a compressed static file with a far-future
cache header, /healthz 200; SIGHUP reloads gunicorn without a failed request; with the
worker stopped /healthz turns 503 within three sweep intervals.

Runs in both CI phases on PostgreSQL (the ``postgres`` fixture). nginx runs as a child
process with its own prefix and temp folders, on free loopback ports, so parallel test
workers never meet; it comes from scripts/ensure-nginx.sh, which ``make test`` calls.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django_otp.oath import totp

from tests.intake.test_intake_form import form_data
from tests.ops.conftest import AFTERGLOW, ROOT, afterglow, clean_env, ok

SWEEP_SECONDS = 2
#: The stated time: /healthz is unhealthy after three missed sweeps.
UNHEALTHY_AFTER = 3 * SWEEP_SECONDS
#: Slack for a loaded machine (the test machine is shared); the check itself is exact.
SLACK_SECONDS = 10
ADMIN, PASSWORD = "ada", "a long clinic passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _nginx_binary() -> str:
    path = os.environ.get("AFTERGLOW_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(path, os.X_OK):
        pytest.fail("nginx not found: run scripts/ensure-nginx.sh (make test does)")
    return path


def _render(source: str, replacements: dict[str, str]) -> str:
    """The shipped file with the machine-specific values swapped; each must be there."""
    for old, new in replacements.items():
        assert old in source, f"deploy file no longer contains {old!r}"
        source = source.replace(old, new)
    return source


@dataclass
class Stack:
    base: str  # https://localhost:PORT
    plain: str  # http://localhost:PORT (nginx's redirect)
    cert: Path
    web: subprocess.Popen[str]
    worker: subprocess.Popen[str]
    nginx: subprocess.Popen[str]
    logs: Path

    def session(self) -> requests.Session:
        http = requests.Session()
        http.verify = str(self.cert)
        http.trust_env = False  # no proxy, no CA bundle from the environment
        return http

    def explain(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log"))
        )


def _wait_healthy(stack: Stack, seconds: float = 60) -> requests.Response:
    http = stack.session()
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            last = http.get(f"{stack.base}/healthz", timeout=10)
            if last.status_code == 200:
                return last
        except requests.ConnectionError as exc:
            last = exc  # type: ignore[assignment]
        time.sleep(0.5)
    detail = last.text if isinstance(last, requests.Response) else repr(last)
    pytest.fail(f"/healthz never became 200 ({detail})\n{stack.explain()}")


@pytest.fixture
def stack(postgres, tmp_path: Path) -> Iterator[Stack]:
    https_port, http_port, app_port = _free_port(), _free_port(), _free_port()
    base = f"https://localhost:{https_port}"
    etc, var, logs = tmp_path / "etc", tmp_path / "var", tmp_path / "logs"
    for folder in (etc, var, logs, tmp_path / "nginx", tmp_path / "acme"):
        folder.mkdir()
    # A self-signed certificate for localhost, as a clinic would get from Let's Encrypt.
    cert, key = etc / "fullchain.pem", etc / "privkey.pem"
    ok_ssl = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok_ssl.returncode == 0, ok_ssl.stderr

    # deploy/afterglow.env with its paths moved into the temp folder; the environment
    # wins over the file for what differs on this machine (host, port, sweep interval).
    (etc / "secret_key").write_text(uuid.uuid4().hex + uuid.uuid4().hex + "\n")
    (etc / "database_url").write_text(postgres.create_database() + "\n")
    (etc / "email_url").write_text("smtp://127.0.0.1:1\n")
    env_file = etc / "afterglow.env"
    env_file.write_text(
        _render(
            (ROOT / "deploy" / "afterglow.env").read_text(),
            {
                "/etc/afterglow/": f"{etc}/",
                "/var/lib/afterglow": str(var),
                "/var/backups/afterglow": str(tmp_path / "backups"),
            },
        )
    )
    env = clean_env(var)
    del env["AFTERGLOW_VAR_DIR"]  # from the file
    env.update(
        AFTERGLOW_ENV_FILE=str(env_file),
        ALLOWED_HOSTS="localhost",
        CSRF_TRUSTED_ORIGINS=base,
        AFTERGLOW_BASE_URL=base,
        AFTERGLOW_SWEEP_SECONDS=str(SWEEP_SECONDS),
        AFTERGLOW_WEB_WORKERS="2",
        AFTERGLOW_WEB_THREADS="2",
    )
    env_cli = {**env, "AFTERGLOW_VAR_DIR": str(var)}
    ok(afterglow("migrate", "--noinput", "-v0", env=env_cli))
    ok(afterglow("createclinic", "--name", "Riverside Clinic", "--slug", "riverside", env=env_cli))
    ok(
        afterglow(
            "createadmin",
            "--clinic",
            "riverside",
            "--username",
            ADMIN,
            "--email",
            "ada@riverside.example",
            "--password-stdin",
            env=env_cli,
            stdin=PASSWORD + "\n",
        )
    )

    tls_listen = f"    listen 127.0.0.1:{https_port} ssl http2;"
    site = _render(
        (ROOT / "deploy" / "nginx" / "afterglow.conf").read_text(),
        {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
            "    listen 80;\n    listen [::]:80;": f"    listen 127.0.0.1:{http_port};",
            "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;": tls_listen,
            "server_name clinic.example.org;": "server_name localhost;",
            "/etc/letsencrypt/live/clinic.example.org/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/clinic.example.org/privkey.pem": str(key),
            "/var/www/letsencrypt": str(tmp_path / "acme"),
            "/var/lib/afterglow/static/": f"{var}/static/",
        },
    )
    prefix = tmp_path / "nginx"
    (prefix / "site.conf").write_text(site)
    user = "user root root;" if os.geteuid() == 0 else ""  # workers must read tmp_path
    (prefix / "nginx.conf").write_text(f"""
daemon off;
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {logs}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {logs}/nginx-access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
""")
    nginx_cmd = [
        _nginx_binary(),
        "-p",
        str(prefix),
        "-c",
        str(prefix / "nginx.conf"),
        "-e",
        str(logs / "nginx-error.log"),
    ]
    tested = subprocess.run([*nginx_cmd, "-t"], capture_output=True, text=True, check=False)
    assert tested.returncode == 0, tested.stderr

    def start(name: str, args: list[str]) -> subprocess.Popen[str]:
        out = (logs / f"{name}.log").open("w")
        return subprocess.Popen(
            args, env=env, cwd=var, stdout=out, stderr=subprocess.STDOUT, text=True
        )

    web = start("web", [AFTERGLOW, "serve", "--bind", f"127.0.0.1:{app_port}"])
    worker = start("worker", [AFTERGLOW, "worker"])
    nginx = start("nginx", nginx_cmd)
    running = Stack(
        base=base,
        plain=f"http://localhost:{http_port}",
        cert=cert,
        web=web,
        worker=worker,
        nginx=nginx,
        logs=logs,
    )
    try:
        yield running
    finally:
        for process in (nginx, web, worker):
            if process.poll() is None:
                process.terminate()
        for process in (nginx, web, worker):
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def _sign_in(http: requests.Session, base: str, username: str, password: str) -> None:
    """Sign in through the login page, then set up the required second step (TOTP)."""
    login = http.get(f"{base}/staff/accounts/login/", timeout=30)
    assert login.status_code == 200
    done = http.post(
        login.url,
        data={
            "csrfmiddlewaretoken": _csrf(login),
            "username": username,
            "password": password,
            "next": "/staff/",
        },
        headers={"Referer": login.url},
        timeout=30,
    )
    assert done.status_code == 200, done.text[:500]
    assert done.url.startswith(f"{base}/staff/") and "/login/" not in done.url, done.url
    # Production requires two-step sign-in: a first sign-in lands on the set-up page.
    # Do what a person does with an authenticator app: type the key shown as text.
    assert "/mfa/setup/" in done.url, f"production did not ask for two-step sign-in: {done.url}"
    key = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', done.text)
    assert key, done.text[:1000]
    secret = key.group(1).replace(" ", "")
    code = totp(base64.b32decode(secret + "=" * (-len(secret) % 8)))
    enrolled = http.post(
        done.url,
        data={"csrfmiddlewaretoken": _csrf(done), "code": f"{code:06d}", "next": "/staff/"},
        headers={"Referer": done.url},
        timeout=30,
    )
    assert enrolled.status_code == 200, enrolled.text[:500]
    assert "recovery" in enrolled.text.lower(), enrolled.text[:1000]


def test_the_documented_production_stack_serves_a_clinic_and_reports_its_health(
    stack: Stack,
) -> None:
    health = _wait_healthy(stack)
    assert health.json()["checks"]["worker"]["limit_seconds"] == UNHEALTHY_AFTER
    http = stack.session()

    # Plain HTTP answers with a redirect to HTTPS (nginx's first server block).
    moved = http.get(f"{stack.plain}/staff/", allow_redirects=False, timeout=30)
    assert moved.status_code == 301
    assert moved.headers["Location"] == "https://localhost/staff/"

    # A person submits the public intake form.
    start = http.get(f"{stack.base}/", timeout=30)
    assert start.status_code == 200
    assert "max-age=31536000" in start.headers["Strict-Transport-Security"]
    key = re.search(r'name="submission_key" value="([^"]+)"', start.text)
    assert key
    sent = http.post(
        f"{stack.base}/",
        data={**form_data(submission_key=key.group(1)), "csrfmiddlewaretoken": _csrf(start)},
        headers={"Referer": start.url},
        timeout=30,
    )
    assert sent.status_code == 200 and sent.url == f"{stack.base}/thanks/", sent.text[:500]
    assert "Thank you! Your submission has been received!" in sent.text

    # Staff sign in, enrol the submission and open the chart.
    staff = stack.session()
    _sign_in(staff, stack.base, ADMIN, PASSWORD)
    queue = staff.get(f"{stack.base}/staff/intake/", timeout=30)
    submission = re.search(r'href="/staff/intake/(\d+)/"', queue.text)
    assert submission, queue.text[:1000]
    detail = staff.get(f"{stack.base}/staff/intake/{submission.group(1)}/", timeout=30)
    chart = staff.post(
        f"{stack.base}/staff/intake/{submission.group(1)}/enrol/",
        data={
            "csrfmiddlewaretoken": _csrf(detail),
            "trauma_context": "unknown",
            "veteran_status": "unknown",
            "sex": "unknown",
        },
        headers={"Referer": detail.url},
        timeout=30,
    )
    assert chart.status_code == 200 and re.search(r"/staff/patients/\d+/$", chart.url), chart.url
    assert "Robin" in chart.text and "Ash" in chart.text

    # A static file: served by nginx, compressed, cached for a year.
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', chart.text)
    assert css, "no hashed stylesheet on the chart"
    static = http.get(
        f"{stack.base}{css.group(1)}", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30
    )
    assert static.status_code == 200
    assert static.headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in static.headers["Cache-Control"]
    assert "immutable" in static.headers["Cache-Control"]
    static.close()

    # SIGHUP: gunicorn reloads with new processes; the site keeps answering.
    stack.web.send_signal(signal.SIGHUP)
    for _ in range(10):
        assert http.get(f"{stack.base}/healthz", timeout=30).status_code == 200
        time.sleep(0.2)

    # The worker stops: within three sweep intervals /healthz says so.
    stack.worker.send_signal(signal.SIGTERM)
    stack.worker.wait(timeout=60)
    stopped = time.monotonic()
    while True:
        answer = http.get(f"{stack.base}/healthz", timeout=30)
        if answer.status_code == 503:
            break
        assert time.monotonic() - stopped < UNHEALTHY_AFTER + SLACK_SECONDS, stack.explain()
        time.sleep(0.5)
    assert answer.json()["checks"]["worker"]["ok"] is False
    assert time.monotonic() - stopped <= UNHEALTHY_AFTER + SLACK_SECONDS
    assert answer.headers["Content-Type"] == "application/json"
    # Nothing personal in the request log: routes, not paths, and never a name.
    web_log = (stack.logs / "web.log").read_text()
    assert "/staff/intake/<int:pk>/enrol/" in web_log
    assert "Robin" not in web_log and "robin.ash" not in web_log
    # SIGTERM: gunicorn finishes what is in flight and exits cleanly.
    stack.web.send_signal(signal.SIGTERM)
    assert stack.web.wait(timeout=60) == 0
