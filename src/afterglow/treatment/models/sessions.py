"""The dosing session at the chair-side and everything recorded during it.

A session is signed once; after that it is immutable and corrections are
:class:`Amendment` rows with a reason, an author and a time.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient
from afterglow.treatment.models.courses import Course, PlannedSession
from afterglow.treatment.models.protocols import Route


class SessionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SIGNED = "signed", "Signed"
    # Ended at the pre-dose reassessment without a dose, then signed: locked like a signed
    # session, but never a dose (not counted in exposure, progress or course completion).
    NOT_DOSED = "not_dosed", "Signed — not dosed"


#: Statuses of a closed, immutable session (corrections are amendments).
LOCKED_STATUSES = frozenset({SessionStatus.SIGNED, SessionStatus.NOT_DOSED})


class NotDosedReason(models.TextChoices):
    """Why a session ended at the pre-dose reassessment without a dose."""

    BP_HIGH = "bp_high", "Blood pressure too high"
    PREGNANCY_POSITIVE = "pregnancy_positive", "Positive pregnancy test"
    SUICIDE_RISK = "suicide_risk", "Acute suicide risk"
    NO_ESCORT = "no_escort", "No escort home"
    NOT_FASTING = "not_fasting", "Not fasting"
    UNWELL = "unwell", "Acutely unwell (e.g. infection)"
    DECLINED = "declined", "Patient declined"
    OTHER = "other", "Other (describe)"


class PregnancyTest(models.TextChoices):
    NOT_APPLICABLE = "na", "Not applicable"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    NOT_DONE = "not_done", "Not done"


class SuicideRisk(models.TextChoices):
    NONE = "none", "No current suicidal thoughts"
    PASSIVE = "passive", "Passive thoughts, no plan or intent"
    ACTIVE = "active", "Active thoughts — escalate to prescriber"


class DosingSessionQuerySet(models.QuerySet["DosingSession"]):
    def for_clinic(self, clinic: Clinic) -> DosingSessionQuerySet:
        return self.filter(clinic=clinic)

    def signed(self) -> DosingSessionQuerySet:
        return self.filter(status=SessionStatus.SIGNED)


class DosingSession(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dosing_sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    planned = models.OneToOneField(
        PlannedSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="session"
    )
    number = models.PositiveSmallIntegerField()
    route = models.CharField(max_length=20, choices=Route.choices)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.IN_PROGRESS
    )

    # Pre-dose checks
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(20)), MaxValueValidator(Decimal(350))],
    )
    escort_confirmed = models.BooleanField(default=False)
    fasting_confirmed = models.BooleanField(default=False)
    pregnancy_test = models.CharField(
        max_length=20, choices=PregnancyTest.choices, default=PregnancyTest.NOT_APPLICABLE
    )
    suicide_risk = models.CharField(max_length=20, choices=SuicideRisk.choices, blank=True)
    predose_note = models.TextField(blank=True)
    predose_checked_at = models.DateTimeField(null=True, blank=True)

    # Dose
    planned_dose_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    dose_capped = models.BooleanField(default=False)
    actual_dose_mg = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    concentration_mg_per_ml = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    lot_number = models.CharField(max_length=60, blank=True)
    dose_deviation_reason = models.TextField(
        blank=True, help_text="Required when the dose is outside the protocol's range."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    dose_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A dose above a clinic guardrail (treatment.dosing.guardrail_warnings): recorded only with
    # a written reason and a second prescriber's co-signature (password re-entered).
    guardrail_warnings = models.TextField(
        blank=True, help_text="The guardrails the recorded dose exceeded, as shown at the time."
    )
    guardrail_reason = models.TextField(blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    # A dose saved while a pre-dose "reassess" alert was open, confirmed by a prescriber.
    reassess_confirm_reason = models.TextField(blank=True)
    reassess_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reassess_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Started on a day other than the planned one, or not a clinic dosing day.
    off_schedule_warning = models.CharField(max_length=300, blank=True)
    off_schedule_reason = models.TextField(blank=True)

    # Discharge
    discharged_at = models.DateTimeField(null=True, blank=True)
    vitals_near_baseline = models.BooleanField(default=False)
    alert_and_oriented = models.BooleanField(default=False)
    escort_present_at_discharge = models.BooleanField(default=False)
    discharge_note = models.TextField(blank=True)
    # Esketamine REMS monitoring (evidence.md §6): BP before and ~40 min after the dose,
    # pulse oximetry, observation ≥2 h until clinically stable, form within 7 days.
    rems_bp_before = models.BooleanField(default=False)
    rems_bp_40_min = models.BooleanField(default=False)
    rems_pulse_oximetry = models.BooleanField(default=False)
    rems_clinically_stable = models.BooleanField(default=False)
    rems_form_submitted = models.BooleanField(default=False)

    # Discharge before the observation time (or against advice), authorised by a prescriber.
    discharge_override_reason = models.TextField(
        blank=True,
        help_text="Why the patient left before the observation time; lets the sign-off pass "
        "the observation-time check only.",
    )
    discharge_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discharge_override_at = models.DateTimeField(null=True, blank=True)

    # Ended without a dose (sent home at the pre-dose reassessment).
    not_dosed_reason = models.CharField(max_length=30, choices=NotDosedReason.choices, blank=True)
    not_dosed_detail = models.TextField(blank=True)
    not_dosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    not_dosed_at = models.DateTimeField(null=True, blank=True)

    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DosingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            # A session signed "not dosed" gives its number back: the planned session is
            # attempted again under the same number on another day.
            models.UniqueConstraint(
                fields=["course", "number"],
                condition=~models.Q(status="not_dosed"),
                name="one_session_per_number",
            )
        ]

    def __str__(self) -> str:
        return f"Dosing session {self.number} of course {self.course_id}"

    @property
    def is_signed(self) -> bool:
        """Signed and locked, with or without a dose."""
        return self.status in LOCKED_STATUSES

    @property
    def is_not_dosed(self) -> bool:
        """Recorded (or signed) as ended without a dose."""
        return bool(self.not_dosed_reason)

    @property
    def is_cosigned(self) -> bool:
        return self.cosigned_by_id is not None

    @property
    def has_discharge_override(self) -> bool:
        return bool(self.discharge_override_reason)


class Phase(models.TextChoices):
    PRE = "pre", "Pre-dose"
    DURING = "during", "During"
    POST = "post", "Recovery"


class VitalsReading(models.Model):
    """One row of the fast vitals entry: a time point with any of the five signs."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="vitals")
    taken_at = models.DateTimeField()
    minute = models.SmallIntegerField(help_text="Minutes from the dose start (negative = before).")
    phase = models.CharField(max_length=10, choices=Phase.choices)
    systolic = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(300)]
    )
    diastolic = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(200)]
    )
    heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    spo2 = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(4), MaxValueValidator(60)]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["minute", "pk"]

    def __str__(self) -> str:
        return (
            f"Vitals at {self.minute} min: {self.systolic}/{self.diastolic}, HR {self.heart_rate}"
        )


