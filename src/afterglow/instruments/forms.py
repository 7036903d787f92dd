"""A Django form built from an instrument definition: nothing per instrument here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from afterglow.instruments.catalog import Instrument


def item_field_name(number: int) -> str:
    return f"item_{number}"


class InstrumentForm(forms.Form):
    """One radio group per item. Items may be left blank: a blank item is stored as
    missing (never as zero), and the person is asked once to confirm before an
    incomplete response is sent."""

    confirm_incomplete = forms.BooleanField(
        required=False, label="Send it with the unanswered questions left blank"
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        choices = [(str(o.value), o.label) for o in instrument.response_options]
        for item in instrument.items:
            self.fields[item_field_name(item.number)] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text}",
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        # Keep the confirmation box last.
        self.fields["confirm_incomplete"] = self.fields.pop("confirm_incomplete")

    @property
    def item_fields(self) -> list[forms.BoundField]:
        return [self[item_field_name(item.number)] for item in self.instrument.items]

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(item_field_name(i.number)) for i in self.instrument.items]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        missing = [
            item.number
            for item in self.instrument.items
            if cleaned.get(item_field_name(item.number)) is None
        ]
        self.missing_items = missing
        if missing and not cleaned.get("confirm_incomplete"):
            numbers = ", ".join(str(n) for n in missing)
            raise forms.ValidationError(
                f"Question{'s' if len(missing) > 1 else ''} {numbers} "
                f"{'are' if len(missing) > 1 else 'is'} not answered. Answer "
                f"{'them' if len(missing) > 1 else 'it'}, or tick the box at the end to send "
                "without; unanswered questions are never counted as zero.",
                code="incomplete",
            )
        return cleaned


class StaffResponseForm(InstrumentForm):
    administered_on = forms.DateField(
        label="Date the patient answered",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    timepoint = forms.CharField(
        max_length=40, required=False, help_text="Optional label, e.g. baseline or week 2."
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.order_fields(["administered_on", "timepoint"])

    def clean_administered_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["administered_on"]
        if value > self.today:
            raise forms.ValidationError("This date is in the future.")
        return value


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. entered for the wrong patient, wrong date, answers mistyped.",
        error_messages={"required": "Say why this response is voided."},
    )
