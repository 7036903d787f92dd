"""The PHQ-9: its definition, its scoring, and the generic severity-band and item-alert rules.

Expected values are worked out by hand from Kroenke, Spitzer & Williams 2001
(J Gen Intern Med 16:606-613), not computed with the code under test: total =
sum of the 9 items, each 0 Not at all ... 3 Nearly every day (0-27); severity
0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe;
item 9 (thoughts of being better off dead or of self-harm) above 0 raises an
urgent alert, whether or not the other items were answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afterglow.instruments import catalog
from afterglow.instruments.catalog import CatalogError, get_instrument, load_catalog
from afterglow.instruments.scoring import ScoringInputError, score

PHQ9 = get_instrument("phq9")
DEFINITIONS = Path(catalog.__file__).parent / "definitions"


def answers_totalling(total: int) -> list[int]:
    """9 answers summing to ``total`` (at most 24), item 9 left at 0: 3s first, then the rest."""
    assert total <= 24
    answers = []
    for _ in range(8):
        value = min(3, total)
        answers.append(value)
        total -= value
    return [*answers, 0]


def reference_severity(total: int) -> str:
    """Kroenke 2001 bands, written out independently of the definition file."""
    if total <= 4:
        return "minimal"
    if total <= 9:
        return "mild"
    if total <= 14:
        return "moderate"
    if total <= 19:
        return "moderately severe"
    return "severe"


# --- the shipped definition ---------------------------------------------------------------------


def test_the_phq9_loads_with_9_items_rated_0_to_3_over_the_last_2_weeks() -> None:
    assert PHQ9.name == "Patient Health Questionnaire-9"
    assert PHQ9.title == "PHQ-9 (Last 2 weeks)"
    assert PHQ9.instructions == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert PHQ9.stem == ""  # the paper form has no lead-in besides the instructions
    assert PHQ9.item_numbers == tuple(range(1, 10))
    assert [(o.value, o.label) for o in PHQ9.response_options] == [
        (0, "Not at all"),
        (1, "Several days"),
        (2, "More than half the days"),
        (3, "Nearly every day"),
    ]
    assert (PHQ9.scoring.min, PHQ9.scoring.max) == (0, 27)
    assert PHQ9.subscales == ()
    assert PHQ9.scoring.provisional_diagnosis is None
    assert PHQ9.scoring.cutoff is None


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "Little interest or pleasure in doing things"),
        (2, "Feeling down, depressed, or hopeless"),
        (3, "Trouble falling or staying asleep, or sleeping too much"),
        (4, "Feeling tired or having little energy"),
        (5, "Poor appetite or overeating"),
        (
            6,
            "Feeling bad about yourself \u2014 or that you are a failure or have let yourself "
            "or your family down",
        ),
        (
            7,
            "Trouble concentrating on things, such as reading the newspaper or watching television",
        ),
        (
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite \u2014 being so fidgety or restless that you have been moving around a lot "
            "more than usual",
        ),
        (9, "Thoughts that you would be better off dead or of hurting yourself in some way"),
    ],
)
def test_items_keep_the_official_wording(number: int, text: str) -> None:
    assert PHQ9.item(number).text == text


def test_each_item_asks_about_one_dsm_depression_criterion() -> None:
    # Item 1 anhedonia (A2), item 2 depressed mood (A1), ..., item 9 death/suicide (A9).
    assert [item.criterion for item in PHQ9.items] == [
        "A2",
        "A1",
        "A4",
        "A6",
        "A3",
        "A7",
        "A8",
        "A5",
        "A9",
    ]


def test_the_unscored_tenth_question_is_left_out_and_the_screen_says_so() -> None:
    assert len(PHQ9.items) == 9
    assert "tenth question" in PHQ9.display_note
    assert "not part of the score" in PHQ9.display_note


def test_the_source_licence_and_attribution_name_the_publisher() -> None:
    assert "Kroenke K, Spitzer RL, Williams JBW" in PHQ9.source
    assert "2001;16(9):606" in PHQ9.source
    assert "No permission required to reproduce, translate, display or distribute" in (PHQ9.licence)
    assert "Verify" in PHQ9.licence
    assert "Pfizer" in PHQ9.attribution


def test_the_severity_bands_are_kroenke_2001s() -> None:
    severity = PHQ9.scoring.severity

    assert severity is not None
    assert [(b.min, b.max, b.label) for b in severity.bands] == [
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),
        (20, 27, "severe"),
    ]
    assert "Kroenke" in severity.source


def test_item_9_above_not_at_all_is_an_urgent_alert() -> None:
    (alert,) = PHQ9.scoring.item_alerts

    assert (alert.item, alert.above, alert.code, alert.urgency) == (
        9,
        0,
        "self_harm_thoughts",
        "urgent",
    )
    assert alert.label == "Thoughts of self-harm (PHQ-9 item 9)"
    assert alert.source


# --- hand-worked scores -------------------------------------------------------------------------


def test_no_problems_at_all_is_0_and_minimal_with_no_alert() -> None:
    result = score(PHQ9, [0] * 9)

    assert (result.complete, result.total, result.severity, result.alerts) == (
        True,
        0,
        "minimal",
        (),
    )
    assert result.to_dict() == {
        "complete": True,
        "total": 0,
        "severity": "minimal",
        "clusters": {},
        "provisional_diagnosis": None,
        "alerts": [],
        "missing_items": [],
    }


def test_several_days_on_the_first_five_items_is_5_and_mild() -> None:
    result = score(PHQ9, [1, 1, 1, 1, 1, 0, 0, 0, 0])

    assert result.total == 5  # 1+1+1+1+1
    assert result.severity == "mild"
    assert result.alerts == ()


def test_nearly_every_day_on_every_item_is_27_and_severe_with_the_alert() -> None:
    result = score(PHQ9, [3] * 9)

    assert result.total == 27
    assert result.severity == "severe"
    assert [alert.code for alert in result.alerts] == ["self_harm_thoughts"]


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_each_band_starts_and_ends_where_kroenke_2001_puts_it(total: int, severity: str) -> None:
    result = score(PHQ9, answers_totalling(total))

    assert result.total == total
    assert result.severity == severity


def test_to_dict_has_the_documented_keys_in_order() -> None:
    # 3+1+1+1+1+1+1+1+2 = 12, moderate; item 9 = 2 raises the alert.
    result = score(PHQ9, [3, 1, 1, 1, 1, 1, 1, 1, 2])

    assert list(result.to_dict()) == [
        "complete",
        "total",
        "severity",
        "clusters",
        "provisional_diagnosis",
        "alerts",
        "missing_items",
    ]
    assert result.to_dict()["severity"] == "moderate"
    assert result.to_dict()["alerts"] == ["self_harm_thoughts"]


# --- the item 9 alert ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 2, 3])
def test_any_answer_above_not_at_all_on_item_9_raises_the_alert(value: int) -> None:
    result = score(PHQ9, [0] * 8 + [value])

    assert result.total == value
    assert result.severity == "minimal"  # a low total does not hide the alert
    assert [alert.code for alert in result.alerts] == ["self_harm_thoughts"]
    assert result.alerts[0].urgency == "urgent"


def test_the_alert_fires_even_when_another_item_was_skipped() -> None:
    answers: list[int | None] = [0, 0, None, 0, 0, 0, 0, 0, 1]  # item 3 unanswered

    result = score(PHQ9, answers)

    assert result.complete is False
    assert result.missing_items == [3]
    assert result.total is None
    assert result.severity is None
    assert [alert.code for alert in result.alerts] == ["self_harm_thoughts"]
    assert result.to_dict() == {
        "complete": False,
        "total": None,
        "severity": None,
        "clusters": {},
        "provisional_diagnosis": None,
        "alerts": ["self_harm_thoughts"],
        "missing_items": [3],
    }


def test_not_at_all_on_item_9_raises_no_alert() -> None:
    assert score(PHQ9, [3] * 8 + [0]).alerts == ()


def test_an_unanswered_item_9_raises_no_alert_but_is_listed_as_missing() -> None:
    result = score(PHQ9, [3] * 8 + [None])

    assert result.alerts == ()
    assert result.missing_items == [9]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [4, -1, True, "1", 1.0])
def test_a_value_that_is_not_0_to_3_is_refused(value: object) -> None:
    answers: list[object] = [0] * 9
    answers[0] = value

    with pytest.raises(ScoringInputError) as caught:
        score(PHQ9, answers)  # type: ignore[arg-type]

    assert str(caught.value).startswith("item 1 is ")
    assert "use one of 0, 1, 2, 3" in str(caught.value)


def test_ten_answers_are_refused_because_the_tenth_question_is_not_scored() -> None:
    with pytest.raises(ScoringInputError, match="has 9 items but 10 answers were given"):
        score(PHQ9, [0] * 10)


def test_the_phq9_has_no_cutoff_to_override() -> None:
    with pytest.raises(ScoringInputError, match="phq9 has no cutoff"):
        score(PHQ9, [0] * 9, cutoff=10)


# --- properties ---------------------------------------------------------------------------------

answer = st.integers(min_value=0, max_value=3)


@given(st.lists(answer, min_size=9, max_size=9))
def test_total_and_severity_match_the_reference_for_every_complete_response(
    answers: list[int],
) -> None:
    result = score(PHQ9, answers)

    assert result.total == sum(answers)
    assert result.severity == reference_severity(sum(answers))


@given(st.lists(st.none() | answer, min_size=9, max_size=9))
def test_the_alert_depends_on_item_9_alone(answers: list[int | None]) -> None:
    result = score(PHQ9, answers)

    fired = [alert.code for alert in result.alerts]
    assert fired == (["self_harm_thoughts"] if (answers[8] or 0) > 0 else [])
    if None in answers:
        assert result.total is None and result.severity is None


# --- the generic rules: a broken definition is refused ------------------------------------------


def phq9_data() -> dict[str, Any]:
    return json.loads((DEFINITIONS / "phq9.json").read_text(encoding="utf-8"))


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return mutate


BANDS = "scoring.severity.bands"
ALERT = "scoring.item_alerts.0"
BROKEN = {
    "gap between bands": (_set(f"{BANDS}.1.min", 6), "bands[1] starts at 6, leaving a gap: 5"),
    "overlapping bands": (_set(f"{BANDS}.1.min", 4), "bands[1] starts at 4, overlapping"),
    "first band above the minimum": (_set(f"{BANDS}.0.min", 1), "gap: 0 is in no band"),
    "last band short of the maximum": (_set(f"{BANDS}.4.max", 26), "must end at 27"),
    "last band past the maximum": (_set(f"{BANDS}.4.max", 28), "bands end at 28"),
    "band running backwards": (_set(f"{BANDS}.0.max", -1), "runs backwards"),
    "bands out of order": (lambda d: d["scoring"]["severity"]["bands"].reverse(), "gap: 0"),
    "repeated band label": (_set(f"{BANDS}.1.label", "minimal"), "repeat a label"),
    "band bound as text": (_set(f"{BANDS}.1.min", "5"), "bands[1].min must be an integer"),
    "no bands": (_set(BANDS, []), "bands must be a non-empty list"),
    "severity without a source": (
        lambda d: d["scoring"]["severity"].pop("source"),
        "scoring.severity is missing source",
    ),
    "alert on an unknown item": (_set(f"{ALERT}.item", 10), "item 10 is not an item"),
    "alert threshold not an option": (_set(f"{ALERT}.above", 5), "not a response option"),
    "alert threshold that can never fire": (_set(f"{ALERT}.above", 3), "could never fire"),
    "unknown urgency": (_set(f"{ALERT}.urgency", "asap"), "must be one of urgent, routine"),
    "alert code not an identifier": (_set(f"{ALERT}.code", "self-harm"), "must be an identifier"),
    "misspelt alert key": (_set(f"{ALERT}.threshold", 0), "unknown key(s) threshold"),
    "repeated alert code": (
        lambda d: d["scoring"]["item_alerts"].append(dict(d["scoring"]["item_alerts"][0])),
        "repeat a code",
    ),
    "empty stem": (_set("stem", " "), "stem must be a non-empty string"),
    "cutoff flag clashing with severity": (
        _set(
            "scoring.cutoff",
            {"clinic_setting": "x", "default": 10, "flag": "severity", "label": "x", "source": "x"},
        ),
        "flag 'severity'",
    ),
}


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_a_broken_band_or_alert_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, problem: str
) -> None:
    mutate, expected = BROKEN[problem]
    data = phq9_data()
    mutate(data)
    (tmp_path / "phq9.json").write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)

    assert str(caught.value).startswith("phq9.json: ")
    assert expected in str(caught.value)


def test_bands_and_alerts_are_optional_and_need_no_code(tmp_path: Path) -> None:
    # A two-item yes/no scale with its own bands and a routine alert on item 1.
    data = {
        "code": "tiny",
        "name": "Tiny",
        "short_name": "TINY",
        "version_label": "Today",
        "time_frame": "today",
        "instructions": "Answer both.",
        "response_options": [{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}],
        "items": [
            {"number": 1, "text": "First?", "criterion": "A1", "short_label": "first"},
            {"number": 2, "text": "Second?", "criterion": "A2", "short_label": "second"},
        ],
        "subscales": {},
        "scoring": {
            "method": "sum",
            "min": 0,
            "max": 2,
            "severity": {
                "bands": [
                    {"min": 0, "max": 0, "label": "none"},
                    {"min": 1, "max": 2, "label": "some"},
                ],
                "source": "Test fixture.",
            },
            "item_alerts": [
                {
                    "item": 1,
                    "above": 0,
                    "code": "first_yes",
                    "label": "First",
                    "urgency": "routine",
                    "source": "Test fixture.",
                }
            ],
        },
        "source": "Test fixture.",
        "licence": "Test fixture.",
        "attribution": "Test fixture.",
    }
    (tmp_path / "tiny.json").write_text(json.dumps(data), encoding="utf-8")
    tiny = load_catalog(tmp_path)["tiny"]

    assert score(tiny, [0, 0]).to_dict()["severity"] == "none"
    assert score(tiny, [1, None]).to_dict() == {
        "complete": False,
        "total": None,
        "severity": None,
        "clusters": {},
        "provisional_diagnosis": None,
        "alerts": ["first_yes"],
        "missing_items": [2],
    }
    assert score(tiny, [0, 1]).severity == "some"
