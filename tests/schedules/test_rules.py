"""The schedule rules on a hand-worked course (no database).

Every expected time below was worked out by hand from the default definition: send hour
09:00 New York, the course of ``conftest`` (doses planned Mon 2, Wed 4, Fri 6, Mon 9,
Wed 11, Fri 13 March 2026), and daylight-saving time starting on Sunday 8 March.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from afterglow.schedules.rules import (
    Anchors,
    Dose,
    ScheduleDefinitionError,
    definition_data,
    load_definition,
    occurrences,
    parse_definition,
)
from tests.schedules.conftest import NY, PLANNED, START, ny

UTC = dt.UTC


def planned_anchors(dates: list[dt.date] = PLANNED) -> Anchors:
    return Anchors(
        course_start=dates[0], doses=tuple(Dose(n, day) for n, day in enumerate(dates, 1))
    )


def by_key(anchors: Anchors) -> dict[str, tuple[dt.datetime, dt.datetime | None]]:
    return {o.key: (o.due_at, o.closes_at) for o in occurrences(load_definition(), anchors, NY)}


# (key, due, end of window or None for "the clinic's link lifetime"), worked by hand.
EXPECTED_PLANNED = [
    ("diary@daily", ny(2, 23), ny(4, 11, 0)),  # a week before; until 28 days after 13 Mar
    ("pcl5@baseline", ny(2, 28), ny(3, 3, 0)),  # 2 days before; closes end of 2 Mar
    ("phq9@dose:1", ny(3, 1), ny(3, 3, 0)),  # the day before dose 1
    ("pcl5@first_dose+24h", ny(3, 3), ny(3, 6)),  # 2 Mar 09:00 + 24 h; window 72 h
    ("phq9@dose:2", ny(3, 3), ny(3, 5, 0)),
    ("phq9@dose:3", ny(3, 5), ny(3, 7, 0)),
    ("phq9@dose:4", ny(3, 8), ny(3, 10, 0)),  # Sunday 8 March: already EDT
    ("phq9@dose:5", ny(3, 10), ny(3, 12, 0)),
    ("phq9@dose:6", ny(3, 12), ny(3, 14, 0)),
    ("pcl5@end_of_course", ny(3, 14), None),  # the day after the last dose
    ("pcl5@after_course:w1", ny(3, 20), None),
    ("pcl5@after_course:w2", ny(3, 27), None),
    ("pcl5@after_course:w3", ny(4, 3), None),
    ("pcl5@after_course:w4", ny(4, 10), None),
    ("pcl5@after_course:m2", ny(5, 12), None),  # 13 Mar + 60 days
    ("pcl5@after_course:m3", ny(6, 11), None),
    ("pcl5@after_course:m4", ny(7, 11), None),
    ("pcl5@after_course:m5", ny(8, 10), None),
    ("pcl5@after_course:m6", ny(9, 9), None),  # 13 Mar + 180 days: six months
]


def test_the_default_schedule_on_a_planned_six_dose_course() -> None:
    found = occurrences(load_definition(), planned_anchors(), NY)
    assert [(o.key, o.due_at, o.closes_at) for o in found] == EXPECTED_PLANNED
    instruments = {o.key: o.instrument for o in found}
    assert instruments["pcl5@baseline"] == "pcl5"
    assert instruments["pcl5@first_dose+24h"] == "pcl5_past_week"
    assert instruments["phq9@dose:4"] == "phq9"
    labels = {o.key: o.label for o in found}
    assert labels["phq9@dose:3"] == "Before dose 3"
    assert labels["pcl5@after_course:w2"] == "Week 2 after the course"
    assert labels["pcl5@after_course:m6"] == "Month 6 after the course"
    diary = found[0]
    assert diary.daily and diary.period == (dt.date(2026, 2, 23), dt.date(2026, 4, 10))


def test_a_date_offset_keeps_the_local_hour_across_daylight_saving() -> None:
    found = by_key(planned_anchors())
    # 09:00 on both sides of 8 March: 14:00 UTC in EST, 13:00 UTC in EDT.
    assert found["phq9@dose:3"][0].astimezone(UTC).hour == 14
    assert found["phq9@dose:4"][0].astimezone(UTC).hour == 13


def test_recorded_doses_replace_planned_dates_and_keys_stay_the_same() -> None:
    # Dose 1 given a day late, on Tuesday 3 March at 14:20.
    given = ny(3, 3, 14, 20)
    anchors = Anchors(
        course_start=START,
        doses=(Dose(1, given), *(Dose(n, d) for n, d in enumerate(PLANNED[1:], 2))),
    )
    found = by_key(anchors)
    assert set(found) == {key for key, _, _ in EXPECTED_PLANNED}
    assert found["pcl5@first_dose+24h"] == (ny(3, 4, 14, 20), ny(3, 7, 14, 20))
    # Before dose 1: the day before its real date, closing when it started.
    assert found["phq9@dose:1"] == (ny(3, 2), given)
    # The baseline stays anchored to the course start but closes at the real first dose.
    assert found["pcl5@baseline"] == (ny(2, 28), given)


def test_hours_are_elapsed_time_across_daylight_saving() -> None:
    # Saturday 7 March 10:00 EST + 24 h = Sunday 8 March 11:00 EDT (a 23-hour day).
    anchors = Anchors(course_start=dt.date(2026, 3, 7), doses=(Dose(1, ny(3, 7, 10)),))
    due, _ = by_key(anchors)["pcl5@first_dose+24h"]
    assert due == ny(3, 8, 11)
    # (Subtract in UTC: Python ignores the offsets between times of the same zone.)
    assert due.astimezone(UTC) - ny(3, 7, 10).astimezone(UTC) == dt.timedelta(hours=24)


def test_a_single_dose_course_does_not_ask_for_the_pcl5_twice_the_same_morning() -> None:
    found = by_key(planned_anchors([START]))
    assert "pcl5@first_dose+24h" in found
    assert "pcl5@end_of_course" not in found  # due 3 Mar 09:00 too: within 48 h
    assert found["pcl5@after_course:w1"][0] == ny(3, 9)
    assert "phq9@dose:1" in found and "phq9@dose:2" not in found


def test_a_two_week_gap_keeps_the_end_of_course_questionnaire() -> None:
    found = by_key(planned_anchors([START, dt.date(2026, 3, 16)]))
    assert found["pcl5@end_of_course"][0] == ny(3, 17)


def test_maintenance_doses_get_a_phq9_but_do_not_move_the_end_of_the_course() -> None:
    anchors = Anchors(
        course_start=START,
        doses=(
            *(Dose(n, d) for n, d in enumerate(PLANNED, 1)),
            Dose(7, dt.date(2026, 4, 13), course=False),
        ),
    )
    found = by_key(anchors)
    assert found["phq9@dose:7"][0] == ny(4, 12)
    assert found["pcl5@end_of_course"][0] == ny(3, 14)


def test_without_any_dose_nothing_is_scheduled() -> None:
    # A course ended before its first dose: every item needs a dose to anchor or close.
    assert occurrences(load_definition(), Anchors(course_start=START), NY) == []


def test_a_naive_recorded_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Dose(1, dt.datetime(2026, 3, 2, 10))


# --- the definition is checked when loaded ---------------------------------------------


def broken(change) -> dict:
    data = copy.deepcopy(definition_data("default"))
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["items"][1].update(anchor="first"),
            "items[1].anchor: 'first' is not one of course_start, first_dose, dose, last_dose",
        ),
        (
            lambda d: d["items"][5].update(key="phq9@dose"),
            "items[5].key: a repeated or per-dose item needs {n} in its key",
        ),
        (lambda d: d["items"][0].update(instrument="gad7"), "items[0].instrument: 'gad7'"),
        (lambda d: d["items"][0].update(ofset={"days": 1}), "items[0]: unknown field 'ofset'"),
        (
            lambda d: d["items"][2]["offset"].update(days="1"),
            "items[2].offset.days: expected a whole number, got text",
        ),
        (lambda d: d["items"][6].pop("daily_until"), "items[6].daily_until: the diary item"),
        (
            lambda d: d["items"][2]["skip_if_within"].update(key="pcl5@nowhere"),
            "items[2].skip_if_within.key: 'pcl5@nowhere' is not the key",
        ),
        (lambda d: d["items"].append(d["items"][0]), "items[7].key: 'pcl5@baseline' is used twice"),
        (lambda d: d.update(send_hour=24), "send_hour: must be between 0 and 23, got 24"),
        (lambda d: d.update(items=[]), "items: expected a non-empty list"),
        (
            lambda d: d["items"][1].update(closes_before="dose"),
            'items[1].closes_before: "dose" closes only per-dose items',
        ),
    ],
)
def test_a_broken_definition_is_refused_with_the_place_and_the_problem(change, message) -> None:
    with pytest.raises(ScheduleDefinitionError) as caught:
        parse_definition(broken(change), where="mine.json")
    assert str(caught.value).startswith("mine.json: ")
    assert message in str(caught.value)


def test_the_shipped_definition_is_valid_and_every_item_has_a_note() -> None:
    definition = load_definition()
    assert definition.send_hour == 9
    assert {item.instrument for item in definition.items} == {
        "pcl5",
        "pcl5_past_week",
        "phq9",
        "diary",
    }
    assert all(item.note for item in definition.items)
    with pytest.raises(ScheduleDefinitionError, match="no such schedule definition"):
        load_definition("nonexistent")
