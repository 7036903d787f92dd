from __future__ import annotations

from django import forms


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the invitation, e.g. “Answered on paper at the visit”.",
    )
