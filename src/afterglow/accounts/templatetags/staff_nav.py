"""The staff navigation: only the pages the member's role can open.

Each link's capability is read from the view itself (``staff_required`` stores it on
the view as ``staff_capability``) and checked against the one role × capability table
(``accounts/capabilities.py``), so the menu and the access rules cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.urls import resolve, reverse

from afterglow.accounts.capabilities import Capability, role_can
from afterglow.accounts.selectors import memberships_for_user

register = template.Library()

#: (URL name, label, what marks it current: an app namespace or a URL name).
NAV_LINKS: tuple[tuple[str, str, str], ...] = (
    ("board:today", "Today", "url:today"),
    ("board:therapist_home", "Therapy", "url:therapist_home"),
    ("intake:queue", "Intake", "app:intake"),
    ("patients:list", "Patients", "app:patients"),
    ("schedules:worklist", "Worklist", "app:schedules"),
    ("analytics:dashboard", "Outcomes", "app:analytics"),
    ("imaging:research", "Imaging", "app:imaging"),
    ("instruments:catalog", "Instruments", "url:catalog"),
    ("accounts:staff", "Staff", "url:staff"),
    ("accounts:clinic_settings", "Settings", "url:clinic_settings"),
    ("audit:log", "Audit log", "app:audit"),
)


@cache
def capability_for(url_name: str) -> Capability | None:
    """The capability the view behind ``url_name`` requires (None: none declared)."""
    view = resolve(reverse(url_name)).func
    return getattr(view, "staff_capability", None)


def links_for(role: str, current_app: str, current_url: str) -> list[dict[str, Any]]:
    links = []
    for url_name, label, marker in NAV_LINKS:
        capability = capability_for(url_name)
        if capability is None or not role_can(role, capability):
            continue
        kind, value = marker.split(":", 1)
        current = current_app == value if kind == "app" else current_url == value
        links.append({"url": reverse(url_name), "label": label, "current": current})
    return links


@register.inclusion_tag("accounts/_nav_links.html", takes_context=True)
def staff_nav_links(context: template.Context) -> dict[str, Any]:
    membership = context.get("membership")
    if not membership:
        return {"links": []}
    match = getattr(context.get("request"), "resolver_match", None)
    return {
        "links": links_for(
            membership.role,
            getattr(match, "app_name", "") or "",
            getattr(match, "url_name", "") or "",
        )
    }


@register.inclusion_tag("accounts/_clinic_switcher.html", takes_context=True)
def clinic_switcher(context: template.Context) -> dict[str, Any]:
    """A clinic picker for members of more than one clinic (one query per page)."""
    membership = context.get("membership")
    request = context.get("request")
    if not membership or request is None:
        return {"others": []}
    memberships = memberships_for_user(request.user)
    return {
        "current": membership,
        "memberships": sorted(memberships, key=lambda m: m.clinic.name),
        "others": [m for m in memberships if m.clinic_id != membership.clinic_id],
    }
