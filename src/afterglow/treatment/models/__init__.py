"""Treatment: screening, protocols, courses, dosing sessions and psychotherapy."""

from afterglow.treatment.models.courses import Course, CourseStatus, PlannedSession, SessionKind
from afterglow.treatment.models.protocols import Protocol, Route
from afterglow.treatment.models.screening import Decision, Screening
from afterglow.treatment.models.sessions import (
    AdverseEvent,
    Amendment,
    DissociationRating,
    DosingSession,
    NotDosedReason,
    SedationRating,
    SessionAlert,
    SessionStatus,
    SideEffect,
    VitalsReading,
)
from afterglow.treatment.models.therapy import TherapyModality, TherapySession

__all__ = [
    "AdverseEvent",
    "Amendment",
    "Course",
    "CourseStatus",
    "Decision",
    "DissociationRating",
    "DosingSession",
    "NotDosedReason",
    "PlannedSession",
    "Protocol",
    "Route",
    "Screening",
    "SedationRating",
    "SessionAlert",
    "SessionKind",
    "SessionStatus",
    "SideEffect",
    "TherapyModality",
    "TherapySession",
    "VitalsReading",
]
