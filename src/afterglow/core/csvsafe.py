"""CSV cells that a spreadsheet will not run as formulas (OWASP "CSV injection").

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(…)``, ``@SUM(…)``,
``-2+3``), which can leak data or run commands when a clinician opens the file. Such a
cell gets a leading apostrophe, which spreadsheets show as text and hide. Numbers are
never touched: a negative number stays a number. Every CSV the application writes goes
through :func:`neutral_cell` (one value), :func:`neutral_frame` (a pandas frame) or
:func:`csv_writer` (Python's ``csv`` module).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMULA_STARTS", "csv_writer", "neutral_cell", "neutral_frame"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutral; numeric columns are left alone."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or str(series.dtype) in {"string", "category"}:
            out[column] = series.map(neutral_cell, na_action="ignore")
    out.columns = [neutral_cell(str(name)) for name in out.columns]
    return out


class _NeutralWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutral_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, **kwargs: Any) -> _NeutralWriter:
    """``csv.writer(stream, **kwargs)`` whose rows are neutralised cell by cell."""
    return _NeutralWriter(csv.writer(stream, **kwargs))
