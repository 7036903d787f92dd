"""Afterglow's cohort analysis engine: PCL-5 outcomes of a treated cohort. No Django import.

One engine serves ``afterglow analyze``, the analytics dashboard and the benchmark,
so their numbers always agree. Input is long-format observations (``patient_id``,
``day`` after the first dose, ``pcl5_total``, any covariates; see ``frame``).

- ``config``: :class:`AnalysisConfig` (timepoints, thresholds, windows),
  :class:`AnalysisInputError`, the timepoint matching window;
- ``frame``: :func:`load_csv`, :func:`validate_frame`, :func:`add_bands`;
- ``patients``: baseline, timepoint matching, response and loss of response
  (the rules of ``afterglow.outcomes.rules``), vectorised;
- ``stats``: t and Wilson intervals; ``durability``: Kaplan–Meier (lifelines);
- ``mixed``: the REML linear mixed model from sufficient statistics;
- ``report``: :func:`analyze` and the figures the dashboard draws.
"""

from afterglow.analytics.engine.config import (
    DEFAULT_DAYS,
    AnalysisConfig,
    AnalysisInputError,
    timepoint_window,
)
from afterglow.analytics.engine.frame import (
    AGE_BANDS,
    REQUIRED_COLUMNS,
    SEVERITY_BANDS,
    add_bands,
    load_csv,
    validate_frame,
)
from afterglow.analytics.engine.report import (
    DERIVED_COLUMNS,
    analyze,
    analyze_csv,
    km_curve,
    mixed_model,
    patient_outcomes,
    weekly_trajectory,
)

__all__ = [
    "AGE_BANDS",
    "DEFAULT_DAYS",
    "DERIVED_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEVERITY_BANDS",
    "AnalysisConfig",
    "AnalysisInputError",
    "add_bands",
    "analyze",
    "analyze_csv",
    "km_curve",
    "load_csv",
    "mixed_model",
    "patient_outcomes",
    "timepoint_window",
    "validate_frame",
    "weekly_trajectory",
]
