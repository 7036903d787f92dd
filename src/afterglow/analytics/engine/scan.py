"""Registry scale: ``analyze`` of a CSV or Parquet file with DuckDB. No Django import.

The figures equal :func:`afterglow.analytics.engine.analyze` of the same data (tests
compare every number); only the reading differs:

1. DuckDB reads the file (CSV: parallel, typed on the fly; Parquet: only the columns
   needed) and checks it in one aggregate pass: blank or non-whole days, totals
   blank, non-whole or outside 0-80 (blank ids are looked for among the patients of
   step 2, one per patient instead of one per row). A problem is then located (data
   row, value) by a second, slower pass (``scan_errors``) that words it exactly as
   ``frame.validate_frame`` does.
2. DuckDB reduces the rows to one row per patient with SQL aggregates grouped by
   ``patient_id`` (``scan_reduce``: the rules of ``patients`` and ``durability``; a
   repeated (patient, day) is found there and worded by ``scan_errors``), in
   ``patient_id`` order; only that table crosses into Python.
3. ``--by`` / ``--covariate`` values (each patient's first non-blank value in day
   order) come from one more DuckDB aggregate, in the same order.
4. The figures (means, Wilson intervals, Kaplan–Meier with lifelines, the REML mixed
   model) are computed from that per-patient table.

The mixed model uses every patient, as the in-memory engine does: it needs only
each patient's sums (``mixed.PatientSums``) pooled by visit pattern, so it costs
the same at 10 million patients as at 10 thousand once the sums are taken.

Memory: DuckDB runs on every core and is capped at ``memory_limit`` (default 4 GB; it
spills to a temporary folder beyond that); Parquet columns are read only where a query
names them. Python holds one row per patient (about 100 bytes each).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from afterglow.analytics.engine.config import AnalysisConfig, AnalysisInputError
from afterglow.analytics.engine.frame import (
    AGE_BANDS,
    REQUIRED_COLUMNS,
    SEVERITY_BANDS,
    _missing_columns,
)
from afterglow.analytics.engine.scan_errors import (
    PANDAS_NULLS,
    first_problem,
    literal,
    quote,
    source_sql,
)
from afterglow.analytics.engine.scan_reduce import reduce_patients
from afterglow.analytics.engine.table import PatientTable, by_groups, table_figures
from afterglow.analytics.engine.warm import imports_during
from afterglow.outcomes.rules import PCL5_MAX

__all__ = ["FORMATS", "analyze_file", "file_format", "numeric_bins"]

FORMATS = ("csv", "parquet")
DEFAULT_MEMORY_LIMIT = "4GB"
_WHOLE_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_DERIVED = ("baseline_severity_band", "age_band")
DEFAULT_CONFIG = AnalysisConfig()


def file_format(path: str, fmt: str | None = None) -> str:
    """``fmt`` if given, else the format named by the extension (.csv, .parquet or .pq)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise AnalysisInputError(f"--format must be csv or parquet, got {fmt!r}")
        return fmt
    lower = path.lower()
    if lower.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    raise AnalysisInputError(
        f"cannot tell the format of {path} from its name; add --format csv or --format parquet"
    )


