"""Text messages through Twilio: the real client library with its HTTP layer faked (no
network), and the delivery status Twilio reports back."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
from django.urls import reverse
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

from afterglow.schedules import sms_twilio
from afterglow.schedules.models import Delivery, DeliveryStatus
from tests.schedules.conftest import (
    QUESTIONNAIRE_URL,
    invitation,
    ny,
    start_course,
)

SID = "AC" + "1" * 32
TOKEN = "twilio-auth-token-0123456789abcd"


class FakeTwilioAPI(requests.adapters.BaseAdapter):
    """Answers the Messages endpoint as Twilio does; records each request."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        response = requests.Response()
        response.status_code = 201
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(
            {"sid": f"SM{len(self.requests):032d}", "status": "queued", "account_sid": SID}
        ).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def twilio_api(settings, monkeypatch) -> FakeTwilioAPI:
    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms_twilio.TwilioSMSBackend"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = "+15550100"
    settings.AFTERGLOW_BASE_URL = "https://clinic.example.org"
    api = FakeTwilioAPI()

    def client_with_fake_network() -> TwilioHttpClient:
        client = TwilioHttpClient(timeout=sms_twilio.TIMEOUT_SECONDS)
        assert client.session is not None
        client.session.mount("https://", api)
        return client

    original = sms_twilio.TwilioSMSBackend.__init__
    monkeypatch.setattr(
        sms_twilio.TwilioSMSBackend,
        "__init__",
        lambda self: original(self, http_client=client_with_fake_network()),
    )
    return api


def _callback(anonymous, data: dict[str, str], *, token: str = TOKEN):
    url = "https://clinic.example.org" + reverse("schedules:twilio_status")
    signature = RequestValidator(token).compute_signature(url, data)
    return anonymous.post(
        reverse("schedules:twilio_status"), data, HTTP_X_TWILIO_SIGNATURE=signature
    )


def test_a_text_goes_through_twilio_and_its_delivery_status_is_recorded(
    anonymous, clinician, harness, twilio_api
) -> None:
    course = start_course(clinician, harness, email="", phone="+15550123")
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline").deliveries.get()
    assert (baseline.channel, baseline.status) == ("sms", DeliveryStatus.SENT)
    assert {r.url for r in twilio_api.requests} == {
        f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    }
    form = parse_qs(twilio_api.requests[-1].body)  # type: ignore[arg-type]
    bodies = [parse_qs(r.body)["Body"][0] for r in twilio_api.requests]  # type: ignore[arg-type]
    assert any(
        "https://clinic.example.org/q/" in b and QUESTIONNAIRE_URL.search(b) for b in bodies
    )  # an absolute link
    assert form["From"] == ["+15550100"] and form["To"] == ["+15550123"]
    assert form["StatusCallback"] == ["https://clinic.example.org/sms/twilio/status/"]
    assert baseline.provider_id.startswith("SM")

    delivered = _callback(
        anonymous, {"MessageSid": baseline.provider_id, "MessageStatus": "delivered"}
    )
    assert delivered.status_code == 204
    baseline.refresh_from_db()
    assert (baseline.status, baseline.provider_status) == (DeliveryStatus.SENT, "delivered")
    assert baseline.provider_status_at is not None


def test_an_undelivered_text_is_shown_as_failed(anonymous, clinician, harness, twilio_api) -> None:
    course = start_course(clinician, harness, email="", phone="+15550123")
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline").deliveries.get()
    data = {
        "MessageSid": baseline.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    assert _callback(anonymous, data).status_code == 204
    baseline.refresh_from_db()
    assert baseline.status == DeliveryStatus.FAILED
    assert baseline.error == "The provider reported the text undelivered (error 30003)"


def test_a_status_callback_without_twilios_signature_changes_nothing(
    anonymous, clinician, harness, twilio_api
) -> None:
    course = start_course(clinician, harness, email="", phone="+15550123")
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline").deliveries.get()
    data = {"MessageSid": baseline.provider_id, "MessageStatus": "failed"}
    assert _callback(anonymous, data, token="not-the-token").status_code == 403
    assert anonymous.post(reverse("schedules:twilio_status"), data).status_code == 403
    assert Delivery.objects.get(pk=baseline.pk).status == DeliveryStatus.SENT


def test_without_a_provider_a_text_is_recorded_as_not_configured(
    clinician, harness, settings
) -> None:
    settings.AFTERGLOW_SMS_BACKEND = "afterglow.schedules.sms.DisabledSMSBackend"
    course = start_course(clinician, harness, email="", phone="+15550123")
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline").deliveries.get()
    assert baseline.status == DeliveryStatus.FAILED
    assert "text messages are not configured" in baseline.error
