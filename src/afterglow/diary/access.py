from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.diary.models import DiaryLink


def get_diary_link_for(membership: Membership, pk: int) -> DiaryLink:
    """The diary link ``pk`` if it belongs to this member's clinic, else 404."""
    return get_object_or_404(
        DiaryLink.objects.select_related("patient__clinic"), pk=pk, clinic_id=membership.clinic_id
    )
