"""The DuckDB reader's sources and its error messages, worded as ``frame.validate_frame``'s.

Only reached when ``scan`` has found that something is wrong: this pass numbers the
rows (one thread, file order) and looks for the first problem in the order
``frame.prepare`` checks them (blank ids; then ``day``: blank, not a number, not
whole; then ``pcl5_total``: blank, not a number, not whole, outside 0-80; then two
totals for one patient and day), so both readers give the same one-line reason.
No Django import.
"""

from __future__ import annotations

import duckdb

from afterglow.analytics.engine.config import AnalysisInputError
from afterglow.analytics.engine.frame import _show
from afterglow.outcomes.rules import PCL5_MAX

__all__ = ["PANDAS_NULLS", "first_problem", "literal", "quote", "source_sql"]

#: The texts pandas reads as missing (``pandas.read_csv``'s default ``na_values``), so a
#: CSV means the same to both readers.
PANDAS_NULLS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
_NOTES = {
    "day": "(days after the first dose, day 0)",
    "pcl5_total": "(a complete PCL-5's total)",
}


def quote(identifier: str) -> str:
    """``identifier`` as a DuckDB quoted identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def source_sql(
    name: str, kind: str, *, typed: bool, text: bool = False, pandas_nulls: bool = True
) -> str:
    """The table function reading ``name``.

    ``typed``: CSV ids as text and ``day``, ``pcl5_total`` as numbers (a value that is
    not one stops the read with a conversion error); ``text``: every CSV column as text.
    ``pandas_nulls``: the texts of ``PANDAS_NULLS`` read as missing, as pandas does;
    otherwise only empty fields (faster: the caller then treats those texts itself).
    """
    if kind == "parquet":
        return f"read_parquet({literal(name)})"
    nulls = ", ".join(literal(value) for value in (PANDAS_NULLS if pandas_nulls else ("",)))
    options = [f"header = true, nullstr = [{nulls}]", "encoding = 'utf-8'"]
    if text:
        options.append("all_varchar = true")
    elif typed:
        options.append("types = {'patient_id': 'VARCHAR', 'day': 'DOUBLE', 'pcl5_total': 'DOUBLE'}")
    return f"read_csv({literal(name)}, {', '.join(options)})"


def first_problem(
    connection: duckdb.DuckDBPyConnection, name: str, kind: str
) -> AnalysisInputError:
    """The reason ``validate_frame`` would give for the data in ``name``."""
    connection.execute("SET threads TO 1")
    connection.execute("SET preserve_insertion_order = true")
    source = source_sql(name, kind, typed=False, text=True)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE numbered AS "
        f"SELECT patient_id, day, pcl5_total, row_number() OVER () AS data_row FROM {source}"
    )
    types = dict(
        connection.execute("SELECT column_name, column_type FROM (DESCRIBE numbered)").fetchall()
    )
    row = _first(
        connection,
        "patient_id",
        "patient_id IS NULL OR regexp_matches(CAST(patient_id AS VARCHAR), '^\\s*$')",
    )
    if row is not None:
        return AnalysisInputError(f"patient_id is blank in data row {row[0]}")
    for column, low, high in (("day", None, None), ("pcl5_total", 0, PCL5_MAX)):
        problem = _column_problem(connection, column, types[column], kind, low, high)
        if problem is not None:
            return problem
    pair = connection.execute(
        """
        SELECT patient_id, CAST(day AS DOUBLE) AS d FROM numbered
        GROUP BY ALL HAVING count(*) > 1 ORDER BY patient_id, d LIMIT 1
        """
    ).fetchone()
    if pair is not None:
        rows = [
            r[0]
            for r in connection.execute(
                "SELECT data_row FROM numbered WHERE patient_id = ? AND CAST(day AS DOUBLE) = ? "
                "ORDER BY data_row LIMIT 2",
                [pair[0], pair[1]],
            ).fetchall()
        ]
        return AnalysisInputError(
            f"patient {pair[0]} has two totals on day {int(pair[1])} "
            f"(data rows {rows[0]} and {rows[1]}); keep one PCL-5 per patient and day"
        )
    return AnalysisInputError(f"{name} could not be read (no single bad value found)")


def _column_problem(
    connection: duckdb.DuckDBPyConnection,
    column: str,
    data_type: str,
    kind: str,
    low: int | None,
    high: int | None,
) -> AnalysisInputError | None:
    note = _NOTES[column]
    if data_type == "BOOLEAN":
        return AnalysisInputError(f"{column} must be a number {note}, got true/false values")
    text = data_type == "VARCHAR"
    number = f"TRY_CAST({column} AS DOUBLE)"
    row = _first(connection, column, f"{column} IS NULL")
    if row is not None:
        return AnalysisInputError(f"{column} is blank in data row {row[0]} {note}")
    row = _first(connection, column, f"{number} IS NULL")
    if row is not None:
        return AnalysisInputError(
            f"{column} must be a number {note}, got {_shown(row[1], text)} in data row {row[0]}"
        )
    # Past the checks above, pandas has read a CSV column as numbers; Parquet keeps its type.
    shows_text = text and kind == "parquet"
    row = _first(connection, column, f"NOT isfinite({number}) OR {number} <> floor({number})")
    if row is not None:
        return AnalysisInputError(
            f"{column} must be a whole number {note}, got {_shown(row[1], shows_text)} "
            f"in data row {row[0]}"
        )
    if low is not None and high is not None:
        row = _first(connection, column, f"{number} < {low} OR {number} > {high}")
        if row is not None:
            return AnalysisInputError(
                f"{column} must be a whole number from {low} to {high} {note}, "
                f"got {_shown(row[1], shows_text)} in data row {row[0]}"
            )
    return None


def _first(
    connection: duckdb.DuckDBPyConnection, column: str, condition: str
) -> tuple[int, object] | None:
    """``(data_row, column's value)`` of the first row meeting ``condition``, or None."""
    found = connection.execute(
        f"SELECT data_row, {column} FROM numbered WHERE {condition} ORDER BY data_row LIMIT 1"
    ).fetchone()
    return None if found is None else (int(found[0]), found[1])


def _shown(value: object, text: bool) -> str:
    if text:
        return repr(value) if isinstance(value, str) else _show(value)
    if isinstance(value, str):
        try:
            return _show(float(value))
        except ValueError:
            return repr(value)
    return _show(value)
