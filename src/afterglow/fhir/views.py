"""The FHIR R4 REST API under ``/fhir/r4/``: read, search, $everything, create answers.

Every view authenticates through ``auth.fhir_membership`` (the one seam), answers
``application/fhir+json`` and turns every refusal into an OperationOutcome. Each
read, search and $everything of patient data appends one audit event; a create is
audited by ``response_record`` as a write.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from afterglow.accounts.models import Membership
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record
from afterglow.fhir import selectors
from afterglow.fhir.auth import (
    READ_CAPABILITY,
    FhirAuthError,
    fhir_membership,
    uses_bearer_token,
)
from afterglow.fhir.capability import capability_statement
from afterglow.fhir.http import (
    FhirHttpError,
    fhir_response,
    outcome_response,
    parse_body,
    search_params,
)
from afterglow.fhir.questionnaires import FhirInputError
from afterglow.fhir.services import questionnaire_response_create

FhirView = Callable[..., HttpResponse]


def _csrf_refused(request: HttpRequest) -> bool:
    """Run Django's CSRF check for a POST made with a session cookie.

    The views are CSRF-exempt so that a refusal is an OperationOutcome rather than
    Django's HTML page, and so that token calls (no cookie) can skip it at merge; a
    session POST is checked here exactly as the middleware would.
    """
    check = CsrfViewMiddleware(lambda r: HttpResponse())
    check.process_request(request)
    return check.process_view(request, lambda r: HttpResponse(), (), {}) is not None


def fhir_view(
    *, methods: tuple[str, ...], write_methods: tuple[str, ...] = ()
) -> Callable[[FhirView], FhirView]:
    def decorator(view: FhirView) -> FhirView:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise FhirHttpError(
                        405, "not-supported", f"{request.method} is not supported here"
                    )
                write = request.method in write_methods
                membership = fhir_membership(request, write=write)
                if write and not uses_bearer_token(request) and _csrf_refused(request):
                    raise FhirHttpError(
                        403,
                        "security",
                        "CSRF check failed: send the csrftoken cookie's value in the "
                        "X-CSRFToken header (API tokens need no CSRF token)",
                    )
                return view(request, membership, *args, **kwargs)
            except FhirAuthError as exc:
                code = {401: "login", 429: "throttled"}.get(exc.status, "forbidden")
                response = outcome_response(FhirHttpError(exc.status, code, exc.detail))
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="afterglow"'
                if exc.status == 429:
                    response["Retry-After"] = "60"
                return response
            except FhirHttpError as exc:
                return outcome_response(exc)
            except FhirInputError as exc:
                return outcome_response(
                    FhirHttpError(exc.status, "invalid", str(exc), exc.expression)
                )

        # Read by tests/accounts/test_access.py, as for staff pages.
        wrapped.staff_capability = READ_CAPABILITY  # type: ignore[attr-defined]
        return csrf_exempt(transaction.non_atomic_requests(wrapped))

    return decorator


def _check_type(resource_type: str) -> None:
    if resource_type not in selectors.TYPES:
        raise FhirHttpError(
            404,
            "not-supported",
            f"unknown resource type {resource_type!r}; supported: " + ", ".join(selectors.TYPES),
        )


def _audit(
    request: HttpRequest,
    membership: Membership,
    *,
    object_type: str,
    object_id: Any = "",
    patient: int | None = None,
    note: str = "",
) -> None:
    audit_record(
        action=Action.READ,
        request=request,
        clinic=membership.clinic_id,
        patient=patient,
        object_type=f"fhir {object_type}"[:60],
        object_id=object_id,
        note=note,
    )


def _patient_of(resource: dict[str, Any]) -> int | None:
    if resource["resourceType"] == "Patient":
        return int(resource["id"])
    reference = (resource.get("subject") or {}).get("reference", "")
    return int(reference.removeprefix("Patient/")) if reference.startswith("Patient/") else None


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4/")


def _bundle(
    request: HttpRequest, resources: list[dict[str, Any]], *, total: int, links: list[Any]
) -> dict[str, Any]:
    base = _base(request)
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "meta": {"lastUpdated": timezone.now().isoformat()},
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }


def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: public, like any FHIR server's (no patient data)."""
    if request.method not in ("GET", "HEAD"):
        return outcome_response(
            FhirHttpError(405, "not-supported", f"{request.method} is not supported here")
        )
    return fhir_response(capability_statement(_base(request)))


