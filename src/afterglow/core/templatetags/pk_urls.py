"""``{% pk_url "app:name" pk %}``: ``{% url %}`` for a pattern with one integer argument,
reversed once per pattern instead of once per row (issue 13 §2; see
:func:`afterglow.core.links.pk_links`). Also ``{% pk_url "app:name" pk as var %}``.

``{% fixed_url "app:name" %}``: ``{% url %}`` for a pattern without arguments, reversed
once per process (:func:`afterglow.core.links.fixed_link`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf

from afterglow.core.links import fixed_link, pk_links

register = template.Library()


@lru_cache(maxsize=256)
def _links(name: str, urlconf: str, prefix: str) -> Callable[[int], str]:
    return pk_links(name)


@register.simple_tag
def pk_url(name: str, pk: int) -> str:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _links(name, str(urlconf), get_script_prefix())(pk)


@register.simple_tag
def fixed_url(name: str) -> str:
    return fixed_link(name)
