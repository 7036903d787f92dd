"""Reads for responses and personal links."""

from __future__ import annotations

from django.db.models import QuerySet

from afterglow.core.tokens import hash_token
from afterglow.instruments.models import PersonalLink
from afterglow.patients.models import Patient


def link_for_token(token: str) -> PersonalLink | None:
    return (
        PersonalLink.objects.select_related("patient__clinic")
        .filter(token_hash=hash_token(token))
        .first()
    )


def links_for_patient(*, patient: Patient) -> QuerySet[PersonalLink]:
    return PersonalLink.objects.filter(patient=patient).order_by("-created_at")
