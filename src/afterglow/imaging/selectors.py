"""Reads of imaging sessions: a patient's timeline and the clinic's pre→post table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.db.models import F, Min
from django.db.models.functions import Coalesce

from afterglow.accounts.models import Clinic
from afterglow.imaging.models import ImagingSession
from afterglow.patients.models import Patient
from afterglow.treatment.models import DosingSession

#: The measures an imaging session may carry (model field names, also the TSV columns).
MEASURES = (
    "amygdala_hippocampus_r",
    "amygdala_hippocampus_z",
    "amygdala_reactivity",
    "amygdala_reactivity_stat",
)


def first_dose_day(*, patient: Patient) -> dt.date | None:
    """The calendar day (clinic timezone) of the first signed dose of the patient's first
    course with one — the dashboard's day 0 (``analytics.selectors``)."""
    first = (
        DosingSession.objects.signed()
        .filter(patient=patient)
        .annotate(at=Coalesce(F("started_at"), F("signed_at")))
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    if first is None:
        return None
    return first.astimezone(patient.clinic.tzinfo).date()


#: The columns the patient chart's research imaging table and timeline show.
CHART_FIELDS = (
    "patient",
    "label",
    "scanned_on",
    "kind",
    "task_name",
    "days_from_first_dose",
    "amygdala_hippocampus_r",
    "amygdala_hippocampus_z",
    "amygdala_reactivity",
    "contrast",
)


def imaging_sessions_for(*, patient: Patient) -> list[ImagingSession]:
    """The patient's scans for the chart, oldest first: the columns it shows (one query)."""
    return list(
        ImagingSession.objects.filter(patient=patient)
        .only(*CHART_FIELDS)
        .order_by("scanned_on", "pk")
    )


def imaging_sessions_for_clinic(*, clinic: Clinic) -> list[dict[str, Any]]:
    """Every session of the clinic as plain rows (one query), for the research table."""
    return list(
        ImagingSession.objects.for_clinic(clinic)
        .order_by("patient_id", "scanned_on", "pk")
        .values(
            "patient_id", "label", "scanned_on", "kind", "timing", "days_from_first_dose", *MEASURES
        )
    )


def imaging_frames(*, clinic: Clinic) -> pd.DataFrame:
    """Every session of the clinic with ``days_from_first_dose`` computed now from the
    first signed dose (one query each), so a dose signed after an import counts."""
    first = {
        row["patient_id"]: row["first"]
        for row in DosingSession.objects.signed()
        .filter(clinic=clinic)
        .values("patient_id")
        .annotate(first=Min(Coalesce(F("started_at"), F("signed_at"))))
    }
    rows = imaging_sessions_for_clinic(clinic=clinic)
    tz = clinic.tzinfo
    for row in rows:
        at = first.get(row["patient_id"])
        scanned = row["scanned_on"]
        assert isinstance(scanned, dt.date)
        row["days_from_first_dose"] = (
            None if at is None else (scanned - at.astimezone(tz).date()).days
        )
    columns = ["patient_id", "days_from_first_dose", *MEASURES]
    return pd.DataFrame([{c: row[c] for c in columns} for row in rows], columns=columns)
