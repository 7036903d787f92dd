"""The client's network address, as far as this server can trust it.

Behind ``AFTERGLOW_TRUSTED_PROXY_COUNT`` proxies of our own (nginx in front of gunicorn
is 1), each proxy appends the address it received the request from to
``X-Forwarded-For``. The entries on the right were therefore written by our proxies and
can be trusted; everything to their left was written by the client and may be forged.
The client is the N-th entry from the right. With 0 (the default), the header is ignored
and the connecting address (``REMOTE_ADDR``) is the client.

Parsing (ports, IPv6, brackets, junk) is python-ipware's; only X-Forwarded-For is read,
never headers such as ``X-Real-IP`` that a client could set when no proxy overwrites them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

__all__ = ["client_address"]


def client_address(request: HttpRequest) -> str:
    """The client's address ("" when unknown), ``AFTERGLOW_TRUSTED_PROXY_COUNT`` from the right."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = int(settings.AFTERGLOW_TRUSTED_PROXY_COUNT)
    if proxies <= 0:
        return remote
    # ipware counts the proxies *between* the client and the right end of the chain, so
    # the N-th entry from the right is proxy_count N - 1.
    ipware = IpWare(
        precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=proxies - 1, algorithm="modern"
    )
    address, _trusted = ipware.get_client_ip(request.META)
    # A shorter chain than configured did not come through all our proxies: only the
    # connecting address is known for certain.
    return str(address) if address is not None else remote
