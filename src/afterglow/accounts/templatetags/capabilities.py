"""``{% load capabilities %}`` then ``{% if membership|can:"therapy" %}``.

Templates ask the role × capability table (``accounts/capabilities.py``) rather than
naming roles, so showing a button and allowing its page stay the same rule.
"""

from __future__ import annotations

from django import template

from afterglow.accounts.capabilities import Capability, has_capability
from afterglow.accounts.models import Membership

register = template.Library()


@register.filter
def can(membership: Membership | None, capability: str) -> bool:
    """Whether ``membership``'s role has the capability named ``capability``."""
    return has_capability(membership, Capability(capability))
