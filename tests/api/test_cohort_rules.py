"""Minimum-N suppression of the analyze JSON (Django-free, hand-built input)."""

from __future__ import annotations

from afterglow.api.cohort_rules import hide_small_groups


def block(n_patients: int, n14: int, responders: int, mixed_n: int) -> dict:
    return {
        "n_patients": n_patients,
        "timepoints": {
            "1": {"day": 1, "window": [0, 2], "n": n_patients, "mean_change": -3.0},
            "14": {"day": 14, "window": [10, 18], "n": n14, "mean_change": -12.5},
        },
        "durability": {"from_day": 14, "n_responders": responders, "n_lost": 1},
        "mixed_model": {"slope_per_week": -2.0, "n_patients": mixed_n},
    }


def test_each_figure_below_min_n_is_hidden_and_the_rest_kept() -> None:
    analysis = {**block(12, 4, 3, 12), "config": {"cutoff": 33}, "by_column": "sex"}
    analysis["by"] = {"female": block(10, 10, 10, 10), "male": block(2, 2, 1, 2)}
    out = hide_small_groups(analysis, 10)
    assert out["timepoints"]["1"] == {
        "day": 1,
        "window": [0, 2],
        "n": 12,
        "mean_change": -3.0,
        "shown": True,
    }
    assert out["timepoints"]["14"] == {
        "day": 14,
        "window": [10, 18],
        "shown": False,
        "reason": "fewer than 10 patients",
    }
    assert out["durability"] == {
        "from_day": 14,
        "shown": False,
        "reason": "fewer than 10 responders",
    }
    assert out["mixed_model"]["shown"] is True and out["config"] == {"cutoff": 33}
    assert out["by"]["female"]["timepoints"]["14"]["shown"] is True
    assert out["by"]["female"]["durability"]["n_responders"] == 10
    assert out["by"]["male"] == {"shown": False, "reason": "fewer than 10 patients"}


def test_a_cohort_below_min_n_shows_nothing_not_even_its_groups() -> None:
    analysis = {**block(9, 9, 9, 9), "by": {"a": block(9, 9, 9, 9)}}
    assert hide_small_groups(analysis, 10) == {"shown": False, "reason": "fewer than 10 patients"}
