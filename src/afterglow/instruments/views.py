"""Questionnaire pages: staff entry, personal links, and the patient's own form."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.audit.reads import audited_read
from afterglow.instruments.access import get_link_for, get_response_for
from afterglow.instruments.catalog import (
    Instrument,
    UnknownInstrument,
    all_instruments,
    get_instrument,
)
from afterglow.instruments.forms import InstrumentForm, StaffResponseForm, VoidForm
from afterglow.instruments.models import Response, Source
from afterglow.instruments.selectors import link_for_token
from afterglow.instruments.services import (
    LinkUnavailable,
    personal_link_create,
    personal_link_email,
    personal_link_revoke,
    personal_link_submit,
    response_record,
    response_void,
)
from afterglow.patients.access import get_patient_for


def _instrument_or_404(code: str) -> Instrument:
    try:
        return get_instrument(code)
    except UnknownInstrument:
        raise Http404("Unknown instrument") from None


@staff_required(capability=Capability.RECORD_ANSWERS)
def response_new(request: StaffRequest, patient_pk: int, code: str) -> HttpResponse:
    membership = request.membership
    patient = get_patient_for(membership, patient_pk)
    instrument = _instrument_or_404(code)
    today = timezone.localdate(timezone=patient.clinic.tzinfo)
    form = StaffResponseForm(
        request.POST or None,
        instrument=instrument,
        today=today,
        initial={"administered_on": today},
    )
    if request.method == "POST" and form.is_valid():
        day: dt.date = form.cleaned_data["administered_on"]
        # Today's entry keeps the current time; an earlier day is stored at noon,
        # clinic time, so it sits on the right calendar day in every timezone view.
        administered_at = (
            timezone.now()
            if day == today
            else dt.datetime.combine(day, dt.time(12), tzinfo=patient.clinic.tzinfo)
        )
        response = response_record(
            patient=patient,
            instrument_code=instrument.code,
            answers=form.answers(),
            source=Source.STAFF,
            by=acting_user(request),
            administered_at=administered_at,
            timepoint=form.cleaned_data["timepoint"],
        )
        messages.success(request, f"{instrument.short_name} saved.")
        return redirect("instruments:response_detail", pk=response.pk)
    return render(
        request,
        "instruments/response_new.html",
        {"patient": patient, "instrument": instrument, "form": form},
    )


@staff_required(capability=Capability.CLINICAL_RECORD)
@audited_read("questionnaire_response", model=Response)
def response_detail(request: StaffRequest, pk: int) -> HttpResponse:
    membership = request.membership
    response = get_response_for(membership, pk)
    instrument = get_instrument(response.instrument)
    rows = [
        (item, response.answers[index] if index < len(response.answers) else None)
        for index, item in enumerate(instrument.items)
    ]
    labels: dict[int | None, str] = {o.value: o.label for o in instrument.response_options}
    raised_alerts = [
        {"label": alert.label, "value": response.answers[alert.item - 1], "note": alert.note}
        for alert in instrument.scoring.item_alerts
        if alert.code in response.alerts
    ]
    return render(
        request,
        "instruments/response_detail.html",
        {
            "response": response,
            "patient": response.patient,
            "instrument": instrument,
            "rows": [(item, value, labels.get(value)) for item, value in rows],
            "raised_alerts": raised_alerts,
            "can_void": response.voided_at is None
            and has_capability(membership, Capability.VOID_ANSWERS),
        },
    )


@staff_required(capability=Capability.VOID_ANSWERS)
def response_void_page(request: StaffRequest, pk: int) -> HttpResponse:
    response = get_response_for(request.membership, pk)
    if response.voided_at is not None:
        messages.info(request, "This response is already voided.")
        return redirect("instruments:response_detail", pk=response.pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            response_void(
                response=response, by=acting_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)  # a {"reason": ...} error lands on its field
        else:
            messages.success(
                request, "Response voided. Enter the corrected response if there is one."
            )
            return redirect("instruments:response_detail", pk=response.pk)
    return render(
        request,
        "instruments/response_void.html",
        {
            "response": response,
            "patient": response.patient,
            "instrument": get_instrument(response.instrument),
            "form": form,
        },
    )


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def link_new(request: StaffRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.membership, patient_pk)
    code = request.POST.get("instrument", "pcl5")
    instrument = _instrument_or_404(code)
    link, token = personal_link_create(
        patient=patient,
        instrument_code=instrument.code,
        by=acting_user(request),
        timepoint=request.POST.get("timepoint", "")[:40],
    )
    url = request.build_absolute_uri(reverse("instruments:answer", args=[token]))
    emailed = False
    if request.POST.get("send_email") and patient.email:
        personal_link_email(link=link, url=url)
        emailed = True
    # The raw URL is shown once, on this page, and never stored.
    return render(
        request,
        "instruments/link_created.html",
        {
            "patient": patient,
            "link": link,
            "url": url,
            "emailed": emailed,
            "instrument": instrument,
        },
    )


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def link_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    link = get_link_for(request.membership, pk)
    personal_link_revoke(link=link)
    messages.success(request, "Link revoked.")
    return redirect("patients:chart", pk=link.patient_id)


# --- The patient's side: no account, only the token in the URL -------------------


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    link = link_for_token(token)
    state = link.state if link else "unknown"
    if link is None or state != "open":
        return _link_unavailable(request, state, link.clinic if link else None)
    timezone.activate(link.clinic.tzinfo)  # the patient's dates in their clinic's time
    instrument = get_instrument(link.instrument)
    form = InstrumentForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        try:
            response = personal_link_submit(token=token, answers=form.answers())
        except LinkUnavailable as exc:
            return _link_unavailable(request, exc.state, link.clinic)
        # An urgent item answer (PHQ-9 item 9 above 0) gets the crisis box: what happens
        # next and the crisis line, in place of the page's usual notice.
        urgent = any(
            a.urgency == "urgent" and a.code in response.alerts
            for a in instrument.scoring.item_alerts
        )
        return render(
            request, "instruments/answer_done.html", {"clinic": link.clinic, "urgent": urgent}
        )
    return render(
        request,
        "instruments/answer.html",
        {
            "form": form,
            "instrument": instrument,
            "clinic": link.clinic,
            "patient_name": link.patient.display_name,
            "expires_at": link.expires_at,
        },
    )


def _link_unavailable(request: HttpRequest, state: str, clinic: object) -> HttpResponse:
    # A friendly page, not an error page: the person did nothing wrong. A token that
    # matches no link answers 404 (with the same page); a known one that can no longer be
    # used is a normal page saying why. The log shows the route, never the token.
    return render(
        request,
        "instruments/link_unavailable.html",
        {"state": state, "clinic": clinic},
        status=404 if state == "unknown" else 200,
    )


@staff_required(capability=Capability.INSTRUMENT_CATALOG)
def catalog(request: StaffRequest) -> HttpResponse:
    return render(request, "instruments/catalog.html", {"instruments": all_instruments()})
