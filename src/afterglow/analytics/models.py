"""The cohort data version: one row whose ``stamp`` changes on every write to a table the
dashboard reads (``analytics.versioning``)."""

from __future__ import annotations

from django.db import models


class CohortDataVersion(models.Model):
    """A single row (pk 1), rewritten by database triggers, never by the application.

    ``stamp`` is a fresh random value on every insert, update or delete of a table
    :func:`~afterglow.analytics.selectors.cohort_data` reads, in the writer's own
    transaction: a committed write is visible together with its new stamp, and a
    rolled-back one leaves a stamp that is never seen again. The dashboard's cache is
    keyed by it (``analytics.cache``).
    """

    stamp = models.CharField(max_length=64)

    class Meta:
        # Not Django's to create, back up or copy: ``analytics.versioning`` creates the
        # table with its triggers after every migrate. A backup restored or a database
        # copied then starts with a fresh stamp (the writes fire the triggers), and the
        # backup's table check never sees a stamp that changed on the way.
        managed = False

    def __str__(self) -> str:
        return f"cohort data version {self.stamp}"
