"""The audit log's filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from afterglow.audit.models import Action


class AuditFilterForm(forms.Form):
    patient = forms.CharField(
        label="Patient record number", required=False, max_length=20, help_text="e.g. AG-000042"
    )
    user = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To (included)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("date_from")
        end: dt.date | None = data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data
