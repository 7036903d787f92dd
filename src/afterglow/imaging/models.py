"""Imaging sessions: derived research measures and their provenance, never images.

An image can identify a person (a face can be rebuilt from a structural scan), so
Afterglow keeps only the numbers ``afterglow imaging extract`` derives and how they were
derived (software versions, options, the SHA-256 of each input file).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient


class ScanKind(models.TextChoices):
    REST = "rest", "Resting state"
    TASK = "task", "Task"


class Timing(models.TextChoices):
    BEFORE = "before", "Before the first dose"
    AFTER = "after", "After the first dose"
    UNKNOWN = "unknown", "No dose recorded"


class Source(models.TextChoices):
    EXTRACT = "extract", "afterglow imaging extract"
    UPLOAD = "upload", "Upload page"
    IMPORT = "import", "BIDS derivatives import"


class ImagingSessionQuerySet(models.QuerySet["ImagingSession"]):
    def for_clinic(self, clinic: Clinic) -> ImagingSessionQuerySet:
        return self.filter(clinic=clinic)


class ImagingSession(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="imaging_sessions")
    label = models.CharField(
        max_length=40, help_text="The session's label, e.g. BIDS 'pre' for ses-pre."
    )
    scanned_on = models.DateField()
    site = models.CharField(max_length=100, blank=True)
    scanner = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=ScanKind.choices)
    task_name = models.CharField(max_length=100, blank=True)
    days_from_first_dose = models.IntegerField(
        null=True,
        blank=True,
        help_text="Scan day minus the day of the first signed dose of the patient's first "
        "course (clinic timezone); 0 or less is before treatment.",
    )
    timing = models.CharField(max_length=10, choices=Timing.choices, default=Timing.UNKNOWN)
    amygdala_hippocampus_r = models.FloatField(null=True, blank=True)
    amygdala_hippocampus_z = models.FloatField(null=True, blank=True)
    amygdala_reactivity = models.FloatField(
        null=True, blank=True, help_text="Contrast effect, percent signal change."
    )
    amygdala_reactivity_stat = models.FloatField(null=True, blank=True)
    contrast = models.CharField(max_length=100, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ImagingSessionQuerySet.as_manager()

    class Meta:
        ordering = ("patient", "scanned_on", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("patient", "label"), name="imaging_session_label_unique_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"imaging session {self.label} ({self.scanned_on})"
