"""Logs: one line per request with its id, JSON on request, and never a token.

A personal link's token is the key to a patient's questionnaire; it travels in the URL
path and in the message body. These tests capture every log record while links are
sent (email, text) and visited (answered, reused, mistyped) and look for the tokens.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from afterglow.ops.logs import JsonFormatter, RouteNotPath
from afterglow.schedules.models import Delivery, DeliveryStatus
from tests.instruments.test_links_and_entry import answers_post
from tests.schedules.conftest import (
    QUESTIONNAIRE_URL,
    invitation,
    ny,
    start_course,
    token_in,
)


class Everything(logging.Handler):
    """Keeps every record's fully formatted text (message, exception, extra fields)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []
        self.json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(self.json.format(record))


@pytest.fixture
def every_log_record() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


class _TalkativeProvider:
    """An SMS provider whose error quotes the message back, as some do."""

    def send(self, to: str, body: str) -> str:
        raise RuntimeError(f"rejected message {body!r}")


def test_a_personal_link_token_never_reaches_a_log(
    anonymous, clinician, harness, settings, capsys, every_log_record
) -> None:
    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms.ConsoleSMSBackend"
    by_email = start_course(clinician, harness)
    by_text = start_course(clinician, harness, email="", phone="+1 555 0199")
    harness.sweep(ny(2, 28, 9, 5))  # sends the baseline and the diary link of both

    tokens = [token_in(m.body) for m in mail.outbox if QUESTIONNAIRE_URL.search(m.body)]
    tokens += QUESTIONNAIRE_URL.findall(capsys.readouterr().out)  # the console SMS
    assert len(tokens) == 2
    sms = invitation(by_text, "pcl5@baseline").deliveries.get()
    assert (sms.channel, sms.status) == ("sms", DeliveryStatus.SENT)

    answer = reverse("instruments:answer", args=[tokens[0]])
    assert anonymous.get(answer).status_code == 200
    assert (
        "your answers were received"
        in anonymous.post(answer, answers_post([1] * 20)).content.decode()
    )
    anonymous.get(answer)  # used: "no longer active"
    anonymous.get(reverse("instruments:answer", args=[tokens[1] + "x"]))  # mistyped
    # A stale page posted without its CSRF token: Django logs the refusal and the path.
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(reverse("instruments:answer", args=[tokens[1]]), answers_post([0] * 20))
    assert refused.status_code == 403

    # A provider that fails and quotes the message (and the link) in its error.
    settings.AFTERGLOW_SMS_BACKEND = "tests.ops.test_logs._TalkativeProvider"
    harness.sweep(ny(3, 1, 9, 5))  # reminder 1 of the text patient
    failed = list(Delivery.objects.filter(status=DeliveryStatus.FAILED))
    assert any("[link]" in f.error for f in failed)
    assert not [f for f in failed if "/q/" in f.error or "/d/" in f.error]
    assert by_email.pk != by_text.pk

    texts = every_log_record.texts
    request_lines = [r for r in every_log_record.records if r.name == "afterglow.request"]
    assert len(request_lines) >= 4  # the capture really saw the visits
    assert {getattr(r, "route", "") for r in request_lines} >= {"/q/<str:token>/"}
    assert any("Sending delivery" in t for t in texts)  # and the failed send
    assert any("Forbidden (CSRF" in t for t in texts)  # and Django's own refusal
    for token in tokens:
        assert not [t for t in texts if token in t], "a token reached a log"


def test_each_request_gets_one_line_with_its_id(anonymous, db, every_log_record) -> None:
    response = anonymous.get(reverse("intake:start") + "?given_name=Robin")
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    (line,) = [r for r in every_log_record.records if r.name == "afterglow.request"]
    assert line.getMessage().startswith(f"{request_id} GET / ")
    assert "Robin" not in line.getMessage()
    entry = json.loads(JsonFormatter().format(line))
    assert (entry["request_id"], entry["route"], entry["status"]) == (request_id, "/", 503)


def test_a_sane_request_id_from_the_proxy_is_kept(anonymous, db) -> None:
    kept = anonymous.get("/healthz", HTTP_X_REQUEST_ID="req-0123456789")
    assert kept["X-Request-ID"] == "req-0123456789"
    replaced = anonymous.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert replaced["X-Request-ID"] != "<script>"


def test_server_timing_is_sent_only_when_the_clinic_turns_it_on(anonymous, db, settings) -> None:
    assert not settings.AFTERGLOW_SERVER_TIMING  # off by default
    assert "Server-Timing" not in anonymous.get("/healthz")
    settings.AFTERGLOW_SERVER_TIMING = True
    timing = anonymous.get("/healthz")["Server-Timing"]
    match = re.fullmatch(r"app;dur=(\d+\.\d{2})", timing)
    assert match and 0 < float(match.group(1)) < 60_000


def test_djangos_request_loggers_get_the_route_not_the_path(db) -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "%s: %s", ("Not Found", "/q/SECRET/"), None
    )
    RouteNotPath().filter(record)
    assert record.getMessage() == "Not Found: /q/<str:token>/"
    line = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s %s',
        ("GET /d/SECRET/2026-03-01/ HTTP/1.1", "200", "12"),
        None,
    )
    RouteNotPath().filter(line)
    assert "SECRET" not in line.getMessage()
    unknown = logging.LogRecord("django.request", 30, "", 0, "%s", ("/no/SECRET/here",), None)
    RouteNotPath().filter(unknown)
    assert unknown.getMessage() == "(no route)"


def test_log_format_json_is_one_object_a_line(tmp_path) -> None:
    from tests.ops.conftest import afterglow, clean_env, ok

    env = clean_env(tmp_path, LOG_FORMAT="json", DATABASE_URL=f"sqlite:///{tmp_path}/a.db")
    ok(afterglow("migrate", "-v0", env=env))
    result = afterglow(
        "shell",
        "-c",
        "import logging; logging.getLogger('afterglow.x').warning('hello %s', 1)",
        env=env,
    )
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert {"level": "WARNING", "logger": "afterglow.x", "message": "hello 1"}.items() <= (
        lines[-1].items()
    )
