"""One working diary link (issue 14 §4): a course that starts while the patient already
has a diary link sent by hand says the diary has started and sends no second link; a link
sent by hand that replaces a working one says in its email that the old one stopped."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from afterglow.diary.models import DiaryLink
from afterglow.diary.services import diary_link_create
from afterglow.schedules.models import InvitationStatus
from tests.factories import PatientFactory
from tests.schedules.conftest import DIARY_URL, invitation, ny, start_course


def test_a_course_starting_after_a_link_sent_by_hand_sends_no_second_link(
    clinician, harness
) -> None:
    course = start_course(clinician)
    by_hand, _token = diary_link_create(patient=course.patient, by=clinician.user)
    harness.sweep(ny(2, 25, 12, 5))  # the diary period began on 23 Feb: its message goes now

    diary = invitation(course, "diary@daily")
    assert diary.status == InvitationStatus.SENT
    assert DiaryLink.objects.filter(patient=course.patient).count() == 1
    by_hand.refresh_from_db()
    assert by_hand.state == "open"  # the patient's link still works
    assert diary.deliveries.get().diary_link == by_hand
    started = [m for m in mail.outbox if "diary" in m.subject]
    assert len(started) == 1
    assert "starts today" in started[0].body and "it still works" in started[0].body
    assert not DIARY_URL.search(started[0].body)


def test_without_a_working_link_the_course_sends_one(clinician, harness) -> None:
    course = start_course(clinician)
    old, _ = diary_link_create(patient=course.patient, by=clinician.user)
    DiaryLink.objects.filter(pk=old.pk).update(revoked_at=ny(2, 24, 9))
    harness.sweep(ny(2, 25, 12, 5))
    sent = [m for m in mail.outbox if "diary" in m.subject]
    assert len(sent) == 1 and DIARY_URL.search(sent[0].body)
    assert DiaryLink.objects.filter(patient=course.patient).usable().count() == 1


def test_a_link_sent_by_hand_that_replaces_one_says_the_old_one_stopped(
    clinician, django_capture_on_commit_callbacks
) -> None:
    patient = PatientFactory(clinic=clinician.clinic, email="river@example.org")
    url = reverse("diary:link_new", kwargs={"patient_pk": patient.pk})
    with django_capture_on_commit_callbacks(execute=True):
        clinician.client.post(url, {"send_email": "1"})
        clinician.client.post(url, {"send_email": "1"})
    first, second = mail.outbox
    assert "stopped working" not in first.body
    assert "replaces the diary link you were sent before" in second.body
    assert "the old one has stopped working" in second.body
    old_token = re.search(r"/d/([\w-]+)/", first.body)
    assert old_token is not None
    assert "no longer active" in clinician.client.get(f"/d/{old_token.group(1)}/").text