def analyze_file(
    path: str | os.PathLike[str],
    config: AnalysisConfig = DEFAULT_CONFIG,
    by: str | None = None,
    *,
    fmt: str | None = None,
    bins: tuple[float, ...] | None = None,
    covariate: str | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> dict[str, Any]:
    """The JSON of ``afterglow analyze`` for a CSV or Parquet file (module docstring).

    ``by`` and ``config`` as :func:`afterglow.analytics.engine.analyze`; ``bins``
    (increasing edges) groups a numeric ``by`` column into ``[a, b)`` bands (see
    :func:`numeric_bins`); ``covariate`` adds a numeric per-patient column to the
    mixed model as a fixed effect (``mixed_covariate``). Raises ``AnalysisInputError``
    for a missing or unreadable file, bad data (worded as ``validate_frame``), an
    unknown column or a column of the wrong kind.
    """
    name = os.fspath(path)
    kind = file_format(name, fmt)
    _check_file(name, kind)
    with tempfile.TemporaryDirectory(prefix="afterglow-analyze-") as spill:
        connection = connect(memory_limit=memory_limit, spill=spill)
        try:
            return _analyze(connection, name, kind, config, by, bins, covariate)
        finally:
            connection.close()


def connect(*, memory_limit: str, spill: str) -> duckdb.DuckDBPyConnection:
    """The scan's DuckDB: every core, ``memory_limit``, spilling into ``spill``, and no
    progress bar (DuckDB draws one on the terminal for long queries, over the CLI's
    output)."""
    connection = duckdb.connect(
        config={
            "threads": os.cpu_count() or 1,
            "memory_limit": memory_limit,
            "temp_directory": spill,
            "preserve_insertion_order": False,
        }
    )
    connection.execute("SET enable_progress_bar = false")  # a connection setting, not global
    return connection


def numeric_bins(values: pd.Series, edges: tuple[float, ...], column: str) -> pd.Series:
    """``values`` (numbers) cut into ordered bands ``<a``, ``a–<b`` ..., ``≥z`` (left-closed)."""
    if len(edges) == 0 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise AnalysisInputError(f"--bins must be increasing numbers, got {list(edges)}")
    numbers = pd.to_numeric(values, errors="coerce")
    if values.notna().any() and numbers.notna().sum() < values.notna().sum():
        raise AnalysisInputError(f"--bins needs a numeric --by column; {column} holds text")
    shown = [_number(e) for e in edges]
    labels = [f"<{shown[0]}"]
    labels += [f"{a}–<{b}" for a, b in itertools.pairwise(shown)]
    labels.append(f"≥{shown[-1]}")
    cut_edges = [-np.inf, *edges, np.inf]
    return pd.cut(numbers, cut_edges, labels=labels, right=False, ordered=True)


# --- internals --------------------------------------------------------------------------------


def _analyze(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    kind: str,
    config: AnalysisConfig,
    by: str | None,
    bins: tuple[float, ...] | None,
    covariate: str | None,
) -> dict[str, Any]:
    columns = _columns(connection, name, kind)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise _missing_columns(missing, columns)
    for option, column in (("--by", by), ("--covariate", covariate)):
        if column is None or column in columns:
            continue
        if option == "--by" and column in _DERIVED:
            if column == "age_band" and "age" not in columns:
                raise AnalysisInputError(
                    f"{column} needs an 'age' column, which the data does not have"
                )
            continue
        raise AnalysisInputError(
            f"{option} column {column!r} is not in the {kind.upper() if kind == 'csv' else 'file'} "
            f"(columns found: {', '.join(columns)})"
        )
    extra = {by, covariate, "age" if by == "age_band" else None} - {None, *REQUIRED_COLUMNS}
    # Matching every field against pandas' missing-value texts slows a CSV read by about
    # a sixth; without --by/--covariate only the three required columns are read, and
    # there those texts need no matching (see _blank_id).
    pandas_nulls = kind == "parquet" or bool(extra & set(columns))
    source = source_sql(name, kind, typed=True, pandas_nulls=pandas_nulls)
    try:
        with imports_during():  # the figures' libraries, while DuckDB reads (``warm``)
            if kind == "csv":
                # A CSV is parsed once, into a table of the columns used (Parquet is
                # columnar already and read where needed).
                keep = ", ".join(quote(c) for c in columns if c in {*REQUIRED_COLUMNS, *extra})
                connection.execute(f"CREATE TEMP TABLE observations AS SELECT {keep} FROM {source}")
                source = "observations"
            types = _check_values(connection, source, name, kind)
        reduced = reduce_patients(
            connection, source, config, blank_id=_blank_id(types, pandas_nulls)
        )
    except duckdb.Error as exc:
        raise _problem(connection, name, kind, exc) from None
    if reduced is None:  # a blank id, or two totals on one patient's day
        raise first_problem(connection, name, kind)
    table = reduced
    if covariate is not None:
        values = _patient_values(
            connection,
            source,
            covariate,
            numeric=True,
            refusal=f"--covariate needs a numeric column; {covariate} holds text",
        )
        table = table.with_covariate(values.to_numpy(dtype=np.float64))
    result = table_figures(table, config)
    if covariate is not None:
        result["mixed_model"]["covariate"] = covariate
    result["config"] = config.to_dict()
    if by is not None:
        if by == "baseline_severity_band" and by not in columns:
            values = _severity_bands(table)
        elif by == "age_band" and by not in columns:
            values = _age_bands(_patient_values(connection, source, "age", numeric=True))
        else:
            values = _patient_values(
                connection,
                source,
                by,
                numeric=bins is not None,
                refusal=f"--bins needs a numeric --by column; {by} holds text",
            )
            if bins is not None:
                values = numeric_bins(values, bins, by)
        result["by_column"] = by
        result["n_by_missing"], result["by"] = by_groups(table, values, config)
    return result


def _check_file(name: str, kind: str) -> None:
    if not os.path.exists(name):
        raise AnalysisInputError(f"no such file: {name}")
    if os.path.isdir(name):
        raise AnalysisInputError(f"{name} is a folder, not a {kind.upper()} file")
    if not os.access(name, os.R_OK):
        raise AnalysisInputError(f"cannot read {name}: permission denied")
    if os.path.getsize(name) == 0:
        raise AnalysisInputError(
            f"{name} is empty; it needs a header row with {', '.join(REQUIRED_COLUMNS)}"
        )


def _columns(connection: duckdb.DuckDBPyConnection, name: str, kind: str) -> list[str]:
    try:
        described = connection.execute(
            f"DESCRIBE SELECT * FROM {source_sql(name, kind, typed=False)}"
        ).fetchall()
    except duckdb.Error as exc:
        text = str(exc)
        if "unicode" in text.lower() or "utf-8" in text.lower():
            raise AnalysisInputError(f"{name} is not UTF-8 text; save the CSV as UTF-8") from None
        what = "CSV" if kind == "csv" else "Parquet file"
        raise AnalysisInputError(f"{name} is not a valid {what} ({text.splitlines()[0]})") from None
    return [row[0] for row in described]


def _check_values(
    connection: duckdb.DuckDBPyConnection, source: str, name: str, kind: str
) -> dict[str, str]:
    """One aggregate pass over days and totals; any problem is then located and worded by
    ``scan_errors``. Blank ids are looked for per patient (``_blank_id``), where there
    are 16 times fewer to look at. Returns the column types of ``source``.
    """
    types = dict(
        connection.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})"
        ).fetchall()
    )

    def not_whole(column: str) -> str:
        # Whole-number columns (Parquet integers) can only be blank; others are checked.
        if types.get(column) in _WHOLE_TYPES:
            return f"{column} IS NULL"
        value = f"CAST({column} AS DOUBLE)"
        return f"{value} IS NULL OR NOT isfinite({value}) OR {value} <> floor({value})"

    total = (
        "pcl5_total" if types.get("pcl5_total") in _WHOLE_TYPES else "CAST(pcl5_total AS DOUBLE)"
    )
    row = connection.execute(
        f"""
        SELECT count(*),
               count(*) FILTER ({not_whole("day")}),
               count(*) FILTER ({not_whole("pcl5_total")}
                                OR {total} < 0 OR {total} > {PCL5_MAX})
        FROM {source}
        """
    ).fetchone()
    assert row is not None
    if row[0] == 0:
        raise AnalysisInputError(
            "no observations: the data has a header but no rows of patient_id, day, pcl5_total"
        )
    if any(row[1:]):
        raise first_problem(connection, name, kind)
    return types


