"""A clinic's protocols: copies of the shipped presets, or its own."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from afterglow.accounts.models import Clinic


class Route(models.TextChoices):
    IV = "iv", "Intravenous infusion"
    INTRANASAL = "intranasal", "Intranasal (esketamine)"
    IM = "im", "Intramuscular"


class ProtocolQuerySet(models.QuerySet["Protocol"]):
    def for_clinic(self, clinic: Clinic) -> ProtocolQuerySet:
        return self.filter(clinic=clinic)

    def active(self) -> ProtocolQuerySet:
        return self.filter(is_active=True)


class Protocol(models.Model):
    """The plan template a course follows. ``preset_code`` names the shipped preset
    it was copied from (``treatment/preset_definitions``), empty for the clinic's own."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="protocols")
    preset_code = models.CharField(max_length=60, blank=True)
    name = models.CharField(max_length=200)
    route = models.CharField(max_length=20, choices=Route.choices)
    dose_mg_per_kg = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(2))],
    )
    dose_mg_per_kg_min = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(2))],
    )
    dose_mg_per_kg_max = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(2))],
    )
    fixed_dose_mg = models.PositiveSmallIntegerField(null=True, blank=True)
    fixed_dose_options_mg = models.JSONField(default=list, blank=True)
    infusion_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    sessions = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    sessions_per_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    observation_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    post_dose_therapy = models.CharField(
        max_length=40, blank=True, help_text="Therapy paired in the post-dose window, if any."
    )
    description = models.TextField(blank=True)
    source = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "preset_code"],
                condition=~models.Q(preset_code=""),
                name="one_copy_of_each_preset_per_clinic",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weight_based(self) -> bool:
        return self.dose_mg_per_kg is not None

    def clean(self) -> None:
        if self.weight_based == (self.fixed_dose_mg is not None):
            raise ValidationError("Give either a dose in mg/kg or a fixed dose in mg, not both.")
        if self.weight_based and self.route == Route.IV and not self.infusion_minutes:
            raise ValidationError({"infusion_minutes": "An IV protocol needs an infusion time."})
        low, high = self.dose_mg_per_kg_min, self.dose_mg_per_kg_max
        if low is not None and high is not None and low > high:
            raise ValidationError({"dose_mg_per_kg_max": "The range's top is below its bottom."})
        if self.sessions > 1 and not self.sessions_per_week:
            raise ValidationError({"sessions_per_week": "Say how many sessions a week."})
