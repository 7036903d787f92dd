"""The patient's daily diary form."""

from __future__ import annotations

from typing import Any

from django import forms

from afterglow.diary.models import MAX_DAILY_COUNT

YES_NO = [("no", "No"), ("yes", "Yes")]
DISTRESS = [(n, str(n)) for n in range(11)]


def _count_field(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=0,
        max_value=MAX_DAILY_COUNT,
        required=False,
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "pattern": "[0-9]*", "class": "count-input"}
        ),
    )


class DiaryEntryForm(forms.Form):
    """One day's entry. The "None today" button posts ``none_today`` and needs no counts;
    the ordinary save needs both counts (0 is an answer, an empty box is not)."""

    none_today = forms.BooleanField(required=False, widget=forms.HiddenInput)
    intrusive_memories = _count_field(
        "Intrusive memories",
        "Times an unwanted memory of the event came into your mind.",
    )
    flashbacks = _count_field(
        "Flashbacks",
        "Times it felt as if it was happening again, here and now.",
    )
    nightmares = forms.ChoiceField(
        label="Nightmares about it last night?",
        choices=YES_NO,
        initial="no",
        required=False,
        widget=forms.RadioSelect,
    )
    peak_distress = forms.TypedChoiceField(
        label="Worst distress today (0 = none, 10 = extreme)",
        choices=DISTRESS,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    triggers = forms.CharField(
        label="What set them off? (optional)",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = forms.CharField(
        label="Anything else about today? (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    urgent = forms.BooleanField(
        label="This is urgent — I want my care team to know",
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("none_today"):
            for name in ("intrusive_memories", "flashbacks"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Enter a number (0 if there were none).")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned answers as ``diary_entry_save`` takes them."""
        data = self.cleaned_data
        return {
            "none_today": bool(data.get("none_today")),
            "intrusive_memories": data.get("intrusive_memories"),
            "flashbacks": data.get("flashbacks"),
            "nightmares": data.get("nightmares") == "yes",
            "peak_distress": data.get("peak_distress"),
            "triggers": data.get("triggers", ""),
            "note": data.get("note", ""),
            "urgent": bool(data.get("urgent")),
        }

    @staticmethod
    def initial_for(entry: Any) -> dict[str, Any]:
        if entry is None:
            return {"intrusive_memories": 0, "flashbacks": 0, "nightmares": "no"}
        return {
            "intrusive_memories": entry.intrusive_memories,
            "flashbacks": entry.flashbacks,
            "nightmares": "yes" if entry.nightmares else "no",
            "peak_distress": entry.peak_distress,
            "triggers": entry.triggers,
            "note": entry.note,
            "urgent": entry.urgent,
        }
