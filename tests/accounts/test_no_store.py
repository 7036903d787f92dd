"""No page of the application may be kept by a browser or proxy cache.

Walks every URL pattern (as test_access does), for a signed-in clinician and for an
anonymous visitor, including the patient-link pages with a real token.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from afterglow.diary.services import diary_link_create
from afterglow.instruments.services import personal_link_create
from tests.accounts.test_access import _kwargs_for, all_named_patterns
from tests.accounts.test_access import home_objects as home_objects
from tests.factories import PatientFactory


@pytest.mark.parametrize("persona", ["clinician", "anonymous"])
def test_every_page_says_no_store(request, persona, home_objects) -> None:
    client = (
        request.getfixturevalue("clinician").client
        if persona == "clinician"
        else (request.getfixturevalue("anonymous"))
    )
    checked = 0
    for name, pattern in all_named_patterns():
        if persona == "clinician" and name == "accounts:logout":
            continue  # signing out here would turn the rest of the walk anonymous
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response["Cache-Control"] == "no-store", f"{method.upper()} {url}"
            checked += 1
    assert checked > 100
    if persona == "clinician":
        assert client.get(reverse("patients:list")).status_code == 200  # still signed in


def test_the_patients_link_pages_say_no_store(clinician, anonymous) -> None:
    patient = PatientFactory(clinic=clinician.clinic)
    _link, token = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
    _diary, diary_token = diary_link_create(patient=patient, by=None)
    for url in (
        reverse("instruments:answer", kwargs={"token": token}),
        reverse("diary:today", kwargs={"token": diary_token}),
    ):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url
