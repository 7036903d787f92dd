"""The crisis-line sentence every message to a patient carries (email and text message).

A patient may read any message from the clinic at a bad moment, and answers or diary notes
may not be read right away, so every message says where to get help now: the clinic's
emergency number and its crisis line (to call, and to text where the line takes texts).
The numbers are clinic settings (``Clinic.emergency_number``, ``crisis_line_phone``,
``crisis_line_sms``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from afterglow.accounts.models import Clinic


def crisis_line_text(clinic: Clinic) -> str:
    text = f" or text {clinic.crisis_line_sms}" if clinic.crisis_line_sms else ""
    return (
        f"Not for emergencies: if you are in danger or thinking of harming yourself, call "
        f"{clinic.emergency_number} now, or call {clinic.crisis_line_phone}{text} "
        f"({clinic.crisis_line}). Your answers may not be read right away."
    )
