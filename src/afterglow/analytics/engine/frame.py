"""Reading and checking long-format PCL-5 observations; the sorted arrays the engine works on.

Input (a CSV or a DataFrame): one row per PCL-5 administration with the columns

- ``patient_id``: any non-blank value naming the patient;
- ``day``: whole days after the first dose (day 0; negative = before treatment);
- ``pcl5_total``: the total of a complete PCL-5, a whole number 0-80 (an
  incomplete PCL-5 has no total: leave its row out, never write 0);

plus any covariate columns (sex, age, trauma context, protocol ...). One row per
patient and day: two totals on one day are refused, as in ``outcomes.rules``.
No Django import.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd

from afterglow.analytics.engine.config import AnalysisInputError
from afterglow.outcomes.rules import DEFAULT_CUTOFF, PCL5_MAX

__all__ = [
    "AGE_BANDS",
    "REQUIRED_COLUMNS",
    "SEVERITY_BANDS",
    "Cohort",
    "add_bands",
    "load_csv",
    "prepare",
    "read_csv",
    "validate_frame",
]

REQUIRED_COLUMNS = ("patient_id", "day", "pcl5_total")

#: Baseline severity bands of the PCL-5 total (labels as shown). Below 33 = under the
#: probable-PTSD cut-off (NCPTSD; Bovin 2016; Forkus 2023: 31-33, evidence.md §1). The split
#: at 50 is illustrative: there are no published PCL-5 severity bands; 50 is about the mean
#: baseline of treatment-seeking samples (synthetic_params.BASELINE_MEAN) and halves 33-80.
SEVERITY_BANDS: tuple[tuple[str, int, int], ...] = (
    (f"<{DEFAULT_CUTOFF}", 0, DEFAULT_CUTOFF - 1),
    (f"{DEFAULT_CUTOFF}–49", DEFAULT_CUTOFF, 49),
    ("50–80", 50, PCL5_MAX),
)
#: Age bands in whole years (conventional decades; illustrative, no clinical source).
AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("<18", -np.inf, 18),
    ("18–29", 18, 30),
    ("30–39", 30, 40),
    ("40–49", 40, 50),
    ("50–59", 50, 60),
    ("60+", 60, np.inf),
)


def load_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV of observations (see the module docstring) and :func:`validate_frame` it.

    ``patient_id`` is read as text (so "007" stays "007"); other columns as pandas
    infers them. Raises ``AnalysisInputError`` for a missing or unreadable file, text
    that is not UTF-8, a malformed CSV, an empty file, or anything ``validate_frame``
    refuses.
    """
    return validate_frame(read_csv(path))


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """:func:`load_csv` without the validation (for callers that validate next anyway)."""
    name = os.fspath(path)
    try:
        header = pd.read_csv(name, nrows=0, encoding="utf-8-sig")
        missing = [c for c in REQUIRED_COLUMNS if c not in header.columns]
        if missing:
            raise _missing_columns(missing, list(header.columns))
        frame = pd.read_csv(name, dtype={"patient_id": str}, encoding="utf-8-sig", low_memory=False)
    except FileNotFoundError:
        raise AnalysisInputError(f"no such file: {name}") from None
    except IsADirectoryError:
        raise AnalysisInputError(f"{name} is a folder, not a CSV file") from None
    except PermissionError:
        raise AnalysisInputError(f"cannot read {name}: permission denied") from None
    except UnicodeDecodeError:
        raise AnalysisInputError(f"{name} is not UTF-8 text; save the CSV as UTF-8") from None
    except pd.errors.EmptyDataError:
        raise AnalysisInputError(
            f"{name} is empty; it needs a header row with {', '.join(REQUIRED_COLUMNS)}"
        ) from None
    except pd.errors.ParserError as exc:
        raise AnalysisInputError(f"{name} is not a valid CSV ({exc})") from None
    return frame


