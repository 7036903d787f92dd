"""Diary pages: the patient's daily entry (token only, no account) and the staff views."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from afterglow.accounts.access import StaffRequest, acting_user, staff_required
from afterglow.accounts.capabilities import Capability
from afterglow.accounts.models import Clinic
from afterglow.diary.access import get_diary_link_for
from afterglow.diary.forms import DiaryEntryForm
from afterglow.diary.models import DiaryEntry, DiaryLink
from afterglow.diary.rules import editable
from afterglow.diary.selectors import (
    diary_link_active,
    diary_series,
    link_for_diary_token,
)
from afterglow.diary.services import (
    DayNotEditable,
    DiaryLinkUnavailable,
    diary_entry_save,
    diary_link_create,
    diary_link_email,
    diary_link_revoke,
)
from afterglow.patients.access import get_patient_for

#: Days on the patient's "your last week" list.
WEEK = 7

# --- The patient's side: no account, only the token in the URL -------------------


@never_cache
def today(request: HttpRequest, token: str) -> HttpResponse:
    return _diary_day(request, token, None)


@never_cache
def day(request: HttpRequest, token: str, day: str) -> HttpResponse:
    return _diary_day(request, token, day)


def _diary_day(request: HttpRequest, token: str, day_text: str | None) -> HttpResponse:
    link = link_for_diary_token(token)
    if link is None or link.state != "open":
        return _link_unavailable(request, link.state if link else "unknown", link)
    clinic = link.patient.clinic
    timezone.activate(clinic.tzinfo)  # the patient's days are the clinic's days
    local_today = timezone.localdate(timezone=clinic.tzinfo)
    try:
        the_day = dt.date.fromisoformat(day_text) if day_text else local_today
    except ValueError:
        return redirect("diary:today", token=token)  # a mangled address: go to today
    entry = DiaryEntry.objects.filter(patient=link.patient, day=the_day).first()
    can_edit = editable(the_day, local_today, clinic.diary_edit_days)
    context: dict[str, Any] = {
        "clinic": clinic,
        "token": token,
        "day": the_day,
        "today": local_today,
        "is_today": the_day == local_today,
        "entry": entry,
        "closed_reason": "future" if the_day > local_today else "closed",
    }
    if not can_edit:
        # A read-only page, not an error page; a POST to it is refused with a 403.
        status = 403 if request.method == "POST" else 200
        context["week"] = _week(link, local_today)
        return render(request, "diary/day_closed.html", context, status=status)
    form = DiaryEntryForm(
        request.POST or None,
        initial=DiaryEntryForm.initial_for(entry),
        none_label="None today" if the_day == local_today else "None that day",
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = diary_entry_save(token=token, day=the_day, **form.service_kwargs())
        except DiaryLinkUnavailable as exc:
            return _link_unavailable(request, exc.state, link)
        except DayNotEditable as exc:  # midnight passed while the page was open
            context.update(closed_reason=exc.reason, week=_week(link, local_today))
            return render(request, "diary/day_closed.html", context, status=403)
        context.update(entry=entry, week=_week(link, local_today))
        return render(request, "diary/saved.html", context)
    context.update(form=form, week=_week(link, local_today))
    return render(request, "diary/entry.html", context)


def _week(link: DiaryLink, local_today: dt.date) -> list[dict[str, Any]]:
    """The last 7 days, newest first, each with whether it can still be changed."""
    edit_days = link.patient.clinic.diary_edit_days
    days = diary_series(
        patient=link.patient, start=local_today - dt.timedelta(days=WEEK - 1), end=local_today
    )
    return [
        {"day": d.day, "entry": d.entry, "editable": editable(d.day, local_today, edit_days)}
        for d in reversed(days)
    ]


def _link_unavailable(request: HttpRequest, state: str, link: DiaryLink | None) -> HttpResponse:
    # A friendly page, not an error page: the person did nothing wrong.
    clinic: Clinic | None = link.patient.clinic if link else None
    # An unknown token answers 404 with the same page (see instruments.views).
    return render(
        request,
        "diary/link_unavailable.html",
        {"state": state, "clinic": clinic},
        status=404 if state == "unknown" else 200,
    )


# --- Staff ---------------------------------------------------------------------------


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def link_new(request: StaffRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for(request.membership, patient_pk)
    replaced = diary_link_active(patient=patient) is not None
    link, token = diary_link_create(patient=patient, by=acting_user(request))
    url = request.build_absolute_uri(reverse("diary:today", args=[token]))
    emailed = False
    if request.POST.get("send_email") and patient.email:
        diary_link_email(link=link, url=url, replaced=replaced)
        emailed = True
    # The raw URL is shown once, on this page, and never stored.
    return render(
        request,
        "diary/link_created.html",
        {"patient": patient, "link": link, "url": url, "emailed": emailed},
    )


@require_POST
@staff_required(capability=Capability.MEASUREMENTS)
def link_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    link = get_diary_link_for(request.membership, pk)
    diary_link_revoke(link=link)
    messages.success(request, "Diary link revoked.")
    return redirect("diary:patient", patient_pk=link.patient_id)
