"""Pre-treatment assessment and the prescriber's eligibility decision."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient
from afterglow.treatment.models.protocols import Route


class Decision(models.TextChoices):
    PENDING = "pending", "Awaiting decision"
    ELIGIBLE = "eligible", "Eligible"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class Screening(models.Model):
    """One pre-treatment assessment: checklist answers, baseline measures, decision.

    ``answers`` maps each checklist code (``treatment.eligibility.CHECKLIST``) to
    "yes", "no" or "unknown". Flags are computed from it by the Django-free
    eligibility module, never stored twice. Once decided, a screening is locked.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    answers = models.JSONField(default=dict, blank=True)
    route = models.CharField(
        "Treatment screened for",
        max_length=20,
        choices=Route.choices,
        default=Route.IV,
        help_text="Which flags are absolute depends on the drug's label (treatment.eligibility).",
    )
    systolic = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(60), MaxValueValidator(260)]
    )
    diastolic = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(30), MaxValueValidator(160)]
    )
    heart_rate = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(30), MaxValueValidator(220)]
    )
    spo2 = models.PositiveSmallIntegerField(
        "SpO2 (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(100)],
    )
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(20)), MaxValueValidator(Decimal(350))],
    )
    height_cm = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(100), MaxValueValidator(250)]
    )
    baseline_pcl5 = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decision_reason = models.TextField(blank=True)
    override_reason = models.TextField(
        blank=True, help_text="Required when deciding 'eligible' despite an absolute flag."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"Screening of patient {self.patient_id} ({self.get_decision_display()})"

    @property
    def bmi(self) -> Decimal:
        metres = Decimal(self.height_cm) / 100
        return (Decimal(self.weight_kg) / (metres * metres)).quantize(Decimal("0.1"))
