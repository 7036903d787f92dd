"""Intake submissions from the public "Start your journey" form."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.intake.rules import NO, SAFETY_FIELDS, UNSURE, YES, SafetyFlag, safety_flags
from afterglow.patients.models import ContactChannel, Patient


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCREENING = "screening", "Screening"
    DECLINED = "declined", "Declined"
    ENROLLED = "enrolled", "Enrolled"
    SPAM = "spam", "Spam (honeypot)"


class Answer(models.TextChoices):
    YES = YES, "Yes"
    NO = NO, "No"
    UNSURE = UNSURE, "Not sure"


SYMPTOM_CHOICES = [
    ("intrusive_memories", "Intrusive, unwanted memories"),
    ("flashbacks", "Flashbacks — feeling it is happening again"),
    ("nightmares", "Nightmares"),
    ("avoidance", "Avoiding reminders, places or people"),
    ("on_edge", "Feeling on edge, jumpy or easily startled"),
    ("low_mood", "Low mood or loss of interest"),
    ("sleep", "Trouble sleeping"),
    ("anger", "Irritability or anger"),
    ("numbness", "Feeling numb or cut off from others"),
    ("guilt_shame", "Guilt or shame"),
]

TREATMENT_CHOICES = [
    ("trauma_therapy", "Trauma-focused therapy (e.g. PE, CPT, EMDR)"),
    ("other_therapy", "Other talking therapy or counselling"),
    ("antidepressant", "Antidepressant medication (e.g. SSRI, SNRI)"),
    ("other_medication", "Other psychiatric medication"),
    ("ketamine", "Ketamine or esketamine before"),
    ("none", "None yet"),
]


class IntakeQuerySet(models.QuerySet["IntakeSubmission"]):
    def for_clinic(self, clinic: Clinic) -> IntakeQuerySet:
        return self.filter(clinic=clinic)

    def in_queue(self) -> IntakeQuerySet:
        return self.exclude(status=Status.SPAM)


class IntakeSubmission(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="intake_submissions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)

    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Blank: the person did not choose (issue 14 §4); copied to the patient on enrolment.
    preferred_channel = models.CharField(
        "messages by", max_length=10, choices=ContactChannel.choices, blank=True
    )
    reason = models.TextField("what brings you here")
    symptoms = models.JSONField(default=list, blank=True)
    treatments_tried = models.JSONField(default=list, blank=True)
    treatments_other = models.CharField(max_length=500, blank=True)
    current_medications = models.TextField(blank=True)

    psychosis_or_mania = models.CharField(max_length=10, choices=Answer.choices)
    high_blood_pressure = models.CharField(max_length=10, choices=Answer.choices)
    heart_or_vascular = models.CharField(max_length=10, choices=Answer.choices)
    pregnancy = models.CharField(max_length=10, choices=Answer.choices)
    substance_use = models.CharField(max_length=10, choices=Answer.choices)

    consent_contact = models.BooleanField(default=False)

    # The form carries a random key from the moment it is rendered; a double click
    # or a re-sent page arrives with the same key and finds the row already stored.
    submission_key = models.UUIDField(unique=True)
    # Salted hash of the client address, for the per-address rate limit only.
    client_hash = models.CharField(max_length=64, blank=True, db_index=True)

    patient = models.OneToOneField(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="intake"
    )
    staff_note = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = IntakeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The triage queue: a status tab newest first, and the tabs' counts, without
            # reading every submission of the clinic (issue 13 §2).
            models.Index(
                fields=["clinic", "status", "created_at"], name="intake_queue_status_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.get_status_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def flags(self) -> list[SafetyFlag]:
        return safety_flags({f: getattr(self, f) for f in SAFETY_FIELDS})

    @property
    def symptom_labels(self) -> list[str]:
        labels = dict(SYMPTOM_CHOICES)
        return [labels.get(code, code) for code in self.symptoms]

    @property
    def treatment_labels(self) -> list[str]:
        labels = dict(TREATMENT_CHOICES)
        return [labels.get(code, code) for code in self.treatments_tried]
