from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse

from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.accounts.models import Membership
from afterglow.patients.models import Patient

_CLINIC = Membership._meta.get_field("clinic")


def get_patient_for(
    membership: Membership,
    pk: int,
    *,
    related: tuple[str, ...] = (),
    defer: tuple[str, ...] = (),
) -> Patient:
    """The patient ``pk`` if it belongs to this member's clinic, else 404; its clinic and
    the ``related`` one-to-one rows (e.g. ``"intake"``) come in the same query, without
    the ``defer`` columns (e.g. ``"intake__reason"``: columns a page does not show).

    The clinic is the membership's own when that is already read (the request's
    membership comes with its clinic): it is the same row, so it is not joined again.
    """
    clinic = membership.clinic if _CLINIC.is_cached(membership) else None
    joined = related if clinic is not None else ("clinic", *related)
    rows = Patient.objects.select_related(*joined) if joined else Patient.objects.all()
    if defer:
        rows = rows.defer(*defer)
    patient = get_object_or_404(rows, pk=pk, clinic_id=membership.clinic_id)
    if clinic is not None:
        patient.clinic = clinic
    return patient


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
