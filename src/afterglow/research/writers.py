"""Write the research tables as CSV, Stata, SPSS and Parquet, and the manifest. No Django.

- CSV through ``core.csvsafe`` (no cell a spreadsheet would run as a formula);
- Stata ``.dta`` (format 118) with ``pandas.DataFrame.to_stata``: variable labels (Stata
  allows 80 characters; longer ones are cut) and value labels for coded columns (Stata
  requires integer codes; names are at most 32 characters, which every name here is);
- SPSS ``.sav`` with ``pyreadstat.write_sav``: the same variable and value labels;
- Parquet with pyarrow (``DataFrame.to_parquet``), for R (arrow) and Python.

The manifest (``manifest.json``) lists every file with its row count and SHA-256, the
export's parameters and the software version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from afterglow.core.csvsafe import neutral_frame
from afterglow.research.codebook import Variable

__all__ = ["FORMATS", "STATA_LABEL_MAX", "sha256_of", "write_manifest", "write_tables"]

FORMATS = ("csv", "stata", "spss", "parquet")
STATA_LABEL_MAX = 80
STATA_NAME_MAX = 32


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _for_labelled_formats(frame: pd.DataFrame, known: Mapping[str, Variable]) -> pd.DataFrame:
    """Coded columns as floats (missing = NaN, which both formats write as system missing),
    dates as datetimes, text as text (missing = empty)."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        variable = known[column]
        series = frame[column]
        if variable.type == "date":
            out[column] = pd.to_datetime(series)
        elif variable.type in {"integer", "number", "yes/no"}:
            out[column] = pd.to_numeric(series.astype(object).map(_number), errors="raise")
            out[column] = out[column].astype(float)
        else:
            out[column] = series.astype(object).where(series.notna(), "").astype(str)
    return out


def _number(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return float("nan")
    if isinstance(value, bool):
        return int(value)
    return value


def write_tables(
    out: Path,
    tables: Mapping[str, pd.DataFrame],
    known: Mapping[str, Variable],
    formats: Sequence[str],
) -> list[Path]:
    """Write every table in every format; return the paths written (relative order kept)."""
    import pyreadstat

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in tables.items():
        if "csv" in formats:
            path = out / f"{name}.csv"
            neutral_frame(frame).to_csv(path, index=False)
            written.append(path)
        labelled = _for_labelled_formats(frame, known) if {"stata", "spss"} & set(formats) else None
        labels: dict[str, str | None] = {str(c): known[c].label for c in frame.columns}
        value_labels = {
            c: {int(k): v for k, v in known[c].values.items()}
            for c in frame.columns
            if known[c].values
        }
        if "stata" in formats and labelled is not None:
            path = out / f"{name}.dta"
            too_long = [c for c in frame.columns if len(c) > STATA_NAME_MAX]
            if too_long:
                raise ValueError(f"Stata names are at most 32 characters: {', '.join(too_long)}")
            labelled.to_stata(
                path,
                write_index=False,
                version=118,
                variable_labels={c: (text or "")[:STATA_LABEL_MAX] for c, text in labels.items()},
                value_labels=value_labels,
                data_label=f"Afterglow research export: {name}"[:STATA_LABEL_MAX],
            )
            written.append(path)
        if "spss" in formats and labelled is not None:
            path = out / f"{name}.sav"
            pyreadstat.write_sav(
                labelled,
                str(path),
                column_labels=labels,
                variable_value_labels={
                    c: {float(k): v for k, v in m.items()} for c, m in value_labels.items()
                },
            )
            written.append(path)
        if "parquet" in formats:
            path = out / f"{name}.parquet"
            frame.to_parquet(path, index=False, engine="pyarrow")
            written.append(path)
    return written


def write_manifest(
    out: Path, files: Sequence[Path], rows: Mapping[str, int], parameters: Mapping[str, Any]
) -> Path:
    """``manifest.json``: each file's name, table, rows and SHA-256, plus the parameters."""
    entries = []
    for path in files:
        table = path.stem
        entries.append(
            {"file": path.name, "table": table, "rows": rows[table], "sha256": sha256_of(path)}
        )
    manifest = {"files": entries, "parameters": dict(parameters)}
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n")
    return path