def _blank_id(types: dict[str, str], pandas_nulls: bool) -> str:
    """The SQL condition on ``patient_id`` of the ids ``validate_frame`` calls blank.

    Read without ``pandas_nulls``, a CSV id such as ``NA`` arrives as its text, where
    pandas (and the reader with the full list) has a missing value: those texts count
    as blank too, matched exactly as ``nullstr`` matches them.
    """
    patient = (
        "patient_id" if types.get("patient_id") == "VARCHAR" else "CAST(patient_id AS VARCHAR)"
    )
    condition = f"patient_id IS NULL OR trim({patient}) = ''"
    if not pandas_nulls:
        condition += f" OR {patient} IN ({', '.join(literal(v) for v in PANDAS_NULLS if v)})"
    return condition


def _patient_values(
    connection: duckdb.DuckDBPyConnection,
    source: str,
    column: str,
    *,
    numeric: bool,
    refusal: str = "",
) -> pd.Series:
    """Each patient's first non-blank ``column`` value in day order, in ``patient_id`` order."""
    value = f"s.{quote(column)}"
    if numeric:
        value = f"TRY_CAST({value} AS DOUBLE)"
        check = connection.execute(
            f"SELECT count(*) FILTER ({quote(column)} IS NOT NULL "
            f"AND TRY_CAST({quote(column)} AS DOUBLE) IS NULL) FROM {source}"
        ).fetchone()
        if check is not None and check[0]:
            raise AnalysisInputError(refusal or f"{column} must hold numbers, and it holds text")
    frame = connection.execute(
        f"""
        SELECT arg_min({value}, CAST(s.day AS DOUBLE)) FILTER (WHERE {value} IS NOT NULL) AS value
        FROM {source} AS s GROUP BY s.patient_id ORDER BY s.patient_id
        """
    ).df()
    return frame["value"].reset_index(drop=True)


def _severity_bands(table: PatientTable) -> pd.Series:
    baseline = pd.Series(np.where(table.has_baseline, table.baseline.astype(np.float64), np.nan))
    labels = [label for label, _, _ in SEVERITY_BANDS]
    edges = [SEVERITY_BANDS[0][1] - 0.5] + [high + 0.5 for _, _, high in SEVERITY_BANDS]
    return pd.cut(baseline, edges, labels=labels, ordered=True)


def _age_bands(age: pd.Series) -> pd.Series:
    edges = [AGE_BANDS[0][1]] + [high for _, _, high in AGE_BANDS]
    labels = [band[0] for band in AGE_BANDS]
    return pd.cut(pd.to_numeric(age), edges, labels=labels, right=False, ordered=True)


def _problem(
    connection: duckdb.DuckDBPyConnection, name: str, kind: str, exc: duckdb.Error
) -> AnalysisInputError:
    """A DuckDB error while reading typed values: find and word the bad value, else say it."""
    if isinstance(exc, duckdb.ConversionException | duckdb.InvalidInputException):
        try:
            return first_problem(connection, name, kind)
        except duckdb.Error:
            pass
    what = "CSV" if kind == "csv" else "Parquet file"
    return AnalysisInputError(f"{name} is not a valid {what} ({str(exc).splitlines()[0]})")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
