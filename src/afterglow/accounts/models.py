"""Clinics (the tenant) and staff memberships (user × clinic × role)."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA timezone (e.g. Europe/London).")


class Clinic(models.Model):
    """A clinic is the tenant: every patient row belongs to exactly one clinic.

    Clinical thresholds live here as settings with documented defaults and the
    source from ``shared/evidence.md`` they come from, so a clinic can change
    them and every page, CLI run and export uses the same value.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    pcl5_cutoff = models.PositiveSmallIntegerField(
        "PCL-5 probable-PTSD cutoff",
        default=33,
        validators=[MinValueValidator(0), MaxValueValidator(80)],
        help_text=(
            "Total at or above which a complete PCL-5 is flagged as probable PTSD. "
            "Default 33: NCPTSD and Bovin et al. 2016 suggest 31–33 (lower to screen, higher "
            "to limit false positives); Forkus et al. 2023 review recommends 31–33."
        ),
    )
    link_expiry_days = models.PositiveSmallIntegerField(
        "Questionnaire link lifetime (days)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How long a patient's single-use questionnaire link stays valid. Default 7 days.",
    )
    emergency_number = models.CharField(
        max_length=40,
        default="911",
        help_text="Emergency number shown to patients on every questionnaire page.",
    )
    crisis_line = models.CharField(
        max_length=200,
        default="988 Suicide & Crisis Lifeline — call or text 988 (Veterans: press 1)",
        help_text="Crisis line shown to patients on every questionnaire page.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Role(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    COORDINATOR = "coordinator", "Intake coordinator"
    RESEARCHER = "researcher", "Researcher"


# Roles allowed to see identifiable patient records and triage intake. Researchers
# work from de-identified cohort views (a later issue) and do not get the chart.
CLINICAL_ROLES = frozenset(
    {Role.ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.COORDINATOR}
)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic")
        ]
        ordering = ["clinic__name"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES
