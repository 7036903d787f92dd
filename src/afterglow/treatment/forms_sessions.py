"""Forms of the chair-side session page. They parse input; the services decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from afterglow.core.widgets import PlainSelect
from afterglow.treatment.models import DosingSession
from afterglow.treatment.models.sessions import (
    AdverseAction,
    NotDosedReason,
    PregnancyTest,
    Severity,
    SuicideRisk,
)
from afterglow.treatment.safety import REMS_FIELDS, SIDE_EFFECTS
from afterglow.treatment.services.sessions import AMENDABLE_FIELDS, VITALS_AMENDABLE_FIELDS

_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _number(
    label: str, low: int, high: int, *, required: bool = True, css: str = ""
) -> forms.IntegerField:
    attrs = {"inputmode": "numeric", **({"class": css} if css else {})}
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=required,
        widget=forms.NumberInput(attrs=attrs),
    )


def _cosigner_username(help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label="Co-signing prescriber: username",
        required=False,
        max_length=150,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )


def _cosigner_password() -> forms.CharField:
    # Never rendered back into the page: after a refusal the co-signer types it again.
    return forms.CharField(
        label="Co-signing prescriber: password",
        required=False,
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[_LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_FORMAT),
    )


def now_local() -> dt.datetime:
    """Now in the active (clinic) timezone, to the minute, for a time field's initial value."""
    return timezone.localtime().replace(second=0, microsecond=0)


# Ranges match the VitalsReading model validators; the browser refuses what the model would.
SBP, DBP, HR, SPO2, RR = (50, 300), (20, 200), (20, 250), (50, 100), (4, 60)


