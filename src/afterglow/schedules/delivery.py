"""Send one message of an invitation: claim it, send it, record how it went.

The protocol (claim before send, at most once) is described in
``afterglow.schedules.models``. :func:`delivery_claim` runs in its own transaction
and commits the ``sending`` row, together with the link the message carries and the
invitation's new counters, before :func:`delivery_send` talks to any server.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.selectors import diary_link_active
from afterglow.diary.services import diary_link_create
from afterglow.instruments.models import PersonalLink
from afterglow.instruments.services import personal_link_create
from afterglow.patients.models import Patient
from afterglow.schedules.channels import ChannelChoice, choose_channel
from afterglow.schedules.messages import (
    Message,
    diary_link_message,
    diary_nudge_message,
    diary_started_message,
    questionnaire_message,
)
from afterglow.schedules.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Invitation,
    InvitationStatus,
)
from afterglow.schedules.sms import get_sms_backend

logger = logging.getLogger(__name__)

SENT, FAILED, SKIPPED = "sent", "failed", "skipped"
#: The questionnaire link's timepoint (shown on the response) is the invitation's label.
TIMEPOINT_LENGTH = 40


@dataclass(frozen=True)
class Claim:
    """A claimed message, ready to send. ``message`` holds the only copy of the token."""

    delivery_id: int
    channel: str
    to: str
    message: Message


def _absolute(path: str) -> str:
    return f"{settings.AFTERGLOW_BASE_URL}{path}"


def channel_choice(patient: Patient) -> ChannelChoice:
    """The patient's channel for the next message (rule in ``schedules.channels``)."""
    return choose_channel(
        preferred=patient.preferred_channel,
        email=patient.email,
        phone=patient.phone,
        sms_opted_out=patient.sms_opted_out_at is not None,
    )


def contact_problem(patient: Patient) -> str:
    """Why the patient cannot be messaged at all ("" when they can).

    Consent comes first: a patient who has not agreed to be contacted is never sent
    anything, whatever contact details the record holds. A patient who opted out of
    texts (STOP) and has no email address cannot be messaged either.
    """
    if not patient.consent_contact:
        return "The patient has not agreed to be contacted: record their consent first."
    if not (patient.email or patient.phone):
        return "The patient's record has no email address or phone number: add one first."
    choice = channel_choice(patient)
    if not choice.channel:
        return choice.note or "The patient cannot be messaged."
    return ""


def _channel(invitation: Invitation) -> tuple[str, str, str] | None:
    """(channel, address, note) by :func:`channel_choice`; None when
    :func:`contact_problem` says they cannot be messaged."""
    patient = invitation.patient
    if contact_problem(patient):
        return None
    choice = channel_choice(patient)
    to = patient.email if choice.channel == Channel.EMAIL else patient.phone
    return choice.channel, to, choice.note


def _not_now(invitation: Invitation, sequence: int, now: dt.datetime) -> str:
    """Why this message must not be sent now; "" when it may. Checked under the lock."""
    clinic = invitation.clinic
    if invitation.expires_at <= now:
        return "its window has closed"
    if invitation.is_diary:
        if sequence == 0:
            return "" if invitation.status == InvitationStatus.SCHEDULED else "already sent"
        assert invitation.period_start is not None
        today = timezone.localdate(now, timezone=clinic.tzinfo)
        if invitation.status != InvitationStatus.SENT:
            return f"the diary is {invitation.status}"
        if invitation.period_start + dt.timedelta(days=sequence - 1) != today:
            return "a nudge is only for today"
        if DiaryEntry.objects.filter(patient_id=invitation.patient_id, day=today).exists():
            return "today's entry is written"
        if not DiaryLink.objects.usable().filter(patient_id=invitation.patient_id).exists():
            return "the patient has no working diary link"
        return ""
    if sequence == 0:
        if invitation.status != InvitationStatus.SCHEDULED:
            return f"the invitation is {invitation.status}"
        return "" if invitation.due_at <= now else "it is not due yet"
    if invitation.status != InvitationStatus.SENT:
        return f"the invitation is {invitation.status}"
    if sequence != invitation.reminders_sent + 1 or sequence > clinic.invitation_reminders:
        return f"reminder {sequence} is not the next one due"
    interval = dt.timedelta(hours=clinic.reminder_interval_hours)
    if invitation.last_sent_at and invitation.last_sent_at + interval > now:
        # Staff may send again at once after a message that did not go out (the sweep
        # itself waits for the interval before it queues a reminder).
        last = (
            Delivery.objects.filter(invitation=invitation, sequence=sequence - 1)
            .order_by("-pk")
            .first()
        )
        if last is None or last.state not in ("failed", "unknown"):
            return "the last message is too recent"
    return ""


