"""The PHQ-9 through the same pages as the PCL-5: no view or template knows about it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from afterglow.instruments.models import PersonalLink, Response
from tests.factories import PatientFactory

ITEM_9 = "Thoughts that you would be better off dead or of hurting yourself in some way"
INSTRUCTIONS = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)


def answers_post(values: list[int | None], **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        f"item_{n}": "" if v is None else str(v) for n, v in enumerate(values, start=1)
    }
    data.update(extra)
    return data


def item_fields(page: str) -> list[str]:
    """The distinct item field names on a form page, in page order."""
    return list(dict.fromkeys(re.findall(r'name="(item_\d+)"', page)))


@pytest.fixture
def patient(clinician):
    return PatientFactory(clinic=clinician.clinic, given_name="Sam", email="sam@example.org")


def test_a_clinician_enters_a_phq9_and_the_stored_response_has_its_total(
    clinician, patient
) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "phq9"})
    form = clinician.client.get(url).content.decode()
    assert item_fields(form) == [f"item_{n}" for n in range(1, 10)]
    assert INSTRUCTIONS in form
    assert "Nearly every day" in form

    today = timezone.localdate(timezone=clinician.clinic.tzinfo).isoformat()
    saved = clinician.client.post(
        url, answers_post([1, 1, 1, 1, 1, 0, 0, 0, 0], administered_on=today, timepoint="week 1")
    )

    stored = Response.objects.get()
    assert saved["Location"] == reverse("instruments:response_detail", kwargs={"pk": stored.pk})
    assert (stored.instrument, stored.source, stored.entered_by) == (
        "phq9",
        "staff",
        clinician.user,
    )
    assert (stored.complete, stored.total, stored.missing_items) == (True, 5, [])
    assert stored.answers == [1, 1, 1, 1, 1, 0, 0, 0, 0]
    # The PHQ-9 has no subscales, diagnosis rule or cutoff.
    assert stored.subscales == {}
    assert (stored.provisional_diagnosis, stored.flag, stored.cutoff_used) == (None, None, None)
    detail = clinician.client.get(saved["Location"])
    assert detail.status_code == 200
    assert ITEM_9 in detail.content.decode()


def test_an_incomplete_phq9_keeps_the_item_9_answer_that_raises_the_alert(
    clinician, patient
) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "phq9"})
    values: list[int | None] = [2, 2, None, 2, 2, 2, 2, 2, 1]
    day = timezone.localdate(timezone=clinician.clinic.tzinfo).isoformat()

    clinician.client.post(url, answers_post(values, administered_on=day, confirm_incomplete="on"))

    stored = Response.objects.get()
    assert (stored.complete, stored.total, stored.missing_items) == (False, None, [3])
    assert stored.answers[8] == 1  # the alert can be raised from the stored answers


def test_a_phq9_answer_of_4_is_refused(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "phq9"})
    day = timezone.localdate(timezone=clinician.clinic.tzinfo).isoformat()

    page = clinician.client.post(url, answers_post([0] * 8 + [4], administered_on=day))

    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert Response.objects.count() == 0


def test_a_patient_link_for_the_phq9_shows_the_9_items_and_the_crisis_resources(
    clinician, anonymous, patient
) -> None:
    created = clinician.client.post(
        reverse("instruments:link_new", kwargs={"patient_pk": patient.pk}),
        {"instrument": "phq9", "timepoint": "week 2"},
    )
    token = created.context["url"].rstrip("/").rsplit("/", 1)[1]
    assert PersonalLink.objects.get().instrument == "phq9"
    url = reverse("instruments:answer", kwargs={"token": token})

    page = anonymous.get(url).content.decode()

    assert item_fields(page) == [f"item_{n}" for n in range(1, 10)]
    assert "these 9 questions" in page
    assert INSTRUCTIONS in page
    assert ITEM_9 in page
    assert 'class="crisis"' in page
    assert patient.clinic.emergency_number in page
    assert escape(patient.clinic.crisis_line) in page
    assert "No permission required to reproduce" in page  # the publisher's attribution

    anonymous.post(url, answers_post([3, 3, 3, 3, 3, 3, 3, 3, 0]))
    stored = Response.objects.get()
    assert (stored.instrument, stored.source, stored.timepoint) == (
        "phq9",
        "patient_link",
        "week 2",
    )
    assert (stored.complete, stored.total) == (True, 24)


def test_the_response_page_shows_severity_and_no_pcl5_wording(clinician, patient) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "phq9"})
    today = timezone.localdate(timezone=clinician.clinic.tzinfo).isoformat()
    # Hand-worked: 2+2+2+2+2+1+1+0+0 = 12 → "moderate" (10–14, Kroenke 2001).
    clinician.client.post(url, answers_post([2, 2, 2, 2, 2, 1, 1, 0, 0], administered_on=today))
    stored = Response.objects.get()
    assert (stored.total, stored.severity, stored.alerts) == (12, "moderate", [])
    page = clinician.client.get(
        reverse("instruments:response_detail", kwargs={"pk": stored.pk})
    ).content.decode()
    assert "/ 27" in page and "moderate" in page
    assert "DSM-5" not in page and "cutoff" not in page.lower()
    assert 'role="alert"' not in page


def test_item_9_above_zero_is_stored_and_shown_even_when_another_item_is_missing(
    clinician, patient
) -> None:
    url = reverse("instruments:response_new", kwargs={"patient_pk": patient.pk, "code": "phq9"})
    today = timezone.localdate(timezone=clinician.clinic.tzinfo).isoformat()
    values: list[int | None] = [1, 1, None, 1, 1, 1, 1, 1, 2]
    clinician.client.post(url, answers_post(values, administered_on=today, confirm_incomplete="on"))
    stored = Response.objects.get()
    assert (stored.complete, stored.total, stored.severity) == (False, None, "")
    assert stored.alerts == ["self_harm_thoughts"]
    page = clinician.client.get(
        reverse("instruments:response_detail", kwargs={"pk": stored.pk})
    ).content.decode()
    assert 'role="alert"' in page and "Thoughts of self-harm" in page


@pytest.mark.parametrize(("item_9", "crisis_box"), [(0, False), (1, True), (3, True)])
def test_after_item_9_above_zero_the_patient_sees_one_crisis_box_with_what_happens_next(
    anonymous, patient, item_9: int, crisis_box: bool
) -> None:
    from afterglow.instruments.services import personal_link_create

    patient.clinic.urgent_response_text = "Your care team has been told; they call within 4 hours."
    patient.clinic.save()
    _, token = personal_link_create(patient=patient, instrument_code="phq9", by=None)
    url = reverse("instruments:answer", kwargs={"token": token})

    page = anonymous.post(url, answers_post([1, 1, 1, 1, 1, 1, 1, 1, item_9])).content.decode()

    assert "Thank you — your answers were received." in page
    # The notice, or the box in its place: one element with the class "crisis".
    assert len(re.findall(r'class="crisis(?: [^"]*)?"', page)) == 1
    assert ('id="crisis-box"' in page) is crisis_box
    assert ("they call within 4 hours" in page) is crisis_box
    assert f'href="tel:{patient.clinic.crisis_line_phone}"' in page
    assert f'href="sms:{patient.clinic.crisis_line_sms}"' in page
