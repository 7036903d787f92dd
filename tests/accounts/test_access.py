"""No staff page answers an anonymous visitor or an outsider with data.

The walk below enumerates every URL pattern of the project, so a new page is
covered the day it is added: it must either be listed as public here (with a
reason) or refuse anonymous visitors and people from other clinics.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from afterglow.accounts.capabilities import ROLE_CAPABILITIES, Capability, role_can
from afterglow.accounts.models import Role
from afterglow.alerts.models import Alert
from afterglow.api.services import apitoken_create
from afterglow.diary.services import diary_link_create
from afterglow.instruments.services import personal_link_create, response_record
from afterglow.schedules.services import schedule_attach
from afterglow.treatment.models import TherapySession
from tests.conftest import _persona
from tests.factories import (
    IntakeSubmissionFactory,
    PatientFactory,
    ScreeningFactory,
    course_on,
    iv_protocol,
    predosed,
)

# Pages anyone may open, and why.
PUBLIC = {
    "intake:start": "the public intake form",
    "intake:start_clinic": "a clinic's public intake form",
    "intake:thanks": "thank-you page, shown only right after a stored submission",
    "intake:thanks_clinic": "same, for a clinic's own form",
    "instruments:answer": "the patient's form, gated by the unguessable token",
    "diary:today": "the patient's diary, gated by the unguessable token",
    "diary:day": "the patient's diary, gated by the unguessable token",
    "accounts:login": "the login page",
    "accounts:logout": "signing out",
    "accounts:password_reset": "asking for a password-reset email (rate-limited)",
    "accounts:password_reset_done": "'check your email', the same whatever was typed",
    "accounts:password_reset_confirm": "choosing a new password, gated by the emailed token",
    "accounts:password_reset_complete": "'password changed'",
    "accounts:session_status": "seconds left in one's own session (nothing for a visitor)",
    "ops:healthz": "health for monitoring: no data, no login (issue 10)",
    "ops:favicon": "a redirect to the static favicon (issue 14)",
    "schedules:twilio_status": "Twilio's delivery callback, refused unless Twilio signed it",
    "schedules:twilio_inbound": "texts to the clinic's number (STOP/START), refused unless "
    "Twilio signed it",
    "fhir:metadata": "the FHIR CapabilityStatement: what the API offers, no data",
}
# URL namespaces that are not pages: machine APIs authenticated by bearer token only (no
# session, no cookie, so no login redirect to expect). tests/api/ opens every operation
# without a token, with another clinic's token and with each role's token.
TOKEN_APIS = {
    "api-v1": "the REST API (/api/v1/): Authorization: Bearer <token>; docs and OpenAPI public",
}
# Pages for any signed-in user, with or without a clinic: the two-step sign-in pages must
# be reachable before the user can open anything else.
SIGNED_IN = {
    "accounts:mfa_verify": "the second sign-in step",
    "accounts:mfa_setup": "setting up the authenticator app",
}
# The capability each staff page needs, stated here independently of the view so a
# page declared with a wider capability than it should (say a chart page with
# PATIENT_DETAILS) fails below. A new page gets its line here (see CONTRIBUTING).
PAGE_CAPABILITY: dict[str, Capability] = {
    "accounts:clinic_settings": Capability.CLINIC_SETTINGS,
    "accounts:password_change": Capability.ACCOUNT,
    "accounts:password_change_done": Capability.ACCOUNT,
    "accounts:switch_clinic": Capability.ACCOUNT,
    "home_staff": Capability.ACCOUNT,
    "imaging:research": Capability.ANALYTICS,
    "imaging:upload": Capability.IMAGING,
    "board:today": Capability.CLINICAL_RECORD,
    "board:today_rows": Capability.CLINICAL_RECORD,
    "board:therapist_home": Capability.THERAPY,
    "accounts:staff": Capability.STAFF_DIRECTORY,
    "accounts:staff_mfa_reset": Capability.STAFF_MANAGE,
    "accounts:staff_unlock": Capability.STAFF_MANAGE,
    "accounts:staff_update": Capability.STAFF_MANAGE,
    "api_tokens:list": Capability.STAFF_MANAGE,
    "api_tokens:revoke": Capability.STAFF_MANAGE,
    "alerts:acknowledge": Capability.ALERTS,
    "alerts:inbox": Capability.ALERTS,
    "analytics:dashboard": Capability.ANALYTICS,
    "analytics:export_csv": Capability.ANALYTICS,
    "analytics:report_pdf": Capability.ANALYTICS,
    "research:export_zip": Capability.ANALYTICS,
    "audit:log": Capability.AUDIT_LOG,
    "audit:patient": Capability.CLINICAL_RECORD,
    "courses:detail": Capability.CLINICAL_RECORD,
    "diary:patient": Capability.CLINICAL_RECORD,
    "dosing:session": Capability.CLINICAL_RECORD,
    "instruments:response_detail": Capability.CLINICAL_RECORD,
    "patients:chart": Capability.CLINICAL_RECORD,
    "screening:detail": Capability.CLINICAL_RECORD,
    "therapy:detail": Capability.CLINICAL_RECORD,
    "therapy:list": Capability.CLINICAL_RECORD,
    "courses:end": Capability.COURSES,
    "courses:maintenance": Capability.COURSES,
    "courses:new": Capability.COURSES,
    "courses:pause": Capability.COURSES,
    "courses:plan_session": Capability.COURSES,
    "courses:resume": Capability.COURSES,
    "courses:protocol_adopt": Capability.PROTOCOLS_EDIT,
    "courses:protocol_edit": Capability.PROTOCOLS_EDIT,
    "courses:protocol_new": Capability.PROTOCOLS_EDIT,
    "courses:protocols": Capability.PROTOCOLS_VIEW,
    "diary:link_new": Capability.MEASUREMENTS,
    "diary:link_revoke": Capability.MEASUREMENTS,
    "instruments:link_new": Capability.MEASUREMENTS,
    "instruments:link_revoke": Capability.MEASUREMENTS,
    "schedules:cancel": Capability.MEASUREMENTS,
    "schedules:deliveries": Capability.CLINICAL_RECORD,
    "schedules:measurements_closed": Capability.CLINICAL_RECORD,
    "schedules:send_now": Capability.MEASUREMENTS,
    "schedules:send_again": Capability.MEASUREMENTS,
    "schedules:switch_channel": Capability.MEASUREMENTS,
    "schedules:worklist": Capability.MEASUREMENTS,
    "dosing:adverse_event": Capability.DOSING,
    "dosing:alert_ack": Capability.DOSING,
    "dosing:alerts_ack": Capability.DOSING,
    "dosing:amend": Capability.DOSING,
    "dosing:discharge": Capability.DOSING,
    "dosing:discharge_override": Capability.DOSING,
    "dosing:dissociation": Capability.DOSING,
    "dosing:dose": Capability.DOSING,
    "dosing:not_dosed": Capability.DOSING,
    "dosing:not_dosed_withdraw": Capability.DOSING,
    "dosing:predose": Capability.DOSING,
    "dosing:sedation": Capability.DOSING,
    "dosing:side_effects": Capability.DOSING,
    "dosing:sign": Capability.DOSING,
    "dosing:start": Capability.DOSING,
    "dosing:stop": Capability.DOSING,
    "dosing:vitals": Capability.DOSING,
    "instruments:catalog": Capability.INSTRUMENT_CATALOG,
    "instruments:response_new": Capability.RECORD_ANSWERS,
    "instruments:response_void": Capability.VOID_ANSWERS,
    "intake:detail": Capability.INTAKE,
    "intake:enrol": Capability.INTAKE,
    "intake:queue": Capability.INTAKE,
    "intake:set_status": Capability.INTAKE,
    "patients:edit": Capability.PATIENT_DETAILS,
    "patients:list": Capability.PATIENT_DETAILS,
    "patients:new": Capability.PATIENT_DETAILS,
    "reports:patient_pdf": Capability.PATIENT_REPORT,
    "screening:decide": Capability.DECIDE,
    "screening:new": Capability.SCREENING,
    "therapy:new": Capability.THERAPY,
}

# The FHIR REST API (issue 12): JSON, not pages. Refusals are OperationOutcomes (401 for
# an anonymous caller instead of the login redirect), so they are walked by their own
# test below against the capability each declares (reading: the clinical record).
API_CAPABILITY: dict[str, Capability] = {
    "fhir:type": Capability.CLINICAL_RECORD,
    "fhir:read": Capability.CLINICAL_RECORD,
    "fhir:everything": Capability.CLINICAL_RECORD,
}

SECRET_NAME = "Zebedee"  # appears only in the home clinic's data


def _walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django admin: covered by its own test below
            if entry.namespace in TOKEN_APIS:
                continue  # not pages: see TOKEN_APIS
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def all_named_patterns() -> list[tuple[str, URLPattern]]:
    return sorted(_walk(get_resolver()), key=lambda pair: pair[0])


@pytest.fixture
def home_objects(clinician):
    """One object of each type in the home clinic, named so a leak is visible."""
    clinic = clinician.clinic
    patient = PatientFactory(clinic=clinic, given_name=SECRET_NAME, family_name="Quill")
    submission = IntakeSubmissionFactory(clinic=clinic, given_name=SECRET_NAME)
    response = response_record(
        patient=patient, instrument_code="pcl5", answers=[1] * 20, source="staff"
    )
    link, _token = personal_link_create(patient=patient, instrument_code="pcl5", by=None)
    screening = ScreeningFactory(patient=patient, clinic=clinic)
    protocol = iv_protocol(clinic)
    course = course_on(protocol, patient=patient, by=clinician.user)
    # A pre-dose BP over the reassess level leaves an alert to acknowledge.
    session = predosed(course, clinician.user, systolic=171, diastolic=104)
    alert = session.alerts.get()
    therapy = TherapySession.objects.create(
        clinic=clinic,
        patient=patient,
        therapist=clinician.user,
        modality="integration",
        started_at=timezone.now(),
        duration_minutes=50,
    )
    # A PHQ-9 with item 9 above zero raises a safety alert for the inbox.
    response_record(patient=patient, instrument_code="phq9", answers=[1] * 9, source="staff")
    return {
        "patient_pk": patient.pk,
        "pk": {
            "patients": patient.pk,
            "intake": submission.pk,
            "instruments:response_detail": response.pk,
            "instruments:response_void": response.pk,
            "instruments:link_revoke": link.pk,
            "accounts:staff_update": clinician.membership.pk,
            "accounts:staff_unlock": clinician.membership.pk,
            "accounts:staff_mfa_reset": clinician.membership.pk,
            "screening": screening.pk,
            "courses": course.pk,
            "courses:protocol_edit": protocol.pk,
            "dosing": session.pk,
            "therapy": therapy.pk,
            "alerts": Alert.objects.get(patient=patient).pk,
            "diary:link_revoke": diary_link_create(patient=patient, by=None)[0].pk,
            "reports:patient_pdf": patient.pk,
            "schedules": schedule_attach(course=course).invitations.order_by("pk")[0].pk,
            "api_tokens": apitoken_create(
                clinic=clinic, user=clinician.user, scope="read", name=SECRET_NAME, by=None
            )[0].pk,
        },
        "day": "2026-01-01",
        "planned_pk": course.planned.get(number=2).pk,
        "number": 2,
        "alert_pk": alert.pk,
        "code": {"courses:protocol_adopt": "feder2021_six", "*": "pcl5"},
        "slug": clinic.slug,
        "resource_type": "Patient",
        "resource_id": str(patient.pk),
        "token": "not-a-real-token",
        "uidb64": "MQ",
    }


def _kwargs_for(name: str, pattern: URLPattern, objects: dict) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    for key in pattern.pattern.converters:
        if key in ("pk", "code"):
            table = objects[key]
            kwargs[key] = table.get(name) or table.get(name.split(":")[0]) or table["*"]
        else:
            kwargs[key] = objects[key]
    return kwargs


def test_every_named_url_is_either_public_or_walked() -> None:
    names = [name for name, _ in all_named_patterns()]
    assert set(PUBLIC) <= set(names), "a public page in the list no longer exists"
    assert len(names) > len(PUBLIC), "the walk found no staff pages at all"


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_staff_page_answers_an_anonymous_visitor(anonymous, home_objects, method) -> None:
    for name, pattern in all_named_patterns():
        if name in PUBLIC or name == "home_staff" or name in API_CAPABILITY:
            continue
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        response = getattr(anonymous, method)(url)
        assert response.status_code in (302, 405), (
            f"{method.upper()} {url} -> {response.status_code}"
        )
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("accounts:login")), url
        assert SECRET_NAME.encode() not in response.content, url


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_staff_page_shows_an_outsider_another_clinics_data(
    outsider, home_objects, method
) -> None:
    for name, pattern in all_named_patterns():
        if name in PUBLIC or name == "home_staff" or name in API_CAPABILITY:
            continue
        kwargs = _kwargs_for(name, pattern, home_objects)
        url = reverse(name, kwargs=kwargs)
        response = getattr(outsider.client, method)(url)
        assert SECRET_NAME.encode() not in response.content, f"{method.upper()} {url} leaked"
        if any(key in kwargs for key in ("pk", "patient_pk", "planned_pk", "alert_pk")):
            # An object of another clinic does not exist as far as the outsider knows
            # (a page their role could never open may say so first: 403, still no data).
            role_allowed = role_can(outsider.membership.role, pattern.callback.staff_capability)
            expected = (404, 405) if role_allowed else (403, 405)
            assert response.status_code in expected, (
                f"{method.upper()} {url} -> {response.status_code}"
            )


def _post_data(clinic) -> dict[str, dict[str, object]]:
    return {"accounts:switch_clinic": {"clinic": clinic.pk}}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_exactly_the_pages_the_capability_table_grants(
    role, clinic, clinician, home_objects
) -> None:
    """Every URL pattern × every role against ``ROLE_CAPABILITIES``.

    A page the role's capabilities include opens (200, a redirect, or 405 for a
    POST-only page whose POST then passes the gate); any other page answers 403 to
    both GET and POST and shows no patient data.
    """
    member = clinician if role == Role.PRESCRIBER else _persona(clinic, role, f"as-{role}")
    granted = ROLE_CAPABILITIES[role]
    post_data = _post_data(clinic)  # what a page needs to act at all
    problems, opened, refused = [], 0, 0
    for name, pattern in all_named_patterns():
        if name in PUBLIC or name in SIGNED_IN or name in API_CAPABILITY:
            continue
        capability = getattr(pattern.callback, "staff_capability", None)
        if not isinstance(capability, Capability):
            problems.append(f"{name} is not behind staff_required(capability=...)")
            continue
        if capability != PAGE_CAPABILITY.get(name):
            problems.append(f"{name} needs {PAGE_CAPABILITY.get(name)}, declares {capability}")
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        got = member.client.get(url)
        if capability in granted:
            status = got.status_code
            if status == 405:  # a POST-only page: the POST must get past the gate
                status = member.client.post(url, post_data.get(name, {})).status_code
            if status in (403, 404):
                problems.append(f"{name} ({capability}) refused {role}: {status}")
            opened += got.status_code == 200
        else:
            posted = member.client.post(url)
            if got.status_code not in (403, 405) or posted.status_code != 403:
                problems.append(
                    f"{name} ({capability}) not refused to {role}: "
                    f"GET {got.status_code}, POST {posted.status_code}"
                )
            if SECRET_NAME.encode() in got.content + posted.content:
                problems.append(f"{name} showed patient data to {role}")
            refused += 1
    assert not problems, "\n".join(problems)
    assert opened >= 1 and refused >= 1  # no role may open everything


def test_every_api_endpoint_answers_each_role_exactly_as_the_table_grants(
    clinic, clinician, outsider, anonymous, home_objects
) -> None:
    """Every FHIR URL pattern: 401 for an anonymous caller, 404 for another clinic's
    patient, and for each role 200 or 403 as ``ROLE_CAPABILITIES`` says, never data."""
    names = {name for name, _ in all_named_patterns() if name.startswith("fhir:")}
    assert names - set(PUBLIC) == set(API_CAPABILITY), "a FHIR endpoint is not listed"
    problems = []
    for name, pattern in all_named_patterns():
        if name not in API_CAPABILITY:
            continue
        if pattern.callback.staff_capability != API_CAPABILITY[name]:
            problems.append(f"{name} declares {pattern.callback.staff_capability}")
        url = reverse(name, kwargs=_kwargs_for(name, pattern, home_objects))
        if anonymous.get(url).status_code != 401:
            problems.append(f"{name} answered an anonymous caller")
        got = outsider.client.get(url)
        if SECRET_NAME.encode() in got.content or got.status_code not in (200, 404):
            problems.append(f"{name} -> outsider {got.status_code}")
        for role in Role:
            member = (
                clinician
                if role == Role.PRESCRIBER
                else _persona(clinic, role, f"a-{role}-{name[5:]}")
            )
            status = member.client.get(url).status_code
            expected = 200 if role_can(role, API_CAPABILITY[name]) else 403
            if status != expected:
                problems.append(f"{name} gave {role} {status}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_django_admin_is_for_superusers_only(clinician, outsider, anonymous, home_objects) -> None:
    url = (
        reverse("admin:patients_patient_changelist")
        if _admin_has_patients()
        else reverse("admin:accounts_clinic_changelist")
    )
    for client in (anonymous, clinician.client, outsider.client):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


def _admin_has_patients() -> bool:
    from django.contrib import admin

    from afterglow.patients.models import Patient

    return admin.site.is_registered(Patient)


def test_a_user_without_any_clinic_sees_nothing(db, home_objects) -> None:
    from django.test import Client

    from tests.factories import UserFactory

    loner = Client()
    loner.force_login(UserFactory(username="loner"))
    response = loner.get(reverse("patients:chart", kwargs={"pk": home_objects["patient_pk"]}))
    assert response.status_code == 404
    assert loner.get(reverse("patients:list")).status_code == 404


def test_a_researcher_cannot_open_identifiable_records(researcher, home_objects) -> None:
    response = researcher.client.get(
        reverse("patients:chart", kwargs={"pk": home_objects["patient_pk"]})
    )
    assert response.status_code == 403
    assert SECRET_NAME.encode() not in response.content


def test_a_colleague_in_the_same_clinic_sees_the_same_patient(colleague, home_objects) -> None:
    response = colleague.client.get(
        reverse("patients:chart", kwargs={"pk": home_objects["patient_pk"]})
    )
    assert response.status_code == 200
    assert SECRET_NAME.encode() in response.content
