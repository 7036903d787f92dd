"""``{% patient_report_button patient %}``: the chart's "Download PDF report" button,
shown only to roles that may download it (``reports.permissions``)."""

from __future__ import annotations

from typing import Any

from django import template

from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.patients.models import Patient

register = template.Library()


@register.inclusion_tag("reports/_patient_button.html", takes_context=True)
def patient_report_button(context: template.Context, patient: Patient) -> dict[str, Any]:
    membership = context.get("membership")
    return {
        "patient": patient,
        "allowed": has_capability(membership, Capability.PATIENT_REPORT),
    }
