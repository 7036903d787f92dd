"""Questionnaire responses and the personal links patients answer through.

The instrument itself is data (``definitions/*.json``, loaded by ``catalog``);
these tables store one administration and the scores computed from it by the
Django-free ``scoring`` module at the moment it was stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.instruments.catalog import UnknownInstrument, get_instrument
from afterglow.patients.models import Patient


class Source(models.TextChoices):
    PATIENT_LINK = "patient_link", "Patient, through a personal link"
    STAFF = "staff", "Entered by staff"


class ResponseQuerySet(models.QuerySet["Response"]):
    def for_clinic(self, clinic: Clinic) -> ResponseQuerySet:
        return self.filter(clinic=clinic)

    def complete(self) -> ResponseQuerySet:
        return self.filter(complete=True)

    def voided(self) -> ResponseQuerySet:
        return self.filter(voided_at__isnull=False)


class ResponseManager(models.Manager["Response"]):
    """The default manager: responses in use, without the ones voided as entered in error.

    Being the default, it is also what ``patient.responses`` and every other related
    manager use, so a voided response leaves every score, chart, outcome, alert
    evaluation, analytics frame, report and schedule at once. ``Response.all_objects``
    keeps the voided ones for the few places that must still show them (the response's
    own page). Forward foreign keys (``alert.response``, ``link.response``) and joins
    (``select_related``, ``responses__`` lookups) do not go through this manager.
    """

    def get_queryset(self) -> ResponseQuerySet:
        return ResponseQuerySet(self.model, using=self._db).filter(voided_at__isnull=True)

    def for_clinic(self, clinic: Clinic) -> ResponseQuerySet:
        return self.get_queryset().for_clinic(clinic)

    def complete(self) -> ResponseQuerySet:
        return self.get_queryset().complete()


class Response(models.Model):
    """One administration of an instrument. Stored responses are never edited."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="responses")
    instrument = models.CharField(max_length=40, help_text="Catalog code, e.g. pcl5.")
    answers = models.JSONField(help_text="Item values in item order; null = not answered.")
    administered_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    timepoint = models.CharField(max_length=40, blank=True, help_text="e.g. baseline, week 2.")

    # Computed by afterglow.instruments.scoring when stored (never from missing
    # answers: an incomplete response has no total and no diagnosis).
    complete = models.BooleanField()
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    provisional_diagnosis = models.BooleanField(null=True, blank=True)
    flag = models.BooleanField(
        null=True, blank=True, help_text="Cutoff flag (for the PCL-5: probable PTSD)."
    )
    cutoff_used = models.PositiveSmallIntegerField(null=True, blank=True)
    severity = models.CharField(
        max_length=40, blank=True, help_text="Published severity band of the total, if any."
    )
    alerts = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of the definition's item alerts this response raised (e.g. PHQ-9 item 9).",
    )
    missing_items = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Entered in error (wrong patient, date or answers): never edited or deleted, but
    # voided with a reason; the correction is a new response (services.response_void).
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.TextField(blank=True)

    # The first manager is the default one (and the related managers'): it hides voided rows.
    objects = ResponseManager()
    all_objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["administered_at", "pk"]
        indexes = [models.Index(fields=["patient", "instrument", "administered_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} for patient {self.patient_id} at {self.administered_at:%Y-%m-%d}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class PersonalLinkQuerySet(models.QuerySet["PersonalLink"]):
    def usable(self) -> PersonalLinkQuerySet:
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class PersonalLink(models.Model):
    """A single-use, expiring link that lets a patient answer without an account.

    Only the SHA-256 of the token is stored; the token itself exists in the URL
    given to the patient and nowhere else.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="personal_links")
    instrument = models.CharField(max_length=40)
    timepoint = models.CharField(max_length=40, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="link"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonalLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.instrument} link for patient {self.patient_id}"

    @property
    def instrument_title(self) -> str:
        try:
            return get_instrument(self.instrument).title
        except UnknownInstrument:
            return self.instrument

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"
