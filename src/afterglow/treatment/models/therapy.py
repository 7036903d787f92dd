"""Psychotherapy sessions, timed against the doses."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient


class TherapyModality(models.TextChoices):
    INTEGRATION = "integration", "Integration"
    PROLONGED_EXPOSURE = "prolonged_exposure", "Prolonged exposure"
    CPT = "cpt", "Cognitive processing therapy"
    MINDFULNESS = "mindfulness", "Mindfulness-based"
    OTHER = "other", "Other"


class TherapySessionQuerySet(models.QuerySet["TherapySession"]):
    def for_clinic(self, clinic: Clinic) -> TherapySessionQuerySet:
        return self.filter(clinic=clinic)


class TherapySession(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="therapy_sessions")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    modality = models.CharField(max_length=30, choices=TherapyModality.choices)
    started_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who entered it (usually the therapist).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TherapySessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} for patient {self.patient_id}"
