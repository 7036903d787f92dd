"""The identifiers FHIR clients gave the QuestionnaireResponses they created.

A POST of a QuestionnaireResponse is idempotent by its ``identifier``: the first one
stores a response and this row; a retry with the same identifier finds the row and
returns the stored response instead of storing a second one.
"""

from __future__ import annotations

from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.instruments.models import Response


class ResponseIdentifier(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=200)
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, related_name="fhir_identifier"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "value"], name="one_response_per_identifier")
        ]

    def __str__(self) -> str:
        return f"FHIR identifier of response {self.response_id}"
