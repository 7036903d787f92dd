"""Reads for the therapist's home: their therapy sessions, and the post-dose windows.

The window is the clinic's setting (``Clinic.therapy_window_start_hours`` /
``therapy_window_end_hours``, default 24-72 h, NCT04560660), cut at the patient's next
dose, exactly as on the therapy pages (``treatment.therapy_window.suggested_slots``).

Three lists, in four queries whatever their length (asserted in
``tests/treatment/test_therapist_home.py``):

- **recent**: the therapist's own therapy sessions of the last :data:`LOOKBACK_DAYS`
  days, each with the dose it follows and whether it fell in that dose's window;
- **upcoming**: doses whose window has not closed yet and has no therapy session in it,
  with "window opens in …" or "window closes in …" (therapy sessions are recorded once
  they have started, so what is to come is the window, not a booked session);
- **missed**: doses of the last :data:`LOOKBACK_DAYS` days whose window closed without a
  therapy session in it.

Which doses need therapy: a dose of a protocol that pairs therapy with the dose
(``Protocol.post_dose_therapy`` set), or of a patient who has had any therapy session
(they are in therapy alongside the doses). A dose of anyone else is not listed.

**Whose doses** (issue 14 §2). The data model has no "assigned therapist": a patient's
therapists are those who recorded a therapy session with them. So the upcoming and
missed lists show, by default (``scope="mine"``), the doses of

- the therapist's *own* patients: any therapy session with this therapist, ever; and
- patients *new to therapy*: no therapy session with anyone yet (someone has to pick
  them up; each therapist sees them, flagged "no therapist yet").

Patients seen only by other therapists are left out and counted
(``TherapistHome.others``); ``scope="clinic"`` (the page's "Whole clinic" toggle)
lists every patient of the clinic, each row still flagged when it is the therapist's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.treatment.models import DosingSession, TherapySession
from afterglow.treatment.selectors_therapy import TherapyRow, link_therapy
from afterglow.treatment.therapy_window import describe_hours, suggested_slots

#: How far back the home looks for the therapist's sessions and for missed windows.
LOOKBACK_DAYS = 14

Scope = Literal["mine", "clinic"]
SCOPES: tuple[Scope, ...] = ("mine", "clinic")


@dataclass(frozen=True)
class WindowRow:
    """One given dose and its therapy window."""

    dose: DosingSession
    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    own: bool = False  # the therapist has had a therapy session with this patient
    new_to_therapy: bool = False  # nobody has had a therapy session with this patient

    @property
    def is_open(self) -> bool:
        return self.start <= self.now < self.end

    @property
    def when(self) -> str:
        """ "window closes in 30 h", "window opens in 5 h", "window closed 2 d 3 h ago"."""
        if self.now < self.start:
            return f"window opens in {_hours(self.now, self.start)}"
        if self.now < self.end:
            return f"window closes in {_hours(self.now, self.end)}"
        return f"window closed {_hours(self.end, self.now)} ago"


def _hours(earlier: dt.datetime, later: dt.datetime) -> str:
    """Whole hours from 2 h on ("45 h", never "45 h 59 min": a glance, not a timer),
    minutes below; days past 96 h (``therapy_window.describe_hours``)."""
    minutes = int((later - earlier).total_seconds() // 60)
    if minutes >= 120:
        minutes -= minutes % 60
    return describe_hours(minutes / 60)


@dataclass
class TherapistHome:
    start_hours: int
    end_hours: int
    scope: Scope = "mine"
    #: Rows left out of upcoming + missed with scope "mine" (patients of other therapists).
    others: int = 0
    recent: list[TherapyRow] = field(default_factory=list)
    upcoming: list[WindowRow] = field(default_factory=list)
    missed: list[WindowRow] = field(default_factory=list)


def therapist_home(
    *, clinic: Clinic, therapist: User, now: dt.datetime | None = None, scope: Scope = "mine"
) -> TherapistHome:
    """The therapist's home page (lists and rules in the module docstring)."""
    now = now or timezone.now()
    start_h, end_h = clinic.therapy_window_start_hours, clinic.therapy_window_end_hours
    since = now - dt.timedelta(days=LOOKBACK_DAYS)
    home = TherapistHome(start_hours=start_h, end_hours=end_h, scope=scope)

    recent = list(
        TherapySession.objects.filter(clinic=clinic, therapist=therapist, started_at__gte=since)
        .select_related("patient", "therapist")
        .order_by("-started_at", "-pk")
    )
    own_patients = {t.patient_id for t in recent}
    # Doses of the window lists (dosed since the look-back less one window) and every
    # dose of the patients in ``recent`` (to link each session to its preceding dose).
    dosed_since = since - dt.timedelta(hours=end_h)
    doses = list(
        DosingSession.objects.filter(clinic=clinic, started_at__isnull=False)
        .filter(Q(started_at__gte=dosed_since) | Q(patient_id__in=own_patients))
        .select_related("patient", "course__protocol")
        .order_by("started_at", "pk")
    )
    by_patient: dict[int, list[DosingSession]] = {}
    for dose in doses:
        by_patient.setdefault(dose.patient_id, []).append(dose)
    for patient_id in own_patients:
        rows = link_therapy(
            [t for t in recent if t.patient_id == patient_id],
            by_patient.get(patient_id, []),
            clinic,
        )
        home.recent.extend(rows)
    home.recent.sort(key=lambda row: (row.session.started_at, row.session.pk), reverse=True)

    window_patients = {d.patient_id for d in doses if d.started_at and d.started_at >= dosed_since}
    therapy_times: dict[int, list[dt.datetime]] = {}
    for patient_id, started_at in TherapySession.objects.filter(
        patient_id__in=window_patients, started_at__gte=dosed_since
    ).values_list("patient_id", "started_at"):
        therapy_times.setdefault(patient_id, []).append(started_at)
    therapists = set(
        TherapySession.objects.filter(patient_id__in=window_patients)
        .values_list("patient_id", "therapist_id")
        .distinct()
    )
    in_therapy = {patient_id for patient_id, _ in therapists}
    mine = {patient_id for patient_id, by in therapists if by == therapist.pk}
    for patient_id in window_patients:
        patient_doses = by_patient[patient_id]
        # Every dose here has started (the query asks for started_at); the index is
        # the window's name, so each slot finds its dose again.
        slots = suggested_slots(
            [(i, d.started_at) for i, d in enumerate(patient_doses) if d.started_at is not None],
            start_h,
            end_h,
        )
        times = therapy_times.get(patient_id, [])
        for slot in slots:
            dose = patient_doses[slot.dose_number]
            if dose.started_at is None or dose.started_at < dosed_since:
                continue
            if not (dose.course.protocol.post_dose_therapy or patient_id in in_therapy):
                continue
            if any(slot.window_start <= at <= slot.window_end for at in times):
                continue
            if slot.window_end <= now and slot.window_end < since:
                continue
            row = WindowRow(
                dose=dose,
                start=slot.window_start,
                end=slot.window_end,
                now=now,
                own=patient_id in mine,
                new_to_therapy=patient_id not in in_therapy,
            )
            if scope == "mine" and not (row.own or row.new_to_therapy):
                home.others += 1
                continue
            if slot.window_end > now:
                home.upcoming.append(row)
            elif slot.window_end >= since:
                home.missed.append(row)
    home.upcoming.sort(key=lambda r: (r.end, r.dose.pk))
    home.missed.sort(key=lambda r: (r.end, r.dose.pk), reverse=True)
    return home
