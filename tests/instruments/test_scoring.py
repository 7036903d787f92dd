"""PCL-5 scoring, checked against hand-worked examples and an independent reference rule.

Expected values here are worked out by hand from the NCPTSD scoring text
(evidence.md §1), not computed with the code under test: total = sum of the 20
items (0-80); clusters B = items 1-5, C = 6-7, D = 8-14, E = 15-20; an item
rated 2 (Moderately) or higher is endorsed; provisional diagnosis needs at
least 1 B, 1 C, 2 D and 2 E items endorsed; probable PTSD = total >= cutoff
(default 33).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterglow.instruments.catalog import get_instrument
from afterglow.instruments.scoring import Score, ScoringInputError, score

PCL5 = get_instrument("pcl5")
PCL5_WEEK = get_instrument("pcl5_past_week")

# Written out from evidence.md §1, deliberately not read from the definition file.
CLUSTERS = {"B": range(0, 5), "C": range(5, 7), "D": range(7, 14), "E": range(14, 20)}


def answers_totalling(total: int) -> list[int]:
    """20 answers summing to ``total``: 4s first, then the remainder, then 0s."""
    answers = []
    for _ in range(20):
        value = min(4, total)
        answers.append(value)
        total -= value
    return answers


# --- hand-worked examples -----------------------------------------------------------------------


def test_a_patient_with_no_symptoms_scores_zero_everywhere() -> None:
    result = score(PCL5, [0] * 20)

    assert result == Score(
        complete=True,
        total=0,
        subscales={"B": 0, "C": 0, "D": 0, "E": 0},
        provisional_diagnosis=False,
        flag=False,
        cutoff=33,
        missing_items=[],
        flag_name="probable_ptsd",
    )


def test_a_patient_who_rates_every_problem_extremely_scores_80_and_meets_every_rule() -> None:
    result = score(PCL5, [4] * 20)

    # B 5x4 = 20, C 2x4 = 8, D 7x4 = 28, E 6x4 = 24; total 80.
    assert result.total == 80
    assert result.subscales == {"B": 20, "C": 8, "D": 28, "E": 24}
    assert result.provisional_diagnosis is True
    assert result.flag is True


def test_a_mixed_response_without_avoidance_is_not_a_provisional_diagnosis() -> None:
    #          B: 1  2  3  4  5   C: 6  7   D: 8  9 10 11 12 13 14   E: 15 16 17 18 19 20
    answers = [3, 2, 1, 0, 2, 1, 0, 2, 1, 0, 3, 2, 1, 0, 4, 0, 2, 1, 0, 3]
    # B = 3+2+1+0+2 = 8; C = 1+0 = 1; D = 2+1+0+3+2+1+0 = 9; E = 4+0+2+1+0+3 = 10.
    # Total = 8+1+9+10 = 28 (< 33, so no probable PTSD).
    # Endorsed (>= 2): B items 1, 2, 5; C none; D items 8, 11, 12; E items 15, 17, 20.
    # C has no endorsed item, so no provisional diagnosis.
    result = score(PCL5, answers)

    assert result.subscales == {"B": 8, "C": 1, "D": 9, "E": 10}
    assert result.total == 28
    assert result.provisional_diagnosis is False
    assert result.flag is False


def test_a_provisional_diagnosis_can_be_met_below_the_probable_ptsd_cutoff() -> None:
    # As above with item 6 raised from 1 to 2: C = 2+0 = 2, total = 29, C now endorsed.
    answers = [3, 2, 1, 0, 2, 2, 0, 2, 1, 0, 3, 2, 1, 0, 4, 0, 2, 1, 0, 3]
    result = score(PCL5, answers)

    assert result.subscales == {"B": 8, "C": 2, "D": 9, "E": 10}
    assert result.total == 29
    assert result.provisional_diagnosis is True
    assert result.flag is False


def test_to_dict_has_exactly_the_documented_keys_in_order() -> None:
    result = score(PCL5, [3, 2, 1, 0, 2, 2, 0, 2, 1, 0, 3, 2, 1, 0, 4, 0, 2, 1, 0, 3])

    assert list(result.to_dict()) == [
        "complete",
        "total",
        "clusters",
        "provisional_diagnosis",
        "probable_ptsd",
        "missing_items",
    ]
    assert result.to_dict() == {
        "complete": True,
        "total": 29,
        "clusters": {"B": 8, "C": 2, "D": 9, "E": 10},
        "provisional_diagnosis": True,
        "probable_ptsd": False,
        "missing_items": [],
    }


# --- provisional diagnosis boundaries -----------------------------------------------------------

# Exactly the minimum: item 1 (B), item 6 (C), items 8 and 9 (D), items 15 and 16 (E) at 2.
MINIMUM = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]


def test_exactly_one_b_one_c_two_d_and_two_e_at_moderately_meets_the_rule() -> None:
    result = score(PCL5, MINIMUM)

    assert result.total == 12
    assert result.provisional_diagnosis is True


@pytest.mark.parametrize(
    ("item", "cluster"),
    [(1, "B"), (6, "C"), (9, "D"), (16, "E")],
)
def test_one_endorsed_item_short_in_any_cluster_fails_the_rule(item: int, cluster: str) -> None:
    answers = list(MINIMUM)
    answers[item - 1] = 1  # "A little bit" is not endorsed

    result = score(PCL5, answers)

    assert result.provisional_diagnosis is False, f"cluster {cluster} is one item short"


def test_a_little_bit_on_every_item_is_not_endorsed_anywhere() -> None:
    result = score(PCL5, [1] * 20)

    assert result.total == 20
    assert result.provisional_diagnosis is False


# --- cutoff -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "flagged"), [(32, False), (33, True), (34, True)])
def test_probable_ptsd_starts_at_the_default_cutoff_of_33(total: int, flagged: bool) -> None:
    result = score(PCL5, answers_totalling(total))

    assert result.total == total
    assert result.cutoff == 33
    assert result.flag is flagged


@pytest.mark.parametrize(("total", "flagged"), [(30, False), (31, True), (32, True), (33, True)])
def test_a_clinic_screening_at_31_flags_from_31(total: int, flagged: bool) -> None:
    result = score(PCL5, answers_totalling(total), cutoff=31)

    assert result.cutoff == 31
    assert result.flag is flagged


@pytest.mark.parametrize("cutoff", [0, 80])
def test_the_cutoff_may_be_any_total_in_range(cutoff: int) -> None:
    assert score(PCL5, [0] * 20, cutoff=cutoff).cutoff == cutoff


@pytest.mark.parametrize("cutoff", [-1, 81, True, 33.0, "33"])
def test_a_cutoff_outside_0_to_80_or_not_an_integer_is_refused(cutoff: object) -> None:
    with pytest.raises(ScoringInputError, match="from 0 to 80"):
        score(PCL5, [0] * 20, cutoff=cutoff)  # type: ignore[arg-type]


# --- incomplete responses -----------------------------------------------------------------------


def test_missing_items_are_listed_and_never_counted_as_zero() -> None:
    answers: list[int | None] = [2] * 20
    answers[2] = None  # item 3 (B)
    answers[6] = None  # item 7 (C)

    result = score(PCL5, answers)

    assert result.complete is False
    assert result.missing_items == [3, 7]
    assert result.total is None
    # D and E were fully answered: 7x2 = 14 and 6x2 = 12.
    assert result.subscales == {"B": None, "C": None, "D": 14, "E": 12}
    assert result.provisional_diagnosis is None
    assert result.flag is None
    assert result.cutoff == 33


def test_an_incomplete_response_gets_no_diagnosis_even_when_the_answers_given_would_meet_it() -> (
    None
):
    answers: list[int | None] = [4] * 20
    answers[19] = None

    result = score(PCL5, answers)

    assert result.provisional_diagnosis is None
    assert result.flag is None
    assert result.to_dict()["missing_items"] == [20]


def test_an_unanswered_form_has_every_item_missing() -> None:
    result = score(PCL5, [None] * 20)

    assert result.missing_items == list(range(1, 21))
    assert result.subscales == {"B": None, "C": None, "D": None, "E": None}


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 19, 21])
def test_the_wrong_number_of_answers_is_refused_with_the_expected_count(count: int) -> None:
    with pytest.raises(ScoringInputError, match=f"has 20 items but {count} answers were given"):
        score(PCL5, [0] * count)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (5, "5"),
        (-1, "-1"),
        (1.5, "1.5"),
        (2.0, "2.0"),
        ("2", '"2"'),
        (True, "true"),
        (False, "false"),
    ],
)
def test_a_value_that_is_not_an_answer_is_refused_naming_the_item(
    value: object, shown: str
) -> None:
    answers: list[object] = [0] * 20
    answers[4] = value

    with pytest.raises(ScoringInputError) as caught:
        score(PCL5, answers)  # type: ignore[arg-type]

    message = str(caught.value)
    assert message.startswith(f"item 5 is {shown},")
    assert "use one of 0, 1, 2, 3, 4" in message


def test_a_string_of_digits_is_not_a_list_of_answers() -> None:
    with pytest.raises(ScoringInputError, match="must be a list"):
        score(PCL5, "0" * 20)  # type: ignore[arg-type]


def test_scoring_input_error_is_a_value_error() -> None:
    assert issubclass(ScoringInputError, ValueError)


# --- properties ---------------------------------------------------------------------------------

answer = st.integers(min_value=0, max_value=4)
complete_answers = st.lists(answer, min_size=20, max_size=20)
any_answers = st.lists(st.none() | answer, min_size=20, max_size=20)


def reference_provisional_diagnosis(answers: list[int]) -> bool:
    """DSM-5 rule written independently of the definition file and of scoring.py."""
    endorsed = [value >= 2 for value in answers]
    return (
        sum(endorsed[0:5]) >= 1
        and sum(endorsed[5:7]) >= 1
        and sum(endorsed[7:14]) >= 2
        and sum(endorsed[14:20]) >= 2
    )


@given(complete_answers)
def test_clusters_add_up_to_the_total_which_stays_within_0_to_80(answers: list[int]) -> None:
    result = score(PCL5, answers)

    assert result.complete
    assert result.total == sum(answers)
    assert 0 <= result.total <= 80
    assert sum(v for v in result.subscales.values() if v is not None) == result.total
    for key, positions in CLUSTERS.items():
        assert result.subscales[key] == sum(answers[i] for i in positions)


@given(complete_answers)
def test_the_diagnosis_matches_the_reference_dsm5_rule(answers: list[int]) -> None:
    assert score(PCL5, answers).provisional_diagnosis is reference_provisional_diagnosis(answers)


@given(complete_answers, st.integers(min_value=0, max_value=80))
def test_the_flag_is_set_exactly_at_or_above_the_cutoff(answers: list[int], cutoff: int) -> None:
    result = score(PCL5, answers, cutoff=cutoff)

    assert result.flag is (sum(answers) >= cutoff)


@given(any_answers.filter(lambda answers: None in answers))
def test_any_missing_answer_makes_the_response_incomplete(answers: list[int | None]) -> None:
    result = score(PCL5, answers)

    assert result.complete is False
    assert result.total is None
    assert result.provisional_diagnosis is None
    assert result.flag is None
    assert result.missing_items == [i + 1 for i, value in enumerate(answers) if value is None]
    for key, positions in CLUSTERS.items():
        part = [answers[i] for i in positions]
        expected = None if None in part else sum(v for v in part if v is not None)
        assert result.subscales[key] == expected


@given(st.data())
def test_reordering_answers_within_a_cluster_changes_no_score(data: st.DataObject) -> None:
    answers = data.draw(complete_answers)
    key = data.draw(st.sampled_from(sorted(CLUSTERS)))
    positions = CLUSTERS[key]
    shuffled = data.draw(st.permutations([answers[i] for i in positions]))
    reordered = list(answers)
    for position, value in zip(positions, shuffled, strict=True):
        reordered[position] = value

    assert score(PCL5, reordered) == score(PCL5, answers)


@given(any_answers)
def test_the_past_week_version_scores_exactly_like_the_past_month_version(
    answers: list[int | None],
) -> None:
    assert score(PCL5_WEEK, answers) == score(PCL5, answers)
