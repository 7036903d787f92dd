"""Patients: identifiers, demographics, trauma context, consent and status in care."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from afterglow.accounts.models import Clinic


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNDISCLOSED = "undisclosed", "Prefer not to say"
    # Never asked: not the same as a person who chose not to say (issue 14 §5).
    UNKNOWN = "unknown", "Not recorded"


class TraumaContext(models.TextChoices):
    CIVILIAN = "civilian", "Civilian"
    MILITARY = "military", "Military"
    BOTH = "both", "Civilian and military"
    UNKNOWN = "unknown", "Not recorded"


class VeteranStatus(models.TextChoices):
    NONE = "none", "Not a service member"
    VETERAN = "veteran", "Veteran"
    ACTIVE = "active", "Active duty"
    RESERVE = "reserve", "Reserve / National Guard"
    UNKNOWN = "unknown", "Not recorded"


class ContactChannel(models.TextChoices):
    """How the patient asked to receive messages (issue 14 §4).

    Blank means "not chosen": the sender then uses email when the record has an address,
    else a text message (see ``afterglow.schedules.channels``).
    """

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class CareStatus(models.TextChoices):
    SCREENING = "screening", "Screening"
    ACTIVE = "active", "In treatment"
    FOLLOW_UP = "follow_up", "Follow-up"
    PAUSED = "paused", "Paused"
    DISCHARGED = "discharged", "Discharged"


class PatientQuerySet(models.QuerySet["Patient"]):
    def for_clinic(self, clinic: Clinic) -> PatientQuerySet:
        return self.filter(clinic=clinic)

    def active(self) -> PatientQuerySet:
        return self.exclude(status=CareStatus.DISCHARGED)

    def search(self, text: str) -> PatientQuerySet:
        """Match any word against name, MRN, email or phone (case-insensitive)."""
        query = self
        for word in text.split():
            query = query.filter(
                Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(mrn__icontains=word)
                | Q(email__icontains=word)
                | Q(phone__icontains=word)
            )
        return query


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(
        "record number", max_length=20, help_text="Clinic-scoped identifier, e.g. AG-000042."
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(
        max_length=20,
        choices=Sex.choices,
        default=Sex.UNKNOWN,
        help_text="Only what the person said; “Not recorded” until someone asks them.",
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_channel = models.CharField(
        "messages by",
        max_length=10,
        choices=ContactChannel.choices,
        blank=True,
        help_text="Blank: not chosen (email when there is an address, else text message).",
    )
    # Set when the patient texts STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) to the
    # clinic's SMS number, cleared by START/UNSTOP: no text goes to them while it is set.
    sms_opted_out_at = models.DateTimeField("opted out of texts", null=True, blank=True)
    trauma_context = models.CharField(
        max_length=20, choices=TraumaContext.choices, default=TraumaContext.UNKNOWN
    )
    veteran_status = models.CharField(
        max_length=20, choices=VeteranStatus.choices, default=VeteranStatus.UNKNOWN
    )
    status = models.CharField(
        "status in care", max_length=20, choices=CareStatus.choices, default=CareStatus.SCREENING
    )
    consent_contact = models.BooleanField(default=False)
    consent_research = models.BooleanField(
        default=False, help_text="Consent to de-identified use of data for research."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every save through the services (patient_update, ...) moves it: the REST API's
    # ``updated_since`` filter and its cursor follow it.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="unique_mrn_per_clinic")
        ]
        indexes = [models.Index(fields=["clinic", "family_name"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return Patient.joined_name(self.given_name, self.family_name)

    @staticmethod
    def joined_name(given_name: str, family_name: str) -> str:
        """The full name from its parts, for rows read as values rather than models."""
        return f"{given_name} {family_name}".strip()

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.given_name
