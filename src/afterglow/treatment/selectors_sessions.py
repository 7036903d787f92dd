"""Reads for the chair-side dosing session: its page, its readiness to sign, exposure.

The session page shows every vitals row, rating, side effect, adverse event,
alert and amendment; :func:`session_page` loads them in a fixed number of
queries whatever their count (asserted in ``tests/treatment/test_session_views.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Sum
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.patients.models import Patient
from afterglow.treatment.board import elapsed_minute
from afterglow.treatment.dosing import (
    DoseInputError,
    DosePlan,
    FixedDosePlan,
    Guardrails,
    fixed_dose,
    weight_based_dose,
)
from afterglow.treatment.models import (
    AdverseEvent,
    Amendment,
    DissociationRating,
    DosingSession,
    PlannedSession,
    Protocol,
    Route,
    SedationRating,
    SessionAlert,
    SideEffect,
    VitalsReading,
)
from afterglow.treatment.models.sessions import Phase
from afterglow.treatment.safety import (
    ESKETAMINE_ROUTE,
    Thresholds,
    cadss_times,
    discharge_problems,
    minimum_observation_minutes,
    rems_problems,
)
from afterglow.treatment.schedule import off_schedule_warning

#: The fast vitals entry proposes the next multiple of this many minutes (trials took
#: vitals every 10 min during the infusion: NCT02727998, evidence.md section 6).
VITALS_INTERVAL_MINUTES = 10


@dataclass
class SessionPage:
    """Everything the chair-side page shows, loaded once."""

    session: DosingSession
    protocol: Protocol
    thresholds: Thresholds
    vitals: list[VitalsReading]
    dissociation: list[DissociationRating]
    sedation: list[SedationRating]
    side_effects: list[SideEffect]
    adverse_events: list[AdverseEvent]
    alerts: list[SessionAlert]
    amendments: list[Amendment]
    plan: DosePlan | FixedDosePlan | None = None
    plan_error: str = ""
    observation_minutes: int = 0
    discharge_problems: list[str] = field(default_factory=list)
    sign_problems: list[str] = field(default_factory=list)
    next_minute: int = VITALS_INTERVAL_MINUTES
    cadss_times: tuple[int, ...] = ()

    @property
    def open_alerts(self) -> list[SessionAlert]:
        return [a for a in self.alerts if a.acknowledged_at is None]

    @property
    def next_cadss_minute(self) -> int:
        """The first set CADSS time not rated yet (else the next vitals mark)."""
        rated = {r.minute for r in self.dissociation}
        return next((m for m in self.cadss_times if m not in rated), self.next_minute)

    @property
    def open_reassess(self) -> list[SessionAlert]:
        """Open alerts asking to reassess before dosing (a prescriber may confirm dosing)."""
        return [a for a in self.open_alerts if a.level == "reassess"]

    @property
    def guardrail_text(self) -> str:
        """The clinic's guardrails for this session's route, as one line."""
        clinic = self.session.clinic
        if self.session.route == Route.IM:
            text = f"IM {clinic.max_mg_per_kg_im.normalize():f} mg/kg"
        elif self.session.route == Route.IV:
            text = (
                f"IV {clinic.max_mg_per_kg_iv.normalize():f} mg/kg and "
                f"{clinic.iv_max_mg_per_kg_per_hour.normalize():f} mg/kg/h"
            )
        else:
            text = "the protocol's doses"
        if clinic.max_dose_mg:
            text += f", at most {clinic.max_dose_mg} mg"
        return f"{text}; {clinic.dose_above_planned_percent}% above the planned dose"

    @property
    def open_pause(self) -> bool:
        """Whether an open alert asks to pause (the banner is red, not amber)."""
        return any(a.level == "pause" for a in self.open_alerts)

    @property
    def stop_minute(self) -> int | None:
        return stop_minute(self.session)

    @property
    def is_esketamine(self) -> bool:
        return self.session.route == Route.INTRANASAL


#: The session's people the page names (signed by, recorded by, ...): read with the
#: alerts' and amendments' people in one query (:func:`_attach_users`).
SESSION_USER_FIELDS = (
    "signed_by",
    "not_dosed_by",
    "dose_recorded_by",
    "cosigned_by",
    "reassess_confirmed_by",
    "discharge_override_by",
)


def session_page(*, session: DosingSession) -> SessionPage:
    """The session (from ``access.get_session_for``) with all its rows, in fixed queries.

    One query per kind of row, read straight by the session's id, and one for every
    person the page names. Rows a session cannot have are not looked for: MOAA/S
    ratings are recorded for esketamine only (``sedation_record``) and amendments for
    signed sessions only (``session_amend``). An alert's vitals row is taken from the
    vitals read, not joined (issue 13 §2).
    """
    if "patient" in session._state.fields_cache and session.clinic_id == session.patient.clinic_id:
        # The access helper read the patient's clinic already: the same row, no query.
        session.clinic = session.patient.clinic
    clinic = session.clinic
    protocol = session.course.protocol
    rows = {"session_id": session.pk}
    vitals = list(VitalsReading.objects.filter(**rows))
    alerts = list(SessionAlert.objects.filter(**rows))
    by_pk = {v.pk: v for v in vitals}
    for alert in alerts:
        if alert.reading_id in by_pk:
            alert.reading = by_pk[alert.reading_id]
    esketamine = session.route == Route.INTRANASAL
    amendments = list(Amendment.objects.filter(**rows)) if session.is_signed else []
    _attach_users(session, alerts, amendments)
    page = SessionPage(
        session=session,
        protocol=protocol,
        thresholds=Thresholds.from_clinic(clinic),
        vitals=vitals,
        dissociation=list(DissociationRating.objects.filter(**rows)),
        sedation=list(SedationRating.objects.filter(**rows)) if esketamine else [],
        side_effects=list(SideEffect.objects.filter(**rows)),
        adverse_events=list(AdverseEvent.objects.filter(**rows)),
        alerts=alerts,
        amendments=amendments,
        observation_minutes=minimum_observation_minutes(
            route=session.route,
            clinic_minutes=clinic.observation_minutes,
            protocol_minutes=protocol.observation_minutes,
        ),
        next_minute=next_vitals_minute(vitals, started_at=session.started_at),
        cadss_times=cadss_times(infusion_minutes=protocol.infusion_minutes),
    )
    page.plan, page.plan_error = dose_plan(session=session, protocol=protocol)
    page.discharge_problems = session_discharge_problems(session=session, protocol=protocol)
    page.sign_problems = session_sign_problems(
        session=session, protocol=protocol, vitals=vitals, alerts=alerts
    )
    return page


def _attach_users(
    session: DosingSession, alerts: Sequence[SessionAlert], amendments: Sequence[Amendment]
) -> None:
    """Put every person the page names on its row, read in one query (none when nobody)."""
    wanted = {getattr(session, f"{name}_id") for name in SESSION_USER_FIELDS}
    wanted.update(a.acknowledged_by_id for a in alerts)
    wanted.update(a.author_id for a in amendments)
    wanted.update(a.cosigned_by_id for a in amendments)
    wanted.discard(None)
    if not wanted:
        return
    users = User.objects.in_bulk(wanted)

    def attach(row: Any, name: str) -> None:
        user = users.get(getattr(row, f"{name}_id"))
        if user is not None:  # else left to the descriptor's own read, as before
            setattr(row, name, user)

    for name in SESSION_USER_FIELDS:
        attach(session, name)
    for alert in alerts:
        attach(alert, "acknowledged_by")
    for amendment in amendments:
        attach(amendment, "author")
        attach(amendment, "cosigned_by")


def start_warning(*, planned: PlannedSession) -> str:
    """Why starting this planned session today is off the plan ("" when it is not)."""
    clinic = planned.course.clinic
    return off_schedule_warning(
        today=timezone.localdate(timezone=clinic.tzinfo),
        planned=planned.planned_date,
        weekdays=clinic.weekdays,
    )


def clinic_guardrails(clinic: Clinic, route: str) -> Guardrails:
    """The clinic's dose guardrails for a weight-based route ("iv" or "im")."""
    return Guardrails(
        max_mg_per_kg=clinic.max_mg_per_kg_iv if route == Route.IV else clinic.max_mg_per_kg_im,
        max_mg_per_kg_per_hour=clinic.iv_max_mg_per_kg_per_hour,
        above_planned_percent=Decimal(clinic.dose_above_planned_percent),
    )


