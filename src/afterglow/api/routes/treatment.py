"""Treatment courses and dosing sessions (read only: doses are recorded at the chair)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from afterglow.accounts.capabilities import Capability
from afterglow.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from afterglow.api.reads import audit_api_read
from afterglow.api.schemas import CourseOut, CoursePage, DosingSessionOut, DosingSessionPage
from afterglow.api.security import member
from afterglow.patients.access import get_patient_for
from afterglow.treatment.access import get_course_for, get_session_for
from afterglow.treatment.models import Course, DosingSession

router = Router(tags=["treatment"])


@router.get("/courses", response=CoursePage, summary="List treatment courses")
def list_courses(
    request: HttpRequest,
    patient_id: int | None = Query(None, ge=1),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """Courses of the clinic with their protocol, oldest first. Needs `clinical_record`."""
    membership = member(request, Capability.CLINICAL_RECORD)
    rows = Course.objects.for_clinic(membership.clinic).select_related("protocol")
    patient = None
    if patient_id is not None:
        patient = get_patient_for(membership, patient_id)
        rows = rows.filter(patient=patient)
    items, next_cursor = paginate(
        rows, resource="courses", key="created_at", cursor=cursor, limit=limit
    )
    audit_api_read(request, membership, "course_list", patient=patient, note=f"rows={len(items)}")
    return {"items": items, "next_cursor": next_cursor}


@router.get("/courses/{course_id}", response=CourseOut, summary="Read a course")
def read_course(request: HttpRequest, course_id: int) -> Course:
    membership = member(request, Capability.CLINICAL_RECORD)
    course = get_course_for(membership, course_id)
    audit_api_read(request, membership, "course", patient=course.patient_id, object_id=course.pk)
    return course


@router.get("/dosing-sessions", response=DosingSessionPage, summary="List dosing sessions")
def list_sessions(
    request: HttpRequest,
    patient_id: int | None = Query(None, ge=1),
    course_id: int | None = Query(None, ge=1),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """Dosing sessions (in progress, signed, or signed as not dosed), oldest first.

    Doses are in mg as recorded; a signed session is final (corrections are amendments,
    shown on the session page). Needs `clinical_record`.
    """
    membership = member(request, Capability.CLINICAL_RECORD)
    rows = DosingSession.objects.for_clinic(membership.clinic)
    patient_pk = None
    if patient_id is not None:
        patient_pk = get_patient_for(membership, patient_id).pk
        rows = rows.filter(patient_id=patient_pk)
    if course_id is not None:
        course = get_course_for(membership, course_id)
        patient_pk = course.patient_id
        rows = rows.filter(course=course)
    items, next_cursor = paginate(
        rows, resource="sessions", key="created_at", cursor=cursor, limit=limit
    )
    audit_api_read(
        request, membership, "session_list", patient=patient_pk, note=f"rows={len(items)}"
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/dosing-sessions/{session_id}", response=DosingSessionOut, summary="Read a dosing session"
)
def read_session(request: HttpRequest, session_id: int) -> DosingSession:
    membership = member(request, Capability.CLINICAL_RECORD)
    session = get_session_for(membership, session_id)
    audit_api_read(
        request, membership, "dosing_session", patient=session.patient_id, object_id=session.pk
    )
    return session
