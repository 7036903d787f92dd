"""The one guard every dosing-session write goes through, and its errors.

Every write re-reads the session row under a lock (:func:`open_session`): a
nurse entering vitals and a prescriber signing at the same moment happen one
after the other, and the "is it signed?" check runs on the row as it is now,
not as the page showed it. A signed session raises :class:`SessionLocked`.
"""

from __future__ import annotations

import datetime as dt
import sys

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from afterglow.accounts.capabilities import Capability, user_has_capability
from afterglow.accounts.models import Clinic
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.treatment.models import DosingSession, SessionAlert, VitalsReading
from afterglow.treatment.safety import AlertSpec

#: Clock times may run this far ahead of the server (a tablet a little fast); more is a typo.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class SessionLocked(Exception):
    """The session is signed: it cannot change; record an amendment instead."""

    def __init__(self, session: DosingSession) -> None:
        super().__init__(
            f"Session {session.number} is signed and locked; corrections are amendments "
            "with a reason."
        )


class SessionNotReady(ValidationError):
    """The session cannot be signed yet; ``messages`` lists every reason."""


def open_session(session: DosingSession) -> DosingSession:
    """The session re-read under a row lock; :class:`SessionLocked` if it is signed.

    Call inside ``transaction.atomic``. ``of=("self",)`` locks only the session
    row on PostgreSQL, not the clinic, course and protocol rows joined for
    reading (SQLite ignores row locks; its IMMEDIATE transactions serialise
    writers instead).
    """
    locked = (
        DosingSession.objects.select_for_update(of=("self",))
        .select_related("clinic", "course__protocol", "patient")
        .get(pk=session.pk)
    )
    if locked.is_signed:
        raise SessionLocked(locked)
    # Every write to an open session passes here, inside its transaction: one audit
    # event per write, rolled back with it if the write is refused. The calling
    # service's name says what was written (vitals, dose, discharge...) without
    # touching its fifteen call sites; the values stay on the session's own rows.
    audit_record(
        action=Action.UPDATE,
        clinic=locked.clinic_id,
        patient=locked.patient_id,
        obj=locked,
        note=sys._getframe(1).f_code.co_name,
    )
    return locked


def require_dosing_role(by: User, clinic: Clinic) -> None:
    """Only a nurse or prescriber of this clinic records or signs a dose (a therapist cannot)."""
    if not user_has_capability(user=by, clinic_id=clinic.pk, capability=Capability.DOSING):
        raise ValidationError("Only a nurse or a prescriber of this clinic can do this.")


def require_prescriber(by: User, clinic: Clinic) -> None:
    """Only a prescriber of this clinic authorises a departure from the protocol's safety rules."""
    if not user_has_capability(user=by, clinic_id=clinic.pk, capability=Capability.DECIDE):
        raise ValidationError("Only a prescriber of this clinic can authorise this.")


def not_in_future(value: dt.datetime, field: str) -> None:
    if value > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationError({field: "This time is in the future."})


def raise_alerts(
    session: DosingSession, reading: VitalsReading | None, specs: list[AlertSpec]
) -> list[SessionAlert]:
    return [
        SessionAlert.objects.create(
            session=session, reading=reading, code=s.code, level=s.level, message=s.message[:300]
        )
        for s in specs
    ]
