"""A large synthetic clinic in minutes, for ``make bench-web``: the demo clinic's rows,
copied.

Seeding through the services (``demo.seed``) writes every response, dose and diary day
one by one with its audit event: right for the demo, hours for 10,000 patients. Here a
clinic seeded that way is the *template*: its patient-scoped rows (patients, intake
submissions, responses, screenings, courses, planned and dosing sessions with their
vitals, ratings, side effects, adverse events and alerts, therapy, diary links and
entries, alerts, schedules, invitations and deliveries) are copied with ``bulk_create``
into a new clinic until it holds ``patients`` patients. Every copied row is a row the
services wrote (same scores, same statuses, same timeline), with foreign keys pointing at
the copies, record numbers and submission keys made unique and link tokens replaced by
fresh random hashes (the copies' links open nothing). The template's staff get
memberships in the new clinic. Not copied: audit events (the copies were never read or
written by anyone), and nothing outside the template clinic. Synthetic data only.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

from django.db import models, transaction

from afterglow.accounts.models import Clinic, Membership
from afterglow.alerts.models import Alert
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.instruments.models import PersonalLink, Response
from afterglow.intake.models import IntakeSubmission
from afterglow.patients.models import Patient
from afterglow.schedules.models import CourseSchedule, Delivery, Invitation
from afterglow.treatment.models import (
    AdverseEvent,
    Amendment,
    Course,
    DissociationRating,
    DosingSession,
    PlannedSession,
    Protocol,
    Screening,
    SedationRating,
    SessionAlert,
    SideEffect,
    TherapySession,
    VitalsReading,
)

__all__ = ["COPIED", "clone_clinic"]

#: The models copied, parents before children, each with the lookup from its rows to
#: the template clinic.
COPIED: tuple[tuple[type[models.Model], str], ...] = (
    (Protocol, "clinic"),
    (Patient, "clinic"),
    (Response, "clinic"),
    (PersonalLink, "clinic"),
    (IntakeSubmission, "clinic"),
    (DiaryLink, "clinic"),
    (DiaryEntry, "clinic"),
    (Alert, "clinic"),
    (TherapySession, "clinic"),
    (Screening, "clinic"),
    (Course, "clinic"),
    (PlannedSession, "course__clinic"),
    (DosingSession, "clinic"),
    (VitalsReading, "session__clinic"),
    (DissociationRating, "session__clinic"),
    (SedationRating, "session__clinic"),
    (SideEffect, "session__clinic"),
    (AdverseEvent, "session__clinic"),
    (SessionAlert, "session__clinic"),
    (Amendment, "session__clinic"),
    (CourseSchedule, "clinic"),
    (Invitation, "clinic"),
    (Delivery, "invitation__clinic"),
)
BATCH = 2000


def clone_clinic(
    *,
    template: Clinic,
    slug: str,
    name: str,
    patients: int,
    progress: Callable[[str], None] = lambda _: None,
) -> Clinic:
    """A new clinic ``slug`` holding ``patients`` patients copied from ``template``
    (cyclically: copy 1 of every template patient, copy 2, ..., the last copy partial)."""
    source_patients = list(
        Patient.objects.filter(clinic=template).order_by("pk").values_list("pk", flat=True)
    )
    if not source_patients:
        raise ValueError(f"the template clinic {template.slug} has no patients")
    with transaction.atomic():
        clinic = Clinic.objects.get(pk=template.pk)
        clinic.pk = None
        clinic.slug, clinic.name = slug, name
        clinic.save(force_insert=True)
        Membership.objects.bulk_create(
            Membership(user_id=m.user_id, clinic=clinic, role=m.role)
            for m in Membership.objects.filter(clinic=template)
        )
        rows = {model: _rows(model, lookup, template) for model, lookup in COPIED}
        copies = -(-patients // len(source_patients))
        protocols: dict[int, int] = {}  # the clinic's protocols are copied once
        for copy in range(copies):
            wanted = min(len(source_patients), patients - copy * len(source_patients))
            keep = set(source_patients[:wanted])
            _copy_once(rows, clinic, copy, keep, protocols)
            progress(f"copy {copy + 1}/{copies}: {copy * len(source_patients) + wanted} patients")
    return clinic


def _rows(model: type[models.Model], lookup: str, template: Clinic) -> list[dict[str, Any]]:
    return list(model._default_manager.filter(**{lookup: template}).order_by("pk").values())


def _copy_once(
    rows: dict[type[models.Model], list[dict[str, Any]]],
    clinic: Clinic,
    copy: int,
    keep: set[int],
    protocols: dict[int, int],
) -> None:
    ids: dict[type[models.Model], dict[int, int]] = {}
    for model, _ in COPIED:
        if model is Protocol and protocols:
            ids[Protocol] = protocols
            continue
        fresh: list[models.Model] = []
        sources: list[int] = []
        for row in rows[model]:
            values = _remapped(model, row, ids, clinic, copy, keep)
            if values is None:
                continue
            sources.append(row["id"])
            fresh.append(model(**values))
        made = model._default_manager.bulk_create(fresh, batch_size=BATCH)
        ids[model] = {old: new.pk for old, new in zip(sources, made, strict=True)}
        if model is Protocol:
            protocols.update(ids[Protocol])


def _remapped(
    model: type[models.Model],
    row: dict[str, Any],
    ids: dict[type[models.Model], dict[int, int]],
    clinic: Clinic,
    copy: int,
    keep: set[int],
) -> dict[str, Any] | None:
    """The row's values for this copy, or None when its patient is not in this copy."""
    if model is Patient and row["id"] not in keep:
        return None
    values = {key: value for key, value in row.items() if key != "id"}
    for field in model._meta.concrete_fields:
        if not field.is_relation:
            continue
        column = field.attname
        target = field.related_model
        if target is Clinic:
            values[column] = clinic.pk
        elif target in ids and values.get(column) is not None:
            new = ids[target].get(values[column])
            if new is None:
                return None  # its parent belongs to a patient outside this copy
            values[column] = new
    if model is Patient:
        values["mrn"] = f"{row['mrn']}-{copy + 1}"
    if model is IntakeSubmission:
        values["submission_key"] = uuid.uuid4()
    if "token_hash" in values:
        values["token_hash"] = secrets.token_hex(32)
    return values
