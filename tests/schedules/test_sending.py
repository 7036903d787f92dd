"""Sending: the sweep, reminders, expiry, at-most-once delivery, completion, the diary."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from afterglow.diary.models import DiaryLink
from afterglow.diary.services import diary_entry_save
from afterglow.instruments.models import PersonalLink, Response
from afterglow.schedules import delivery
from afterglow.schedules.models import Delivery, DeliveryStatus, Invitation, InvitationStatus
from afterglow.schedules.services import invitation_send_now
from afterglow.schedules.sweep import REASON_NO_ANSWER
from afterglow.schedules.tasks import send_delivery
from tests.instruments.test_links_and_entry import answers_post
from tests.schedules.conftest import DIARY_URL, invitation, ny, start_course, token_in


def emails_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def test_the_sweep_sends_what_is_due_once(course, harness) -> None:
    report = harness.sweep(ny(2, 28, 9, 5))
    # The diary link (due 23 Feb, late but still in its period) and the baseline.
    assert (report.queued, len(mail.outbox)) == (2, 2)
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.status == InvitationStatus.SENT
    message = baseline.deliveries.get()
    assert (message.sequence, message.channel, message.status) == (0, "email", "sent")
    assert message.provider_id.startswith("<")  # the email's Message-ID
    # Its link is single-use and ends with the invitation's window.
    assert message.personal_link.expires_at == baseline.expires_at == ny(3, 3, 0)
    assert message.personal_link.timepoint == "Baseline, before the first dose"

    again = harness.sweep(ny(2, 28, 9, 6))
    assert (again.queued, again.reminders, len(mail.outbox)) == (0, 0, 2)
    assert Delivery.objects.count() == 2


def test_reminders_come_once_a_day_up_to_three_then_the_invitation_expires(course, harness) -> None:
    end = invitation(course, "pcl5@end_of_course")  # due Sat 14 March 09:00, open 7 days
    schedule = [
        (ny(3, 14, 9, 5), 0),  # the invitation
        (ny(3, 14, 12), 0),
        (ny(3, 15, 9, 4), 0),  # 23 h 59 min later: too early
        (ny(3, 15, 9, 5), 1),  # reminder 1
        (ny(3, 15, 9, 6), 1),  # a second sweep the same minute adds nothing
        (ny(3, 16, 9, 5), 2),
        (ny(3, 17, 9, 5), 3),
        (ny(3, 18, 9, 5), 3),  # no fourth reminder: it expires instead
        (ny(3, 19, 9, 5), 3),
    ]
    for moment, reminders in schedule:
        harness.sweep(moment)
        end.refresh_from_db()
        assert end.reminders_sent == reminders, moment
    assert (end.status, end.status_reason) == (InvitationStatus.EXPIRED, REASON_NO_ANSWER)
    assert end.status_changed_at == ny(3, 18, 9, 5)
    sent = list(end.deliveries.all())
    assert [d.sequence for d in sent] == [0, 1, 2, 3]
    assert all(d.status == DeliveryStatus.SENT for d in sent)
    # Four messages, four different single-use links, all expired with the invitation.
    links = {d.personal_link_id for d in sent}
    assert len(links) == 4
    assert {link.state for link in PersonalLink.objects.filter(pk__in=links)} == {"expired"}
    subjects = [m.subject for m in mail.outbox if "questionnaire" in m.subject]
    assert sum("reminder" in s for s in subjects) == 3  # only this one had reminders


def test_the_same_send_task_run_twice_sends_one_email(course, harness) -> None:
    harness.at(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    harness.send(baseline)
    harness.send(baseline)  # retried or duplicated
    assert len(emails_to("river@example.org")) == 1
    assert baseline.deliveries.count() == 1
    assert PersonalLink.objects.filter(patient=course.patient).count() == 1


def test_two_queued_copies_of_a_send_run_by_the_worker_send_one_sms(
    transactional_db, clinician, harness, settings, sms_outbox
) -> None:
    # transactional_db: the worker closes "old" connections between tasks, which on
    # PostgreSQL would drop the connection holding a test-wrapping transaction.
    course = start_course(clinician, email="")  # a phone, no email: text messages
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    harness.at(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    send_delivery.enqueue(baseline.pk, 0)
    send_delivery.enqueue(baseline.pk, 0)  # a duplicate in the queue
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    ).run()
    results = DBTaskResult.objects.order_by("enqueued_at")
    assert [r.status for r in results] == [TaskResultStatus.SUCCESSFUL] * 2
    assert sorted(r.return_value for r in results) == ["sent", "skipped"]
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == "+1 555 0101"
    assert "/q/" in sms_outbox[0].body
    assert mail.outbox == []
    assert baseline.deliveries.get().channel == "sms"


class Crash(BaseException):
    """The worker process dies in the middle of the send."""


def test_a_message_claimed_but_never_confirmed_is_not_sent_again(
    clinician, course, harness, monkeypatch
) -> None:
    harness.at(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")

    def crash(claim: delivery.Claim) -> str:
        raise Crash

    monkeypatch.setattr(delivery, "_transmit", crash)
    with pytest.raises(Crash):
        send_delivery.call(baseline.pk, 0)
    monkeypatch.undo()

    claimed = baseline.deliveries.get()
    assert claimed.status == DeliveryStatus.SENDING
    assert send_delivery.call(baseline.pk, 0) == "skipped"
    harness.sweep(ny(2, 28, 9, 10))  # (this sends the diary link, nothing for the baseline)
    assert [m.subject for m in mail.outbox] == ["Home Clinic: your daily diary"]
    assert baseline.deliveries.count() == 1
    # Staff see it as "delivery unknown" once it is clearly not just slow.
    harness.at(ny(2, 28, 9, 20))
    claimed.refresh_from_db()
    assert claimed.state == "unknown"
    page = clinician.client.get(reverse("patients:chart", args=[course.patient_id]))
    assert "delivery unknown" in page.content.decode()


def test_a_failed_send_is_recorded_and_the_next_reminder_is_the_retry(
    course, harness, monkeypatch
) -> None:
    def refuse(self, fail_silently: bool = False) -> int:
        raise smtplib.SMTPRecipientsRefused({"river@example.org": (550, b"no such user")})

    monkeypatch.setattr(mail.EmailMessage, "send", refuse)
    harness.sweep(ny(2, 28, 9, 5))
    monkeypatch.undo()
    failed = invitation(course, "pcl5@baseline").deliveries.get()
    assert failed.status == DeliveryStatus.FAILED
    assert "SMTPRecipientsRefused" in failed.error
    harness.sweep(ny(2, 28, 10))
    assert mail.outbox == []  # never re-sent
    harness.sweep(ny(3, 1, 9, 5))
    assert [d.sequence for d in invitation(course, "pcl5@baseline").deliveries.all()] == [0, 1]
    assert any("reminder" in m.subject for m in mail.outbox)


def test_without_email_or_phone_the_invitation_waits_for_staff(clinician, harness) -> None:
    course = start_course(clinician, email="", phone="")
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.status == InvitationStatus.UNDELIVERABLE
    assert not baseline.deliveries.exists()
    with pytest.raises(ValidationError, match="no email address or phone number"):
        invitation_send_now(invitation=baseline, by=clinician.user)
    # Staff add a phone number and send it.
    course.patient.phone = "+1 555 0199"
    course.patient.save()
    with harness.capture(execute=True):
        invitation_send_now(invitation=baseline, by=clinician.user)
    baseline.refresh_from_db()
    assert baseline.status == InvitationStatus.SENT
    assert baseline.deliveries.get().channel == "sms"


def test_an_expired_invitations_link_is_refused_by_the_answer_page(
    anonymous, course, harness
) -> None:
    harness.sweep(ny(3, 14, 9, 5))
    token = token_in(emails_to("river@example.org")[-1].body)
    assert invitation(course, "pcl5@end_of_course").deliveries.get().personal_link.state == "open"
    for day in (15, 16, 17, 18):
        harness.sweep(ny(3, day, 9, 5))
    assert invitation(course, "pcl5@end_of_course").status == InvitationStatus.EXPIRED
    page = anonymous.get(reverse("instruments:answer", args=[token]))
    assert "This link has expired" in page.content.decode()
    refused = anonymous.post(reverse("instruments:answer", args=[token]), answers_post([1] * 20))
    assert "This link has expired" in refused.content.decode()
    assert not Response.objects.exists()


def test_answering_through_any_link_completes_the_invitation_and_closes_the_others(
    anonymous, course, harness
) -> None:
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))  # reminder 1, with a new link
    baseline = invitation(course, "pcl5@baseline")
    assert [d.sequence for d in baseline.deliveries.all()] == [0, 1]
    reminder_mail = next(m for m in mail.outbox if "reminder" in m.subject)
    first_mail = next(m for m in mail.outbox if m.subject.endswith("a short questionnaire"))

    # The patient answers through the first email's link.
    done = anonymous.post(
        reverse("instruments:answer", args=[token_in(first_mail.body)]), answers_post([2] * 20)
    )
    assert "your answers were received" in done.content.decode()
    baseline.refresh_from_db()
    stored = Response.objects.get()
    assert (baseline.status, baseline.response, stored.total) == (
        InvitationStatus.COMPLETED,
        stored,
        40,
    )
    assert stored.timepoint == "Baseline, before the first dose"
    # The reminder's link no longer works, and no further reminder comes.
    page = anonymous.get(reverse("instruments:answer", args=[token_in(reminder_mail.body)]))
    assert "no longer active" in page.content.decode()
    harness.sweep(ny(3, 2, 9, 5))
    assert baseline.deliveries.count() == 2


def test_messages_carry_no_name_and_every_one_the_crisis_line(course, harness) -> None:
    harness.sweep(ny(3, 1, 9, 5))  # diary link, baseline (PCL-5), before dose 1 (PHQ-9)
    clinic = course.clinic
    assert len(mail.outbox) == 3
    texts = [m.body for m in mail.outbox]
    assert all("River" not in t and "Stone" not in t for t in texts)
    assert all("PCL" not in t and "PHQ" not in t and "ketamine" not in t.lower() for t in texts)
    phq9 = invitation(course, "phq9@dose:1").deliveries.get().personal_link
    pcl5 = invitation(course, "pcl5@baseline").deliveries.get().personal_link
    by_link = {}
    for message in mail.outbox:
        if "/q/" in message.body:
            link = PersonalLink.objects.get(token_hash=_hash(token_in(message.body)))
            by_link[link.pk] = message.body
    assert "about 9 questions" in by_link[phq9.pk]
    # Every message to a patient carries the crisis line, to call and to text (issue 14).
    for text in texts:
        assert clinic.crisis_line in text
        assert f"call {clinic.crisis_line_phone} or text {clinic.crisis_line_sms}" in text
    assert clinic.crisis_line in by_link[pcl5.pk]


def _hash(token: str) -> str:
    from afterglow.core.tokens import hash_token

    return hash_token(token)


def test_the_diary_link_goes_once_and_a_nudge_only_on_a_day_without_an_entry(
    course, harness
) -> None:
    harness.sweep(ny(2, 25, 12, 5))  # the diary period began on 23 Feb: its link goes now
    diary = invitation(course, "diary@daily")
    assert diary.status == InvitationStatus.SENT
    link_mail = emails_to("river@example.org")[-1]
    token = token_in(link_mail.body, DIARY_URL)
    assert DiaryLink.objects.get(patient=course.patient).state == "open"
    assert diary.deliveries.get().diary_link is not None

    assert harness.sweep(ny(2, 25, 18, 59)).nudges == 0  # before the nudge hour (19:00)
    assert harness.sweep(ny(2, 25, 19, 0)).nudges == 1
    assert harness.sweep(ny(2, 25, 21, 0)).nudges == 0  # one a day
    nudge = mail.outbox[-1]
    assert "today's diary entry" in nudge.body and "/d/" not in nudge.body
    assert diary.deliveries.get(sequence=3).status == "sent"  # 25 Feb = day 3 of the period

    harness.at(ny(2, 26, 8))
    diary_entry_save(token=token, day=dt.date(2026, 2, 26), none_today=True)
    assert harness.sweep(ny(2, 26, 19, 30)).nudges == 0  # written today: no nudge
    assert harness.sweep(ny(2, 27, 19, 30)).nudges == 1

    report = harness.sweep(ny(4, 11, 9))  # the day after the period's last day
    diary.refresh_from_db()
    assert report.diaries_ended == 1
    assert diary.status == InvitationStatus.COMPLETED


def test_a_diary_nudge_needs_a_working_diary_link(course, harness) -> None:
    harness.sweep(ny(2, 25, 12, 5))
    DiaryLink.objects.update(revoked_at=ny(2, 25, 13))
    assert harness.sweep(ny(2, 25, 20)).nudges == 0


def test_other_clinics_are_swept_with_their_own_settings(clinician, outsider, harness) -> None:
    home = start_course(clinician)
    outsider.clinic.invitation_reminders = 0
    outsider.clinic.save()
    away = start_course(outsider, email="away@example.org")
    harness.sweep(ny(2, 28, 9, 5))
    harness.sweep(ny(3, 1, 9, 5))
    assert invitation(home, "pcl5@baseline").reminders_sent == 1
    expired = invitation(away, "pcl5@baseline")
    assert (expired.status, expired.reminders_sent) == (InvitationStatus.EXPIRED, 0)
    assert (
        Invitation.objects.filter(clinic=outsider.clinic).exclude(patient=away.patient).count() == 0
    )


def test_without_consent_to_contact_nothing_is_sent(clinician, harness) -> None:
    course = start_course(clinician, consent_contact=False)
    harness.sweep(ny(2, 28, 9, 5))
    baseline = invitation(course, "pcl5@baseline")
    assert baseline.status == InvitationStatus.UNDELIVERABLE
    assert "not agreed to be contacted" in baseline.status_reason
    assert not baseline.deliveries.exists()
    assert mail.outbox == []
    with pytest.raises(ValidationError, match="not agreed to be contacted"):
        invitation_send_now(invitation=baseline, by=clinician.user)
    course.patient.consent_contact = True
    course.patient.save()
    invitation_send_now(invitation=baseline, by=clinician.user)
    harness.sweep(ny(2, 28, 9, 10))
    assert invitation(course, "pcl5@baseline").deliveries.count() == 1
