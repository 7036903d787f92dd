"""The dashboard's cache: the clinic's cohort and each filter's figures, reused until the
data change.

Keys hold the data version (``analytics.versioning``: a stamp every write to a table
the dashboard reads replaces, in the writer's transaction) and every clinic setting the
numbers depend on, so a new response, a signed dose or a changed threshold is shown on
the next request, and nothing is reused across clinics. The stamp is read once per
request, before any data (:class:`DashboardCache`). With no stamp (a database that was
emptied without triggers firing) nothing is cached.

Django's default cache backend is per process (local memory), so each web worker builds
its own copy once; a shared cache backend needs no change here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache

from afterglow.accounts.models import Clinic
from afterglow.analytics.selectors import clinic_config
from afterglow.analytics.versioning import data_version

__all__ = ["TIMEOUT_SECONDS", "DashboardCache"]

T = TypeVar("T")

#: Entries expire after a day even if nothing changed (a stale stamp is never read
#: again, so this only frees memory).
TIMEOUT_SECONDS = 24 * 3600
PREFIX = "afterglow:analytics:v1"


@dataclass(frozen=True)
class DashboardCache:
    """The cache of one clinic for one request, at the data version read when it began."""

    clinic: Clinic
    version: str | None

    @classmethod
    def for_clinic(cls, clinic: Clinic) -> DashboardCache:
        return cls(clinic=clinic, version=data_version())

    def _key(self, kind: str, parts: Mapping[str, object]) -> str:
        clinic = self.clinic
        settings_part = (
            clinic.pk,
            clinic.timezone,
            clinic.therapy_window_start_hours,
            clinic.therapy_window_end_hours,
        )
        text = repr((self.version, settings_part, sorted(parts.items())))
        return f"{PREFIX}:{kind}:{hashlib.sha256(text.encode()).hexdigest()}"

    def cohort(self, build: Callable[[], T]) -> T:
        """The clinic's (banded) cohort data, built by ``build`` when not cached."""
        return self._remember("cohort", {}, build)

    def figures(
        self, chosen: Mapping[str, str], build: Callable[[], T], *, kind: str = "page"
    ) -> T:
        """What ``build`` makes for the filters ``chosen`` (``kind``: the page's figures or
        the PDF's charts), under the clinic's outcome rules, cutoff and minimum N at this
        data version."""
        clinic = self.clinic
        parts = {
            "chosen": tuple(sorted(chosen.items())),
            "config": clinic_config(clinic),
            "min_n": clinic.analytics_min_n,
            "cutoff": clinic.pcl5_cutoff,
        }
        return self._remember(f"figures-{kind}", parts, build)

    def _remember(self, kind: str, parts: Mapping[str, object], build: Callable[[], T]) -> T:
        if self.version is None:
            return build()
        key = self._key(kind, parts)
        found = cache.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = build()
        cache.set(key, value, TIMEOUT_SECONDS)
        return value