def weight_plan(
    *,
    session: DosingSession,
    protocol: Protocol,
    mg_per_kg: Decimal | None = None,
    concentration_mg_per_ml: Decimal | None = None,
) -> DosePlan:
    """Today's weight-based dose for this session by :func:`dosing.weight_based_dose`:
    the protocol's mg/kg (or ``mg_per_kg``), the session's or clinic's concentration,
    the clinic's cap and guardrails. Raises ``DoseInputError``."""
    clinic = session.clinic
    assert protocol.dose_mg_per_kg is not None and session.weight_kg is not None
    route = Route.IM if session.route == Route.IM else Route.IV
    return weight_based_dose(
        weight_kg=session.weight_kg,
        mg_per_kg=mg_per_kg or protocol.dose_mg_per_kg,
        route=route,
        minutes=protocol.infusion_minutes if route == Route.IV else None,
        concentration_mg_per_ml=(
            concentration_mg_per_ml
            or session.concentration_mg_per_ml
            or clinic.default_concentration_mg_per_ml
        ),
        max_dose_mg=clinic.max_dose_mg,
        guardrails=clinic_guardrails(clinic, route),
    )


def dose_plan(
    *, session: DosingSession, protocol: Protocol
) -> tuple[DosePlan | FixedDosePlan | None, str]:
    """The dose the protocol gives today, from today's weight, for the page to show
    (volume and pump rate for an infusion); ``(None, why)`` when it cannot be worked out."""
    try:
        if protocol.fixed_dose_mg is not None:
            return fixed_dose(dose_mg=protocol.fixed_dose_mg), ""
        if protocol.dose_mg_per_kg is None or session.weight_kg is None:
            return None, "Enter today's weight in the pre-dose checks."
        return weight_plan(session=session, protocol=protocol), ""
    except DoseInputError as exc:
        return None, str(exc)


