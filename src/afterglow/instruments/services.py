"""Writes for questionnaire responses and personal links."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from afterglow.accounts.capabilities import Capability, user_has_capability
from afterglow.accounts.crisis import crisis_line_text
from afterglow.alerts.services import alert_raise_for_response
from afterglow.audit.models import Action
from afterglow.audit.services import CHANGED, audit_record
from afterglow.core.tokens import hash_token, new_token
from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.models import PersonalLink, Response, Source
from afterglow.instruments.scoring import score
from afterglow.patients.models import Patient
from afterglow.schedules.completion import invitation_complete_for_link

logger = logging.getLogger(__name__)

#: Who may void a response entered in error: the clinicians of the patient's clinic.


class LinkUnavailable(Exception):
    """The personal link cannot be used: ``state`` is unknown, used, revoked or expired."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def _cutoff_for(patient: Patient, instrument_code: str) -> int | None:
    """The clinic's setting for the instrument's cutoff, when the definition names one."""
    cutoff = get_instrument(instrument_code).scoring.cutoff
    return getattr(patient.clinic, cutoff.clinic_setting) if cutoff else None


def response_record(
    *,
    patient: Patient,
    instrument_code: str,
    answers: Sequence[int | None],
    source: str,
    by: User | None = None,
    administered_at: dt.datetime | None = None,
    timepoint: str = "",
) -> Response:
    """Score ``answers`` with the clinic's cutoff and store the response.

    An incomplete response is stored too, with its missing items and no total:
    missing answers are never counted as zero.
    """
    instrument = get_instrument(instrument_code)
    result = score(instrument, answers, cutoff=_cutoff_for(patient, instrument_code))
    with transaction.atomic():
        response = Response(
            clinic=patient.clinic,
            patient=patient,
            instrument=instrument.code,
            answers=list(answers),
            administered_at=administered_at or timezone.now(),
            source=source,
            entered_by=by,
            timepoint=timepoint,
            complete=result.complete,
            total=result.total,
            subscales=dict(result.subscales),
            provisional_diagnosis=result.provisional_diagnosis,
            flag=result.flag,
            cutoff_used=result.cutoff,
            severity=result.severity or "",
            alerts=[alert.code for alert in result.alerts],
            missing_items=list(result.missing_items),
        )
        response.full_clean()
        response.save()
        # The answers never enter the audit log; the instrument and source do.
        audit_record(
            action=Action.CREATE,
            actor=by,
            clinic=patient.clinic_id,
            patient=patient,
            obj=response,
            note=f"{instrument.code} ({source})",
        )
        # In the same transaction: a response is never stored without its alerts
        # (item alerts such as PHQ-9 item 9, and the PCL-5 outcome alerts).
        alert_raise_for_response(response=response)
    return response


def personal_link_create(
    *,
    patient: Patient,
    instrument_code: str,
    by: User | None,
    timepoint: str = "",
    valid_days: int | None = None,
) -> tuple[PersonalLink, str]:
    """Create a single-use link and return it with its raw token.

    The raw token is returned once, to be put in the URL sent to the patient; only
    its hash is stored.
    """
    get_instrument(instrument_code)  # unknown codes fail here, not when the patient opens it
    token, token_hash = new_token()
    days = valid_days if valid_days is not None else patient.clinic.link_expiry_days
    with transaction.atomic():
        link = PersonalLink(
            clinic=patient.clinic,
            patient=patient,
            instrument=instrument_code,
            timepoint=timepoint,
            token_hash=token_hash,
            expires_at=timezone.now() + dt.timedelta(days=days),
            created_by=by,
        )
        link.full_clean()
        link.save()
        audit_record(
            action=Action.LINK_CREATE,
            actor=by,
            clinic=patient.clinic_id,
            patient=patient,
            obj=link,
            note=instrument_code,
        )
    return link, token


def personal_link_email(*, link: PersonalLink, url: str) -> None:
    """Email the link to the patient after the surrounding transaction commits."""
    patient = link.patient
    if not patient.email:
        raise ValueError("This patient has no email address on record.")
    instrument = get_instrument(link.instrument)
    local_expiry = timezone.localtime(link.expires_at, patient.clinic.tzinfo)
    body = (
        f"Hello {patient.display_name},\n\n"
        f"{patient.clinic.name} has asked you to answer a short questionnaire "
        f"({instrument.short_name}, about {len(instrument.items)} questions).\n\n"
        f"Your personal link (works once, until {local_expiry:%d %b %Y %H:%M}):\n{url}\n\n"
        "Please do not forward this email.\n\n"
        f"{crisis_line_text(patient.clinic)}\n"
    )
    transaction.on_commit(
        lambda: send_mail(
            f"{patient.clinic.name}: your questionnaire",
            body,
            None,
            [patient.email],
        )
    )


def personal_link_submit(*, token: str, answers: Sequence[int | None]) -> Response:
    """Store the patient's answers through their link and mark the link used.

    The link row is locked for the transaction so two submits of the same page (a
    double tap) store one response: the second finds the link already used.
    """
    with transaction.atomic():
        link = (
            PersonalLink.objects.select_for_update()
            .select_related("patient__clinic")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if link is None:
            raise LinkUnavailable("unknown")
        if link.state != "open":
            raise LinkUnavailable(link.state)
        response = response_record(
            patient=link.patient,
            instrument_code=link.instrument,
            answers=answers,
            source=Source.PATIENT_LINK,
            timepoint=link.timepoint,
        )
        link.used_at = timezone.now()
        link.response = response
        link.save(update_fields=["used_at", "response"])
        # Same transaction: an invitation's answer never lands without completing it.
        invitation_complete_for_link(link=link, response=response)
    return response


def personal_link_revoke(*, link: PersonalLink) -> PersonalLink:
    with transaction.atomic():
        if link.state == "open":
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            audit_record(
                action=Action.LINK_REVOKE, clinic=link.clinic_id, patient=link.patient_id, obj=link
            )
    return link


def response_void(*, response: Response, by: User, reason: str) -> Response:
    """Void a response entered in error (wrong patient, wrong date, wrong answers).

    Nothing is edited or deleted: the response keeps its answers and scores and gains
    who voided it, when and why; the default manager (``Response.objects``) then leaves
    it out of every score, chart, outcome, alert evaluation, analytics frame, report
    and schedule at once. Alerts already raised from it stay (a safety signal is never
    deleted), and an invitation it completed stays completed and linked. The correction
    is a new response, entered as usual.

    Raises ``PermissionDenied`` unless ``by`` is an active member of the response's
    clinic with ``Capability.VOID_ANSWERS``, and ``ValidationError`` for an empty reason
    or a response that is already voided.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this response is voided."})
    allowed = user_has_capability(
        user=by, clinic_id=response.clinic_id, capability=Capability.VOID_ANSWERS
    )
    if not allowed:
        raise PermissionDenied("Only a prescriber, nurse or therapist of the clinic can void.")
    with transaction.atomic():
        # Locked so two people voiding at once record one void, not the later reason.
        locked = Response.all_objects.select_for_update().get(pk=response.pk)
        if locked.voided_at is not None:
            raise ValidationError("This response is already voided.")
        locked.voided_at = timezone.now()
        locked.voided_by = by
        locked.void_reason = reason
        locked.full_clean()
        locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit_record(
            action=Action.VOID,
            actor=by,
            clinic=locked.clinic_id,
            patient=locked.patient_id,
            obj=locked,
            changes={"void_reason": CHANGED},
        )
    response.voided_at = locked.voided_at
    response.voided_by = locked.voided_by
    response.void_reason = locked.void_reason
    return response
