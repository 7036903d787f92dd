from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from afterglow.patients.models import ContactChannel, Patient
from afterglow.patients.services import PATIENT_EDITABLE_FIELDS


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = PATIENT_EDITABLE_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channel = self.fields["preferred_channel"]
        channel.choices = [  # type: ignore[attr-defined]
            ("", "Not chosen (email when there is an address, else text message)"),
            *ContactChannel.choices,
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        needs = {
            ContactChannel.SMS.value: ("phone", "Text messages are chosen: add a mobile number."),
            ContactChannel.EMAIL.value: ("email", "Email is chosen: add an email address."),
        }.get(str(cleaned.get("preferred_channel") or ""))
        if needs and not cleaned.get(needs[0]) and needs[0] not in self.errors:
            self.add_error(*needs)
        return cleaned

    def clean_date_of_birth(self) -> dt.date:
        born: dt.date = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future.")
        return born
