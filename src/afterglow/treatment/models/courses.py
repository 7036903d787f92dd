"""One patient's course on a protocol, and its planned sessions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient
from afterglow.treatment.models.protocols import Protocol
from afterglow.treatment.models.screening import Screening


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    ENDED_EARLY = "ended_early", "Ended early"


class CourseQuerySet(models.QuerySet["Course"]):
    def for_clinic(self, clinic: Clinic) -> CourseQuerySet:
        return self.filter(clinic=clinic)


class Course(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    screening = models.ForeignKey(
        Screening, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    start_date = models.DateField()
    status = models.CharField(max_length=20, choices=CourseStatus.choices, default="active")
    status_reason = models.TextField(blank=True, help_text="Why it was paused or ended early.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.protocol} for patient {self.patient_id}"


class SessionKind(models.TextChoices):
    COURSE = "course", "Course"
    MAINTENANCE = "maintenance", "Maintenance"


class PlannedSession(models.Model):
    """A planned dose date (and, optionally, start time). ``number`` counts within the
    course (1..n), maintenance sessions continuing the numbering."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="planned")
    number = models.PositiveSmallIntegerField()
    planned_date = models.DateField()
    planned_time = models.TimeField(
        null=True,
        blank=True,
        help_text="Planned start time, in the clinic's timezone; empty = some time that day.",
    )
    kind = models.CharField(max_length=20, choices=SessionKind.choices, default="course")
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="one_planned_per_number")
        ]

    def __str__(self) -> str:
        return f"Session {self.number} on {self.planned_date}"
