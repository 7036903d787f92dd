"""The "Alerts" link of the staff navigation, with the open urgent count."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.alerts.selectors import OpenCounts, open_urgent_alert_count
from afterglow.core.links import fixed_link

register = template.Library()

#: The context key under which a page that has counted the open alerts already (the
#: inbox) hands them to the link, which then asks nothing more.
OPEN_COUNTS_KEY = "open_alert_counts"


@register.simple_tag(takes_context=True)
def alerts_nav_link(context: template.Context) -> SafeString:
    """One COUNT query per page (none on the inbox, which has counted already, and none
    for roles that cannot open the inbox); written out here rather than by a template,
    since every staff page draws it (issue 13 §2)."""
    membership = context.get("membership")
    request = context.get("request")
    if membership is None or not has_capability(membership, Capability.ALERTS):
        return SafeString("")
    counted = context.get(OPEN_COUNTS_KEY)
    if isinstance(counted, OpenCounts):
        count = counted.urgent
    else:
        count = open_urgent_alert_count(clinic=membership.clinic)
    match = getattr(request, "resolver_match", None)
    url = fixed_link("alerts:inbox")
    return format_html(
        '<a href="{}"{}>Alerts{}</a>',
        url,
        SafeString(' aria-current="page"') if match and match.app_name == "alerts" else "",
        format_html(' <span class="count" aria-label="{} open urgent">{}</span>', count, count)
        if count
        else "",
    )
