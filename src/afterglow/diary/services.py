"""Writes for the intrusion diary: the patient's diary link and the daily entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from afterglow.accounts.crisis import crisis_line_text
from afterglow.alerts.services import alert_raise_for_diary_entry
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.core.tokens import hash_token, new_token
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.rules import editable
from afterglow.patients.models import Patient


class DiaryLinkUnavailable(Exception):
    """The diary link cannot be used: ``state`` is unknown, revoked or expired."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class DayNotEditable(Exception):
    """The day cannot be written: ``reason`` is "future" or "closed"."""

    def __init__(self, day: dt.date, reason: str) -> None:
        super().__init__(f"{day.isoformat()}: {reason}")
        self.day = day
        self.reason = reason


def diary_link_create(*, patient: Patient, by: User | None) -> tuple[DiaryLink, str]:
    """Create the patient's diary link and return it with its raw token (shown once).

    It works for the clinic's ``diary_link_days``. A patient has one working diary
    link at a time: creating a new one revokes the previous open ones, so a link sent
    to an old address or a lost phone stops working as soon as staff send a new one,
    and nobody has to remember to revoke it by hand. Entries belong to the patient,
    not the link, so they stay where they are.
    """
    token, token_hash = new_token()
    now = timezone.now()
    with transaction.atomic():
        DiaryLink.objects.filter(patient=patient).usable().update(revoked_at=now)
        link = DiaryLink(
            clinic=patient.clinic,
            patient=patient,
            token_hash=token_hash,
            expires_at=now + dt.timedelta(days=patient.clinic.diary_link_days),
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
            note="diary (earlier open links revoked)",
        )
    return link, token


def diary_link_revoke(*, link: DiaryLink) -> DiaryLink:
    with transaction.atomic():
        if link.state == "open":
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            audit_record(
                action=Action.LINK_REVOKE, clinic=link.clinic_id, patient=link.patient_id, obj=link
            )
    return link


def diary_link_email(*, link: DiaryLink, url: str, replaced: bool = False) -> None:
    """Email the diary link to the patient after the surrounding transaction commits.

    ``replaced``: this link replaced a working one, so the email says the old link has
    stopped working (issue 14 §4) instead of leaving the patient with two that look alike.
    """
    patient = link.patient
    clinic = patient.clinic
    if not patient.email:
        raise ValueError("This patient has no email address on record.")
    local_expiry = timezone.localtime(link.expires_at, clinic.tzinfo)
    body = (
        f"Hello {patient.display_name},\n\n"
        f"{clinic.name} has asked you to keep a short daily diary of intrusive memories "
        "and flashbacks. It takes about a minute a day.\n\n"
        f"Your personal diary link (works until {local_expiry:%d %b %Y}):\n{url}\n\n"
        + (
            "This new link replaces the diary link you were sent before: the old one has "
            "stopped working. What you wrote with it is kept.\n\n"
            if replaced
            else ""
        )
        + "Keep it to yourself and do not forward this email.\n\n"
        + f"{crisis_line_text(clinic)}\n"
    )
    transaction.on_commit(
        lambda: send_mail(f"{clinic.name}: your daily diary", body, None, [patient.email])
    )


