"""A favicon (issue 14 §5): an SVG and an ICO, linked from every page, /favicon.ico too."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

import afterglow

STATIC = Path(afterglow.__file__).parent / "static"


def test_the_favicon_files_exist_and_are_what_they_say() -> None:
    assert (STATIC / "favicon.svg").read_text().lstrip().startswith("<svg")
    assert (STATIC / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICO header


@pytest.mark.django_db
def test_pages_link_the_favicon_and_favicon_ico_redirects_to_it(client: Client) -> None:
    page = client.get("/staff/accounts/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page and "favicon.ico" in page
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.ico")
