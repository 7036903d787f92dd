"""The Today board of the dosing day (nurses, prescribers) and the therapist's home.

The board's table refreshes itself: htmx (``static/vendor/htmx``) fetches
``board:today_rows`` every 15 s and swaps the table in place, so a session a
colleague starts, doses or signs shows up without a reload.

Audit: opening the board records one ``today_board`` read (``@audited_read``). A poll
records another ``today_board`` read only when the patients it shows differ from those
the last recorded read showed in this browser session (a new booking, a walk-in): the
log then says who could see which patients, without an event every 15 s per open
screen (docs/audit.md).
"""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.shortcuts import render

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.models import Action
from afterglow.audit.reads import audited_read
from afterglow.audit.services import audit_record
from afterglow.treatment.selectors_board import TodayBoard, today_board
from afterglow.treatment.selectors_therapist import Scope
from afterglow.treatment.selectors_therapist import therapist_home as therapist_home_read

#: How often the board asks for fresh rows (seconds); the template's hx-trigger uses it.
POLL_SECONDS = 15
#: The browser-session key holding the fingerprint of the patients last audited.
SEEN_KEY = "today_board_seen"


def _fingerprint(board: TodayBoard) -> str:
    ids = sorted({row.patient.pk for row in board.rows} | {d.patient.pk for d in board.due})
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]


def _context(request: StaffRequest, board: TodayBoard) -> dict[str, object]:
    membership = request.membership
    return {
        "board": board,
        "poll_seconds": POLL_SECONDS,
        "can_dose": has_capability(membership, Capability.DOSING),
        "clinic": membership.clinic,
    }


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("today_board")
def today(request: StaffRequest) -> HttpResponse:
    board = today_board(clinic=request.membership.clinic)
    request.session[SEEN_KEY] = _fingerprint(board)
    return render(request, "treatment/board/today.html", _context(request, board))


@staff_required(capability=Capability.CLINICAL_RECORD)
def today_rows(request: StaffRequest) -> HttpResponse:
    """The board's table alone, for the 15-second poll (audited when its patients change)."""
    clinic = request.membership.clinic
    board = today_board(clinic=clinic)
    seen = _fingerprint(board)
    if request.session.get(SEEN_KEY) != seen:
        audit_record(
            action=Action.READ,
            request=request,
            clinic=clinic.pk,
            object_type="today_board",
            note="refreshed: patients shown changed",
        )
        request.session[SEEN_KEY] = seen
    return render(request, "treatment/board/_rows.html", _context(request, board))


@staff_required(capability=Capability.THERAPY)
@audited_read("therapist_home")
def therapist_home(request: StaffRequest) -> HttpResponse:
    membership = request.membership
    # "?scope=clinic": every patient of the clinic; anything else: the therapist's own
    # and those new to therapy (selectors_therapist's docstring).
    scope: Scope = "clinic" if request.GET.get("scope") == "clinic" else "mine"
    home = therapist_home_read(
        clinic=membership.clinic, therapist=acting_user(request), scope=scope
    )
    return render(
        request,
        "treatment/board/therapist_home.html",
        {"home": home, "clinic": membership.clinic},
    )
