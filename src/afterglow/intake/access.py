from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.intake.models import IntakeSubmission


def get_submission_for(membership: Membership, pk: int) -> IntakeSubmission:
    """The submission ``pk`` if it belongs to this member's clinic (spam excluded), else 404."""
    return get_object_or_404(
        IntakeSubmission.objects.in_queue().select_related("clinic", "patient"),
        pk=pk,
        clinic_id=membership.clinic_id,
    )
