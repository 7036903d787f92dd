"""Write the synthetic clinic's life between visits (``demo.synthetic_diary``) to the database.

* Each patient's diary link comes from ``diary.services.diary_link_create`` (the raw token
  is thrown away: nobody can open a demo link), back-dated to the day it was sent and
  revoked when the diary period ended, the course was ended early or the patient was
  discharged (``synthetic_diary``).
* Diary entries are bulk-inserted: ``diary_entry_save`` takes one link lock per entry and
  refuses days outside the edit window, and the demo's five thousand entries lie in a
  nine-month past. Each is stored as ``diary_entry_save`` stores it and checked with the
  model's own field validators (``clean_fields``: counts 0-200, distress 0-10, text
  lengths; the foreign keys and the one-entry-a-day constraint are left to the database).
  One entry in ``FORM_SAMPLE_EVERY``, and every urgent one, also goes through the
  patient's form (``diary.forms.DiaryEntryForm``), which must give the same row. (The
  tests put every entry of a 60-patient synthetic clinic through that form.)
* Each PHQ-9 goes through ``instruments.services.response_record``, so scoring, severity
  and the item-9 alert are the application's own. Urgent diary notes raise their alert
  through ``alerts.services.alert_raise_for_diary_entry``. All but the most recent few alerts
  (``OPEN_DIARY_ALERTS``, ``OPEN_RESPONSE_ALERTS``) are acknowledged through
  ``alert_acknowledge`` by a demo clinician, then back-dated to their review time.

Nobody is emailed about these alerts: they happened in the demo's synthetic past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from afterglow.accounts.models import Clinic, Role
from afterglow.alerts.models import Alert
from afterglow.alerts.services import alert_acknowledge, alert_raise_for_diary_entry
from afterglow.demo import synthetic_diary as d
from afterglow.demo import synthetic_phq9 as phq
from afterglow.demo.synthetic import SyntheticClinic
from afterglow.diary.forms import DiaryEntryForm
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.services import diary_link_create
from afterglow.instruments.models import Response, Source
from afterglow.instruments.services import response_record
from afterglow.patients.models import Patient

PHQ9 = "phq9"
BATCH = 500
FORM_SAMPLE_EVERY = 25
RESPONSE_ACK_NOTE = (
    "Spoke with the patient before the dose: no plan or intent. Safety plan reviewed "
    "with them; the prescriber agreed the dose could go ahead."
)
DIARY_ACK_NOTE = "Called the patient; safety plan reviewed and an earlier appointment offered."


def seed_between_visits(
    *,
    clinic: Clinic,
    synthetic: SyntheticClinic,
    patients: Sequence[Patient],
    users: dict[str, User],
) -> None:
    """Diary links and entries, pre-dose PHQ-9s and their alerts for ``patients``.

    ``patients`` are the stored patients of ``synthetic.patients``, in the same order.
    """
    drawn = d.generate_between_visits(synthetic)
    tz = clinic.tzinfo
    with transaction.atomic(), _no_email_about_the_past():
        # A nurse sends diary links: coordinators have no measurements (capability table).
        entries = _diaries(clinic, patients, drawn, users[Role.NURSE])
        responses = _phq9s(clinic, patients, drawn)
        _alerts(
            raised=[
                (alert, phq9.administered_at, phq9.reviewed_at)
                for alert, phq9 in _response_alerts(responses)
            ],
            keep_open=phq.OPEN_RESPONSE_ALERTS,
            by=users[Role.PRESCRIBER],
            note=RESPONSE_ACK_NOTE,
            tz=tz,
        )
        diary_alerts = []
        for entry, day in entries:
            if day.urgent and day.reviewed_at is not None:
                alert = alert_raise_for_diary_entry(entry=entry)
                assert alert is not None
                diary_alerts.append((alert, day.written_at, day.reviewed_at))
        _alerts(
            raised=diary_alerts,
            keep_open=d.OPEN_DIARY_ALERTS,
            by=users[Role.NURSE],
            note=DIARY_ACK_NOTE,
            tz=tz,
        )


def _diaries(
    clinic: Clinic,
    patients: Sequence[Patient],
    drawn: Sequence[d.BetweenVisits],
    sender: User,
) -> list[tuple[DiaryEntry, d.DiaryDay]]:
    """Each patient's diary link and entries, back-dated; returns the stored entries."""
    tz = clinic.tzinfo
    links: list[DiaryLink] = []
    entries: list[tuple[DiaryEntry, d.DiaryDay]] = []
    for patient, given in zip(patients, drawn, strict=True):
        link, _token = diary_link_create(patient=patient, by=sender)
        links.append(_backdated_link(link, given.diary, clinic))
        for day in given.diary.entries:
            sample = len(entries) % FORM_SAMPLE_EVERY == 0 or day.urgent
            entries.append((_entry(clinic, patient, day, through_form=sample), day))
    rows = [entry for entry, _ in entries]
    DiaryEntry.objects.bulk_create(rows, batch_size=BATCH)
    # auto_now_add / auto_now stamped the insert time: put back the evening it was written.
    for entry, day in entries:
        entry.created_at = entry.updated_at = day.written_at.replace(tzinfo=tz)
    _store_columns(rows, ["created_at", "updated_at"])
    _store_columns(links, ["created_at", "expires_at", "revoked_at", "last_used_at"])
    return entries