def validate_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Check observations and return a clean typed copy (``day``, ``pcl5_total`` as int64).

    Raises ``AnalysisInputError`` naming the first problem and its data row (rows
    counted from 1, the header not counted): a missing column, no rows, a blank
    ``patient_id``, a ``day`` that is blank or not a whole number, a ``pcl5_total``
    that is blank, not a number, not whole or outside 0-80, or two totals for one
    patient on one day. Covariate columns are kept as they are; row order too.
    """
    return prepare(df).frame


@dataclasses.dataclass(frozen=True)
class Cohort:
    """Validated observations as arrays sorted by patient, then day (engine-internal).

    ``code`` numbers the patients 0..P-1 in the order of ``ids`` (sorted ids); the
    rows of patient ``p`` are ``bounds[p]:bounds[p + 1]`` of the sorted arrays.
    """

    frame: pd.DataFrame  # the validated frame, input order
    order: np.ndarray  # sorted position -> row of ``frame``
    code: np.ndarray  # patient code of each sorted row
    day: np.ndarray  # int64, sorted rows
    total: np.ndarray  # int64, sorted rows
    ids: pd.Index  # patient id of each code
    bounds: np.ndarray  # P + 1 row offsets

    @property
    def n_patients(self) -> int:
        return len(self.ids)

    @property
    def covariates(self) -> list[str]:
        return [c for c in self.frame.columns if c not in REQUIRED_COLUMNS]

    def patient_values(self, column: str) -> pd.Series:
        """``column``'s first non-blank value per patient in day order, indexed by code."""
        values = self.frame[column].take(self.order)
        first = values.groupby(self.code, sort=True, observed=True).first()
        return first.reindex(range(self.n_patients))

    def subset(self, keep: np.ndarray) -> Cohort:
        """The cohort of the patients whose code has ``keep[code]`` true."""
        rows = keep[self.code]
        new_code = np.cumsum(keep) - 1
        counts = np.diff(self.bounds)[keep]
        return Cohort(
            frame=self.frame,
            order=self.order[rows],
            code=new_code[self.code[rows]],
            day=self.day[rows],
            total=self.total[rows],
            ids=self.ids[keep],
            bounds=np.concatenate([[0], np.cumsum(counts)]),
        )


def prepare(df: pd.DataFrame) -> Cohort:
    """Validate ``df`` (as :func:`validate_frame`) and sort it into a :class:`Cohort`."""
    if not isinstance(df, pd.DataFrame):
        raise AnalysisInputError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise _missing_columns(missing, [str(c) for c in df.columns])
    if len(df) == 0:
        raise AnalysisInputError(
            "no observations: the data has a header but no rows of patient_id, day, pcl5_total"
        )
    frame = df.reset_index(drop=True).copy(deep=False)
    codes, uniques = pd.factorize(frame["patient_id"], sort=True)
    codes = codes.astype(np.int64)
    # Blank ids: missing values get code -1; a text id of only spaces is blank too
    # (checked on the distinct ids, not on every row).
    blank_ids = np.flatnonzero([isinstance(u, str) and not u.strip() for u in uniques])
    blank = (codes < 0) | np.isin(codes, blank_ids)
    if blank.any():
        raise AnalysisInputError(f"patient_id is blank in data row {_row(blank)}")
    day = _whole_numbers(frame, "day", None, None, "(days after the first dose, day 0)")
    total = _whole_numbers(frame, "pcl5_total", 0, PCL5_MAX, "(a complete PCL-5's total)")
    frame["day"], frame["pcl5_total"] = day, total

    # One sort key (patient, day): a stable sort is near linear on data already in order.
    span = int(day.max()) - int(day.min()) + 1
    key = codes * span + (day - day.min())
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    repeat = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
    if repeat.size:
        first, second = sorted(order[repeat[0] : repeat[0] + 2])
        raise AnalysisInputError(
            f"patient {frame['patient_id'].iat[first]} has two totals on day {day[first]} "
            f"(data rows {first + 1} and {second + 1}); keep one PCL-5 per patient and day"
        )
    sorted_code = codes[order]
    counts = np.bincount(sorted_code, minlength=len(uniques))
    return Cohort(
        frame=frame,
        order=order,
        code=sorted_code,
        day=day[order],
        total=total[order],
        ids=pd.Index(uniques),
        bounds=np.concatenate([[0], np.cumsum(counts)]),
    )


