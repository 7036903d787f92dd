from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.schedules.models import Invitation


def get_invitation_for(membership: Membership, pk: int) -> Invitation:
    """The invitation ``pk`` if it belongs to this member's clinic, else 404."""
    return get_object_or_404(
        Invitation.objects.select_related("patient", "clinic", "course"),
        pk=pk,
        clinic_id=membership.clinic_id,
    )