def next_vitals_minute(
    vitals: Sequence[VitalsReading],
    *,
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """The minute the fast entry proposes (the nurse can correct it).

    Once the dose start is recorded: the whole minutes elapsed since it, so a reading
    typed now is placed at the time it was taken, not at an invented 10-minute mark
    (at most the service's last allowed minute, 24 h). Before that (the form is not
    shown, but the sedation form reuses the value): the next 10-minute mark after the
    last reading from the dose start on, 10 when there is none.
    """
    if started_at is not None:
        return min(elapsed_minute(started_at, now or timezone.now()), 24 * 60)
    minutes = [v.minute for v in vitals if v.minute >= 0 and v.phase != Phase.PRE]
    if not minutes:
        return VITALS_INTERVAL_MINUTES
    last = max(minutes)
    return (last // VITALS_INTERVAL_MINUTES + 1) * VITALS_INTERVAL_MINUTES


def stop_minute(session: DosingSession) -> int | None:
    """Whole minutes from the dose start to its stop (``None`` until both are recorded)."""
    if session.started_at is None or session.stopped_at is None:
        return None
    return int((session.stopped_at - session.started_at).total_seconds() // 60)


def session_discharge_problems(*, session: DosingSession, protocol: Protocol) -> list[str]:
    """Why the patient may not leave yet, per :func:`treatment.safety.discharge_problems`."""
    return discharge_problems(
        route=session.route,
        started_at=session.started_at,
        discharged_at=session.discharged_at,
        clinic_observation_minutes=session.clinic.observation_minutes,
        protocol_observation_minutes=protocol.observation_minutes,
        vitals_near_baseline=session.vitals_near_baseline,
        alert_and_oriented=session.alert_and_oriented,
        escort_present=session.escort_present_at_discharge,
        observation_overridden=session.has_discharge_override,
    )


def session_sign_problems(
    *,
    session: DosingSession,
    protocol: Protocol,
    vitals: Sequence[VitalsReading],
    alerts: Sequence[SessionAlert],
) -> list[str]:
    """Why this session cannot be signed yet (empty when it can).

    The page lists these next to the Sign button, and ``session_sign`` refuses
    with the same list, read again under the row lock.
    """
    if session.is_signed:
        return []
    problems: list[str] = []
    if session.is_not_dosed:
        # Ended without a dose: no dose, stop or discharge checks (nothing was given);
        # the alerts raised at the pre-dose checks must still be seen.
        if session.started_at is not None or session.actual_dose_mg is not None:
            problems.append("A dose is recorded: a session with a dose cannot be 'not dosed'.")
        return problems + _open_alert_problems(alerts)
    if session.predose_checked_at is None:
        problems.append("The pre-dose checks are not recorded.")
    if session.actual_dose_mg is None or session.started_at is None:
        problems.append("No dose is recorded.")
    elif session.route == Route.IV and session.stopped_at is None:
        problems.append("The infusion's stop time is not recorded.")
    if session.discharged_at is None:
        problems.append("The discharge is not recorded.")
    else:
        problems += session_discharge_problems(session=session, protocol=protocol)
    if session.route == ESKETAMINE_ROUTE:
        problems += rems_problems(
            rems_bp_before=session.rems_bp_before,
            rems_bp_40_min=session.rems_bp_40_min,
            rems_pulse_oximetry=session.rems_pulse_oximetry,
            rems_clinically_stable=session.rems_clinically_stable,
            rems_form_submitted=session.rems_form_submitted,
            bp_minutes=[
                v.minute for v in vitals if v.systolic is not None and v.diastolic is not None
            ],
            spo2_minutes=[v.minute for v in vitals if v.spo2 is not None],
        )
    return problems + _open_alert_problems(alerts)


def _open_alert_problems(alerts: Sequence[SessionAlert]) -> list[str]:
    open_alerts = sum(1 for a in alerts if a.acknowledged_at is None)
    if not open_alerts:
        return []
    return [
        f"{open_alerts} alert{'s' if open_alerts != 1 else ''} not acknowledged: "
        "an alert must be seen before the record is closed."
    ]


def ketamine_exposure(patient: Patient) -> tuple[int, Decimal]:
    """Signed dosing sessions of this patient with a dose, and their total actual dose in mg.

    Racemic ketamine and esketamine are added together as recorded (mg of
    drug given): a count of exposure, not an equivalent dose. Unsigned
    sessions are left out until someone has signed what was given. One query.
    """
    totals = (
        DosingSession.objects.filter(patient=patient)
        .signed()
        .aggregate(total=Sum("actual_dose_mg"), sessions=Count("pk"))
    )
    return totals["sessions"] or 0, totals["total"] or Decimal(0)
