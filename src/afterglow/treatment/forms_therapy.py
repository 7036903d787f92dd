"""The form for recording a psychotherapy session."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from afterglow.accounts.models import Clinic
from afterglow.treatment.models import TherapyModality
from afterglow.treatment.selectors_therapy import therapists_for


class TherapistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return user.get_full_name() or user.username


class TherapySessionForm(forms.Form):
    """Checks only the shape of the input; the service checks the rest (therapist, time)."""

    therapist = TherapistChoiceField(
        queryset=User.objects.none(),
        empty_label=None,
        help_text="The clinic's therapists and prescribers.",
    )
    modality = forms.ChoiceField(choices=TherapyModality.choices, label="Type of therapy")
    started_at = forms.DateTimeField(
        label="Started",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Clinic time. The page links it to the nearest preceding dose.",
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=5,
        max_value=480,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Visible to therapists and prescribers only.",
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        therapist = self.fields["therapist"]
        assert isinstance(therapist, forms.ModelChoiceField)
        therapist.queryset = therapists_for(clinic=clinic)
