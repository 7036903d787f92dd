"""Rendering helpers of the chair-side session page: context, partials, form errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from afterglow.accounts.access import StaffRequest
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.treatment.access import get_session_for
from afterglow.treatment.board import AlertItem, AlertLine, alert_lines
from afterglow.treatment.charts_sessions import vitals_figure
from afterglow.treatment.dosing import DosePlan, FixedDosePlan
from afterglow.treatment.forms_sessions import (
    AdverseEventForm,
    AlertsAckForm,
    AmendForm,
    DischargeForm,
    DischargeOverrideForm,
    DissociationForm,
    DoseForm,
    NotDosedForm,
    PredoseForm,
    SedationForm,
    SideEffectsForm,
    StopForm,
    VitalsForm,
    now_local,
)
from afterglow.treatment.models import DosingSession, Route, SessionAlert
from afterglow.treatment.safety import EXPECTED_BP_PEAK, SIDE_EFFECT_LABELS
from afterglow.treatment.selectors_sessions import SessionPage, session_page
from afterglow.treatment.services.sessions import (
    AMENDABLE_FIELDS,
    VITALS_AMENDABLE_FIELDS,
    SessionLocked,
)
from afterglow.treatment.views.session_rows import figure_script, vitals_lines

logger = logging.getLogger(__name__)

NOT_SAVED = "This could not be saved just now; nothing was changed. Please try again."
#: The page section holding each form, for the "Not saved" banner's link.
FORM_SECTIONS = {
    "predose_form": "predose",
    "dose_form": "dose",
    "stop_form": "dose",
    "vitals_form": "vitals",
    "dissociation_form": "ratings",
    "sedation_form": "ratings",
    "side_effects_form": "side-effects",
    "adverse_event_form": "adverse-events",
    "discharge_form": "discharge",
    "override_form": "discharge",
    "not_dosed_form": "dose",
    "sign_form": "sign",
    "amend_form": "amendments",
    "alerts_ack_form": "session-alerts",
}


# --- rendering ---


def _default_forms(page: SessionPage) -> dict[str, forms.Form]:
    """The empty forms of an unsigned session. A signed one shows none (its amendment
    form loads when opened: ``amend_form_page``), so it builds none (issue 13 §2)."""
    session = page.session
    if session.is_signed:
        return {}
    infusion = page.protocol.weight_based
    predose_initial: dict[str, Any] = {
        "weight_kg": session.weight_kg,
        "escort_confirmed": session.escort_confirmed,
        "fasting_confirmed": session.fasting_confirmed,
        "pregnancy_test": session.pregnancy_test,
        "suicide_risk": session.suicide_risk or None,
        "note": session.predose_note,
    }
    dose_initial: dict[str, Any] = {
        "actual_dose_mg": session.actual_dose_mg or session.planned_dose_mg,
        "concentration_mg_per_ml": session.concentration_mg_per_ml,
        "lot_number": session.lot_number,
        "started_at": timezone.localtime(session.started_at) if session.started_at else now_local(),
        "deviation_reason": session.dose_deviation_reason,
        "guardrail_reason": session.guardrail_reason,
        "reassess_reason": session.reassess_confirm_reason,
    }
    return {
        "predose_form": PredoseForm(initial=predose_initial, weight_required=infusion),
        "dose_form": DoseForm(initial=dose_initial, infusion=infusion),
        "stop_form": StopForm(
            initial={
                "stopped_at": (
                    timezone.localtime(session.stopped_at) if session.stopped_at else now_local()
                )
            }
        ),
        "vitals_form": VitalsForm(initial={"minute": page.next_minute}),
        "dissociation_form": DissociationForm(initial={"minute": page.next_cadss_minute}),
        "sedation_form": SedationForm(initial={"minute": page.next_minute, "moaas": 5}),
        "side_effects_form": SideEffectsForm(
            initial=SideEffectsForm.initial_for(page.side_effects)
        ),
        "adverse_event_form": AdverseEventForm(initial={"action": "none"}),
        "discharge_form": DischargeForm(
            initial=DischargeForm.initial_for(session),
            esketamine=session.route == Route.INTRANASAL,
        ),
        "alerts_ack_form": AlertsAckForm(),
        "not_dosed_form": NotDosedForm(
            initial={"reason": session.not_dosed_reason or None, "detail": session.not_dosed_detail}
        ),
        "override_form": DischargeOverrideForm(
            initial={"reason": session.discharge_override_reason}
        ),
    }


def _context(
    request: StaffRequest,
    session: DosingSession,
    bound: dict[str, forms.Form] | None,
    problem: str = "",
) -> dict[str, Any]:
    membership = request.membership
    page = session_page(session=session)
    by_reading = _alerts_by_reading(page.alerts)
    figure = (
        vitals_figure(page.vitals, thresholds=page.thresholds, stop_minute=page.stop_minute)
        if page.vitals
        else None
    )
    return {
        "page": page,
        "session": session,
        "patient": session.patient,
        "protocol": page.protocol,
        "clinic": session.patient.clinic,
        # A plain JSON dict (charts_sessions), embedded as json_script would (session_rows).
        "figure": figure if page.vitals else None,
        "figure_script": figure_script(figure, "vitals-figure") if figure else "",
        "can_write": has_capability(membership, Capability.DOSING) and not session.is_signed,
        "can_amend": has_capability(membership, Capability.DOSING) and session.is_signed,
        "can_override": has_capability(membership, Capability.DECIDE) and not session.is_signed,
        "peak": EXPECTED_BP_PEAK,
        "plan_facts": _plan_facts(page),
        "side_effect_rows": [
            (SIDE_EFFECT_LABELS.get(e.code, e.code), e.get_severity_display(), e.note)
            for e in page.side_effects
        ],
        # Shown at the top of the live part: the form it belongs to may not be on the
        # page (a signed session shows no forms), and on a phone it may be far below.
        "problem": problem,
        "problem_section": next((FORM_SECTIONS[k] for k in bound or {} if k in FORM_SECTIONS), ""),
        "amendment_rows": [
            (a, _amendment_label(a.field, {v.pk: v for v in page.vitals})) for a in page.amendments
        ],
        "vitals_rows": vitals_lines(page, by_reading),
        "alert_lines": _alert_lines(page),
        "alert_phone_lines": ALERT_PHONE_LINES,
        **_default_forms(page),
        **(bound or {}),
    }


def _num(value: Decimal | int) -> str:
    """A decimal as a nurse reads it: 35, 0.5, 3.5 (no trailing zeros, no exponent)."""
    return format(Decimal(value).normalize(), "f")


def _plan_facts(page: SessionPage) -> list[tuple[str, str]]:
    """Today's dose by the protocol as label/value pairs (numbers from ``treatment.dosing``)."""
    plan = page.plan
    if isinstance(plan, FixedDosePlan):
        return [
            ("Dose", f"{plan.dose_mg} mg"),
            ("Devices", f"{plan.devices} × {plan.device_mg} mg nasal spray"),
        ]
    if isinstance(plan, DosePlan):
        facts = [
            ("Dose", f"{_num(plan.dose_mg)} mg"),
            ("Per kg", f"{_num(plan.mg_per_kg)} mg/kg × {_num(plan.weight_kg)} kg"),
            ("Volume", f"{_num(plan.volume_ml)} mL at {_num(plan.concentration_mg_per_ml)} mg/mL"),
        ]
        if (
            plan.minutes is not None
            and plan.rate_ml_per_hour is not None
            and plan.rate_mg_per_min is not None
            and plan.mg_per_kg_per_hour is not None
        ):
            facts.append(
                (
                    "Pump",
                    f"{_num(plan.rate_ml_per_hour)} mL/h over {_num(plan.minutes)} min "
                    f"({_num(plan.rate_mg_per_min)} mg/min, "
                    f"{_num(plan.mg_per_kg_per_hour)} mg/kg/h)",
                )
            )
        return facts
    return []


