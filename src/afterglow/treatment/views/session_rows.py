"""The dosing page's vitals table as display rows: each cell's text worked out once in
Python, so the table is one compact template loop (issue 13 §2). No queries.

The text is what the template gave: numbers as ``{{ value }}`` shows them (``localize``),
times as ``|date:"H:i"`` in the active timezone, phases by their label. Django's
formatting looks its settings up on every call (≈ 20 µs a number); the rows take the
same text from plain ``str`` when no thousand separator is set, and format the time
from its hour and minute (``H:i`` has no words to translate).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from afterglow.treatment.models import SessionAlert, VitalsReading
from afterglow.treatment.models.sessions import Phase
from afterglow.treatment.selectors_sessions import SessionPage

DASH = "—"


@dataclass(frozen=True)
class VitalsLine:
    """One row of the vitals table; the text is what the template's filters gave."""

    reading: VitalsReading
    css: str  # "phase-during crossed"
    minute: str  # "pre" before the dose start, else the minute
    time: str
    phase: str
    bp: SafeString
    heart_rate: str
    spo2: str
    respiratory_rate: str
    alerts: SafeString


def integer_text() -> Callable[[int], str]:
    """``{{ value }}`` of an integer: ``localize`` only adds a thousand separator, and
    only when the setting asks for one; without it the text is ``str(value)``."""
    if settings.USE_THOUSAND_SEPARATOR:
        return lambda value: str(localize(value))
    return str


def _alerts(alerts: list[SessionAlert]) -> SafeString:
    if not alerts:
        return mark_safe(f'<span class="muted">{DASH}</span>')
    return format_html_join(
        "",
        '<span class="flag {}" title="{}">{}{}</span>',
        (
            (
                "flag-review" if a.level == "pause" else "flag-caution",
                a.message,
                "Pause" if a.level == "pause" else "Reassess",
                mark_safe(' ✓<span class="sr-only"> acknowledged</span>')
                if a.acknowledged_at
                else "",
            )
            for a in alerts
        ),
    )


def vitals_lines(page: SessionPage, by_reading: dict[int, list[SessionAlert]]) -> list[VitalsLine]:
    """The vitals table's rows in reading order, each with its alerts."""
    started = page.session.started_at is not None
    number = integer_text()
    zone = timezone.get_current_timezone()
    phases = {value: str(label) for value, label in Phase.choices}

    def or_dash(value: int | None) -> str:
        return number(value) if value else DASH

    lines = []
    for v in page.vitals:
        alerts = by_reading.get(v.pk, [])
        taken = v.taken_at.astimezone(zone)
        lines.append(
            VitalsLine(
                reading=v,
                css=f"phase-{v.phase}{' crossed' if alerts else ''}",
                minute="pre" if v.phase == "pre" and not started else number(v.minute),
                time=f"{taken.hour:02d}:{taken.minute:02d}",
                phase=phases.get(v.phase, v.phase),
                # Digits and a dash only: nothing to escape.
                bp=(
                    mark_safe(f"<strong>{or_dash(v.systolic)}/{or_dash(v.diastolic)}</strong>")
                    if v.systolic or v.diastolic
                    else mark_safe(DASH)
                ),
                heart_rate=or_dash(v.heart_rate),
                spo2=f"{number(v.spo2)}%" if v.spo2 else DASH,
                respiratory_rate=or_dash(v.respiratory_rate),
                alerts=_alerts(alerts),
            )
        )
    return lines


#: What Django's ``json_script`` escapes, so the JSON cannot close the script element.
_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def figure_script(figure: dict[str, Any], element_id: str) -> SafeString:
    """``{{ figure|json_script:element_id }}`` in Python, the same bytes.

    Django escapes the three characters with ``str.translate``, which on the vitals
    figure's ~5 KB of JSON costs about half a millisecond; three ``replace`` calls
    give the same text in a tenth of that (issue 13 §2).
    """
    text = json.dumps(figure, cls=DjangoJSONEncoder)
    for char, escaped in _SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return format_html(
        '<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text)
    )
