"""Who may do what: the one table of role × capability ("minimum necessary").

Every staff view names the capability it needs (``staff_required(capability=...)``),
services check :func:`has_capability`, the navigation shows a link only when the
member's role has the capability of the page behind it, and ``docs/security.md``
carries :func:`markdown_table` (a test keeps the two identical). Change access here
and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import User

from afterglow.accounts.models import Membership, Role


class Capability(StrEnum):
    """One thing a member may do; the value is what templates and docs show."""

    ACCOUNT = "account"
    STAFF_DIRECTORY = "staff_directory"
    STAFF_MANAGE = "staff_manage"
    CLINIC_SETTINGS = "clinic_settings"
    AUDIT_LOG = "audit_log"
    INTAKE = "intake"
    PATIENT_DETAILS = "patient_details"
    CLINICAL_RECORD = "clinical_record"
    MEASUREMENTS = "measurements"
    RECORD_ANSWERS = "record_answers"
    VOID_ANSWERS = "void_answers"
    INSTRUMENT_CATALOG = "instrument_catalog"
    PROTOCOLS_VIEW = "protocols_view"
    PROTOCOLS_EDIT = "protocols_edit"
    COURSES = "courses"
    SCREENING = "screening"
    DECIDE = "decide"
    DOSING = "dosing"
    THERAPY = "therapy"
    ALERTS = "alerts"
    PATIENT_REPORT = "patient_report"
    ANALYTICS = "analytics"
    IMAGING = "imaging"
    IDENTIFIED_EXPORT = "identified_export"


#: What each capability covers (the documentation's wording).
DESCRIPTIONS: dict[Capability, str] = {
    Capability.ACCOUNT: "staff home, own password, switching clinic",
    Capability.STAFF_DIRECTORY: "the staff list (names, usernames, emails, roles)",
    Capability.STAFF_MANAGE: "add staff, change roles, unlock, reset an authenticator",
    Capability.CLINIC_SETTINGS: "the clinic's thresholds and settings",
    Capability.AUDIT_LOG: "the clinic's audit log",
    Capability.INTAKE: "the intake queue and submissions, triage, enrolment",
    Capability.PATIENT_DETAILS: "patient list, demographics and contact details (add, edit)",
    Capability.CLINICAL_RECORD: (
        "the chart (scores, screenings, courses, dosing sessions, therapy sessions, diaries, "
        "questionnaire answers) and who viewed it"
    ),
    Capability.MEASUREMENTS: "the worklist; questionnaire and diary links, sending, cancelling",
    Capability.RECORD_ANSWERS: "enter a questionnaire's answers for a patient",
    Capability.VOID_ANSWERS: "void a questionnaire response (with a reason)",
    Capability.INSTRUMENT_CATALOG: "the instrument catalogue (no patient data)",
    Capability.PROTOCOLS_VIEW: "the protocol list (no patient data)",
    Capability.PROTOCOLS_EDIT: "add, adopt and edit protocols",
    Capability.COURSES: "start, pause, resume, end a course; maintenance",
    Capability.SCREENING: "take a pre-treatment screening",
    Capability.DECIDE: "prescribing decisions: screening decision, discharge override, co-sign",
    Capability.DOSING: "run, record, sign and amend a dosing session",
    Capability.THERAPY: "record therapy sessions, read therapy notes; be a patient's therapist",
    Capability.ALERTS: "the safety-alert inbox, acknowledging, alert emails",
    Capability.PATIENT_REPORT: "a patient's progress report (PDF)",
    Capability.ANALYTICS: "de-identified outcomes dashboard, de-identified export, clinic report",
    Capability.IMAGING: (
        "research imaging: measure an uploaded run for a patient named by record number, "
        "see a patient's imaging sessions (derived measures only, never images)"
    ),
    Capability.IDENTIFIED_EXPORT: "identified REDCap export (record numbers, dates of birth)",
}

_CARE_TEAM = {Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}
_CLINICAL = {Capability.CLINICAL_RECORD, Capability.MEASUREMENTS, Capability.RECORD_ANSWERS}
_EVERY_MEMBER = {Capability.ACCOUNT}
_NON_PHI_REFERENCE = {Capability.INSTRUMENT_CATALOG, Capability.PROTOCOLS_VIEW}
_FRONT_DESK = {Capability.STAFF_DIRECTORY, Capability.INTAKE, Capability.PATIENT_DETAILS}

#: The table. Every role appears; a role not granted a capability cannot use it.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset(
        _EVERY_MEMBER
        | _FRONT_DESK
        | _NON_PHI_REFERENCE
        | _CLINICAL
        | {
            Capability.STAFF_MANAGE,
            Capability.CLINIC_SETTINGS,
            Capability.AUDIT_LOG,
            Capability.PROTOCOLS_EDIT,
            Capability.ALERTS,
            Capability.PATIENT_REPORT,
            Capability.ANALYTICS,
            Capability.IMAGING,
            Capability.IDENTIFIED_EXPORT,
        }
    ),
    Role.PRESCRIBER: frozenset(
        _EVERY_MEMBER
        | _FRONT_DESK
        | _NON_PHI_REFERENCE
        | _CLINICAL
        | {
            Capability.VOID_ANSWERS,
            Capability.PROTOCOLS_EDIT,
            Capability.COURSES,
            Capability.SCREENING,
            Capability.DECIDE,
            Capability.DOSING,
            Capability.THERAPY,
            Capability.ALERTS,
            Capability.PATIENT_REPORT,
            Capability.ANALYTICS,
            Capability.IMAGING,
        }
    ),
    Role.NURSE: frozenset(
        _EVERY_MEMBER
        | _FRONT_DESK
        | _NON_PHI_REFERENCE
        | _CLINICAL
        | {
            Capability.VOID_ANSWERS,
            Capability.SCREENING,
            Capability.DOSING,
            Capability.ALERTS,
            Capability.PATIENT_REPORT,
        }
    ),
    Role.THERAPIST: frozenset(
        _EVERY_MEMBER
        | _FRONT_DESK
        | _NON_PHI_REFERENCE
        | _CLINICAL
        | {
            Capability.VOID_ANSWERS,
            Capability.THERAPY,
            Capability.ALERTS,
            Capability.PATIENT_REPORT,
        }
    ),
    # Intake, demographics and contact details; never the clinical record.
    Role.COORDINATOR: frozenset(_EVERY_MEMBER | _FRONT_DESK | _NON_PHI_REFERENCE),
    # De-identified analytics, and research imaging of a patient named by record number
    # (the imaging site's measures must reach the right record); no chart, no staff list.
    Role.RESEARCHER: frozenset(_EVERY_MEMBER | {Capability.ANALYTICS, Capability.IMAGING}),
}
assert _CARE_TEAM | {Role.COORDINATOR, Role.RESEARCHER} == set(ROLE_CAPABILITIES)


def role_can(role: str, capability: Capability) -> bool:
    """Whether ``role`` (a :class:`Role` value) has ``capability``."""
    try:
        return capability in ROLE_CAPABILITIES[Role(role)]
    except ValueError:
        return False


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles granted ``capability`` (for ``role__in`` filters)."""
    return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)


def has_capability(membership: Membership | None, capability: Capability) -> bool:
    """Whether this active membership's role has ``capability`` (``None``: no)."""
    return membership is not None and membership.is_active and role_can(membership.role, capability)


def user_has_capability(*, user: User, clinic_id: int, capability: Capability) -> bool:
    """Whether ``user`` is an active member of the clinic whose role has ``capability``.

    For services, which receive a user rather than the request's membership (one query).
    """
    return (
        Membership.objects.active()
        .filter(user=user, clinic_id=clinic_id, role__in=roles_with(capability))
        .exists()
    )


def markdown_table() -> str:
    """The table as Markdown, as ``docs/security.md`` carries it."""
    roles = list(Role)
    head = "| capability | what it covers | " + " | ".join(r.label for r in roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    rows = [
        f"| `{cap.value}` | {DESCRIPTIONS[cap]} | "
        + " | ".join("yes" if cap in ROLE_CAPABILITIES[r] else "—" for r in roles)
        + " |"
        for cap in Capability
    ]
    return "\n".join([head, rule, *rows])