class DissociationRating(models.Model):
    """CADSS total at a set time (23-item version, 0–92; anchors UNCONFIRMED, evidence.md §3)."""

    session = models.ForeignKey(
        DosingSession, on_delete=models.CASCADE, related_name="dissociation"
    )
    minute = models.SmallIntegerField()
    cadss_total = models.PositiveSmallIntegerField(validators=[MaxValueValidator(92)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["minute", "pk"]

    def __str__(self) -> str:
        return f"CADSS {self.cadss_total} at {self.minute} min"


class SedationRating(models.Model):
    """MOAA/S (0 = no response … 5 = responds readily to name), for esketamine."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="sedation")
    minute = models.SmallIntegerField()
    moaas = models.PositiveSmallIntegerField("MOAA/S", validators=[MaxValueValidator(5)])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["minute", "pk"]

    def __str__(self) -> str:
        return f"MOAA/S {self.moaas} at {self.minute} min"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SideEffect(models.Model):
    session = models.ForeignKey(
        DosingSession, on_delete=models.CASCADE, related_name="side_effects"
    )
    code = models.CharField(max_length=40, help_text="From treatment.safety.SIDE_EFFECTS.")
    severity = models.CharField(max_length=10, choices=Severity.choices, default="mild")
    note = models.CharField(max_length=300, blank=True, help_text='What it was (for "other").')

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="one_side_effect_per_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"


class AdverseAction(models.TextChoices):
    NONE = "none", "No action"
    PAUSED = "paused", "Infusion paused"
    RATE_REDUCED = "rate_reduced", "Rate reduced"
    STOPPED = "stopped", "Infusion stopped"
    MEDICATION = "medication", "Medication given"


class AdverseEvent(models.Model):
    session = models.ForeignKey(
        DosingSession, on_delete=models.CASCADE, related_name="adverse_events"
    )
    description = models.CharField(max_length=500)
    onset_minute = models.SmallIntegerField(null=True, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(
        default=False, help_text="Death, life-threatening, hospitalisation, disability …"
    )
    action = models.CharField(max_length=20, choices=AdverseAction.choices)
    medication = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.description} ({self.severity})"


class SessionAlert(models.Model):
    """A threshold crossed during a session: shown at once, recorded for good."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="alerts")
    reading = models.ForeignKey(
        VitalsReading, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    code = models.CharField(max_length=40)
    level = models.CharField(max_length=20, help_text="reassess or pause")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the nurse did or saw, given once for every alert acknowledged together.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.message


class Amendment(models.Model):
    """A correction to a signed session: what changed, why, who, when."""

    session = models.ForeignKey(DosingSession, on_delete=models.CASCADE, related_name="amendments")
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField()
    reason = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A corrected dose or weight that puts the dose above a guardrail: co-signed like a dose.
    guardrail_warnings = models.TextField(blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.field} amended: {self.reason}"
