"""A damaged hidden form key and an over-large post each get a page that explains them."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.urls import reverse

from afterglow.intake.forms import KEY_PROBLEM
from afterglow.intake.models import IntakeSubmission
from tests.intake.test_intake_form import form_data

START = reverse("intake:start")


@pytest.mark.parametrize("key", ["not-a-uuid", ""])
def test_a_damaged_hidden_key_says_what_happened_and_keeps_the_form(clinic, anonymous, key) -> None:
    response = anonymous.post(START, form_data(submission_key=key))
    page = response.content.decode()
    assert response.status_code == 200
    assert "hidden form key was missing or damaged" in page
    assert KEY_PROBLEM in html.unescape(page)
    assert 'value="Robin"' in page and "I keep reliving the crash" in page
    assert IntakeSubmission.objects.count() == 0
    fresh = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    uuid.UUID(fresh)  # a valid new key, so pressing the button again works
    again = anonymous.post(START, form_data(submission_key=fresh))
    assert again.status_code == 302
    assert IntakeSubmission.objects.count() == 1


def test_an_over_large_post_gets_a_page_that_explains_the_limit(
    clinic, anonymous, settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024
    response = anonymous.post(
        START, form_data(reason="x" * (150 * 1024)), HTTP_REFERER=f"http://testserver{START}"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "larger than 100 KB" in page
    assert "nothing was saved" in page
    assert f'href="http://testserver{START}"' in page
    assert IntakeSubmission.objects.count() == 0


def test_an_over_large_post_to_a_staff_page_is_a_400_too(clinician, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024
    response = clinician.client.post(
        reverse("patients:list"),
        {"note": "y" * (150 * 1024)},
        HTTP_REFERER="https://elsewhere.example/",
    )
    assert response.status_code == 400
    assert "larger than 100 KB" in response.content.decode()
    assert "elsewhere.example" not in response.content.decode()  # no link off-site