class PredoseForm(forms.Form):
    weight_kg = forms.DecimalField(
        label="Weight today (kg)",
        min_value=Decimal(20),
        max_value=Decimal(350),
        decimal_places=1,
        max_digits=5,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
        help_text="The dose is recalculated from today's weight.",
    )
    systolic = _number("Systolic BP (mmHg)", *SBP)
    diastolic = _number("Diastolic BP (mmHg)", *DBP)
    heart_rate = _number("Heart rate (/min)", *HR)
    spo2 = _number("SpO2 (%)", *SPO2)
    respiratory_rate = _number("Respiratory rate (/min)", *RR, required=False)
    escort_confirmed = forms.BooleanField(
        label="An adult will take the patient home (no driving until tomorrow)", required=False
    )
    fasting_confirmed = forms.BooleanField(label="Fasting as instructed", required=False)
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test",
        choices=PregnancyTest.choices,
        initial=PregnancyTest.NOT_APPLICABLE,
        widget=forms.RadioSelect,
    )
    suicide_risk = forms.ChoiceField(
        label="Today's suicide-risk check",
        choices=SuicideRisk.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Record today's suicide-risk check."},
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, weight_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not weight_required:
            self.fields["weight_kg"].required = False
            self.fields["weight_kg"].help_text = "Fixed dose: the weight is recorded only."

    def vitals_fields(self) -> list[forms.BoundField]:
        return [
            self[n] for n in ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
        ]


class DoseForm(forms.Form):
    actual_dose_mg = forms.DecimalField(
        label="Dose given (mg)",
        min_value=Decimal("0.1"),
        max_value=Decimal(700),
        decimal_places=1,
        max_digits=6,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    concentration_mg_per_ml = forms.DecimalField(
        label="Concentration (mg/mL)",
        min_value=Decimal("0.1"),
        max_value=Decimal(100),
        decimal_places=2,
        max_digits=5,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    lot_number = forms.CharField(label="Lot number", max_length=60)
    started_at = _when("Dose started at")
    deviation_reason = forms.CharField(
        label="Reason for a dose outside the protocol",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required only when the dose is outside the protocol's range.",
    )

    guardrail_reason = forms.CharField(
        label="Reason for a dose above a guardrail",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required, with a second prescriber's co-signature, only above a guardrail.",
    )
    cosigner_username = _cosigner_username()
    cosigner_password = _cosigner_password()
    reassess_reason = forms.CharField(
        label="Prescriber: why dose despite the open reassessment alert",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only while a pre-dose alert asking to reassess is open.",
    )

    def __init__(self, *args: Any, infusion: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not infusion:
            del self.fields["concentration_mg_per_ml"]
            self.fields["started_at"].label = "First device at"

    def cosign_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("guardrail_reason", "cosigner_username", "cosigner_password")]


class StopForm(forms.Form):
    stopped_at = _when("Stopped at")
    confirm = forms.BooleanField(
        label="Yes, the dose stopped at this time",
        required=False,
        help_text="Asked only when readings already recorded during the dose come later.",
    )


class StartForm(forms.Form):
    off_schedule_reason = forms.CharField(
        label="Reason for dosing today",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VitalsForm(forms.Form):
    """The fast entry: one row, five numbers, Enter submits."""

    minute = _number("Minute", -240, 24 * 60, css="minute")
    systolic = _number("SBP", *SBP, required=False)
    diastolic = _number("DBP", *DBP, required=False)
    heart_rate = _number("HR", *HR, required=False)
    spo2 = _number("SpO2", *SPO2, required=False)
    respiratory_rate = _number("RR", *RR, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")
        if not self.errors and all(data.get(n) is None for n in names):
            raise forms.ValidationError("Enter at least one value.")
        return data


class AlertsAckForm(forms.Form):
    """ "Acknowledge all seen": the alerts shown (hidden inputs) and one note for them all."""

    alert = forms.CharField(required=False)  # repeated: read with getlist in clean()
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=300,
        help_text="Saved on every alert acknowledged, e.g. 'BP rechecked, prescriber told'.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = self.data.getlist("alert") if hasattr(self.data, "getlist") else []
        try:
            data["alert_ids"] = sorted({int(value) for value in raw})
        except ValueError:
            raise forms.ValidationError(
                "The alerts shown could not be read; reload the page."
            ) from None
        if not data["alert_ids"]:
            raise forms.ValidationError("No alert was shown to acknowledge.")
        return data


class DissociationForm(forms.Form):
    minute = _number("Minute", -240, 24 * 60)
    cadss_total = _number("CADSS total (0–92)", 0, 92)


class SedationForm(forms.Form):
    minute = _number("Minute", -240, 24 * 60)
    moaas = forms.TypedChoiceField(
        label="MOAA/S",
        coerce=int,
        choices=[
            (5, "5 — responds readily to name in a normal tone"),
            (4, "4 — lethargic response to name in a normal tone"),
            (3, "3 — responds only after name is called loudly or repeatedly"),
            (2, "2 — responds only after mild prodding or shaking"),
            (1, "1 — responds only after painful trapezius squeeze"),
            (0, "0 — no response after painful trapezius squeeze"),
        ],
    )


SEVERITY_CHOICES = [("", "None"), *Severity.choices]


class SideEffectsForm(forms.Form):
    """One choice per checklist item: none, mild, moderate or severe."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in SIDE_EFFECTS:
            self.fields[f"se_{code}"] = forms.ChoiceField(
                label=label, choices=SEVERITY_CHOICES, required=False, widget=forms.RadioSelect
            )
        self.fields["other_note"] = forms.CharField(
            label='What the "other" side effect was', required=False, max_length=300
        )

    def se_fields(self) -> list[forms.BoundField]:
        """The checklist's radio groups (not the note)."""
        return [self[f"se_{code}"] for code, _ in SIDE_EFFECTS]

    @classmethod
    def initial_for(cls, effects: list[Any]) -> dict[str, str]:
        initial = {f"se_{e.code}": e.severity for e in effects}
        initial["other_note"] = next((e.note for e in effects if e.code == "other"), "")
        return initial

    def codes_with_severity(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"se_{code}"]
            for code, _ in SIDE_EFFECTS
            if self.cleaned_data.get(f"se_{code}")
        }


class AdverseEventForm(forms.Form):
    description = forms.CharField(label="What happened", max_length=500)
    onset_minute = _number("Onset (minute)", -240, 24 * 60, required=False)
    severity = forms.ChoiceField(
        label="Severity", choices=Severity.choices, widget=forms.RadioSelect
    )
    serious = forms.BooleanField(
        label="Serious (death, life-threatening, hospitalisation, disability)", required=False
    )
    action = forms.ChoiceField(
        label="Action taken", choices=AdverseAction.choices, widget=forms.RadioSelect
    )
    medication = forms.CharField(
        label="Medication given (name, dose, route)", max_length=200, required=False
    )


class DischargeForm(forms.Form):
    discharged_at = _when("Discharged at")
    vitals_near_baseline = forms.BooleanField(label="Vitals back near baseline", required=False)
    alert_and_oriented = forms.BooleanField(label="Alert and oriented", required=False)
    escort_present = forms.BooleanField(
        label="Escort present to take the patient home", required=False
    )
    note = forms.CharField(
        label="Discharge note", required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, esketamine: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if esketamine:
            for name, label in REMS_FIELDS:
                self.fields[name] = forms.BooleanField(label=label, required=False)

    def rems_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in REMS_FIELDS if name in self.fields]

    @classmethod
    def initial_for(cls, session: DosingSession) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "discharged_at": (
                timezone.localtime(session.discharged_at) if session.discharged_at else now_local()
            ),
            "vitals_near_baseline": session.vitals_near_baseline,
            "alert_and_oriented": session.alert_and_oriented,
            "escort_present": session.escort_present_at_discharge,
            "note": session.discharge_note,
        }
        initial.update({name: getattr(session, name) for name, _ in REMS_FIELDS})
        return initial


class NotDosedForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why no dose is given today",
        choices=NotDosedReason.choices,
        widget=forms.RadioSelect,
    )
    detail = forms.CharField(
        label="Details",
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
        help_text='Required for "other"; e.g. the reading, who decided, what happens next.',
    )


class DischargeOverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why the patient left before the observation time",
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
        help_text="E.g. left against advice; prescriber reviewed and judged it safe.",
    )


class AmendForm(forms.Form):
    field = forms.ChoiceField(label="What to correct", widget=PlainSelect)
    new_value = forms.CharField(
        label="Correct value",
        max_length=2000,
        required=False,
        help_text="Times as YYYY-MM-DD HH:MM in the clinic's timezone.",
    )
    reason = forms.CharField(
        label="Reason for the correction", max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    cosigner_username = _cosigner_username(
        "Only when a corrected dose or weight puts the dose above a guardrail."
    )
    cosigner_password = _cosigner_password()

    def __init__(self, *args: Any, vitals: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[Any] = [("Session", list(AMENDABLE_FIELDS.items()))]
        for row in vitals or []:
            when = "before the dose" if row.phase == "pre" else f"at {row.minute} min"
            choices.append(
                (
                    f"Vitals {when}",
                    [
                        (f"vitals:{row.pk}:{name}", f"Vitals {when}: {label}")
                        for name, label in VITALS_AMENDABLE_FIELDS.items()
                    ],
                )
            )
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
