"""Clinics (the tenant) and staff memberships (user × clinic × role)."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA timezone (e.g. Europe/London).")


def validate_weekdays(value: str) -> None:
    try:
        days = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValidationError("Use weekday numbers 0–6 separated by commas, e.g. 0,2,4.") from None
    if not days or any(d < 0 or d > 6 for d in days) or len(set(days)) != len(days):
        raise ValidationError("Use distinct weekday numbers 0 (Monday) to 6 (Sunday), e.g. 0,2,4.")


def validate_dial_number(value: str) -> None:
    """A number a phone can dial from a ``tel:``/``sms:`` link: digits, optional leading +."""
    if value and not re.fullmatch(r"\+?[0-9]{2,15}", value):
        raise ValidationError("Digits only, optionally starting with +, e.g. 988 or +441234567890.")


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
    crisis_line_phone = models.CharField(
        "Crisis line number to call",
        max_length=20,
        default="988",
        validators=[validate_dial_number],
        help_text=(
            "The number the patient's tap-to-call crisis link dials. Default 988, the US 988 "
            "Suicide & Crisis Lifeline (call or text 988; veterans press 1 — SAMHSA and VA "
            "announcements, checked with the search tool; not in evidence.md). Set your "
            "country's line."
        ),
    )
    crisis_line_sms = models.CharField(
        "Crisis line number to text",
        max_length=20,
        blank=True,
        default="988",
        validators=[validate_dial_number],
        help_text=(
            "The number the tap-to-text (SMS) crisis link writes to; empty if your crisis line "
            "takes no text messages. Default 988 (the US line accepts texts; see above)."
        ),
    )
    urgent_response_text = models.CharField(
        "What happens after an urgent note",
        max_length=300,
        default="Your care team has been told. Someone will contact you within one working day.",
        help_text=(
            "Shown to a patient after an urgent diary note or a PHQ-9 item 9 answer above "
            "zero, with the crisis line. UNCONFIRMED: an Afterglow default, not from "
            "evidence.md — write what your clinic actually does and how fast."
        ),
    )

    # --- Treatment (ketamine course) settings -----------------------------------
    dosing_weekdays = models.CharField(
        "Dosing days",
        max_length=20,
        default="0,1,2,3,4",
        validators=[validate_weekdays],
        help_text=(
            "Weekdays the clinic doses on, 0 = Monday … 6 = Sunday, comma-separated. Default "
            "Monday–Friday; a 3-a-week course then falls on Mon/Wed/Fri as in Albott 2018."
        ),
    )
    max_dose_mg = models.PositiveSmallIntegerField(
        "Maximum single ketamine dose (mg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(700)],
        help_text=(
            "A weight-based dose above this is capped and shown as capped. Empty = no cap beyond "
            "the protocol's mg/kg range. evidence.md gives no absolute cap: set your own."
        ),
    )
    max_mg_per_kg_iv = models.DecimalField(
        "IV dose guardrail (mg/kg)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.75"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal(2))],
        help_text=(
            "An IV dose above this is recorded only with a written reason and a second "
            "prescriber's co-signature. Default 0.75 mg/kg: the top of the 0.1–0.75 mg/kg range "
            "studied in depression (Andrade 2017, evidence.md §6); the PTSD trials gave 0.5."
        ),
    )
    max_mg_per_kg_im = models.DecimalField(
        "IM dose guardrail (mg/kg)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal(2))],
        help_text=(
            "An IM dose above this needs a reason and a co-signature. Default 1.0 mg/kg — "
            "UNCONFIRMED: evidence.md gives no IM ketamine dose. Set your clinic's value."
        ),
    )
    iv_max_mg_per_kg_per_hour = models.DecimalField(
        "IV infusion rate guardrail (mg/kg/h)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.0"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal(10))],
        help_text=(
            "An infusion faster than this needs a reason and a co-signature. Default 1.0 "
            "mg/kg/h — UNCONFIRMED: evidence.md gives no rate limit; the trials' 0.5 mg/kg over "
            "40 min is 0.75 mg/kg/h (evidence.md §6)."
        ),
    )
    dose_above_planned_percent = models.PositiveSmallIntegerField(
        "Recorded dose above the planned dose allowed without co-signature (%)",
        default=5,
        validators=[MaxValueValidator(50)],
        help_text=(
            "A recorded dose more than this above the planned dose needs a reason and a "
            "co-signature. Default 5% — UNCONFIRMED (Afterglow default, no number in "
            "evidence.md): the rounding the dose calculator allows."
        ),
    )
    default_concentration_mg_per_ml = models.DecimalField(
        "Usual ketamine concentration (mg/mL)",
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(100)],
        help_text="Pre-fills the chair-side dose calculator; the nurse confirms it per session.",
    )
    predose_systolic_reassess = models.PositiveSmallIntegerField(
        "Pre-dose systolic BP that asks for reassessment (mmHg)",
        default=140,
        validators=[MinValueValidator(90), MaxValueValidator(250)],
        help_text=(
            "Default 140/90: the esketamine label advises considering a delay when baseline BP "
            "is elevated (>140/90); APA consensus (Sanacora 2017) numbers UNCONFIRMED — "
            "evidence.md §6."
        ),
    )
    predose_diastolic_reassess = models.PositiveSmallIntegerField(
        "Pre-dose diastolic BP that asks for reassessment (mmHg)",
        default=90,
        validators=[MinValueValidator(50), MaxValueValidator(150)],
        help_text="Default 90, with the systolic value above (evidence.md §6).",
    )
    dosing_systolic_pause = models.PositiveSmallIntegerField(
        "Systolic BP during dosing that asks to pause (mmHg)",
        default=180,
        validators=[MinValueValidator(100), MaxValueValidator(260)],
        help_text=(
            "Default 180/100, the commonly quoted stop level — UNCONFIRMED in a primary source "
            "(evidence.md §6). Expect a rise peaking ~40 min in, mean +16/+11 mmHg (Gen Hosp "
            "Psychiatry 2024); Yip 2022 argues such rules are overly aggressive."
        ),
    )
    dosing_diastolic_pause = models.PositiveSmallIntegerField(
        "Diastolic BP during dosing that asks to pause (mmHg)",
        default=100,
        validators=[MinValueValidator(60), MaxValueValidator(160)],
        help_text="Default 100, with the systolic value above — UNCONFIRMED (evidence.md §6).",
    )
    dosing_spo2_pause_below = models.PositiveSmallIntegerField(
        "SpO2 during dosing below which to pause (%)",
        default=92,
        validators=[MinValueValidator(80), MaxValueValidator(99)],
        help_text=(
            "Default 92% — UNCONFIRMED: evidence.md §6 requires pulse oximetry (esketamine REMS) "
            "but gives no number. Set your clinic's value."
        ),
    )
    dosing_heart_rate_pause_above = models.PositiveSmallIntegerField(
        "Heart rate during dosing above which to pause (/min)",
        default=120,
        validators=[MinValueValidator(80), MaxValueValidator(200)],
        help_text=(
            "Default 120/min — UNCONFIRMED: trials monitored HR every 10 min (NCT02727998) but "
            "evidence.md gives no limit. Set your clinic's value."
        ),
    )
    observation_minutes = models.PositiveSmallIntegerField(
        "Minimum observation after a dose (minutes)",
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(480)],
        help_text=(
            "Default 120 min, the esketamine REMS minimum (always enforced for esketamine). "
            "Trials kept IV patients ~3 h (Albott 2018) to 4 h (Feder 2021) — evidence.md §6."
        ),
    )
    therapy_window_start_hours = models.PositiveSmallIntegerField(
        "Post-dose therapy window starts (hours after the dose)",
        default=24,
        validators=[MaxValueValidator(336)],
        help_text="Default 24–72 h, the ketamine-enhanced exposure protocol (NCT04560660).",
    )
    therapy_window_end_hours = models.PositiveSmallIntegerField(
        "Post-dose therapy window ends (hours after the dose)",
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
        help_text="Default 72 h (NCT04560660).",
    )

    # --- Measurement between visits ------------------------------------------------
    diary_link_days = models.PositiveSmallIntegerField(
        "Diary link lifetime (days)",
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="A patient's diary link works this long unless revoked; send a new one after.",
    )
    diary_edit_days = models.PositiveSmallIntegerField(
        "Days a diary entry stays editable",
        default=1,
        validators=[MaxValueValidator(7)],
        help_text="Default 1: a day's entry can be changed until the end of the next day.",
    )
    outcome_response_percent = models.PositiveSmallIntegerField(
        "Response: reduction from baseline (%)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=(
            "Default 30%: the response rule of Feder 2021, defined there on the CAPS-5 and "
            "not validated on the PCL-5 (evidence.md §2)."
        ),
    )
    outcome_reliable_points = models.PositiveSmallIntegerField(
        "Reliable change (PCL-5 points)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(80)],
        help_text=(
            "Default 10: NCPTSD guidance, ≥10 points clinically meaningful (evidence.md §1). "
            "Marx 2022 found 15–18 in veterans — use 15 for a veteran programme."
        ),
    )
    loss_confirmations = models.PositiveSmallIntegerField(
        "Loss of response: consecutive follow-ups to confirm",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=(
            "Default 2: a loss of response is confirmed only by this many consecutive "
            "follow-ups, after the first response, that no longer meet the response rule; "
            "a shorter run at the latest follow-up is shown as a possible loss and raises no "
            "alert. With a PCL-5 measurement error of about 5 points one failing follow-up is "
            "weak evidence (evidence.md §1). The trials' exact loss rule is UNCONFIRMED. "
            "1 = the single-dip rule of earlier versions."
        ),
    )
    response_requires_reliable = models.BooleanField(
        "Response also requires a reliable fall",
        default=False,
        help_text=(
            "Default off: response is the percentage rule alone, as in the trials (Feder "
            "2021, a CAPS-5 rule not validated on the PCL-5; evidence.md §2). On: a follow-up "
            "is a response only if it is also at least the reliable-change points below "
            "baseline (NCPTSD, evidence.md §1). Either way the chart marks a percentage "
            "response smaller than those points as within measurement error."
        ),
    )
    invitation_reminders = models.PositiveSmallIntegerField(
        "Reminders before an invitation expires",
        default=3,
        validators=[MaxValueValidator(7)],
        help_text=(
            "Default 3: one reminder a day for up to three days, then the invitation "
            "expires (Afterglow default, issue #4; no published standard)."
        ),
    )
    reminder_interval_hours = models.PositiveSmallIntegerField(
        "Hours between reminders",
        default=24,
        validators=[MinValueValidator(4), MaxValueValidator(168)],
        help_text="Default 24: at most one reminder a day (Afterglow default, issue #4).",
    )
    diary_missed_days_alert = models.PositiveSmallIntegerField(
        "Missed diary days before an alert",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=(
            "Default 3 consecutive days without an entry raise a low-urgency alert and "
            "put the patient on the worklist. Diary studies use daily entries over a "
            "fixed window (evidence.md §7); the number of days is an Afterglow default."
        ),
    )
    analytics_min_n = models.PositiveSmallIntegerField(
        "Smallest group shown in analytics",
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(1000)],
        help_text=(
            "Default 10: figures for fewer patients are hidden so that small groups are "
            "not over-read or re-identified (Afterglow default, issue #5)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def weekdays(self) -> tuple[int, ...]:
        return tuple(sorted(int(part) for part in self.dosing_weekdays.split(",") if part.strip()))

    def clean(self) -> None:
        if self.therapy_window_end_hours <= self.therapy_window_start_hours:
            raise ValidationError(
                {"therapy_window_end_hours": "The window must end after it starts."}
            )


class Role(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Nurse"
    THERAPIST = "therapist", "Therapist"
    COORDINATOR = "coordinator", "Intake coordinator"
    RESEARCHER = "researcher", "Researcher"


# What each role may do is in ``accounts/capabilities.py`` (the role × capability table).


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


class RecoveryCode(models.Model):
    """One single-use recovery code for two-step sign-in, stored only as its SHA-256.

    A code is 80 random bits (16 base-32 characters), so an unsalted digest is enough:
    there is nothing to brute-force (as for personal-link tokens, ``core/tokens.py``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"
