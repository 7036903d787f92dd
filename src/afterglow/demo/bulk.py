"""A large synthetic clinic in minutes, for ``make bench-web``: the demo clinic's rows,
copied.

Seeding through the services (``demo.seed``) writes every response, dose and diary day
one by one with its audit event: right for the demo, hours for 10,000 patients. Here a
clinic seeded that way is the *template*: its patient-scoped rows (patients, intake
submissions, responses, screenings, courses, planned and dosing sessions with their
vitals, ratings, side effects, adverse events and alerts, therapy, diary links and
entries, alerts, schedules, invitations and deliveries) are copied whole into a new
clinic, ``copies`` times, by one ``INSERT ... SELECT`` per table and copy (the database
does the copying; Python never holds the rows). Every copied row is a row the services
wrote (same scores, statuses and timeline). Copy ``k`` shifts each table's ids by ``k``
times that table's largest id, and each foreign key by its target table's shift, so the
copies point at each other; record numbers get a ``-k`` suffix, submission keys and link
token hashes fresh random values (the copies' links open nothing). The template's staff
get memberships in the new clinic. Not copied: audit events (nobody read or wrote the
copies), and nothing outside the template clinic. SQLite (the bench's database) and
PostgreSQL.
Synthetic data only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

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

#: Fresh random values for the unique columns, per database.
RANDOM = {
    "sqlite": {
        "submission_key": "lower(hex(randomblob(16)))",
        "token_hash": "lower(hex(randomblob(32)))",
    },
    "postgresql": {
        "submission_key": "gen_random_uuid()",
        "token_hash": "md5(random()::text) || md5(random()::text)",
    },
}


def clone_clinic(
    *,
    template: Clinic,
    slug: str,
    name: str,
    copies: int,
    progress: Callable[[str], None] = lambda _: None,
) -> Clinic:
    """A new clinic ``slug`` holding ``copies`` copies of every patient of ``template``."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    with transaction.atomic():
        clinic = Clinic.objects.get(pk=template.pk)
        clinic.pk = None
        clinic.slug, clinic.name = slug, name
        clinic.save(force_insert=True)
        Membership.objects.bulk_create(
            Membership(user_id=m.user_id, clinic=clinic, role=m.role)
            for m in Membership.objects.filter(clinic=template)
        )
        # Each table's shift per copy: larger than any id it holds now.
        span = {
            model: (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
            for model, _ in COPIED
        }
        with connection.cursor() as cursor:
            for copy in range(1, copies + 1):
                for model, lookup in COPIED:
                    if model is Protocol and copy > 1:
                        continue  # the clinic's protocols once; later copies use copy 1's
                    sql, params = _insert(model, lookup, template, clinic, copy, span)
                    cursor.execute(sql, params)
                progress(f"copy {copy}/{copies}")
            # PostgreSQL's id sequences do not see ids written explicitly: move them on.
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [model for model, _ in COPIED]
            ):
                cursor.execute(statement)
    return clinic


def _insert(
    model: type[models.Model],
    lookup: str,
    template: Clinic,
    clinic: Clinic,
    copy: int,
    span: dict[type[models.Model], int],
) -> tuple[str, list[Any]]:
    """``INSERT INTO <table> (...) SELECT <shifted columns> FROM <table> WHERE id IN
    (<the template clinic's rows>)`` for copy ``copy``."""
    table = model._meta.db_table
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for field in model._meta.concrete_fields:
        column = connection.ops.quote_name(str(field.column))
        columns.append(column)
        target = field.related_model if field.is_relation else None
        if field.primary_key:
            values.append(f"{column} + %s")
            params.append(copy * span[model])
        elif target is Clinic:
            values.append("%s")
            params.append(clinic.pk)
        elif target is Protocol:
            values.append(f"{column} + %s")
            params.append(span[Protocol])  # copy 1's protocols
        elif target in span:
            values.append(f"{column} + %s")
            params.append(copy * span[target])  # type: ignore[index]
        elif field.name == "mrn":
            values.append(f"{column} || %s")
            params.append(f"-{copy}")
        elif field.name in RANDOM[connection.vendor]:
            values.append(RANDOM[connection.vendor][field.name])
        else:
            values.append(column)
    rows, row_params = (
        model._default_manager.filter(**{lookup: template}).values("pk").query.sql_with_params()
    )
    sql = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {connection.ops.quote_name(table)} "
        f"WHERE {connection.ops.quote_name(str(model._meta.pk.column))} IN ({rows})"
    )
    return sql, [*params, *row_params]
