"""The Django-free rules of the Today board: a session's state, and merged alert lines."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from afterglow.treatment.board import (
    AlertItem,
    SessionFacts,
    SessionState,
    alert_lines,
    elapsed_minute,
    reading_clock,
    session_state,
)

NY = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
MIN = dt.timedelta(minutes=1)


def facts(**changes: object) -> SessionFacts:
    base: dict[str, object] = {"infusion": True, "observation_minutes": 120}
    return SessionFacts(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, SessionState.NOT_STARTED),
        (facts(), SessionState.PRE_DOSE),
        (facts(started_at=NOW - 10 * MIN), SessionState.DOSING),
        (facts(started_at=NOW - 50 * MIN, stopped_at=NOW - 10 * MIN), SessionState.OBSERVING),
        # 119 min after the start: not yet; 120 min: the observation time has passed.
        (
            facts(started_at=NOW - 119 * MIN, stopped_at=NOW - 79 * MIN),
            SessionState.OBSERVING,
        ),
        (
            facts(started_at=NOW - 120 * MIN, stopped_at=NOW - 80 * MIN),
            SessionState.READY_FOR_DISCHARGE,
        ),
        # A nasal spray or an injection has no infusion: observing from the start.
        (facts(infusion=False, started_at=NOW - 5 * MIN), SessionState.OBSERVING),
        # An infusion running past the observation time is still dosing until stopped.
        (facts(started_at=NOW - 200 * MIN), SessionState.DOSING),
        (
            facts(started_at=NOW - 60 * MIN, stopped_at=NOW - 20 * MIN, discharged_at=NOW),
            SessionState.READY_FOR_DISCHARGE,
        ),
        (facts(not_dosed=True), SessionState.READY_FOR_DISCHARGE),
        (facts(signed=True, started_at=NOW - 300 * MIN), SessionState.SIGNED),
        (facts(signed=True, not_dosed=True), SessionState.SIGNED),
    ],
)
def test_a_session_state_follows_its_fields(given, expected) -> None:
    assert session_state(given, now=NOW) == expected


def test_elapsed_minutes_drop_seconds_and_never_go_negative() -> None:
    assert elapsed_minute(NOW - dt.timedelta(minutes=35, seconds=59), NOW) == 35
    assert elapsed_minute(NOW + 2 * MIN, NOW) == 0


def test_a_reading_shows_its_minute_and_the_clock_time_it_stands_for() -> None:
    start = dt.datetime(2026, 3, 2, 15, 7, tzinfo=dt.UTC)  # 10:07 New York
    assert reading_clock(start, 35, NY) == "+35 min · 10:42"
    assert reading_clock(start, -5, NY) == "−5 min · 10:02"
    assert reading_clock(None, -1, NY) == "pre-dose"


def bp(pk: int, minute: int, systolic: int, diastolic: int) -> AlertItem:
    return AlertItem(
        pk=pk,
        code="bp_pause",
        level="pause",
        message=f"BP {systolic}/{diastolic} at {minute} min is at or above the pause level",
        minute=minute,
        systolic=systolic,
        diastolic=diastolic,
    )


def test_three_breaches_of_one_reading_are_one_line_naming_the_latest() -> None:
    start = dt.datetime(2026, 3, 2, 15, 7, tzinfo=dt.UTC)
    items = [bp(1, 20, 181, 96), bp(3, 35, 182, 95), bp(2, 30, 190, 99)]
    items.append(
        AlertItem(pk=4, code="spo2_pause", level="pause", message="SpO2", minute=30, spo2=88)
    )
    lines = alert_lines(items, started_at=start, local=NY)
    assert [line.text for line in lines] == [
        "SpO2 88%, +30 min · 10:37",
        "BP 182/95 ×3, last +35 min · 10:42",
    ]
    assert lines[1].pks == (1, 2, 3)


def test_a_pause_line_comes_before_a_reassess_line_and_alerts_without_a_reading_stay_apart() -> (
    None
):
    items = [
        AlertItem(
            pk=1,
            code="predose_bp",
            level="reassess",
            message="Pre-dose BP",
            minute=-1,
            systolic=165,
            diastolic=101,
        ),
        AlertItem(pk=2, code="weight", level="reassess", message="Weight missing"),
        AlertItem(pk=3, code="weight", level="reassess", message="Weight again"),
        AlertItem(pk=4, code="hr_pause", level="pause", message="HR", minute=10, heart_rate=131),
    ]
    lines = alert_lines(items, started_at=None, local=NY)
    assert lines[0].text == "HR 131/min, pre-dose"
    assert {line.text for line in lines[1:]} == {
        "BP 165/101, pre-dose",
        "Weight missing",
        "Weight again",
    }
