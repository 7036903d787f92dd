from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse

from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.accounts.models import Membership
from afterglow.patients.models import Patient


def get_patient_for(membership: Membership, pk: int, *, related: tuple[str, ...] = ()) -> Patient:
    """The patient ``pk`` if it belongs to this member's clinic, else 404; its clinic and
    the ``related`` one-to-one rows (e.g. ``"intake"``) come in the same query."""
    return get_object_or_404(
        Patient.objects.select_related("clinic", *related), pk=pk, clinic_id=membership.clinic_id
    )


def patient_page(membership: Membership, pk: int) -> str:
    """The patient's page this member may open: the chart, else the record (demographics).

    An intake coordinator has no clinical record: after enrolling or editing they land
    on the patient's details, never on a chart that would answer 403.
    """
    name = (
        "patients:chart"
        if has_capability(membership, Capability.CLINICAL_RECORD)
        else "patients:edit"
    )
    return reverse(name, kwargs={"pk": pk})
