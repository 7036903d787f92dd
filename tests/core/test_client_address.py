"""The client address: N trusted proxies from the right of X-Forwarded-For, never the left."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from afterglow.core.client import client_address

CHAIN = "6.6.6.6, 203.0.113.9, 198.51.100.2"  # forged, client, first proxy's peer


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, CHAIN, "127.0.0.1"),  # header ignored
        (1, CHAIN, "198.51.100.2"),  # nginx alone: the entry it appended
        (2, CHAIN, "203.0.113.9"),  # load balancer + nginx
        (3, CHAIN, "6.6.6.6"),  # only if three proxies of ours really are in front
        (4, CHAIN, "127.0.0.1"),  # shorter chain than configured: did not pass them all
        (1, "10.0.0.5:1234", "10.0.0.5"),  # port stripped
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_the_address_is_counted_from_the_right(settings, proxies, forwarded, expected) -> None:
    settings.AFTERGLOW_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_headers_a_client_could_set_are_never_read(settings) -> None:
    settings.AFTERGLOW_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="6.6.6.6", HTTP_CLIENT_IP="6.6.6.7"
    )
    assert client_address(request) == "127.0.0.1"
