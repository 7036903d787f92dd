"""The staff navigation: only the pages the member's role can open.

Each link's capability is read from the view itself (``staff_required`` stores it on
the view as ``staff_capability``) and checked against the one role × capability table
(``accounts/capabilities.py``), so the menu and the access rules cannot drift apart.

Every staff page draws it (issue 13 §2): each role's links are reversed once per process
and the menu is written out here rather than by an included template; the clinic
switcher reuses the memberships the request has already read.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, resolve, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from afterglow.accounts.capabilities import Capability, role_can
from afterglow.accounts.selectors import memberships_for_request

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


@lru_cache(maxsize=64)
def _role_links(role: str, urlconf: str, prefix: str) -> tuple[tuple[str, str, str, str], ...]:
    """The role's menu as (URL, label, marker kind, marker value), reversed once."""
    links = []
    for url_name, label, marker in NAV_LINKS:
        capability = capability_for(url_name)
        if capability is None or not role_can(role, capability):
            continue
        kind, value = marker.split(":", 1)
        links.append((reverse(url_name), label, kind, value))
    return tuple(links)


def links_for(role: str, current_app: str, current_url: str) -> list[dict[str, Any]]:
    urlconf = str(get_urlconf() or settings.ROOT_URLCONF)
    return [
        {
            "url": url,
            "label": label,
            "current": current_app == value if kind == "app" else current_url == value,
        }
        for url, label, kind, value in _role_links(role, urlconf, get_script_prefix())
    ]


@register.simple_tag(takes_context=True)
def staff_nav_links(context: template.Context) -> SafeString:
    membership = context.get("membership")
    if not membership:
        return SafeString("")
    match = getattr(context.get("request"), "resolver_match", None)
    links = links_for(
        membership.role,
        getattr(match, "app_name", "") or "",
        getattr(match, "url_name", "") or "",
    )
    return format_html_join(
        "",
        '<a href="{}"{}>{}</a>\n',
        (
            (
                link["url"],
                SafeString(' aria-current="page"') if link["current"] else "",
                link["label"],
            )
            for link in links
        ),
    )


@register.simple_tag(takes_context=True)
def clinic_switcher(context: template.Context) -> SafeString:
    """The clinic's name, or a clinic picker for members of more than one clinic. No
    query of its own: the memberships were read with the request's membership."""
    membership = context.get("membership")
    request = context.get("request")
    if not membership or request is None:
        return SafeString("")
    memberships = memberships_for_request(request)
    others = [m for m in memberships if m.clinic_id != membership.clinic_id]
    if not others:
        return format_html('<span class="clinic-name">{}</span>', membership.clinic.name)
    return render_to_string(
        "accounts/_clinic_switcher.html",
        {
            "current": membership,
            "memberships": sorted(memberships, key=lambda m: m.clinic.name),
            "others": others,
        },
        request=request,
    )
