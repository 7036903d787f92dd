"""Forms for protocols and courses. They parse input; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from afterglow.accounts.models import Clinic
from afterglow.treatment.models import Protocol
from afterglow.treatment.services.courses import (
    MAX_MAINTENANCE_EVERY_DAYS,
    MAX_MAINTENANCE_SESSIONS,
)

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_TIME_INVALID = "Enter a time as hours and minutes, e.g. 09:30."


class ProtocolForm(forms.ModelForm):
    fixed_dose_options = forms.CharField(
        label="Fixed-dose options (mg)",
        required=False,
        max_length=100,
        help_text="Comma-separated, e.g. 56, 84 for esketamine. Empty = only the fixed dose.",
    )

    class Meta:
        model = Protocol
        fields = [
            "name",
            "route",
            "dose_mg_per_kg",
            "dose_mg_per_kg_min",
            "dose_mg_per_kg_max",
            "fixed_dose_mg",
            "infusion_minutes",
            "sessions",
            "sessions_per_week",
            "observation_minutes",
            "post_dose_therapy",
            "description",
            "source",
            "is_active",
        ]
        labels = {
            "dose_mg_per_kg": "Dose (mg/kg)",
            "dose_mg_per_kg_min": "Lowest acceptable dose (mg/kg)",
            "dose_mg_per_kg_max": "Highest acceptable dose (mg/kg)",
            "fixed_dose_mg": "Fixed dose (mg)",
            "infusion_minutes": "Infusion time (minutes)",
            "sessions": "Number of sessions",
            "sessions_per_week": "Sessions per week",
            "observation_minutes": "Observation after each dose (minutes)",
            "post_dose_therapy": "Therapy paired after each dose",
            "source": "Source / citation",
            "is_active": "Active (offered for new courses)",
        }
        help_texts = {
            "dose_mg_per_kg": "For a weight-based dose; leave empty for a fixed dose.",
            "dose_mg_per_kg_min": "Empty = the dose itself: any other dose needs a reason.",
            "dose_mg_per_kg_max": "Empty = the dose itself.",
            "fixed_dose_mg": "For a fixed dose such as esketamine 56 mg; empty if weight-based.",
            "infusion_minutes": "Required for an IV weight-based dose (40 min in the trials).",
            "sessions_per_week": "Planned on the clinic's dosing days, spread across the week.",
            "observation_minutes": "Empty = the clinic's own minimum applies.",
            "post_dose_therapy": "e.g. prolonged exposure; empty if none.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "source": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.fixed_dose_options_mg:
            self.initial.setdefault(
                "fixed_dose_options",
                ", ".join(str(mg) for mg in self.instance.fixed_dose_options_mg),
            )
        for name in ("dose_mg_per_kg", "dose_mg_per_kg_min", "dose_mg_per_kg_max"):
            self.fields[name].widget.attrs.update(inputmode="decimal", step="0.01")
        self.order_fields([*self.Meta.fields[:6], "fixed_dose_options", *self.Meta.fields[6:]])

    def clean_fixed_dose_options(self) -> list[int]:
        text: str = self.cleaned_data.get("fixed_dose_options", "")
        options: list[int] = []
        for part in text.replace(";", ",").split(","):
            part = part.strip().removesuffix("mg").strip()
            if not part:
                continue
            if not part.isdigit() or int(part) < 1:
                raise forms.ValidationError(f"“{part}” is not a whole number of mg.")
            options.append(int(part))
        return options

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["fixed_dose_options_mg"] = data.pop("fixed_dose_options", [])
        return data


class CourseForm(forms.Form):
    protocol = forms.ModelChoiceField(queryset=Protocol.objects.none(), label="Protocol")
    start_date = forms.DateField(
        label="First session on",
        widget=_DATE,
        help_text="Moved to the next dosing day if the clinic does not dose that day.",
    )
    start_time = forms.TimeField(
        label="Start time",
        required=False,
        widget=_TIME,
        error_messages={"invalid": _TIME_INVALID},
        help_text="Clinic time, for every planned session (change one on the course page). "
        "Empty = no set time.",
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        protocol = self.fields["protocol"]
        assert isinstance(protocol, forms.ModelChoiceField)
        protocol.queryset = Protocol.objects.for_clinic(clinic).active().order_by("name")
        protocol.empty_label = "Choose a protocol"


class PlannedSessionForm(forms.Form):
    """Move one planned session and/or set its start time (the clinic's local time)."""

    planned_date = forms.DateField(
        label="Date", widget=_DATE, error_messages={"required": "Choose the day."}
    )
    planned_time = forms.TimeField(
        label="Start time",
        required=False,
        widget=_TIME,
        error_messages={"invalid": _TIME_INVALID},
        help_text="Clinic time; empty = some time that day (listed after the timed sessions "
        "on the Today board).",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason."},
    )


class ResumeForm(forms.Form):
    restart_date = forms.DateField(
        label="Re-plan remaining sessions from",
        required=False,
        widget=_DATE,
        help_text="Empty = keep the planned dates.",
    )


class MaintenanceForm(forms.Form):
    count = forms.IntegerField(
        label="Sessions", min_value=1, max_value=MAX_MAINTENANCE_SESSIONS, initial=3
    )
    every_days = forms.IntegerField(
        label="Every (days)",
        min_value=1,
        max_value=MAX_MAINTENANCE_EVERY_DAYS,
        initial=14,
        help_text="e.g. 7 or 14: the esketamine label continues weekly or every 2 weeks.",
    )
    start_date = forms.DateField(
        label="First on",
        required=False,
        widget=_DATE,
        help_text="Empty = that many days after the last planned session.",
    )
