from __future__ import annotations

import zoneinfo

from django import forms

from afterglow.accounts.models import Clinic, Membership, Role
from afterglow.accounts.services import CLINIC_SETTING_FIELDS

_TIMEZONES = sorted(zoneinfo.available_timezones())


class ClinicSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=[(tz, tz) for tz in _TIMEZONES])

    class Meta:
        model = Clinic
        fields = CLINIC_SETTING_FIELDS


class NewMemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(
        label="Initial password",
        widget=forms.PasswordInput(render_value=True),
        help_text=(
            "At least 12 characters, not a common password. Ask them to change it after "
            "their first sign-in."
        ),
    )


class MemberForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("role", "is_active")
