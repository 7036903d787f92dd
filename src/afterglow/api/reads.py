"""One audit event per API call that returns patient data (docs/audit.md)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from afterglow.accounts.models import Membership
from afterglow.audit.models import Action
from afterglow.audit.services import audit_record


def audit_api_read(
    request: HttpRequest,
    membership: Membership,
    what: str,
    *,
    patient: Any = None,
    object_id: Any = "",
    note: str = "",
    action: str = Action.READ,
) -> None:
    """Record that the token's user read ``what`` (``api:<what>``) through the API.

    Called after the object was found in the token's clinic and before the answer is
    built, in its own transaction (the API runs in autocommit), so the event stands
    even if building the answer then fails. A 404 records nothing, as on the pages.
    """
    audit_record(
        action=action,
        actor=membership.user,
        clinic=membership.clinic_id,
        request=request,
        patient=patient,
        object_type=f"api:{what}",
        object_id=object_id,
        note=note[:300],
    )
