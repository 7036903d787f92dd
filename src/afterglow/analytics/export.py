"""The de-identified export of the cohort's long frame, for ``afterglow analyze``. No Django.

What leaves the clinic: one row per PCL-5 (``day`` relative to the first dose, the total)
with the covariates, for patients who consented to de-identified research use
(``Patient.consent_research``) only. Identifiers are replaced:

- ``patient_id`` becomes a pseudonym (``P001``, ``P002`` …) drawn afresh, in random
  order, for every export, so two exports cannot be linked by it and it says nothing of
  the patient's record number or the order they were enrolled in;
- no names, record numbers, dates of birth or calendar dates: days are counted from the
  first dose, and age is given as its band (``age_band``), never in years.
"""

from __future__ import annotations

import random
import secrets

import pandas as pd

__all__ = ["EXPORT_COLUMNS", "deidentified_frame"]

#: The export's columns, in order (``afterglow analyze --csv`` reads the first three).
EXPORT_COLUMNS = (
    "patient_id",
    "day",
    "pcl5_total",
    "population",
    "sex",
    "age_band",
    "baseline_severity_band",
    "protocol",
    "route",
    "mg_per_kg",
    "psychotherapy_in_window",
    "infusions",
    # Only when the clinic has research imaging (imaging.research.with_imaging_changes).
    "reactivity_change",
    "connectivity_change",
)


def deidentified_frame(
    frame: pd.DataFrame, patients: pd.DataFrame, *, rng: random.Random | None = None
) -> pd.DataFrame:
    """The rows of ``frame`` (banded) whose patient consented (``patients.consent_research``),
    with per-export pseudonyms; ``rng`` defaults to the system's secure generator."""
    consented = set(patients.loc[patients["consent_research"].astype(bool), "patient_id"])
    rows = frame[frame["patient_id"].isin(consented)]
    ids = sorted(set(rows["patient_id"]))
    (rng or secrets.SystemRandom()).shuffle(ids)
    width = max(3, len(str(len(ids))))
    pseudonym = {pid: f"P{number:0{width}d}" for number, pid in enumerate(ids, start=1)}
    out = rows.assign(patient_id=rows["patient_id"].map(pseudonym))
    out = out[[c for c in EXPORT_COLUMNS if c in out.columns]]
    return out.sort_values(["patient_id", "day"], kind="stable").reset_index(drop=True)
