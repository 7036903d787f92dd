"""The per-patient reduction of the DuckDB reader, as SQL aggregates. No Django import.

``scan`` used to pull every row sorted by (patient, day) into numpy and reduce it there
(``table.patient_table``); here DuckDB reduces the rows itself and only one row per
patient crosses into Python. The rules are those of ``patients`` and ``durability``
(tests compare both engines on edge cases), written as aggregates over each patient's
rows, grouped by ``patient_id`` (a hash aggregate: no sort of the rows):

- **baseline**: ``arg_max(total, day) FILTER (day <= 0)`` (the last row at or before day 0);
  a patient without one is kept, flagged, and left out of every figure.
- **timepoint d**: ``arg_min(total, key) FILTER (day in timepoint_window(d))`` with the
  key of ``patients.match_timepoint`` (distance to d, then day: unique per patient).
- **durability**: the same match at ``config.durability_from`` gives the start day and
  total; the responders' later follow-ups (a join back to their rows) are scanned with
  one window over ``loss_confirmations`` rows: the loss is the first day whose window
  holds that many rows, all failing the response rule (the first such window starts the
  first run of that length, as ``patients.loss_after``); otherwise the time is censored
  at the last follow-up.
- **mixed-model sums** (``mixed.PatientSums``): integer sums over the mixed window
  (exact), ``ty`` as Σ day·total / 7 like ``mixed.patient_sums``.
- **blank ids** are looked for among the grouped ids (one per patient) rather than in
  every row; the caller says which ids count as blank (``blank_id``) and words the
  problem through ``scan_errors``.
- **repeats** (two totals on one day; the caller words it through ``scan_errors``): a
  distinct count per patient would cost more than all the rest, so each patient's days
  are kept as residues modulo 127 in the bits of one 128-bit integer; a patient with
  fewer residues than rows (a repeat, or days 127 apart) is then checked exactly.
- the durability runs are windows over the responders' rows partitioned by the
  ``per_patient`` row (an integer) rather than by ``patient_id`` (text): the same
  partitions, a cheaper sort.

The response rule (``patients.responds``) is built from the config, in integers:
``B > 0 AND 100 (B - T) >= response_percent · B`` (and ``B - T >= reliable_points`` when
required); missing totals are NULL in SQL and never count as 0.
"""

from __future__ import annotations

import duckdb
import numpy as np

from afterglow.analytics.engine.config import AnalysisConfig, timepoint_window
from afterglow.analytics.engine.mixed import DAYS_PER_WEEK, PatientSums
from afterglow.analytics.engine.patients import MISSING
from afterglow.analytics.engine.table import PatientTable

__all__ = ["reduce_patients", "responds_sql"]

_BITS = 127  # residues of the day kept per patient by the repeat check (fits a HUGEINT)


def responds_sql(baseline: str, total: str, config: AnalysisConfig) -> str:
    """``patients.responds`` as a SQL condition on two integer expressions."""
    fall = f"({baseline} - {total})"
    rule = f"({baseline} > 0 AND 100 * {fall} >= {int(config.response_percent)} * {baseline})"
    if config.response_requires_reliable:
        rule = f"({rule} AND {fall} >= {int(config.reliable_points)})"
    return rule


def _match_key(target: int) -> tuple[str, tuple[int, int]]:
    """The ``match_timepoint`` key (distance, then day) and window of timepoint ``target``."""
    low, high = timepoint_window(target)
    return f"(abs(day - {target}) * {high - low + 1} + (day - {low}))", (low, high)