def diary_entry_save(
    *,
    token: str,
    day: dt.date,
    none_today: bool = False,
    intrusive_memories: int | None = None,
    flashbacks: int | None = None,
    nightmares: bool = False,
    peak_distress: int | None = None,
    triggers: str = "",
    note: str = "",
    urgent: bool = False,
) -> DiaryEntry:
    """Create or replace the patient's entry for ``day`` through their diary link.

    Refuses an unusable link (:class:`DiaryLinkUnavailable`) and a day in the future or
    past the clinic's edit window (:class:`DayNotEditable`), both judged on the clinic's
    local date. "None today" stores a real zero: no intrusive memories, no flashbacks,
    no nightmares (distress, triggers and the note are kept as given).

    A count given as None is stored as *not answered* (missing, never 0), which only an
    urgent entry may do (``forms.DiaryEntryForm``; a database constraint backs it up):
    a non-urgent entry without both counts is refused with a ``ValidationError`` and
    nothing is stored. An urgent entry is stored and raises its alert whatever the
    counts say.

    The link row is locked, so two saves of the same day (a double tap) serialise into
    one entry, the second updating the first.
    """
    with transaction.atomic():
        link = (
            DiaryLink.objects.select_for_update()
            .select_related("patient__clinic")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if link is None:
            raise DiaryLinkUnavailable("unknown")
        if link.state != "open":
            raise DiaryLinkUnavailable(link.state)
        entry, _created = _entry_write(
            patient=link.patient,
            day=day,
            values=_EntryValues(
                none_today=none_today,
                intrusive_memories=intrusive_memories,
                flashbacks=flashbacks,
                nightmares=nightmares,
                peak_distress=peak_distress,
                triggers=triggers,
                note=note,
                urgent=urgent,
            ),
            by=None,
        )
        link.last_used_at = timezone.now()
        link.save(update_fields=["last_used_at"])
    return entry


def diary_entry_record(
    *,
    patient: Patient,
    day: dt.date,
    by: User,
    none_today: bool = False,
    intrusive_memories: int | None = None,
    flashbacks: int | None = None,
    nightmares: bool = False,
    peak_distress: int | None = None,
    triggers: str = "",
    note: str = "",
    urgent: bool = False,
) -> tuple[DiaryEntry, bool]:
    """Create or replace the patient's entry for ``day`` on their behalf (the REST API).

    The same rules as :func:`diary_entry_save` (the clinic's edit window, counts needed
    unless urgent, "none today" a real zero, the urgent alert), without a diary link;
    the audit event names ``by``. Returns the entry and whether it was created. The
    patient row is locked so two saves of the same day serialise into one entry.
    """
    with transaction.atomic():
        locked = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
        return _entry_write(
            patient=locked,
            day=day,
            values=_EntryValues(
                none_today=none_today,
                intrusive_memories=intrusive_memories,
                flashbacks=flashbacks,
                nightmares=nightmares,
                peak_distress=peak_distress,
                triggers=triggers,
                note=note,
                urgent=urgent,
            ),
            by=by,
        )


@dataclass(frozen=True)
class _EntryValues:
    none_today: bool
    intrusive_memories: int | None
    flashbacks: int | None
    nightmares: bool
    peak_distress: int | None
    triggers: str
    note: str
    urgent: bool


def _entry_write(
    *, patient: Patient, day: dt.date, values: _EntryValues, by: User | None
) -> tuple[DiaryEntry, bool]:
    """The checks and the write both paths share; call inside their transaction."""
    clinic = patient.clinic
    today = timezone.localdate(timezone=clinic.tzinfo)
    if day > today:
        raise DayNotEditable(day, "future")
    if not editable(day, today, clinic.diary_edit_days):
        raise DayNotEditable(day, "closed")
    intrusive_memories, flashbacks, nightmares = (
        values.intrusive_memories,
        values.flashbacks,
        values.nightmares,
    )
    if values.none_today:
        intrusive_memories, flashbacks, nightmares = 0, 0, False
    entry = DiaryEntry.objects.filter(patient=patient, day=day).first() or DiaryEntry(
        clinic=clinic, patient=patient, day=day
    )
    newly_urgent = values.urgent and not (entry.pk and entry.urgent)
    if not (values.none_today or values.urgent) and (
        intrusive_memories is None or flashbacks is None
    ):
        # The form asks for both; this guards every other caller.
        raise ValidationError(
            "Both counts are needed unless the entry is marked urgent.", "counts_missing"
        )
    entry.none_today = values.none_today
    entry.intrusive_memories = intrusive_memories
    entry.flashbacks = flashbacks
    entry.nightmares = nightmares
    entry.peak_distress = values.peak_distress
    entry.triggers = values.triggers
    entry.note = values.note
    entry.urgent = values.urgent
    created = entry.pk is None
    entry.full_clean()
    entry.save()
    # The patient's own entry through their link names no staff actor; no values.
    audit_record(
        action=Action.CREATE if created else Action.UPDATE,
        actor=by,
        clinic=clinic,
        patient=patient.pk,
        obj=entry,
        note=f"diary day {day.isoformat()}",
    )
    if newly_urgent:
        alert_raise_for_diary_entry(entry=entry)  # idempotent: one alert per entry
    return entry, created


def diary_entry_import(
    *,
    patient: Patient,
    day: dt.date,
    by: User | None,
    intrusive_memories: int,
    flashbacks: int,
    nightmares: bool,
    peak_distress: int | None,
) -> DiaryEntry:
    """Store a diary day brought in from a research database (``afterglow redcap import``).

    Not the patient's own entry: the clinic's edit window (which limits what a patient may
    change through their link) does not apply, a future day is still refused, both counts
    are required (a missing count is never a zero), and an existing entry for the day is
    never overwritten (the caller compares and reports). Audited as a create naming ``by``.
    """
    if day > timezone.localdate(timezone=patient.clinic.tzinfo):
        raise DayNotEditable(day, "future")
    entry = DiaryEntry(
        clinic=patient.clinic,
        patient=patient,
        day=day,
        intrusive_memories=intrusive_memories,
        flashbacks=flashbacks,
        nightmares=nightmares,
        peak_distress=peak_distress,
    )
    entry.full_clean()
    with transaction.atomic():
        entry.save()
        audit_record(
            action=Action.CREATE,
            actor=by,
            clinic=patient.clinic,
            patient=patient.pk,
            obj=entry,
            note=f"diary day {day.isoformat()} (REDCap import)",
        )
    return entry
