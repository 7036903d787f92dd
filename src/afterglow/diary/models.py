"""The daily intrusion diary and the long-lived personal link a patient writes it through.

Method (evidence.md §7): one entry per day counting intrusive memories and
flashbacks, with nightmares and peak distress; a day without an entry is missing,
never zero, while "none today" is a real zero. A count can also be *not answered*
(``None``) on an entry the patient marked urgent: a person reaching out to their care
team is never held back by a counting question, and that day's count is missing data,
never zero.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient

#: Upper bound on a day's count: input check against typos, not a clinical limit
#: (a case series reached 38.8 a week, evidence.md §7).
MAX_DAILY_COUNT = 200


class DiaryLinkQuerySet(models.QuerySet["DiaryLink"]):
    def usable(self) -> DiaryLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class DiaryLink(models.Model):
    """A patient's personal diary link: scoped to the diary alone, long-lived but
    expiring, revocable, and stored only as the SHA-256 of its token."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diary_links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DiaryLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The worklist's diary gaps read a clinic's working links only (issue 13 §2):
            # at 10,000 patients, one in six of the clinic's links. It holds every column
            # the gaps' query reads of a link, so the links it rejects (they have a recent
            # entry) are never read from the table.
            models.Index(
                fields=["clinic", "created_at", "expires_at", "patient"],
                condition=models.Q(revoked_at__isnull=True),
                name="diarylink_working_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Diary link for patient {self.patient_id}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class DiaryEntryQuerySet(models.QuerySet["DiaryEntry"]):
    def for_clinic(self, clinic: Clinic) -> DiaryEntryQuerySet:
        return self.filter(clinic=clinic)


class DiaryEntry(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diary_entries")
    day = models.DateField(help_text="The day the entry is about, in the clinic's timezone.")
    none_today = models.BooleanField(
        default=False, help_text="The patient said: no intrusions, flashbacks or nightmares today."
    )
    intrusive_memories = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DAILY_COUNT)],
        help_text="Empty: not answered (allowed only on an urgent entry); never read as 0.",
    )
    flashbacks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DAILY_COUNT)],
        help_text="Empty: not answered (allowed only on an urgent entry); never read as 0.",
    )
    nightmares = models.BooleanField(default=False)
    peak_distress = models.PositiveSmallIntegerField(
        "peak distress (0–10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    triggers = models.CharField(max_length=300, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    urgent = models.BooleanField(
        default=False, help_text="The patient marked the note as urgent for the care team."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="one_diary_entry_per_day"),
            # Counts may be left unanswered only on an urgent entry (see forms.DiaryEntryForm).
            models.CheckConstraint(
                condition=models.Q(urgent=True)
                | models.Q(intrusive_memories__isnull=False, flashbacks__isnull=False),
                name="diary_counts_answered_unless_urgent",
            ),
        ]
        indexes = [
            # Who wrote in the diary since a day, for a clinic, read from the index alone:
            # the worklist's diary gaps (issue 13 §2).
            models.Index(fields=["clinic", "day", "patient"], name="diaryentry_clinic_day_idx")
        ]

    def __str__(self) -> str:
        return f"Diary of patient {self.patient_id} on {self.day}"

    @property
    def counts_answered(self) -> bool:
        """Both counts were answered (0 included); False for an urgent note without them."""
        return self.intrusive_memories is not None and self.flashbacks is not None