def _phq9s(
    clinic: Clinic, patients: Sequence[Patient], drawn: Sequence[d.BetweenVisits]
) -> list[tuple[Response, phq.Phq9Administration]]:
    """Every pre-dose PHQ-9 through ``response_record`` (which raises the item-9 alerts)."""
    tz = clinic.tzinfo
    responses: list[tuple[Response, phq.Phq9Administration]] = []
    for patient, given in zip(patients, drawn, strict=True):
        for phq9 in given.phq9:
            response = response_record(
                patient=patient,
                instrument_code=PHQ9,
                answers=list(phq9.answers),
                source=Source.PATIENT_LINK,
                administered_at=phq9.administered_at.replace(tzinfo=tz),
                timepoint=phq9.timepoint,
            )
            response.created_at = response.administered_at
            responses.append((response, phq9))
    _store_columns([r for r, _ in responses], ["created_at"])
    return responses


@contextmanager
def _no_email_about_the_past() -> Iterator[None]:
    """Drop the on-commit callbacks (the care-team emails) queued inside the block.

    The services email the care team after commit for every alert they raise. The
    demo's alerts were raised in its synthetic past; emailing them now would fill the
    console (or a real mailbox) with stale pages. Only callbacks registered
    inside this block, which is itself inside a transaction, are dropped.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("call inside transaction.atomic(): the emails are sent on commit")
    queued = len(connection.run_on_commit)
    yield
    del connection.run_on_commit[queued:]


def _backdated_link(link: DiaryLink, diary: d.SyntheticDiary, clinic: Clinic) -> DiaryLink:
    tz = clinic.tzinfo
    link.created_at = diary.link_sent_at.replace(tzinfo=tz)
    link.expires_at = link.created_at + dt.timedelta(days=clinic.diary_link_days)
    link.revoked_at = diary.closed_at.replace(tzinfo=tz) if diary.closed_at else None
    if diary.entries:
        link.last_used_at = diary.entries[-1].written_at.replace(tzinfo=tz)
    return link


def entry_form_data(day: d.DiaryDay) -> dict[str, str]:
    """The entry as the patient's browser posts it (``diary/entry.html``)."""
    data = {
        "intrusive_memories": str(day.intrusive_memories),
        "flashbacks": str(day.flashbacks),
        "nightmares": "yes" if day.nightmares else "no",
        "peak_distress": "" if day.peak_distress is None else str(day.peak_distress),
        "triggers": day.triggers,
        "note": day.note,
    }
    if day.none_today:
        data["none_today"] = "1"
    if day.urgent:
        data["urgent"] = "on"
    return data