def _amendment_label(field: str, vitals: dict[int, Any]) -> str:
    """ "lot_number" -> "Lot number"; "vitals:12:systolic" -> "Vitals at 40 min: systolic"."""
    if field in AMENDABLE_FIELDS:
        return AMENDABLE_FIELDS[field]
    parts = field.split(":")
    if len(parts) == 3 and parts[1].isdigit():
        row = vitals.get(int(parts[1]))
        when = "before the dose" if row is None or row.phase == "pre" else f"at {row.minute} min"
        return f"Vitals {when}: {VITALS_AMENDABLE_FIELDS.get(parts[2], parts[2])}"
    return field


#: How many alert lines a phone shows before the "+N more" cue (the panel scrolls).
ALERT_PHONE_LINES = 2


def _alert_lines(page: SessionPage) -> list[AlertLine]:
    """The open alerts as merged lines ("BP 182/95 ×3, last +35 min · 10:42")."""
    session = page.session
    items = [
        AlertItem(
            pk=a.pk,
            code=a.code,
            level=a.level,
            message=a.message,
            minute=a.reading.minute if a.reading is not None else None,
            systolic=a.reading.systolic if a.reading is not None else None,
            diastolic=a.reading.diastolic if a.reading is not None else None,
            heart_rate=a.reading.heart_rate if a.reading is not None else None,
            spo2=a.reading.spo2 if a.reading is not None else None,
        )
        for a in page.open_alerts
    ]
    return alert_lines(items, started_at=session.started_at, local=session.clinic.tzinfo)


