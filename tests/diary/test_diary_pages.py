"""The patient's diary pages through their personal diary link, and the staff side."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from afterglow.core.tokens import hash_token
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.selectors import diary_series
from afterglow.diary.services import diary_link_create, diary_link_revoke
from afterglow.instruments.services import personal_link_create
from afterglow.patients.models import Patient
from tests.factories import PatientFactory

NEW_YORK = ZoneInfo("America/New_York")
TODAY = dt.date(2026, 11, 26)
URGENT_TEXT = "your care team may not read this right away"


@pytest.fixture(autouse=True)
def _afternoon_in_new_york() -> Iterator[None]:
    # 15:00 in the clinic's timezone (the factory's), 20:00 UTC: same date both ways.
    with time_machine.travel(dt.datetime(2026, 11, 26, 15, 0, tzinfo=NEW_YORK), tick=False):
        yield


@pytest.fixture
def patient(clinician) -> Patient:
    clinic = clinician.clinic
    clinic.emergency_number = "000-112"
    clinic.crisis_line = "Harbour Crisis Line 0800 555 0199"
    clinic.save()
    return PatientFactory(clinic=clinic, given_name="Sam")


@pytest.fixture
def token(patient: Patient) -> str:
    return diary_link_create(patient=patient, by=None)[1]


def today_url(token: str) -> str:
    return reverse("diary:today", args=[token])


def day_url(token: str, day: dt.date) -> str:
    return reverse("diary:day", args=[token, day.isoformat()])


def answers(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "intrusive_memories": "3",
        "flashbacks": "1",
        "nightmares": "yes",
        "peak_distress": "6",
        "triggers": "car horn",
        "note": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_patient_saves_today_and_sees_the_numbers_and_the_week(token, patient) -> None:
    client = Client()
    page = client.get(today_url(token))
    assert page.status_code == 200
    assert "Today’s diary" in page.text and "000-112" in page.text  # crisis resources
    response = client.post(today_url(token), answers())
    assert response.status_code == 200
    assert "Saved — thank you" in response.text
    entry = DiaryEntry.objects.get(patient=patient)
    assert (entry.day, entry.intrusive_memories, entry.flashbacks) == (TODAY, 3, 1)
    assert entry.nightmares and entry.peak_distress == 6 and entry.triggers == "car horn"
    assert not entry.none_today and not entry.urgent
    assert "Your last 7 days" in response.text
    assert day_url(token, TODAY - dt.timedelta(days=1)) in response.text  # add yesterday
    assert DiaryLink.objects.get().last_used_at is not None


def test_saving_the_same_day_again_changes_the_one_entry(token, patient) -> None:
    client = Client()
    client.post(today_url(token), answers())
    client.post(today_url(token), answers(intrusive_memories="5"))
    assert DiaryEntry.objects.get(patient=patient).intrusive_memories == 5


def test_the_patient_edits_yesterday(token, patient) -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    client = Client()
    assert client.post(day_url(token, yesterday), answers()).status_code == 200
    response = client.post(day_url(token, yesterday), answers(flashbacks="4"))
    assert response.status_code == 200
    entry = DiaryEntry.objects.get(patient=patient, day=yesterday)
    assert entry.flashbacks == 4


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-3, "can no longer be changed"), (-2, "can no longer be changed"), (1, "has not come yet")],
)
def test_a_closed_or_future_day_is_read_only_and_refuses_a_post(token, offset, message) -> None:
    the_day = TODAY + dt.timedelta(days=offset)
    client = Client()
    page = client.get(day_url(token, the_day))
    assert page.status_code == 200 and message in page.text
    assert "<form" not in page.text.split("Your last 7 days")[0]  # no entry form
    response = client.post(day_url(token, the_day), answers())
    assert response.status_code == 403 and message in response.text
    assert not DiaryEntry.objects.exists()


def test_none_today_stores_real_zeros(token, patient) -> None:
    response = Client().post(
        today_url(token),
        {"none_today": "1", "intrusive_memories": "4", "nightmares": "yes", "peak_distress": "2"},
    )
    assert response.status_code == 200
    entry = DiaryEntry.objects.get(patient=patient)
    assert entry.none_today
    assert (entry.intrusive_memories, entry.flashbacks, entry.nightmares) == (0, 0, False)
    assert entry.peak_distress == 2


def test_an_ordinary_save_needs_both_counts(token) -> None:
    response = Client().post(today_url(token), answers(flashbacks=""))
    assert response.status_code == 200
    assert "Enter a number (0 if there were none)." in response.text
    assert not DiaryEntry.objects.exists()


def test_a_new_day_shows_empty_count_boxes_not_zeros(token) -> None:
    html = Client().get(today_url(token)).text
    assert 'name="intrusive_memories" id="id_intrusive_memories"' in html
    for name in ("intrusive_memories", "flashbacks"):
        box = html.split(f'name="{name}"', 1)[1].split(">", 1)[0]
        assert 'value=""' in box, box


def test_save_with_no_count_touched_is_refused_calmly_and_stores_nothing(token) -> None:
    # The other answers are kept on the page; no zero is invented for the counts.
    response = Client().post(
        today_url(token), answers(intrusive_memories="", flashbacks="", triggers="bus stop")
    )
    assert response.status_code == 200
    assert "Tap &#x27;None today&#x27; if you had none, or enter your counts" in response.text
    assert "Enter a number (0 if there were none)." not in response.text
    assert 'value="bus stop"' in response.text
    assert not DiaryEntry.objects.exists()


def test_on_an_earlier_day_the_refusal_names_that_days_button(token) -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    response = Client().post(
        day_url(token, yesterday), answers(intrusive_memories="", flashbacks="")
    )
    assert "Tap &#x27;None that day&#x27; if you had none" in response.text
    assert not DiaryEntry.objects.exists()


def test_only_none_today_or_a_touched_count_stores_zeros(token, patient) -> None:
    client = Client()
    # A count typed as 0 (without JavaScript) is a real answer, as is "None today".
    client.post(today_url(token), answers(intrusive_memories="0", flashbacks="0"))
    entry = DiaryEntry.objects.get(patient=patient, day=TODAY)
    assert (entry.intrusive_memories, entry.flashbacks, entry.none_today) == (0, 0, False)
    client.post(day_url(token, TODAY - dt.timedelta(days=1)), {"none_today": "1"})
    none = DiaryEntry.objects.get(patient=patient, day=TODAY - dt.timedelta(days=1))
    assert (none.intrusive_memories, none.flashbacks, none.none_today) == (0, 0, True)


def test_a_saved_day_opens_with_its_own_counts_and_saves_again_unchanged(token, patient) -> None:
    client = Client()
    client.post(today_url(token), answers(intrusive_memories="0", flashbacks="2"))
    html = client.get(today_url(token)).text
    box = html.split('name="intrusive_memories"', 1)[1].split(">", 1)[0]
    assert 'value="0"' in box  # the patient's own zero, shown back
    assert (
        client.post(today_url(token), answers(intrusive_memories="0", flashbacks="2")).status_code
        == 200
    )
    assert DiaryEntry.objects.get(patient=patient).flashbacks == 2


def test_a_missing_day_is_absent_from_the_series_not_zero(token, patient) -> None:
    client = Client()
    client.post(day_url(token, TODAY - dt.timedelta(days=1)), {"none_today": "1"})
    client.post(today_url(token), answers())
    days = diary_series(patient=patient, start=TODAY - dt.timedelta(days=2), end=TODAY)
    assert [(d.day, d.total) for d in days] == [
        (TODAY - dt.timedelta(days=2), None),  # missing
        (TODAY - dt.timedelta(days=1), 0),  # "none today": a real zero
        (TODAY, 4),
    ]


def test_only_the_hash_of_the_token_is_stored(patient) -> None:
    link, token = diary_link_create(patient=patient, by=None)
    link.refresh_from_db()
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    stored = DiaryLink.objects.values_list().get(pk=link.pk)
    assert all(token not in str(value) for value in stored)


def test_a_new_link_revokes_the_previous_one(patient) -> None:
    first, first_token = diary_link_create(patient=patient, by=None)
    second, _ = diary_link_create(patient=patient, by=None)
    first.refresh_from_db()
    assert first.state == "revoked" and second.state == "open"
    assert "no longer active" in Client().get(today_url(first_token)).text


def test_revoked_expired_and_unknown_links_get_a_friendly_page(patient) -> None:
    revoked_link, revoked = diary_link_create(patient=patient, by=None)
    diary_link_revoke(link=revoked_link)
    expired_link, expired = diary_link_create(patient=patient, by=None)
    DiaryLink.objects.filter(pk=expired_link.pk).update(
        expires_at=dt.datetime(2026, 11, 1, tzinfo=NEW_YORK)
    )
    client = Client()
    for token, heading in [
        (revoked, "This diary link is no longer active"),
        (expired, "This diary link has expired"),
        ("not-a-real-token", "We could not find this diary link"),
    ]:
        for response in (
            client.get(today_url(token)),
            client.post(today_url(token), answers()),
            client.get(day_url(token, TODAY)),
        ):
            # Unknown: 404 with the same friendly page (issue 14 §5); known: a normal page.
            assert response.status_code == (404 if token == "not-a-real-token" else 200)
            assert heading in response.text
            assert "Not for emergencies." in response.text
    assert not DiaryEntry.objects.exists()


def test_the_diary_token_does_not_open_a_questionnaire_and_vice_versa(patient, token) -> None:
    _, questionnaire_token = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
    client = Client()
    on_questionnaire = client.get(reverse("instruments:answer", args=[token]))
    assert on_questionnaire.status_code == 404
    assert "We could not find this link" in on_questionnaire.text
    on_diary = client.get(today_url(questionnaire_token))
    assert on_diary.status_code == 404 and "We could not find this diary link" in on_diary.text


def test_urgent_shows_the_crisis_message_at_once(token, patient) -> None:
    form = Client().get(today_url(token)).text
    assert URGENT_TEXT in form and 'id="urgent-help" role="alert" hidden' in form
    response = Client().post(today_url(token), answers(urgent="on", note="I can't cope"))
    assert response.status_code == 200
    text = response.text
    # After saving: one crisis box (in place of the notice) saying what happens next.
    assert len(re.findall(r'class="crisis(?: [^"]*)?"', text)) == 1
    assert 'id="crisis-box" role="alert"' in text
    assert escape(patient.clinic.urgent_response_text) in text
    assert 'href="tel:000-112"' in text and "Harbour Crisis Line 0800 555 0199" in text
    assert DiaryEntry.objects.get(patient=patient).urgent


def test_no_urgent_message_when_not_ticked(token) -> None:
    response = Client().post(today_url(token), answers())
    assert URGENT_TEXT not in response.text


# --- Staff -----------------------------------------------------------------------------


def test_the_clinician_sends_a_diary_link_shown_once_and_emailed(
    clinician, patient, django_capture_on_commit_callbacks
) -> None:
    url = reverse("diary:link_new", kwargs={"patient_pk": patient.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.client.post(url, {"send_email": "1"})
    assert response.status_code == 200
    link = DiaryLink.objects.get(patient=patient)
    assert link.created_by == clinician.user
    assert link.expires_at - dt.datetime.now(tz=NEW_YORK) == dt.timedelta(days=90)
    shown = response.context["url"]
    assert shown in response.text and hash_token(shown.rstrip("/").split("/")[-1]) == (
        link.token_hash
    )
    assert len(mail.outbox) == 1 and shown in mail.outbox[0].body


def test_the_clinician_revokes_a_diary_link(clinician, patient) -> None:
    link, _token = diary_link_create(patient=patient, by=None)
    response = clinician.client.post(reverse("diary:link_revoke", kwargs={"pk": link.pk}))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.state == "revoked"


def test_the_staff_diary_page_shows_missing_days_as_missing(clinician, patient, token) -> None:
    Client().post(today_url(token), answers())
    response = clinician.client.get(reverse("diary:patient", kwargs={"patient_pk": patient.pk}))
    assert response.status_code == 200
    assert response.text.count("Missing — no entry") == 12 * 7 - 1
    assert "1 of 84 days have an entry" in response.text


def test_an_outsider_cannot_see_or_touch_another_clinics_diary(outsider, patient, token) -> None:
    link = DiaryLink.objects.get()
    client = outsider.client
    assert (
        client.get(reverse("diary:patient", kwargs={"patient_pk": patient.pk})).status_code == 404
    )
    assert (
        client.post(reverse("diary:link_new", kwargs={"patient_pk": patient.pk})).status_code == 404
    )
    assert client.post(reverse("diary:link_revoke", kwargs={"pk": link.pk})).status_code == 404
    link.refresh_from_db()
    assert link.state == "open" and DiaryLink.objects.count() == 1


def test_the_staff_pages_need_a_sign_in(anonymous, patient) -> None:
    response = anonymous.get(reverse("diary:patient", kwargs={"patient_pk": patient.pk}))
    assert response.status_code == 302 and "login" in response["Location"]
