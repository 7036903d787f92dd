from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator

from afterglow.accounts.models import Clinic, Membership
from afterglow.api.models import Scope


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:  # type: ignore[override]
        return f"{obj.user.username} ({obj.get_role_display()})"


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. 'REDCap sync'.")
    member = MemberChoice(
        queryset=Membership.objects.none(),
        label="Acts as",
        help_text="The token can do exactly what this staff member's role can do.",
    )
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.READ)
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        initial=settings.AFTERGLOW_API_TOKEN_DAYS,
    )

    def __init__(self, *args: object, clinic: Clinic, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["member"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Membership.objects.active().filter(clinic=clinic).select_related("user")
        ).order_by("user__username")
        maximum = settings.AFTERGLOW_API_TOKEN_MAX_DAYS
        days = self.fields["expires_days"]
        assert isinstance(days, forms.IntegerField)
        days.max_value = maximum
        days.validators.append(MaxValueValidator(maximum))
        days.widget.attrs["max"] = maximum
        days.help_text = f"1 to {maximum} days."
