"""Routine alerts for the demo clinic, raised by the real rules once its history exists.

While the demo stores PCL-5 responses their doses are not written yet, so
``response_record`` finds no course to judge them against. Once doses, diaries and
invitations are in place, every post-dose PCL-5 goes through
``alerts.services.alert_raise_for_pcl5_outcome`` (reliable deterioration, loss of response)
and the diary through ``alert_raise_for_missed_diary``, exactly as the live app and the
worker's sweep call them. Alerts are back-dated to the response they come from; those
older than ``OPEN_DAYS`` were seen and acknowledged by the demo prescriber a day
later, the recent ones stay open for the inbox and the worklist.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils import timezone

from afterglow.accounts.models import Clinic
from afterglow.alerts.models import Alert, Urgency
from afterglow.alerts.services import (
    alert_acknowledge,
    alert_raise_for_missed_diary,
    alert_raise_for_pcl5_outcome,
)
from afterglow.demo.seed_diary import _store_columns
from afterglow.instruments.models import Response
from afterglow.treatment.models import DosingSession

#: Routine alerts newer than this stay open in the demo inbox (an Afterglow choice).
OPEN_DAYS = 14
ACK_NOTE = "Reviewed at the weekly team meeting; follow-up booked."


def seed_routine_alerts(*, clinic: Clinic, by: User, now: dt.datetime | None = None) -> int:
    """Raise the demo's routine alerts through the live rules; the number raised."""
    now = now or timezone.now()
    first_dose: dict[int, dt.datetime] = {}
    for patient_id, started in (
        DosingSession.objects.filter(clinic=clinic, started_at__isnull=False)
        .order_by("started_at")
        .values_list("patient_id", "started_at")
    ):
        if started is not None:
            first_dose.setdefault(patient_id, started)
    followups = [
        response
        for response in Response.objects.for_clinic(clinic)
        .filter(instrument="pcl5", complete=True)
        .order_by("administered_at", "pk")
        if response.patient_id in first_dose
        and response.administered_at > first_dose[response.patient_id]
    ]
    before = set(Alert.objects.for_clinic(clinic).values_list("pk", flat=True))
    for response in followups:
        alert_raise_for_pcl5_outcome(response=response)
    raised = list(
        Alert.objects.for_clinic(clinic)
        .exclude(pk__in=before)
        .filter(urgency=Urgency.ROUTINE)
        .select_related("response")
    )
    for alert in raised:
        assert alert.response is not None
        alert.created_at = alert.response.administered_at
        if now - alert.created_at > dt.timedelta(days=OPEN_DAYS):
            alert_acknowledge(alert=alert, by=by, note=ACK_NOTE)
            alert.acknowledged_at = alert.created_at + dt.timedelta(days=1)
    _store_columns(raised, ["created_at", "acknowledged_at"])
    today = timezone.localdate(now, timezone=clinic.tzinfo)
    return len(raised) + len(alert_raise_for_missed_diary(clinic=clinic, today=today))
