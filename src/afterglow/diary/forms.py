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


#: Said when "Save" is pressed without a count: calm, and it names both ways forward.
UNTOUCHED = "Tap '{none}' if you had none, or enter your counts"


class DiaryEntryForm(forms.Form):
    """One day's entry. The "None today" button posts ``none_today`` and needs no counts;
    the ordinary save needs both counts (0 is an answer, an empty box is not), unless
    the patient ticked "urgent".

    A new day's count boxes start empty, never at 0, so a zero is stored only when the
    patient chose it: "None today", or a count they typed or stepped to. "Save" with
    both boxes untouched (still empty) is refused with :data:`UNTOUCHED`; this works
    the same with and without JavaScript, since the server sees the empty boxes. One
    box filled and the other empty gets a per-box error.

    **Urgent is never refused for a count.** With "This is urgent" ticked (with or
    without a note), empty boxes are stored as *not answered* (``None``), never as 0,
    so the entry is saved and the care team's urgent alert is raised; a person in
    distress is never blocked by a counting question. With one box filled and the
    other empty, the filled count is stored and the empty one stays not answered
    (chosen over the per-box error, which would hold the alert back). The patient can
    fill in the counts by editing the day while it is still editable.
    """

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

    def __init__(self, *args: Any, none_label: str = "None today", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.none_label = none_label

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        counts = ("intrusive_memories", "flashbacks")
        if not data.get("none_today") and not data.get("urgent"):
            if all(data.get(n) is None and n not in self.errors for n in counts):
                raise forms.ValidationError(UNTOUCHED.format(none=self.none_label), "untouched")
            for name in counts:
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
            # Empty, not 0: an untouched box must not become a recorded zero.
            return {"nightmares": "no"}
        return {
            "intrusive_memories": entry.intrusive_memories,
            "flashbacks": entry.flashbacks,
            "nightmares": "yes" if entry.nightmares else "no",
            "peak_distress": entry.peak_distress,
            "triggers": entry.triggers,
            "note": entry.note,
            "urgent": entry.urgent,
        }
