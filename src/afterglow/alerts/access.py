from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.alerts.models import Alert


def get_alert_for(membership: Membership, pk: int) -> Alert:
    """The alert ``pk`` if it belongs to this member's clinic, else 404."""
    return get_object_or_404(
        Alert.objects.select_related("patient", "clinic"), pk=pk, clinic_id=membership.clinic_id
    )
