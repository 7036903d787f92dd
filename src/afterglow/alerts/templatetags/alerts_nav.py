"""The "Alerts" link of the staff navigation, with the open urgent count."""

from __future__ import annotations

from typing import Any

from django import template

from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.alerts.selectors import open_urgent_alert_count

register = template.Library()


@register.inclusion_tag("alerts/_nav_link.html", takes_context=True)
def alerts_nav_link(context: template.Context) -> dict[str, Any]:
    """One COUNT query per page, and none for roles that cannot open the inbox."""
    membership = context.get("membership")
    request = context.get("request")
    if membership is None or not has_capability(membership, Capability.ALERTS):
        return {"show": False}
    match = getattr(request, "resolver_match", None)
    return {
        "show": True,
        "count": open_urgent_alert_count(clinic=membership.clinic),
        "current": bool(match and match.app_name == "alerts"),
    }