def _alerts_by_reading(alerts: list[SessionAlert]) -> dict[int, list[SessionAlert]]:
    grouped: dict[int, list[SessionAlert]] = {}
    for alert in alerts:
        if alert.reading_id is not None:
            grouped.setdefault(alert.reading_id, []).append(alert)
    return grouped


def render_page(
    request: StaffRequest,
    session: DosingSession,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    context = _context(request, session, bound, problem)
    return render(request, "treatment/dosing/session.html", context, status=status)


def amend_form_page(request: StaffRequest, session: DosingSession) -> HttpResponse:
    """The empty amendment form of a signed session (htmx: the form only; else a small
    page); an unsigned session has none, so the request goes back to the page."""
    if not session.is_signed:
        return render_back(session, "sign")
    context = {
        "session": session,
        "patient": session.patient,
        "amend_form": AmendForm(vitals=list(session.vitals.all())),
    }
    template = "_amend_form.html" if render_is_live(request) else "amend.html"
    return render(request, f"treatment/dosing/{template}", context)


def render_live(
    request: StaffRequest,
    session: DosingSession,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    """Only the live part of the page (alerts, vitals entry, chart, table) for the script."""
    context = _context(request, session, bound, problem)
    return render(request, "treatment/dosing/_live.html", context, status=status)


def _problem(form: forms.Form) -> str:
    """One line saying why nothing was saved (the form shows the details)."""
    reasons = [str(e) for e in form.non_field_errors()]
    if form.errors.keys() - {"__all__"}:
        reasons.append("Check the highlighted fields.")
    return " ".join(reasons)


def render_is_live(request: HttpRequest) -> bool:
    """Whether session.js sent this (django-htmx's ``request.htmx`` reads its HX-Request)."""
    return bool(getattr(request, "htmx", False))


def render_back(session: DosingSession, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('dosing:session', args=[session.pk])}#{anchor}")


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field if the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def render_submit(
    request: StaffRequest,
    pk: int,
    key: str,
    make_form: Callable[[DosingSession], forms.Form],
    act: Callable[[DosingSession, dict[str, Any]], str],
    *,
    anchor: str,
) -> HttpResponse:
    """Validate the form, run ``act`` (it returns the success message) and go back to
    the page; or show the page with the form as typed and its errors (400), the lock
    (409) or a database failure (503). ``render_is_live(request)`` gets the live part only."""
    session = get_session_for(request.membership, pk)
    form = make_form(session)
    show = render_live if render_is_live(request) else render_page
    if form.is_valid():
        try:
            done = act(session, form.cleaned_data)
        except SessionLocked as exc:
            form.add_error(None, str(exc))
            return show(request, session, {key: form}, status=409, problem=_problem(form))
        except ValidationError as exc:
            add_errors(form, exc)
        except DatabaseError:
            logger.exception("Dosing session %s: %s not saved", pk, key)
            form.add_error(None, NOT_SAVED)
            return show(request, session, {key: form}, status=503, problem=NOT_SAVED)
        else:
            if render_is_live(request):
                return render_live(request, session)
            if done:
                messages.success(request, done)
            return render_back(session, anchor)
    return show(request, session, {key: form}, status=400, problem=_problem(form))
