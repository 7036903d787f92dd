"""Recording the dose given at the chair-side, with its guardrails.

Import :func:`session_record_dose` from :mod:`afterglow.treatment.services.sessions`,
which re-exports it. Three things can stand between a nurse and a saved dose, each
checked here under the session's row lock so the page cannot race the rule:

- a dose outside the protocol's range needs a written reason (``deviation_reason``);
- a dose above a clinic guardrail (the route's mg/kg, the IV rate in mg/kg/h, the
  clinic's maximum single dose, or more than the clinic's tolerance above the
  planned dose; :func:`dosing.guardrail_warnings`) needs a written reason **and**
  a second prescriber's co-signature: another active prescriber of this clinic
  re-enters their password here (checked with Django's ``authenticate``); the
  recorder can never co-sign their own dose. Anything above the 2 mg/kg input
  limit is refused outright, so no path records an unbounded dose;
- a pre-dose alert asking to reassess that is still open needs a prescriber to
  confirm dosing with a reason; that confirmation acknowledges those alerts.

What was exceeded, the reasons, the co-signer and the confirming prescriber are
stored on the session and shown on the signed record.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from afterglow.accounts.capabilities import Capability, user_has_capability
from afterglow.audit.context import current_request
from afterglow.schedules.services import schedule_reanchor
from afterglow.treatment.dosing import (
    MAX_MG_PER_KG,
    DoseDeviation,
    DoseInputError,
    dose_deviation,
    fixed_dose,
    guardrail_warnings,
)
from afterglow.treatment.models import DosingSession, Protocol, Route, SessionAlert, VitalsReading
from afterglow.treatment.models.sessions import Phase
from afterglow.treatment.selectors_sessions import clinic_guardrails, weight_plan
from afterglow.treatment.services.session_lock import (
    not_in_future,
    open_session,
    require_dosing_role,
)

NEEDS_COSIGN = (
    "A second prescriber must co-sign this dose: they enter their username and password here."
)
WRONG_PASSWORD = "That username and password do not match an account; nothing was saved."
NOT_SELF = "The co-signer must be another prescriber, not the person recording the dose."
NOT_PRESCRIBER = "Only another prescriber of this clinic can co-sign a dose above a guardrail."


def session_record_dose(
    *,
    session: DosingSession,
    by: User,
    actual_dose_mg: Decimal,
    concentration_mg_per_ml: Decimal | None,
    lot_number: str,
    started_at: dt.datetime,
    deviation_reason: str = "",
    guardrail_reason: str = "",
    cosigner_username: str = "",
    cosigner_password: str = "",
    reassess_reason: str = "",
) -> DosingSession:
    """Record the dose given: amount, concentration, lot and start time.

    A dose outside the protocol's range needs ``deviation_reason`` (else a
    ValidationError naming the range). The range is compared in mg for today's
    weight, each bound worked out by :func:`dosing.weight_based_dose`, so
    rounding to 0.1 mg is never a deviation; the dose the protocol gave today
    (``planned_dose_mg``, including a clinic cap) never is either. A fixed
    esketamine dose must be whole 28 mg devices and within the protocol's
    options (the device rule bounds it; the mg/kg guardrails are for weight-based
    doses). A dose above a guardrail and a dose saved over an open "reassess"
    alert need what the module docstring says. Every missing piece is reported
    at once, by form field. May be corrected until the session is signed;
    vitals already entered keep their minutes and move with the start time.
    """
    # Before the transaction, so a wrong password's lockout count survives the refusal.
    authenticated = cosigner_authenticate(
        recorder=by, username=cosigner_username, password=cosigner_password
    )
    with transaction.atomic():
        session = open_session(session)
        require_dosing_role(by, session.clinic)
        if session.predose_checked_at is None:
            raise ValidationError("Record the pre-dose checks first.")
        if session.is_not_dosed:
            raise ValidationError(
                "This session is marked as ended without a dose; withdraw that first."
            )
        not_in_future(started_at, "started_at")
        if session.stopped_at is not None and started_at > session.stopped_at:
            raise ValidationError({"started_at": "The start is after the recorded stop."})
        protocol = session.course.protocol
        if protocol.weight_based and concentration_mg_per_ml is None:
            raise ValidationError({"concentration_mg_per_ml": "Give the concentration used."})
        if not lot_number.strip():
            raise ValidationError({"lot_number": "Record the lot number of the ketamine used."})
        errors: dict[str, str] = {}
        deviation = _deviation(session, protocol, actual_dose_mg)
        if deviation and not deviation_reason.strip():
            errors["deviation_reason"] = deviation
        exceeded = dose_guardrails_exceeded(session, protocol, actual_dose_mg)
        cosigner: User | None = None
        if exceeded:
            if not guardrail_reason.strip():
                errors["guardrail_reason"] = " ".join(exceeded) + " Write why this dose is given."
            try:
                cosigner = cosigner_verify(
                    session=session,
                    recorder=by,
                    username=cosigner_username,
                    authenticated=authenticated,
                )
            except ValidationError as exc:
                errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
        open_reassess = list(session.alerts.filter(level="reassess", acknowledged_at__isnull=True))
        if open_reassess:
            problem = _reassess_problem(session, by, open_reassess, reassess_reason)
            if problem:
                errors["reassess_reason"] = problem
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        session.actual_dose_mg = actual_dose_mg
        session.concentration_mg_per_ml = concentration_mg_per_ml
        session.lot_number = lot_number.strip()
        session.dose_deviation_reason = deviation_reason.strip() if deviation else ""
        session.guardrail_warnings = " ".join(exceeded)
        session.guardrail_reason = guardrail_reason.strip() if exceeded else ""
        session.cosigned_by = cosigner
        session.cosigned_at = now if cosigner else None
        if open_reassess:
            session.reassess_confirm_reason = reassess_reason.strip()
            session.reassess_confirmed_by = by
            session.reassess_confirmed_at = now
            # The prescriber has seen them and decided: they no longer block signing.
            SessionAlert.objects.filter(pk__in=[a.pk for a in open_reassess]).update(
                acknowledged_at=now, acknowledged_by=by
            )
        session.started_at = started_at
        session.dose_recorded_by = by
        session.full_clean()
        session.save()
        _place_readings(session)
        # Questionnaires anchored to this dose move to its real time (unsent ones only).
        schedule_reanchor(course=session.course)
        return session


def cosigner_authenticate(*, recorder: User, username: str, password: str) -> User | None:
    """Check the co-signer's password through the sign-in backends; ``None`` if wrong.

    Call it **before** the write's transaction: a wrong password counts towards that
    account's lockout (django-axes) and is audited as a failed sign-in like any other,
    and those records must stand when the dose is then refused and rolled back. Nothing
    is checked (``None``) when a field is empty or the name is the recorder's own. The
    password is never stored or logged.
    """
    name = username.strip()
    if not name or not password or name == recorder.get_username():
        return None
    # The page's request carries the client address for the lockout; a call without
    # one (tests, scripts) gets a bare request.
    request = current_request() or HttpRequest()
    user = authenticate(request, username=name, password=password)
    return user if isinstance(user, User) else None


def cosigner_verify(
    *, session: DosingSession, recorder: User, username: str, authenticated: User | None
) -> User:
    """The co-signing prescriber, given :func:`cosigner_authenticate`'s result; else a
    ValidationError by form field (``cosigner_username`` or ``cosigner_password``).

    Refused: nothing entered, the recorder's own name, a wrong password (one message
    whether the name or the password is wrong), an inactive or locked-out account, and
    anyone who is not an active prescriber of this session's clinic.
    """
    name = username.strip()
    if not name:
        raise ValidationError({"cosigner_username": NEEDS_COSIGN})
    if name == recorder.get_username():
        raise ValidationError({"cosigner_username": NOT_SELF})
    if authenticated is None:
        raise ValidationError({"cosigner_password": WRONG_PASSWORD})
    if authenticated.pk == recorder.pk:
        raise ValidationError({"cosigner_username": NOT_SELF})
    is_prescriber = user_has_capability(
        user=authenticated, clinic_id=session.clinic_id, capability=Capability.DECIDE
    )
    if not is_prescriber:
        raise ValidationError({"cosigner_username": NOT_PRESCRIBER})
    return authenticated


def dose_guardrails_exceeded(
    session: DosingSession, protocol: Protocol, actual: Decimal
) -> list[str]:
    """The guardrail sentences for ``actual`` mg at the session's weight (weight-based doses
    only); a ValidationError on ``actual_dose_mg`` above the 2 mg/kg input limit."""
    if not protocol.weight_based or session.weight_kg is None:
        return []
    ceiling = session.weight_kg * MAX_MG_PER_KG
    if actual > ceiling:
        raise ValidationError(
            {
                "actual_dose_mg": f"{actual} mg is more than 2 mg/kg at {session.weight_kg} kg "
                f"({ceiling.normalize():f} mg): not a dose that can be recorded. Check the number."
            }
        )
    route = Route.IM if session.route == Route.IM else Route.IV
    found = guardrail_warnings(
        route=route,
        weight_kg=session.weight_kg,
        dose_mg=actual,
        minutes=protocol.infusion_minutes if route == Route.IV else None,
        guardrails=clinic_guardrails(session.clinic, route),
        planned_dose_mg=session.planned_dose_mg,
    )
    cap = session.clinic.max_dose_mg
    if cap is not None and actual > cap:
        found.append(
            f"{actual} mg is above the clinic's maximum single dose of {cap} mg; "
            "a second prescriber must co-sign."
        )
    return found


def _reassess_problem(
    session: DosingSession, by: User, alerts: list[SessionAlert], reason: str
) -> str:
    listed = "; ".join(a.message.rstrip(".") for a in alerts)
    is_prescriber = user_has_capability(
        user=by, clinic_id=session.clinic_id, capability=Capability.DECIDE
    )
    if not is_prescriber:
        return (
            f"A pre-dose alert asks to reassess ({listed}). Acknowledge it once reassessed, "
            "or a prescriber confirms dosing with a reason."
        )
    if not reason.strip():
        return f"A pre-dose alert asks to reassess ({listed}). Confirm dosing with a reason."
    return ""


def _deviation(session: DosingSession, protocol: Protocol, actual: Decimal) -> str:
    """Why ``actual`` mg needs a reason, or "" when it is within the protocol."""
    if actual <= 0:
        raise ValidationError({"actual_dose_mg": "The dose must be more than 0 mg."})
    found: DoseDeviation | None
    if protocol.fixed_dose_mg is not None:
        try:
            fixed_dose(dose_mg=actual)
        except DoseInputError as exc:
            raise ValidationError({"actual_dose_mg": exc.reason}) from None
        options = [Decimal(o) for o in protocol.fixed_dose_options_mg] or [
            Decimal(protocol.fixed_dose_mg)
        ]
        found = dose_deviation(dose=actual, low=min(options), high=max(options), unit="mg")
    else:
        if session.planned_dose_mg is not None and actual == session.planned_dose_mg:
            return ""
        assert protocol.dose_mg_per_kg is not None and session.weight_kg is not None
        low = protocol.dose_mg_per_kg_min or protocol.dose_mg_per_kg
        high = protocol.dose_mg_per_kg_max or protocol.dose_mg_per_kg
        found = dose_deviation(
            dose=actual, low=_mg_for(session, protocol, low), high=_mg_for(session, protocol, high)
        )
        if found is not None:
            per_kg = (
                f"{_plain(low)} mg/kg" if low == high else f"{_plain(low)}-{_plain(high)} mg/kg"
            )
            in_mg = DoseDeviation(found.dose, found.low, found.high, "mg", found.direction)
            stem = in_mg.message.removesuffix("; record a reason")
            return f"{stem} ({per_kg} at {session.weight_kg} kg); record a reason"
    cap = session.clinic.max_dose_mg
    if found is None and cap is not None and actual > cap:
        return f"{actual} mg is above the clinic's maximum single dose of {cap} mg; record a reason"
    return "" if found is None else found.message


def _plain(number: Decimal) -> str:
    """0.50 -> "0.5", 10.00 -> "10" (never an exponent)."""
    return format(number.normalize(), "f")


def _mg_for(session: DosingSession, protocol: Protocol, mg_per_kg: Decimal) -> Decimal:
    """``mg_per_kg`` at today's weight, rounded as the dosing module rounds a dose."""
    try:
        return weight_plan(session=session, protocol=protocol, mg_per_kg=mg_per_kg).uncapped_dose_mg
    except DoseInputError as exc:
        raise ValidationError(str(exc)) from None


def planned_mg(value: Decimal) -> Decimal:
    """A plan's dose as stored (0.1 mg), rounded down so it never exceeds what the plan gives."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def _place_readings(session: DosingSession) -> None:
    """Put each vitals row on the session clock once the dose start is known.

    A row from the dose start on is taken at ``start + minute``. A pre-dose row
    keeps its real time and gets the whole minutes before the start (at least
    1: a pre-dose reading entered late is still before the dose).
    """
    assert session.started_at is not None
    rows = list(session.vitals.all())
    for row in rows:
        if row.phase == Phase.PRE and row.minute == -1 and row.taken_at < session.started_at:
            before = (session.started_at - row.taken_at).total_seconds() / 60
            row.minute = -max(1, round(before))
        elif row.phase != Phase.PRE:
            row.taken_at = session.started_at + dt.timedelta(minutes=row.minute)
    VitalsReading.objects.bulk_update(rows, ["minute", "taken_at"])