@fhir_view(methods=("GET", "HEAD", "POST"), write_methods=("POST",))
def resource_type(request: HttpRequest, membership: Membership, resource_type: str) -> HttpResponse:
    _check_type(resource_type)
    if request.method == "POST":
        return _create(request, membership, resource_type)
    params = search_params(request.GET, membership.clinic.tzinfo)
    patient_id = params["patient_id"]
    if patient_id is not None and not selectors.patient_in_clinic(membership.clinic, patient_id):
        patient_id = -1  # another clinic's patient, or none: an empty result, no hint
    page = selectors.search(
        membership.clinic,
        resource_type,
        patient_id=patient_id,
        updated=params["updated"],
        offset=params["offset"],
        count=params["count"],
    )
    if resource_type != "Questionnaire":
        _audit(
            request,
            membership,
            object_type=resource_type,
            patient=patient_id if patient_id and patient_id > 0 else None,
            note=request.META.get("QUERY_STRING", "")[:300],
        )
    links = [_link(request, "self", params["offset"], params["count"])]
    if params["offset"] + params["count"] < page.total:
        links.append(_link(request, "next", params["offset"] + params["count"], params["count"]))
    if params["offset"] > 0:
        previous = max(0, params["offset"] - params["count"])
        links.append(_link(request, "previous", previous, params["count"]))
    return fhir_response(_bundle(request, page.resources, total=page.total, links=links))


def _link(request: HttpRequest, relation: str, offset: int, count: int) -> dict[str, str]:
    query = [
        (k, v)
        for k, values in request.GET.lists()
        for v in values
        if k not in ("_offset", "_count")
    ]
    query += [("_count", str(count)), ("_offset", str(offset))]
    return {
        "relation": relation,
        "url": request.build_absolute_uri(f"{request.path}?{urlencode(query)}"),
    }


def _create(request: HttpRequest, membership: Membership, resource_type: str) -> HttpResponse:
    if resource_type != "QuestionnaireResponse":
        raise FhirHttpError(
            405, "not-supported", f"{resource_type} cannot be created; only QuestionnaireResponse"
        )
    resource = parse_body(request.body, request.content_type or "")
    stored = questionnaire_response_create(
        clinic=membership.clinic,
        by=membership.user,  # the token's user too, once tokens are wired in auth.py
        resource=resource,
    )
    built = selectors.read(membership.clinic, "QuestionnaireResponse", str(stored.response.pk))
    assert built is not None  # just stored (or found) in this clinic
    response = fhir_response(built, status=201 if stored.created else 200)
    response["Location"] = f"{_base(request)}QuestionnaireResponse/{built['id']}"
    return response


@fhir_view(methods=("GET", "HEAD"))
def resource_read(
    request: HttpRequest, membership: Membership, resource_type: str, resource_id: str
) -> HttpResponse:
    _check_type(resource_type)
    found = selectors.read(membership.clinic, resource_type, resource_id)
    if found is None:
        raise FhirHttpError(404, "not-found", f"{resource_type}/{resource_id} is not known here")
    if resource_type != "Questionnaire":
        _audit(
            request,
            membership,
            object_type=resource_type,
            object_id=resource_id,
            patient=_patient_of(found),
        )
    return fhir_response(found)


@fhir_view(methods=("GET", "HEAD"))
def patient_everything(
    request: HttpRequest, membership: Membership, resource_id: str
) -> HttpResponse:
    if (
        not resource_id.isdigit()
        or len(resource_id) > 11
        or not selectors.patient_in_clinic(membership.clinic, int(resource_id))
    ):
        raise FhirHttpError(404, "not-found", f"Patient/{resource_id} is not known here")
    _audit(
        request,
        membership,
        object_type="Patient/$everything",
        object_id=resource_id,
        patient=int(resource_id),
    )
    resources = list(selectors.everything(membership.clinic, int(resource_id)))
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    return fhir_response(_bundle(request, resources, total=len(resources), links=links))
