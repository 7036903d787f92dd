"""Who is calling the FHIR REST API: the one place FHIR views authenticate.

:func:`fhir_membership` answers the caller's membership or raises
:class:`FhirAuthError` (which the views turn into a 401 or 403 OperationOutcome).
A request with an ``Authorization: Bearer`` header is authenticated by its API token
(``afterglow.api.auth.authenticate_bearer``: hashed, scoped, expiring, revocable, rate
limited per token across the REST API and FHIR) and never by the session; its
``ApiAuthError(status, detail)`` becomes ``FhirAuthError(status, detail)``. Without that
header a signed-in staff session works too (with two-step sign-in passed where the
clinic requires it, since ``/fhir/`` is outside the ``/staff/`` paths the MFA middleware
guards); a session POST is CSRF-checked by the views, a token call is not.

Reading needs ``Capability.CLINICAL_RECORD`` (scores, answers, sessions); creating a
QuestionnaireResponse needs ``Capability.RECORD_ANSWERS``, as entering answers on the
staff page does.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from afterglow.accounts.capabilities import Capability, role_can
from afterglow.accounts.mfa import mfa_required
from afterglow.accounts.models import Membership
from afterglow.api.auth import ApiAuthError, authenticate_bearer, require_capability

READ_CAPABILITY = Capability.CLINICAL_RECORD
WRITE_CAPABILITY = Capability.RECORD_ANSWERS


class FhirAuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def uses_bearer_token(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer")


def fhir_membership(request: HttpRequest, *, write: bool) -> Membership:
    """The caller's clinic membership, allowed to read (or, with ``write``, to create)."""
    capability = WRITE_CAPABILITY if write else READ_CAPABILITY
    if uses_bearer_token(request):
        try:
            caller = authenticate_bearer(request, write=write)
            require_capability(caller, capability)
        except ApiAuthError as error:
            raise FhirAuthError(error.status, error.detail) from None
        return caller
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise FhirAuthError(401, "Sign in first with a staff session.")
    if mfa_required(user) and not user.is_verified():  # type: ignore[attr-defined]
        raise FhirAuthError(401, "Two-step sign-in is required before using the FHIR API.")
    membership: Membership | None = request.membership  # type: ignore[attr-defined]
    if not membership:
        raise FhirAuthError(403, "You are not an active member of any clinic.")
    if not role_can(membership.role, capability):
        raise FhirAuthError(
            403, f"Your role ({membership.get_role_display()}) cannot use {capability}."
        )
    return membership
