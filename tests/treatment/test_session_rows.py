"""The vitals table's display rows give the text the template's filters gave."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone
from django.utils.html import json_script

from afterglow.treatment.charts_sessions import vitals_figure
from afterglow.treatment.models import VitalsReading
from afterglow.treatment.safety import Thresholds
from afterglow.treatment.views.session_rows import figure_script, vitals_lines

#: The cells as the table's template wrote them before the rows were worked out in Python.
CELLS = Template(
    '{{ v.minute }}|{{ v.taken_at|date:"H:i" }}|{{ v.get_phase_display }}|'
    "{{ v.systolic }}/{{ v.diastolic }}|{{ v.heart_rate }}|{{ v.spo2 }}%|{{ v.respiratory_rate }}"
)


def readings() -> list[VitalsReading]:
    taken = dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC)  # the night Europe's clocks change
    return [
        VitalsReading(
            pk=pk,
            taken_at=taken + dt.timedelta(minutes=minute),
            minute=minute,
            phase=phase,
            systolic=120 + minute,
            diastolic=80,
            heart_rate=70,
            spo2=97,
            respiratory_rate=14,
        )
        for pk, (minute, phase) in enumerate(
            ((-15, "pre"), (0, "during"), (45, "during"), (1200, "post")), start=1
        )
    ]


def cells(line) -> str:
    bp = str(line.bp).removeprefix("<strong>").removesuffix("</strong>")
    return "|".join(
        (line.minute, line.time, line.phase, bp, line.heart_rate, line.spo2, line.respiratory_rate)
    )


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("separator", [False, True])
def test_each_cell_is_the_text_the_template_gave(zone: str, separator: bool) -> None:
    rows = readings()
    page = SimpleNamespace(session=SimpleNamespace(started_at=rows[1].taken_at), vitals=rows)
    with timezone.override(ZoneInfo(zone)), override_settings(USE_THOUSAND_SEPARATOR=separator):
        lines = vitals_lines(page, {})  # type: ignore[arg-type]
        expected = [CELLS.render(Context({"v": v})) for v in rows]
    assert [cells(line) for line in lines] == expected
    assert ("1,200" in expected[-1]) is separator  # the setting is honoured either way


def test_before_the_dose_start_a_pre_dose_row_says_pre_and_missing_values_a_dash() -> None:
    row = readings()[0]
    row.systolic = row.diastolic = row.heart_rate = row.spo2 = row.respiratory_rate = None
    page = SimpleNamespace(session=SimpleNamespace(started_at=None), vitals=[row])
    [line] = vitals_lines(page, {})  # type: ignore[arg-type]
    assert (line.minute, str(line.bp), line.heart_rate, line.spo2) == ("pre", "—", "—", "—")


def test_the_figure_script_is_the_bytes_json_script_gave() -> None:
    figure = vitals_figure(readings(), thresholds=Thresholds(), stop_minute=40)
    assert figure_script(figure, "vitals-figure") == json_script(figure, "vitals-figure")
    # Text that could close the script element or start an entity is escaped the same way.
    tricky = {"a": "</script><!-- & é ✓", "b": [1.5, None, True], "c&<>": {"d": "x>y"}}
    assert figure_script(tricky, "f") == json_script(tricky, "f")
    assert "</script><" not in figure_script(tricky, "f").removesuffix("</script>")
