"""One access helper per treatment object type: this clinic's object, else 404."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.treatment.models import (
    Course,
    DosingSession,
    PlannedSession,
    Protocol,
    Screening,
    TherapySession,
)


def get_screening_for(membership: Membership, pk: int) -> Screening:
    return get_object_or_404(
        Screening.objects.select_related("patient__clinic", "baseline_pcl5"),
        pk=pk,
        clinic_id=membership.clinic_id,
    )


def get_protocol_for(membership: Membership, pk: int) -> Protocol:
    return get_object_or_404(Protocol, pk=pk, clinic_id=membership.clinic_id)


def get_course_for(membership: Membership, pk: int) -> Course:
    return get_object_or_404(
        Course.objects.select_related("patient__clinic", "protocol"),
        pk=pk,
        clinic_id=membership.clinic_id,
    )


def get_session_for(membership: Membership, pk: int) -> DosingSession:
    """The session with its patient, course, protocol, planned session and clinic.

    The clinic is the member's (the filter), so when the membership middleware has read
    its row already, that row is put on the session and its patient instead of a second
    copy joined in here (issue 13 §2).
    """
    clinic = membership.clinic if Membership.clinic.is_cached(membership) else None
    session = get_object_or_404(
        DosingSession.objects.select_related(
            "patient" if clinic else "patient__clinic", "course__protocol", "planned"
        ),
        pk=pk,
        clinic_id=membership.clinic_id,
    )
    if clinic is not None:
        session.clinic = clinic
        if session.patient.clinic_id == clinic.pk:
            session.patient.clinic = clinic
    return session


def get_therapy_for(membership: Membership, pk: int) -> TherapySession:
    return get_object_or_404(
        TherapySession.objects.select_related("patient__clinic", "therapist"),
        pk=pk,
        clinic_id=membership.clinic_id,
    )


def get_planned_for(membership: Membership, pk: int) -> PlannedSession:
    return get_object_or_404(
        PlannedSession.objects.select_related("course__patient", "course__protocol"),
        pk=pk,
        course__clinic_id=membership.clinic_id,
    )