def _entry(clinic: Clinic, patient: Patient, day: d.DiaryDay, *, through_form: bool) -> DiaryEntry:
    """The row ``diary_entry_save`` would store for ``day`` (module docstring)."""
    entry = DiaryEntry(
        clinic=clinic,
        patient=patient,
        day=day.day,
        none_today=day.none_today,
        # As diary_entry_save: "None today" is a recorded zero.
        intrusive_memories=0 if day.none_today else day.intrusive_memories,
        flashbacks=0 if day.none_today else day.flashbacks,
        nightmares=False if day.none_today else day.nightmares,
        peak_distress=day.peak_distress,
        triggers=day.triggers,
        note=day.note,
        urgent=day.urgent,
    )
    try:
        entry.clean_fields(exclude=["clinic", "patient"])
    except ValidationError as error:
        raise AssertionError(f"demo diary entry for {day.day} is invalid: {error}") from error
    if through_form:
        form = DiaryEntryForm(data=entry_form_data(day))
        if not form.is_valid():
            raise AssertionError(f"demo diary entry for {day.day} fails the form: {form.errors}")
        answers = form.service_kwargs()
        stored = {name: getattr(entry, name) for name in answers}
        if answers["none_today"]:
            answers.update(intrusive_memories=0, flashbacks=0, nightmares=False)
        if answers != stored:
            raise AssertionError(f"the form reads {day.day} as {answers}, the demo as {stored}")
    return entry


def _store_columns(objects: Sequence[Model], fields: list[str]) -> None:
    """Write ``fields`` of already-saved ``objects`` in one ``executemany`` UPDATE.

    ``bulk_update`` builds a CASE expression per batch, which for the demo's five
    thousand diary rows took longer than inserting them; values still go through each
    field's own database preparation.
    """
    if not objects:
        return
    meta = type(objects[0])._meta
    columns = [_concrete(meta.get_field(name)) for name in fields] + [_concrete(meta.pk)]
    quote = connection.ops.quote_name
    *values, key = (quote(str(field.column)) for field in columns)
    assignments = ", ".join(f"{column} = %s" for column in values)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {key} = %s"
    params = [
        [field.get_db_prep_value(getattr(obj, field.attname), connection) for field in columns]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _concrete(field: object) -> Field[Any, Any]:
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{field} is not a column")
    return field


def _response_alerts(
    responses: list[tuple[Response, phq.Phq9Administration]],
) -> list[tuple[Alert, phq.Phq9Administration]]:
    """The alerts ``response_record`` raised for these responses: one query."""
    given = {response.pk: phq9 for response, phq9 in responses if response.alerts}
    alerts = Alert.objects.filter(response_id__in=given).order_by("pk")
    return [(alert, given[alert.response_id]) for alert in alerts if alert.response_id]


def _alerts(
    *,
    raised: list[tuple[Alert, dt.datetime, dt.datetime]],
    keep_open: int,
    by: User,
    note: str,
    tz: dt.tzinfo,
) -> None:
    """Back-date each (alert, raised at, reviewed at) and acknowledge all but the latest few.

    The ``keep_open`` most recent alerts stay open, and so does any whose review time
    has not come yet; the others are acknowledged through ``alert_acknowledge`` and
    back-dated to their review time.
    """
    now = timezone.now()
    raised = sorted(raised, key=lambda row: row[1])
    cutoff = len(raised) - keep_open
    for index, (alert, at, reviewed) in enumerate(raised):
        alert.created_at = at.replace(tzinfo=tz)
        reviewed_at = reviewed.replace(tzinfo=tz)
        if index < cutoff and reviewed_at < now:
            alert_acknowledge(alert=alert, by=by, note=note)
            alert.acknowledged_at = reviewed_at
    _store_columns([alert for alert, _, _ in raised], ["created_at", "acknowledged_at"])


def between_visits_summary(*, clinic: Clinic) -> str:
    """What the clinic holds between visits, for ``afterglow demo``'s summary: four queries."""
    entries = DiaryEntry.objects.for_clinic(clinic)
    alerts = Alert.objects.for_clinic(clinic)
    return (
        f"{entries.count()} diary entries from "
        f"{entries.values('patient').distinct().count()} patients, "
        f"{Response.objects.for_clinic(clinic).filter(instrument=PHQ9).count()} PHQ-9 responses, "
        f"{alerts.open().count()} open alerts"
    )