def delivery_claim(*, invitation_id: int, sequence: int) -> Claim | None:
    """Claim message ``sequence`` of the invitation, or None when it must not be sent.

    None when: the invitation is gone, this message was claimed before (a duplicate or
    retried task, a second worker), or it is not due in the invitation's state. With
    no consent to contact, or no email address and no phone, the invitation becomes
    "undeliverable" for staff.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update()
                .select_related("patient__clinic", "clinic")
                .filter(pk=invitation_id)
                .first()
            )
            if invitation is None:
                return None
            # Under the invitation's lock; the unique constraint is the last word below.
            if Delivery.objects.filter(invitation=invitation, sequence=sequence).exists():
                return None
            problem = _not_now(invitation, sequence, now)
            if problem:
                logger.info("Not sending %s/%s: %s", invitation_id, sequence, problem)
                return None
            found = _channel(invitation)
            if found is None:
                # Why it was not sent, for staff: on the invitation (a reminder leaves
                # its status alone but says why no reminder went).
                invitation.status_reason = contact_problem(invitation.patient)[:300]
                fields = ["status_reason"]
                if sequence == 0:
                    invitation.status = InvitationStatus.UNDELIVERABLE
                    invitation.status_changed_at = now
                    fields += ["status", "status_changed_at"]
                invitation.save(update_fields=fields)
                logger.info("Not sending %s/%s: no usable channel", invitation_id, sequence)
                return None
            channel, to, note = found
            delivery = Delivery(
                invitation=invitation,
                sequence=sequence,
                channel=channel,
                claimed_at=now,
                note=note[:200],
            )
            message = _compose(invitation, sequence, delivery, sms=channel == Channel.SMS)
            delivery.save()
            _count(invitation, sequence, now)
    except IntegrityError:
        # Another worker inserted the same message between our check and our insert.
        return None
    assert delivery.pk is not None
    return Claim(delivery_id=delivery.pk, channel=channel, to=to, message=message)


def _compose(invitation: Invitation, sequence: int, delivery: Delivery, *, sms: bool) -> Message:
    """Make the message, minting the link it carries (recorded on ``delivery``)."""
    clinic = invitation.clinic
    patient = invitation.patient
    if invitation.is_diary:
        if sequence == 0:
            active = diary_link_active(patient=patient)
            if active is not None:
                # A link is already working (staff sent one by hand): a second would
                # replace it and leave the patient with two look-alike messages, one
                # dead (issue 14 §4). Say the diary has started, with no new link.
                delivery.diary_link = active
                return diary_started_message(
                    clinic=clinic,
                    link_sent_on=timezone.localdate(active.created_at, timezone=clinic.tzinfo),
                    sms=sms,
                )
            diary_link, token = diary_link_create(patient=patient, by=None)
            delivery.diary_link = diary_link
            url = _absolute(reverse("diary:today", args=[token]))
            return diary_link_message(
                clinic=clinic, url=url, expires_at=diary_link.expires_at, sms=sms
            )
        return diary_nudge_message(
            clinic=clinic,
            link_sent_on=(
                timezone.localdate(invitation.first_sent_at, timezone=clinic.tzinfo)
                if invitation.first_sent_at
                else None
            ),
            sms=sms,
        )
    link, token = personal_link_create(
        patient=patient,
        instrument_code=invitation.instrument,
        by=None,
        timepoint=invitation.label[:TIMEPOINT_LENGTH],
    )
    # Every link of an invitation expires with it (reminders carry new ones).
    PersonalLink.objects.filter(pk=link.pk).update(expires_at=invitation.expires_at)
    delivery.personal_link = link
    return questionnaire_message(
        clinic=clinic,
        instrument=invitation.instrument,
        url=_absolute(reverse("instruments:answer", args=[token])),
        expires_at=invitation.expires_at,
        reminder=sequence,
        sms=sms,
    )


def _count(invitation: Invitation, sequence: int, now: dt.datetime) -> None:
    fields = ["last_sent_at"]
    invitation.last_sent_at = now
    if sequence == 0:
        invitation.status = InvitationStatus.SENT
        invitation.status_reason = ""
        invitation.status_changed_at = now
        invitation.first_sent_at = now
        fields += ["status", "status_reason", "status_changed_at", "first_sent_at"]
    else:
        if invitation.status_reason:  # an earlier "not sent" reason no longer holds
            invitation.status_reason = ""
            fields.append("status_reason")
        if not invitation.is_diary:
            invitation.reminders_sent = sequence
            fields.append("reminders_sent")
    invitation.save(update_fields=fields)


def _transmit(claim: Claim) -> str:
    """Hand the message to the email backend or the SMS backend; the provider's id."""
    if claim.channel == Channel.SMS:
        return get_sms_backend().send(claim.to, claim.message.body)
    message_id = make_msgid(domain="afterglow")
    email = EmailMessage(
        claim.message.subject,
        claim.message.body,
        None,
        [claim.to],
        headers={"Message-ID": message_id},
    )
    email.send()
    return message_id


