"""Many links to one URL pattern, reversed once (issue 13 §2).

``reverse()`` costs tens of microseconds; a table with four links per row and a few
dozen rows spends milliseconds on it. :func:`pk_links` reverses a pattern once with a
placeholder and fills in each row's primary key.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_PLACEHOLDER = 987654321


def pk_links(name: str) -> Callable[[int], str]:
    """A function ``pk -> URL`` for the pattern ``name`` that takes one integer argument;
    the same string ``reverse(name, args=[pk])`` gives. Reversed once per URL
    configuration and script prefix, like :func:`fixed_link`."""
    return _pk_links(name, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())


@lru_cache(maxsize=256)
def _pk_links(name: str, urlconf: str, script_prefix: str) -> Callable[[int], str]:
    prefix, _, suffix = reverse(name, args=[_PLACEHOLDER]).rpartition(str(_PLACEHOLDER))

    def link(pk: int) -> str:
        return f"{prefix}{int(pk)}{suffix}"

    return link


@lru_cache(maxsize=256)
def _fixed(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name)


def fixed_link(name: str) -> str:
    """``reverse(name)`` for a pattern without arguments, reversed once per URL
    configuration and script prefix (the links every staff page's header carries)."""
    return _fixed(name, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
