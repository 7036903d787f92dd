"""The public "Start your journey" form and the staff triage forms."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms
from django.utils import timezone

from afterglow.intake.models import SYMPTOM_CHOICES, TREATMENT_CHOICES, Answer, Status
from afterglow.intake.rules import SAFETY_QUESTIONS
from afterglow.patients.models import ContactChannel, Sex, TraumaContext, VeteranStatus

_PHONE_RE = re.compile(r"^\+?[\d\s().\-]{7,25}$")
MIN_AGE_YEARS = 18


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


KEY_PROBLEM = (
    "This page's hidden form key was missing or damaged (perhaps by a browser add-on or an "
    "old copy of the page), so nothing was sent. Your answers are still here: please press "
    "the button again."
)


class IntakeForm(forms.Form):
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    preferred_channel = forms.ChoiceField(
        label="How should we send you messages?",
        choices=ContactChannel.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Questionnaire links and reminders. If you do not choose, we use email when "
        "you give an address, else text messages. You can reply STOP to any text to stop them.",
    )
    reason = forms.CharField(
        label="What brings you here?",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In your own words, as much or as little as you like.",
    )
    symptoms = forms.MultipleChoiceField(
        label="Which of these do you live with?",
        choices=SYMPTOM_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    treatments_tried = forms.MultipleChoiceField(
        label="Which treatments have you tried?",
        choices=TREATMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    treatments_other = forms.CharField(label="Other treatments", max_length=500, required=False)
    current_medications = forms.CharField(
        label="Current medications",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Name and dose if you know them, or “none”.",
    )
    consent_contact = forms.BooleanField(
        label="I agree that the clinic may contact me about this request.",
        error_messages={"required": "We need your agreement to contact you about your request."},
    )
    # Honeypot: hidden from people by CSS and aria-hidden; bots fill every field.
    website = forms.CharField(required=False, label="Leave this empty")
    submission_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": KEY_PROBLEM, "invalid": KEY_PROBLEM},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        for question in SAFETY_QUESTIONS:
            self.fields[question.field] = forms.ChoiceField(
                label=question.question,
                choices=Answer.choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Please choose Yes, No or Not sure."},
            )
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        self.order_fields([*self.CONTACT_FIELDS, *self.ABOUT_FIELDS, *self.safety_field_names])

    CONTACT_FIELDS = (
        "given_name",
        "family_name",
        "date_of_birth",
        "email",
        "phone",
        "preferred_channel",
    )
    ABOUT_FIELDS = (
        "reason",
        "symptoms",
        "treatments_tried",
        "treatments_other",
        "current_medications",
    )

    @property
    def safety_field_names(self) -> list[str]:
        return [q.field for q in SAFETY_QUESTIONS]

    def section(self, names: tuple[str, ...] | list[str]) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def about_fields(self) -> list[forms.BoundField]:
        return self.section(self.ABOUT_FIELDS)

    def safety_fields(self) -> list[forms.BoundField]:
        return self.section(self.safety_field_names)

    def clean_date_of_birth(self) -> dt.date:
        born: dt.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("The date of birth is in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Please check the year of birth.")
        if _age_on(born, today) < MIN_AGE_YEARS:
            raise forms.ValidationError(
                f"This service is for adults aged {MIN_AGE_YEARS} and over."
            )
        return born

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone and (not _PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 7):
            raise forms.ValidationError("Please enter a phone number with at least 7 digits.")
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            not cleaned.get("email")
            and not cleaned.get("phone")
            and not (self.has_error("email") or self.has_error("phone"))
        ):
            message = "Please give an email address or a phone number so we can reach you."
            self.add_error("email", message)
            self.add_error("phone", message)
        needs: dict[str, tuple[str, str]] = {
            ContactChannel.EMAIL.value: ("email", "Please give your email address for emails."),
            ContactChannel.SMS.value: ("phone", "Please give a mobile number for text messages."),
        }
        missing = needs.get(str(cleaned.get("preferred_channel") or ""))
        if missing and not cleaned.get(missing[0]) and missing[0] not in self.errors:
            self.add_error(*missing)
        if "submission_key" in self.errors:
            # A hidden field has no place on the page to show its error: say it at the top,
            # and give the re-shown form a fresh key (nothing was stored under the bad one).
            self.add_error(None, KEY_PROBLEM)
            data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict when bound
            data["submission_key"] = str(uuid.uuid4())
            self.data = data
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in Status if s not in (Status.ENROLLED, Status.SPAM)]
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


NOT_ASKED = "Not asked, or prefers not to say"


def _asked(choices: list[tuple[str, str]], unknown: str, label: str) -> list[tuple[str, str]]:
    """The choices with "not recorded" worded as the answer it is: nobody has asked yet, or
    the person chose not to say. Listed last, so it is a choice, never a default."""
    return [(value, text) for value, text in choices if value != unknown] + [(unknown, label)]


class EnrolForm(forms.Form):
    """What the coordinator records on enrolment. Nothing is pre-selected (issue 14 §5):
    analytics split outcomes by these answers (``analytics.selectors.population_of``), so
    each must be an answer someone gave, or an explicit "not asked / prefers not to say"."""

    trauma_context = forms.ChoiceField(
        label="Where did the trauma happen?",
        choices=_asked(TraumaContext.choices, TraumaContext.UNKNOWN, NOT_ASKED),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the trauma happened, or “Not asked”."},
    )
    veteran_status = forms.ChoiceField(
        label="Military service",
        choices=_asked(VeteranStatus.choices, VeteranStatus.UNKNOWN, NOT_ASKED),
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their military service, or “Not asked”."},
    )
    sex = forms.ChoiceField(
        label="Sex",
        choices=[
            (Sex.FEMALE, Sex.FEMALE.label),
            (Sex.MALE, Sex.MALE.label),
            (Sex.INTERSEX, Sex.INTERSEX.label),
            (Sex.UNDISCLOSED, "Asked; prefers not to say"),
            (Sex.UNKNOWN, "Not asked"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their sex, or “Not asked”."},
    )