def delivery_send(*, invitation_id: int, sequence: int) -> str:
    """Claim, send and record one message: "sent", "failed" or "skipped".

    A failed send is recorded, not retried (the next reminder is the retry); a crash
    before the record leaves "sending", shown to staff as "delivery unknown".
    """
    claim = delivery_claim(invitation_id=invitation_id, sequence=sequence)
    if claim is None:
        return SKIPPED
    try:
        provider_id = _transmit(claim)
    except Exception as exc:  # any provider or SMTP error: record it, never resend
        # The type only: a provider's error text may quote the message, and so the link.
        logger.error("Sending delivery %s failed: %s", claim.delivery_id, type(exc).__name__)
        _finish(
            claim.delivery_id,
            DeliveryStatus.FAILED,
            error=f"{type(exc).__name__}: {_without_links(str(exc), claim)}",
        )
        return FAILED
    _finish(claim.delivery_id, DeliveryStatus.SENT, provider_id=provider_id)
    return SENT


#: Provider statuses that mean the text did not reach the phone.
PROVIDER_FAILED = {"failed", "undelivered"}


def delivery_provider_status(
    *, provider_id: str, status: str, error_code: str = "", now: dt.datetime | None = None
) -> bool:
    """Record a delivery status the SMS provider reported; False for an unknown message.

    "undelivered" or "failed" turn a sent delivery into a failed one with the provider's
    error code, so staff see that the text never arrived. Nothing is re-sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(channel=Channel.SMS, provider_id=provider_id)
            .exclude(provider_id="")
            .first()
        )
        if delivery is None:
            return False
        delivery.provider_status = status[:20]
        delivery.provider_status_at = now
        fields = ["provider_status", "provider_status_at"]
        if status in PROVIDER_FAILED and delivery.status == DeliveryStatus.SENT:
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"The provider reported the text {status}" + (
                f" (error {error_code[:20]})" if error_code else ""
            )
            fields += ["status", "error"]
        delivery.save(update_fields=fields)
    return True


def _without_links(text: str, claim: Claim) -> str:
    """``text`` with the message's link (and so its token) cut out, for storage."""
    for word in claim.message.body.split():
        if "://" in word:
            text = text.replace(word, "[link]")
    return text


def _finish(delivery_id: int, status: str, *, provider_id: str = "", error: str = "") -> None:
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
        status=status, finished_at=timezone.now(), provider_id=provider_id[:200], error=error[:300]
    )
