"""The diary table's display rows give the text the template filters gave.

Each row is compared with the old row template (``date``, ``floatformat``, ``yesno``,
``truncatechars`` on the entry) rendered with Django's own filters.
"""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template

from afterglow.charts.tables_diary import diary_lines
from afterglow.diary.models import DiaryEntry
from afterglow.diary.selectors import DiaryDay

#: The diary table's cells as the template drew them before display rows.
FILTERS = Template(
    '{{ d.day|date:"D d M Y" }}|{% if d.entry.none_today %}none{% elif not '
    "d.entry.counts_answered %}not answered{% endif %}|"
    "{% if d.entry.intrusive_memories is None %}-{% else %}{{ d.entry.intrusive_memories }}"
    "{% endif %}|{% if d.entry.flashbacks is None %}-{% else %}{{ d.entry.flashbacks }}"
    "{% endif %}|{% if d.total is None %}-{% else %}{{ d.total }}{% endif %}|"
    "{% if mean is None %}-{% else %}{{ mean|floatformat:1 }}{% endif %}|"
    '{{ d.entry.nightmares|yesno:"Yes,No" }}|'
    "{% if d.entry.peak_distress is None %}-{% else %}{{ d.entry.peak_distress }}{% endif %}|"
    "{{ d.entry.triggers }}|{{ d.entry.note|truncatechars:120 }}"
)


def _ours(line) -> str:
    def dash(value: str | None) -> str:
        return "-" if value is None else value

    flag = "none" if line.none_today else ("not answered" if line.counts_not_answered else "")
    context = Context(
        {
            "text": "|".join(
                [
                    line.day,
                    flag,
                    dash(line.memories),
                    dash(line.flashbacks),
                    dash(line.total),
                    dash(line.mean),
                    line.nightmares,
                    dash(line.distress),
                    line.triggers,
                    line.note,
                ]
            )
        }
    )
    return Template("{{ text }}").render(context)  # escaped like the cells


def entry(day: dt.date, **fields) -> DiaryEntry:
    return DiaryEntry(day=day, **fields)


def test_each_row_reads_as_the_filters_wrote_it() -> None:
    start = dt.date(2026, 11, 28)  # a Saturday: the week crosses a month end
    days = [
        DiaryDay(start, entry(start, intrusive_memories=3, flashbacks=1, peak_distress=7)),
        DiaryDay(start + dt.timedelta(days=1), None),  # missing, not zero
        DiaryDay(
            start + dt.timedelta(days=2),
            entry(
                start + dt.timedelta(days=2),
                none_today=True,
                intrusive_memories=0,
                flashbacks=0,
                nightmares=True,
                triggers="loud <bang> & smoke",
            ),
        ),
        DiaryDay(
            start + dt.timedelta(days=3),
            # An urgent note without counts: the total is unknown, never 0.
            entry(start + dt.timedelta(days=3), urgent=True, note="x" * 119 + "<é>" + "y" * 30),
        ),
        DiaryDay(start + dt.timedelta(days=4), entry(start + dt.timedelta(days=4), flashbacks=2)),
    ]
    # 2.25 rounds half up to 2.3 with floatformat (a binary float rounds half to even).
    means = [(d.day, mean) for d, mean in zip(days, [None, None, 2.25, 4.0, 1 / 3], strict=True)]

    lines = diary_lines(days, means)

    assert [line.day for line in lines] == [
        "Wed 02 Dec 2026",
        "Tue 01 Dec 2026",
        "Mon 30 Nov 2026",
        "Sun 29 Nov 2026",
        "Sat 28 Nov 2026",
    ]
    by_day = dict(means)
    for line, day in zip(lines, reversed(days), strict=True):
        expected = FILTERS.render(Context({"d": day, "mean": by_day[day.day]}))
        if day.entry is None:
            assert not line.recorded and (line.day, line.mean) == (expected.split("|")[0], None)
            continue
        assert line.recorded and _ours(line) == expected
    assert [line.mean for line in lines] == ["0.3", "4.0", "2.3", None, None]
    assert lines[1].urgent and lines[1].total is None and lines[1].memories is None
    assert lines[0].total is None and lines[0].flashbacks == "2"  # one count is not a total
    assert lines[1].note == "x" * 119 + "…"  # 120 characters with the ellipsis
