"""The dosing page's vitals table as display rows: each cell's text worked out once in
Python, so the table is one compact template loop (issue 13 §2). No queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import localize, time_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from afterglow.treatment.models import SessionAlert, VitalsReading
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


def _or_dash(value: int | None) -> str:
    return str(localize(value)) if value else DASH


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
    lines = []
    for v in page.vitals:
        alerts = by_reading.get(v.pk, [])
        lines.append(
            VitalsLine(
                reading=v,
                css=f"phase-{v.phase}{' crossed' if alerts else ''}",
                minute="pre" if v.phase == "pre" and not started else str(localize(v.minute)),
                time=time_format(timezone.localtime(v.taken_at), "H:i"),
                phase=v.get_phase_display(),
                bp=(
                    format_html(
                        "<strong>{}/{}</strong>", _or_dash(v.systolic), _or_dash(v.diastolic)
                    )
                    if v.systolic or v.diastolic
                    else mark_safe(DASH)
                ),
                heart_rate=_or_dash(v.heart_rate),
                spo2=f"{localize(v.spo2)}%" if v.spo2 else DASH,
                respiratory_rate=_or_dash(v.respiratory_rate),
                alerts=_alerts(alerts),
            )
        )
    return lines
