"""CSV formula injection: text that a spreadsheet would run is neutralised, numbers are not."""

from __future__ import annotations

import csv
import io
import math

import pandas as pd
import pytest
from django.urls import reverse

from afterglow.core.csvsafe import csv_writer, neutral_cell, neutral_frame
from afterglow.treatment.models import Protocol
from tests.analytics.cohort import cohort


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Feder 2021 (six infusions)", "Feder 2021 (six infusions)"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_starts_like_a_formula_gets_an_apostrophe(text, expected) -> None:
    assert neutral_cell(text) == expected


@pytest.mark.parametrize("number", [-3, -0.5, 0, 12, 1.5e-3])
def test_numbers_are_untouched(number) -> None:
    assert neutral_cell(number) is number


def test_a_frame_keeps_its_numbers_and_missing_values() -> None:
    frame = pd.DataFrame(
        {
            "day": [-7, 0, 14],
            "change": [-12.5, float("nan"), 3.0],
            "protocol": ["=cmd|' /C calc'!A0", None, "KEPE"],
            "=evil": ["a", "b", "c"],
        }
    )
    out = neutral_frame(frame)
    assert out["day"].tolist() == [-7, 0, 14] and out["day"].dtype == frame["day"].dtype
    assert out["change"].iloc[0] == -12.5 and math.isnan(out["change"].iloc[1])
    assert out["protocol"].tolist() == ["'=cmd|' /C calc'!A0", None, "KEPE"]
    assert list(out.columns) == ["day", "change", "protocol", "'=evil"]
    assert frame["protocol"].iloc[0].startswith("=")  # the input is not changed
    text = out.to_csv(index=False)
    assert "\n-7," in text  # a negative number is written as a number


def test_the_csv_writer_neutralises_every_row() -> None:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["name", "value"])
    writer.writerows([["=1+1", -4], ["@x", 2.5]])
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["name", "value"], ["'=1+1", "-4"], ["'@x", "2.5"]]


def test_the_deidentified_export_neutralises_a_protocol_named_like_a_formula(
    clinic, researcher
) -> None:
    cohort(clinic, 10, consent_research=True)
    Protocol.objects.filter(clinic=clinic).update(name='=HYPERLINK("http://evil.example")')
    response = researcher.client.get(reverse("analytics:export_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 60
    assert {row["protocol"] for row in rows} == {'\'=HYPERLINK("http://evil.example")'}
    cells = [value for row in rows for value in row.values()]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    # Days before the first dose stay negative numbers.
    assert {row["day"] for row in rows} >= {"-7", "0", "14"}
