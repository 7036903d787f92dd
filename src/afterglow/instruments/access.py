from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.instruments.models import PersonalLink, Response


def get_response_for(membership: Membership, pk: int) -> Response:
    """The response ``pk`` if it belongs to this member's clinic, else 404.

    Voided responses too (``all_objects``): their page still shows them, struck through.
    """
    return get_object_or_404(
        Response.all_objects.select_related("patient__clinic", "entered_by", "voided_by"),
        pk=pk,
        clinic_id=membership.clinic_id,
    )


def get_link_for(membership: Membership, pk: int) -> PersonalLink:
    """The personal link ``pk`` if it belongs to this member's clinic, else 404."""
    return get_object_or_404(
        PersonalLink.objects.select_related("patient"), pk=pk, clinic_id=membership.clinic_id
    )
