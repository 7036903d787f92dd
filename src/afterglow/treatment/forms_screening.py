"""Forms for the pre-treatment screening and the prescriber's decision.

They parse input only; the eligibility rules live in ``treatment.eligibility``
and are applied by the services, whose errors the views put back on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.treatment import eligibility
from afterglow.treatment.models import Decision, Screening
from afterglow.treatment.selectors_screening import BASELINE_INSTRUMENT

ANSWER_CHOICES = [(value, eligibility.ANSWER_LABELS[value]) for value in eligibility.ANSWERS]
PREFIX = "check_"
VITALS = ("systolic", "diastolic", "heart_rate", "spo2", "weight_kg", "height_cm")


class BaselineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        when = timezone.localtime(obj.administered_at)
        return f"{when:%d %b %Y} — PCL-5 total {obj.total}"


class ScreeningForm(forms.ModelForm):
    assessed_at = forms.DateTimeField(
        label="Assessed at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now; enter the time if the assessment was on paper earlier.",
    )

    # The "all answered No" shortcut (issue 14 §5): it fills every checklist answer with
    # "No", and only with the second box ticked, so it is never one careless click.
    all_no = forms.BooleanField(
        label="All answered No",
        required=False,
        help_text="Fills every question above with “No”. Leave it unticked if any answer is "
        "“Yes” or “Unknown”.",
    )
    all_no_confirmed = forms.BooleanField(
        label="I asked every question and each answer was No",
        required=False,
    )

    class Meta:
        model = Screening
        fields = [
            "route",
            "systolic",
            "diastolic",
            "heart_rate",
            "spo2",
            "weight_kg",
            "height_cm",
            "baseline_pcl5",
            "notes",
        ]
        labels = {
            "route": "Treatment this screening is for",
            "systolic": "Systolic (mmHg)",
            "diastolic": "Diastolic (mmHg)",
            "heart_rate": "Heart rate (/min)",
            "spo2": "SpO2 (%)",
            "weight_kg": "Weight (kg)",
            "height_cm": "Height (cm)",
            "baseline_pcl5": "Baseline PCL-5",
            "notes": "Notes",
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "route": forms.RadioSelect}
        field_classes = {"baseline_pcl5": BaselineChoiceField}

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in eligibility.CHECKLIST:
            self.fields[PREFIX + item.code] = forms.ChoiceField(
                label=item.question,
                choices=ANSWER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": "Answer yes, no or unknown."},
            )
        if self.data.get("all_no"):
            # The shortcut answers them; clean() checks it was confirmed and not contradicted.
            for item in eligibility.CHECKLIST:
                self.fields[PREFIX + item.code].required = False
        for name in ("systolic", "diastolic", "heart_rate", "spo2", "height_cm"):
            self.fields[name].widget.attrs.update(inputmode="numeric")
        self.fields["weight_kg"].widget.attrs.update(inputmode="decimal", step="0.1")
        baseline = self.fields["baseline_pcl5"]
        assert isinstance(baseline, forms.ModelChoiceField)
        baseline.queryset = Response.objects.filter(
            patient=patient, instrument=BASELINE_INSTRUMENT, complete=True
        ).order_by("-administered_at", "-pk")
        baseline.empty_label = "Latest complete (automatic)"
        baseline.help_text = (
            "Past-month version; empty = the latest complete one before the assessment. "
            "Incomplete responses have no score and are not offered."
        )
        self.fields[
            "notes"
        ].help_text = "Anything the checklist does not capture, e.g. what an “unknown” depends on."

    def checklist_fields(self) -> list[tuple[forms.BoundField, eligibility.ChecklistItem]]:
        return [(self[PREFIX + item.code], item) for item in eligibility.CHECKLIST]

    def vitals_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in VITALS]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("baseline_pcl5", "assessed_at", "notes")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not data.get("all_no"):
            return data
        if not data.get("all_no_confirmed"):
            self.add_error(
                "all_no_confirmed",
                "Tick this to confirm every answer was No, or answer each question.",
            )
            return data
        contradicted = [
            item.question
            for item in eligibility.CHECKLIST
            if data.get(PREFIX + item.code) not in (None, "", eligibility.NO)
        ]
        if contradicted:
            self.add_error(
                "all_no",
                "“All answered No” is ticked but these are answered otherwise: "
                + "; ".join(contradicted),
            )
            return data
        for item in eligibility.CHECKLIST:
            data[PREFIX + item.code] = eligibility.NO
        return data

    def clean_assessed_at(self) -> Any:
        value = self.cleaned_data.get("assessed_at")
        if value and value > timezone.now():
            raise forms.ValidationError("The assessment time is in the future.")
        return value

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "answers": {item.code: data[PREFIX + item.code] for item in eligibility.CHECKLIST},
            **{
                name: data[name]
                for name in (
                    "route",
                    "systolic",
                    "diastolic",
                    "heart_rate",
                    "spo2",
                    "weight_kg",
                    "height_cm",
                    "baseline_pcl5",
                    "notes",
                    "assessed_at",
                )
            },
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[(Decision.ELIGIBLE, "Eligible"), (Decision.NOT_ELIGIBLE, "Not eligible")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose “Eligible” or “Not eligible”."},
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for “Not eligible”.",
    )
    override_reason = forms.CharField(
        label="Reason for overriding the absolute flags",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, absolute: list[eligibility.Flag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.absolute = absolute
        if absolute:
            names = ", ".join(f.label for f in absolute)
            self.fields["override_reason"].help_text = (
                f"Required if you decide “Eligible”: this screening has "
                f"{len(absolute)} absolute flag{'s' if len(absolute) != 1 else ''} ({names})."
            )
        else:
            # No absolute flag: nothing to override, so the field is not offered.
            del self.fields["override_reason"]

    def service_arguments(self) -> dict[str, str]:
        return {
            "decision": self.cleaned_data["decision"],
            "reason": self.cleaned_data["reason"],
            "override_reason": self.cleaned_data.get("override_reason", ""),
        }