def reduce_patients(
    connection: duckdb.DuckDBPyConnection,
    source: str,
    config: AnalysisConfig,
    *,
    blank_id: str = "patient_id IS NULL",
) -> PatientTable | None:
    """``source``'s patient table in ``patient_id`` order; None if an id is blank or a
    patient repeats a day (the caller words which through ``scan_errors``).

    ``source`` holds checked days and totals (whole days, totals 0-80); ``blank_id`` is
    a SQL condition on ``patient_id`` true for the ids ``validate_frame`` calls blank.
    """
    rows = (
        f"SELECT patient_id, CAST(day AS INTEGER) AS day, CAST(pcl5_total AS INTEGER) AS total "
        f"FROM {source}"
    )
    columns = [
        "count(*) AS n_rows",
        # Distinct days modulo 127 as the bits of a 128-bit integer: a patient with as
        # many residues as rows has no repeated day; only the others are checked exactly.
        f"bit_count(bit_or(CAST(1 AS HUGEINT) << CAST(((day % {_BITS}) + {_BITS}) % {_BITS} "
        "AS HUGEINT))) AS n_residues",
        "arg_max(total, day) FILTER (WHERE day <= 0) AS baseline",
        "max(day) AS last_day",
    ]
    for index, target in enumerate(config.days):
        key, (low, high) = _match_key(target)
        columns.append(
            f"arg_min(total, {key}) FILTER (WHERE day BETWEEN {low} AND {high}) AS tp{index}"
        )
    key, (low, high) = _match_key(config.durability_from)
    in_window = f"FILTER (WHERE day BETWEEN {low} AND {high})"
    columns += [
        f"arg_min(day, {key}) {in_window} AS start_day",
        f"arg_min(total, {key}) {in_window} AS start_total",
    ]
    first, last = config.mixed_window
    mixed = f"FILTER (WHERE day BETWEEN {first} AND {last})"
    columns += [
        f"count(*) {mixed} AS m_n",
        f"sum(CAST(day AS BIGINT)) {mixed} AS m_d",
        f"sum(CAST(day AS BIGINT) * day) {mixed} AS m_dd",
        f"sum(CAST(total AS BIGINT)) {mixed} AS m_y",
        f"sum(CAST(day AS BIGINT) * total) {mixed} AS m_dy",
        f"sum(CAST(total AS BIGINT) * total) {mixed} AS m_yy",
    ]
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE per_patient AS
        SELECT patient_id, {", ".join(columns)},
               start_total IS NOT NULL AND baseline IS NOT NULL
               AND {responds_sql("baseline", "start_total", config)} AS responder
        FROM ({rows}) GROUP BY patient_id
        """
    )
    blank = connection.execute(f"SELECT count(*) FROM per_patient WHERE {blank_id}").fetchone()
    if (blank is not None and blank[0]) or _repeats(connection, rows):
        return None
    k = int(config.loss_confirmations)
    fails = f"CASE WHEN {responds_sql('p.baseline', 'r.total', config)} THEN 0 ELSE 1 END"
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE losses AS
        SELECT patient, min(day) FILTER (WHERE run_rows = {k} AND run_fails = {k}) AS loss_day
        FROM (
            SELECT patient, day,
                   count(*) OVER run AS run_rows, sum(fail) OVER run AS run_fails
            FROM (
                SELECT p.rowid AS patient, r.day, {fails} AS fail
                FROM ({rows}) AS r JOIN per_patient AS p USING (patient_id)
                WHERE p.responder AND r.day > p.start_day
            )
            WINDOW run AS (PARTITION BY patient ORDER BY day
                           ROWS BETWEEN CURRENT ROW AND {k - 1} FOLLOWING)
        )
        GROUP BY patient
        """
    )
    timepoints = ", ".join(f"p.tp{i}" for i in range(len(config.days)))
    got = connection.execute(
        f"""
        SELECT p.n_rows, p.baseline, p.last_day, {timepoints}, p.start_day, p.responder,
               l.loss_day, p.m_n, p.m_d, p.m_dd, p.m_y, p.m_dy, p.m_yy
        FROM per_patient AS p LEFT JOIN losses AS l ON l.patient = p.rowid
        ORDER BY p.patient_id
        """
    ).fetchnumpy()
    return _table(got, config)


def _repeats(connection: duckdb.DuckDBPyConnection, rows: str) -> bool:
    """Whether a patient has two totals on one day (exact, on the patients flagged)."""
    flagged = connection.execute(
        "SELECT count(*) FROM per_patient WHERE n_residues < n_rows"
    ).fetchone()
    if flagged is None or not flagged[0]:
        return False
    found = connection.execute(
        f"""
        SELECT count(*) FROM (
            SELECT patient_id, day FROM ({rows})
            WHERE patient_id IN (SELECT patient_id FROM per_patient WHERE n_residues < n_rows)
            GROUP BY ALL HAVING count(*) > 1
        )
        """
    ).fetchone()
    return found is not None and bool(found[0])


def _filled(column: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """A fetched column with NULL as ``MISSING``."""
    if np.ma.isMaskedArray(column):
        return np.ma.filled(column.astype(dtype), MISSING)  # type: ignore[no-any-return]
    return np.asarray(column, dtype=dtype)


def _zeros(column: np.ndarray) -> np.ndarray:
    """A fetched sum with NULL (no rows) as 0.0."""
    if np.ma.isMaskedArray(column):
        return np.ma.filled(column.astype(np.float64), 0.0)  # type: ignore[no-any-return]
    return np.asarray(column, dtype=np.float64)


def _table(got: dict[str, np.ndarray], config: AnalysisConfig) -> PatientTable:
    baseline = _filled(got["baseline"])
    has_baseline = baseline != MISSING
    last_day = _filled(got["last_day"])
    last_day = np.where(has_baseline & (last_day > 0), last_day, MISSING)
    timepoints = {
        day: np.where(has_baseline, _filled(got[f"tp{i}"]), MISSING).astype(np.int16)
        for i, day in enumerate(config.days)
    }
    responder = _filled(got["responder"], np.int8) == 1
    start = _filled(got["start_day"])
    loss = _filled(got["loss_day"])
    lost = responder & (loss != MISSING)
    end = np.where(lost, loss, last_day)
    duration = np.where(responder, end - start, 0).astype(np.float32)
    keep = has_baseline.astype(np.float64)
    dy = _zeros(got["m_dy"]) * keep
    sums = PatientSums(
        n=_zeros(got["m_n"]) * keep,
        d=_zeros(got["m_d"]) * keep,
        dd=_zeros(got["m_dd"]) * keep,
        y=_zeros(got["m_y"]) * keep,
        ty=dy / DAYS_PER_WEEK,
        yy=_zeros(got["m_yy"]) * keep,
    )
    return PatientTable(
        baseline=baseline.astype(np.int16),
        has_baseline=has_baseline,
        n_rows=np.asarray(got["n_rows"], dtype=np.int32),
        timepoints=timepoints,
        responder=responder,
        duration=duration,
        lost=lost,
        sums=sums,
    )
