"""De-identification rules: keyed pseudonyms, date shifts, top-coding, small-cell suppression."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from afterglow.research.deid import (
    SUPPRESSED,
    date_shift_days,
    pseudonym,
    shift_date,
    suppress_small_cells,
    top_code_age,
)

KEY = "test-key"


def test_a_pseudonym_is_stable_for_one_recipient_and_differs_for_another() -> None:
    one = pseudonym(key=KEY, recipient="Yale PTSD study", subject="home:1")
    assert one == pseudonym(key=KEY, recipient="  yale ptsd STUDY ", subject="home:1")
    assert one != pseudonym(key=KEY, recipient="Other team", subject="home:1")
    assert one != pseudonym(key=KEY, recipient="Yale PTSD study", subject="home:2")
    assert one != pseudonym(key="another key", recipient="Yale PTSD study", subject="home:1")
    assert len(one) == 12 and one.startswith("R")


def test_without_a_key_nothing_is_pseudonymised() -> None:
    with pytest.raises(ValueError, match="RESEARCH_PSEUDONYM_KEY"):
        pseudonym(key="", recipient="x", subject="home:1")


def test_date_shifts_stay_within_the_bound_are_never_zero_and_use_the_whole_range() -> None:
    shifts = [
        date_shift_days(key=KEY, recipient="r", subject=f"home:{n}", shift_days=5)
        for n in range(2000)
    ]
    assert set(shifts) == {-5, -4, -3, -2, -1, 1, 2, 3, 4, 5}
    # Roughly uniform: each of the 10 values about 200 times (binomial sd ~13).
    counts = pd.Series(shifts).value_counts()
    assert counts.min() > 140 and counts.max() < 260
    with pytest.raises(ValueError):
        date_shift_days(key=KEY, recipient="r", subject="home:1", shift_days=0)


def test_one_shift_keeps_the_interval_between_two_dates() -> None:
    first, later = dt.date(2026, 2, 27), dt.date(2026, 3, 30)
    for shift in (-180, -1, 1, 45):
        assert shift_date(later, shift) - shift_date(first, shift) == later - first
    assert shift_date(dt.datetime(2026, 1, 1, 23, 30), 1) == dt.date(2026, 1, 2)
    assert shift_date(None, 3) is None


def test_ages_above_90_are_written_as_90() -> None:
    assert top_code_age(89) == 89
    assert top_code_age(90) == 90
    assert top_code_age(97) == 90
    assert top_code_age(None) is None


def test_patients_in_cells_smaller_than_k_lose_their_quasi_identifiers_only() -> None:
    people = pd.DataFrame(
        {
            "patient_id": [1, 2, 3, 4, 5, 6],
            "sex": ["female", "female", "female", "male", "male", "female"],
            "age_band": ["30–39"] * 5 + ["60+"],
            "population": ["veteran", "veteran", "veteran", "civilian", "civilian", "veteran"],
            "age": [31.0, 35.0, 38.0, 33.0, 36.0, 92.0],
            "outcome": [10, 20, 30, 40, 50, 60],
        }
    )
    out, suppressed = suppress_small_cells(people, k=3)
    # Cells: (female, 30–39, veteran) = 3 patients, (male, 30–39, civilian) = 2, (female, 60+,
    # veteran) = 1: the last two cells (3 patients) are below k = 3.
    assert suppressed == 3
    assert list(out["sex"]) == ["female"] * 3 + [SUPPRESSED] * 3
    assert list(out["population"]) == ["veteran"] * 3 + [SUPPRESSED] * 3
    assert out["age"].isna().tolist() == [False] * 3 + [True] * 3
    assert list(out["outcome"]) == [10, 20, 30, 40, 50, 60]
    assert suppress_small_cells(people, k=1)[1] == 0
