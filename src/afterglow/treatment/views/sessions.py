"""The chair-side dosing session page and its actions (namespace ``dosing``).

Every action is a POST to its own URL under the session; it parses one form,
calls one service and redirects back to the page (post/redirect/get). The
vitals row and alert acknowledgement also answer a script's request
(``HX-Request``, sent by ``static/treatment/session.js``) with just the live
part of the page: alerts, vitals entry, chart and table. Without the script
the same forms work as plain posts.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.audit.reads import audited_read
from afterglow.core.acknowledge import AlreadyAcknowledged
from afterglow.treatment.access import get_planned_for, get_session_for
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
    StartForm,
    StopForm,
    VitalsForm,
)
from afterglow.treatment.models import DosingSession, Route, SessionAlert, SessionStatus
from afterglow.treatment.selectors_sessions import start_warning
from afterglow.treatment.services.sessions import (
    SessionLocked,
    adverse_event_record,
    dissociation_record,
    sedation_record,
    session_alert_acknowledge,
    session_alerts_acknowledge,
    session_amend,
    session_discharge,
    session_discharge_override,
    session_mark_not_dosed,
    session_record_dose,
    session_record_predose,
    session_sign,
    session_start,
    session_stop,
    session_withdraw_not_dosed,
    side_effects_set,
    vitals_record,
)
from afterglow.treatment.views.session_render import (
    add_errors,
    amend_form_page,
    render_back,
    render_is_live,
    render_live,
    render_page,
    render_submit,
)

# --- pages ---


@staff_required(capability=Capability.DOSING)
def start(request: StaffRequest, planned_pk: int) -> HttpResponse:
    """GET: confirm which session is starting (or link to it if it has started), warning
    when today is off the plan; POST: open it, once, and go to its page."""
    planned = get_planned_for(request.membership, planned_pk)
    existing = DosingSession.objects.filter(planned=planned).first()
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = session_start(
                planned=planned,
                by=acting_user(request),
                off_schedule_reason=form.cleaned_data["off_schedule_reason"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("dosing:session", pk=session.pk)
    return render(
        request,
        "treatment/dosing/start.html",
        {
            "planned": planned,
            "course": planned.course,
            "patient": planned.course.patient,
            "form": form,
            "warning": "" if existing else start_warning(planned=planned),
            "existing": existing,
        },
        status=400 if form.errors else 200,
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("dosing_session", load=get_session_for)
def session_detail(request: StaffRequest, pk: int, *, obj: DosingSession) -> HttpResponse:
    # ``obj``: the session read once by get_session_for, for the audit event and the page.
    return render_page(request, obj)


# --- actions ---


@require_POST
@staff_required(capability=Capability.DOSING)
def predose(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        _, alerts = session_record_predose(session=session, by=acting_user(request), **data)
        shown = "Pre-dose checks recorded."
        return f"{shown} {len(alerts)} alert(s) raised — see above." if alerts else shown

    return render_submit(
        request,
        pk,
        "predose_form",
        lambda s: PredoseForm(request.POST, weight_required=s.course.protocol.weight_based),
        act,
        anchor="dose",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def dose(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        data.setdefault("concentration_mg_per_ml", None)
        session_record_dose(session=session, by=acting_user(request), **data)
        return "Dose recorded."

    return render_submit(
        request,
        pk,
        "dose_form",
        lambda s: DoseForm(request.POST, infusion=s.course.protocol.weight_based),
        act,
        anchor="vitals",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def stop(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        session_stop(session=session, by=acting_user(request), **data)
        return "Stop time recorded; later readings are recovery."

    return render_submit(
        request, pk, "stop_form", lambda s: StopForm(request.POST), act, anchor="vitals"
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def vitals(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        _reading, alerts = vitals_record(session=session, by=acting_user(request), **data)
        return f"Alert: {alerts[0].message}" if alerts else ""

    return render_submit(
        request, pk, "vitals_form", lambda s: VitalsForm(request.POST), act, anchor="vitals"
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def dissociation(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        rating = dissociation_record(session=session, by=acting_user(request), **data)
        return f"CADSS {rating.cadss_total} at {rating.minute} min recorded."

    return render_submit(
        request,
        pk,
        "dissociation_form",
        lambda s: DissociationForm(request.POST),
        act,
        anchor="ratings",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def sedation(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        rating = sedation_record(session=session, by=acting_user(request), **data)
        return f"MOAA/S {rating.moaas} at {rating.minute} min recorded."

    return render_submit(
        request, pk, "sedation_form", lambda s: SedationForm(request.POST), act, anchor="ratings"
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def side_effects(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        chosen = {k.removeprefix("se_"): v for k, v in data.items() if k.startswith("se_") and v}
        side_effects_set(
            session=session,
            by=acting_user(request),
            codes_with_severity=chosen,
            other_note=data.get("other_note", ""),
        )
        return "Side effects saved."

    return render_submit(
        request,
        pk,
        "side_effects_form",
        lambda s: SideEffectsForm(request.POST),
        act,
        anchor="side-effects",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def adverse_event(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        adverse_event_record(session=session, by=acting_user(request), **data)
        return "Adverse event recorded."

    return render_submit(
        request,
        pk,
        "adverse_event_form",
        lambda s: AdverseEventForm(request.POST),
        act,
        anchor="adverse-events",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def alert_ack(request: StaffRequest, pk: int, alert_pk: int) -> HttpResponse:
    session = get_session_for(request.membership, pk)
    alert = get_object_or_404(
        SessionAlert.objects.select_related("session"), pk=alert_pk, session=session
    )
    try:
        session_alert_acknowledge(alert=alert, by=acting_user(request))
    except AlreadyAcknowledged:
        if render_is_live(request):
            return render_live(request, session)
        messages.info(request, "This alert was already acknowledged.")
        return render_back(session, "vitals")
    except SessionLocked as exc:
        return (render_live if render_is_live(request) else render_page)(
            request, session, status=409, problem=str(exc)
        )
    if render_is_live(request):
        return render_live(request, session)
    messages.success(request, "Alert acknowledged.")
    return render_back(session, "vitals")


@require_POST
@staff_required(capability=Capability.DOSING)
def alerts_ack(request: StaffRequest, pk: int) -> HttpResponse:
    """ "Acknowledge all seen" (or one merged line): the alerts the page showed, one note."""

    def act(session: DosingSession, data: dict[str, Any]) -> str:
        done = session_alerts_acknowledge(
            session=session, alert_ids=data["alert_ids"], by=acting_user(request), note=data["note"]
        )
        return f"{len(done)} alert{'' if len(done) == 1 else 's'} acknowledged."

    return render_submit(
        request, pk, "alerts_ack_form", lambda s: AlertsAckForm(request.POST), act, anchor="vitals"
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def discharge(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        session_discharge(session=session, by=acting_user(request), **data)
        return "Discharge recorded."

    return render_submit(
        request,
        pk,
        "discharge_form",
        lambda s: DischargeForm(request.POST, esketamine=s.route == Route.INTRANASAL),
        act,
        anchor="discharge",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def discharge_override(request: StaffRequest, pk: int) -> HttpResponse:
    """A prescriber authorises leaving before the observation time (the service checks)."""

    def act(session: DosingSession, data: dict[str, Any]) -> str:
        session_discharge_override(session=session, by=acting_user(request), **data)
        return "Early discharge authorised; the observation time no longer blocks signing."

    return render_submit(
        request,
        pk,
        "override_form",
        lambda s: DischargeOverrideForm(request.POST),
        act,
        anchor="discharge",
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def not_dosed(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        session_mark_not_dosed(session=session, by=acting_user(request), **data)
        return "Recorded: no dose today. Sign the session to close it."

    return render_submit(
        request, pk, "not_dosed_form", lambda s: NotDosedForm(request.POST), act, anchor="dose"
    )


class _SignForm(forms.Form):
    """Signing takes no input; the form carries the refusal reasons back to the page."""


@require_POST
@staff_required(capability=Capability.DOSING)
def not_dosed_withdraw(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        session_withdraw_not_dosed(session=session, by=acting_user(request))
        return "'Not dosed' withdrawn; the dose can be recorded."

    return render_submit(
        request, pk, "not_dosed_form", lambda s: _SignForm(request.POST), act, anchor="dose"
    )


@require_POST
@staff_required(capability=Capability.DOSING)
def sign(request: StaffRequest, pk: int) -> HttpResponse:
    def act(session: DosingSession, data: dict[str, Any]) -> str:
        signed = session_sign(session=session, by=acting_user(request))
        if signed.status == SessionStatus.NOT_DOSED:
            return "Session signed as not dosed and locked; the planned session is to come again."
        return "Session signed and locked. Corrections are now amendments with a reason."

    return render_submit(
        request, pk, "sign_form", lambda s: _SignForm(request.POST), act, anchor="sign"
    )


@require_http_methods(["GET", "POST"])
@staff_required(capability=Capability.DOSING)
@audited_read("dosing_amend_form", model=DosingSession)
def amend(request: StaffRequest, pk: int) -> HttpResponse:
    """GET: the signed session's amendment form, loaded when "Record a correction" is
    opened (htmx: the form only), or as a small page without JavaScript. POST: record
    the amendment."""
    if request.method == "GET":
        return amend_form_page(request, get_session_for(request.membership, pk))

    def act(session: DosingSession, data: dict[str, Any]) -> str:
        amendment = session_amend(session=session, by=acting_user(request), **data)
        return f"Amendment recorded: {amendment.field}."

    return render_submit(
        request,
        pk,
        "amend_form",
        lambda s: AmendForm(request.POST, vitals=list(s.vitals.all())),
        act,
        anchor="amendments",
    )