def add_bands(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with ``baseline_severity_band`` and, given ``age``, ``age_band``.

    Severity uses the ``baseline`` column when ``df`` has one (a
    :func:`patient_outcomes` frame); otherwise each patient's baseline from the
    observations (the total at or before day 0 nearest to it). Bands:
    ``SEVERITY_BANDS`` (<33, 33–49, 50–80) and ``AGE_BANDS`` (<18, 18–29, 30–39,
    40–49, 50–59, 60+, by completed years); blank where the baseline or age is
    unknown. Both are ordered pandas categoricals.
    """
    out = df.copy()
    if "baseline" in out.columns:
        baseline = pd.to_numeric(out["baseline"], errors="coerce")
    else:
        cohort = prepare(out)
        before = cohort.day <= 0
        counts = np.bincount(cohort.code[before], minlength=cohort.n_patients)
        rows = cohort.bounds[:-1] + counts - 1
        per_patient = np.where(counts > 0, cohort.total[np.maximum(rows, 0)], np.nan)
        codes = np.empty(len(out), dtype=np.int64)
        codes[cohort.order] = cohort.code
        baseline = pd.Series(per_patient[codes], index=out.index)
    severity = [label for label, _, _ in SEVERITY_BANDS]
    edges = [SEVERITY_BANDS[0][1] - 0.5] + [high + 0.5 for _, _, high in SEVERITY_BANDS]
    out["baseline_severity_band"] = pd.cut(baseline, edges, labels=severity, ordered=True)
    if "age" in out.columns:
        age = pd.to_numeric(out["age"], errors="coerce")
        age_edges = [AGE_BANDS[0][1]] + [high for _, _, high in AGE_BANDS]
        out["age_band"] = pd.cut(
            age, age_edges, labels=[b[0] for b in AGE_BANDS], right=False, ordered=True
        )
    return out


def _whole_numbers(
    frame: pd.DataFrame, column: str, low: int | None, high: int | None, note: str
) -> np.ndarray:
    """``frame[column]`` as int64, or ``AnalysisInputError`` naming the first bad row."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        raise AnalysisInputError(f"{column} must be a number {note}, got true/false values")
    if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        values = series.to_numpy(dtype=np.int64)
    else:
        numbers = pd.to_numeric(series, errors="coerce")
        blank = series.isna().to_numpy()
        if blank.any():
            raise AnalysisInputError(f"{column} is blank in data row {_row(blank)} {note}")
        bad = numbers.isna().to_numpy()
        if bad.any():
            row = _row(bad)
            raise AnalysisInputError(
                f"{column} must be a number {note}, got {_show(series.iat[row - 1])} "
                f"in data row {row}"
            )
        floats = numbers.to_numpy(dtype=np.float64)
        fraction = ~np.isfinite(floats) | (floats != np.floor(floats))
        if fraction.any():
            row = _row(fraction)
            raise AnalysisInputError(
                f"{column} must be a whole number {note}, got {_show(series.iat[row - 1])} "
                f"in data row {row}"
            )
        values = floats.astype(np.int64)
    outside = np.zeros(len(values), dtype=bool)
    if low is not None:
        outside |= values < low
    if high is not None:
        outside |= values > high
    if outside.any():
        row = _row(outside)
        raise AnalysisInputError(
            f"{column} must be a whole number from {low} to {high} {note}, "
            f"got {_show(series.iat[row - 1])} in data row {row}"
        )
    return values


def _row(mask: np.ndarray) -> int:
    """The 1-based data row of the first true value."""
    return int(np.argmax(mask)) + 1


def _show(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _missing_columns(missing: list[str], found: list[str]) -> AnalysisInputError:
    names = ", ".join(missing)
    have = ", ".join(found) if found else "none"
    return AnalysisInputError(
        f"missing column(s) {names}; the data needs patient_id, day, pcl5_total "
        f"(columns found: {have})"
    )
