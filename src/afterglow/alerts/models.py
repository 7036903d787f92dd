"""An alert the care team must acknowledge, raised from a response, a diary entry or a
run of days without a diary entry."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.diary.models import DiaryEntry
from afterglow.instruments.catalog import ALERT_URGENCIES
from afterglow.instruments.models import Response
from afterglow.patients.models import Patient

#: Code of the alert raised by a diary note the patient marks urgent.
DIARY_URGENT_CODE = "diary_urgent"
#: Code of the alert raised by several days in a row without a diary entry.
DIARY_GAP_CODE = "diary_missed_days"


class Urgency(models.TextChoices):
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


assert set(Urgency.values) == set(ALERT_URGENCIES), "keep in step with the catalog"


class SourceKind(models.TextChoices):
    RESPONSE = "response", "Questionnaire response"
    DIARY = "diary", "Diary entry"
    DIARY_GAP = "diary_gap", "Missed diary days"


class AlertQuerySet(models.QuerySet["Alert"]):
    def for_clinic(self, clinic: Clinic) -> AlertQuerySet:
        return self.filter(clinic=clinic)

    def open(self) -> AlertQuerySet:
        return self.filter(acknowledged_at__isnull=True)

    def acknowledged(self) -> AlertQuerySet:
        return self.filter(acknowledged_at__isnull=False)

    def urgent(self) -> AlertQuerySet:
        return self.filter(urgency=Urgency.URGENT)

    def routine(self) -> AlertQuerySet:
        return self.filter(urgency=Urgency.ROUTINE)


class Alert(models.Model):
    """One alert per source and code: raising it again from the same response or diary
    entry, or for the same run of missed diary days (same patient, same ``gap_since``),
    finds the existing row (the unique constraints below), so a double save or a second
    sweep never pages the care team twice."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    code = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    source_kind = models.CharField(max_length=10, choices=SourceKind.choices)
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    diary_entry = models.ForeignKey(
        DiaryEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gap_since = models.DateField(
        null=True,
        blank=True,
        help_text="Missed diary days: the first day without an entry (clinic's local date).",
    )
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ack_note = models.TextField("note", max_length=2000, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The inbox's open tab in its order (urgent first, newest first) without
            # sorting every open alert of the clinic; its first two columns serve the
            # acknowledged tab and the navigation's count (issue 13 §2).
            models.Index(
                fields=["clinic", "acknowledged_at", "urgency", "created_at"],
                name="alert_inbox_order",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "code"],
                condition=models.Q(response__isnull=False),
                name="one_alert_per_response_code",
            ),
            models.UniqueConstraint(
                fields=["diary_entry", "code"],
                condition=models.Q(diary_entry__isnull=False),
                name="one_alert_per_diary_entry_code",
            ),
            models.UniqueConstraint(
                fields=["patient", "code", "gap_since"],
                condition=models.Q(gap_since__isnull=False),
                name="one_alert_per_diary_gap",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        source_kind="response",
                        response__isnull=False,
                        diary_entry__isnull=True,
                        gap_since__isnull=True,
                    )
                    | models.Q(
                        source_kind="diary",
                        response__isnull=True,
                        diary_entry__isnull=False,
                        gap_since__isnull=True,
                    )
                    | models.Q(
                        source_kind="diary_gap",
                        response__isnull=True,
                        diary_entry__isnull=True,
                        gap_since__isnull=False,
                    )
                ),
                name="alert_has_its_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT
