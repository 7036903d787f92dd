from __future__ import annotations

from django.shortcuts import get_object_or_404

from afterglow.accounts.models import Membership
from afterglow.patients.models import Patient


def get_patient_for(membership: Membership, pk: int) -> Patient:
    """The patient ``pk`` if it belongs to this member's clinic, else 404."""
    return get_object_or_404(
        Patient.objects.select_related("clinic"), pk=pk, clinic_id=membership.clinic_id
    )
