"""``get_FOO_display()`` for many rows at once (issue 13 §2, round 6).

Django's ``get_FOO_display`` rebuilds the field's choices as a dict and translates the
label on every call; on a list of dozens of rows that adds up. :func:`choice_labels`
gives the labels of a ``TextChoices`` class in the active language, looked up once per
language and kept for the process (like :mod:`afterglow.core.daytext`'s month names):
the same text ``get_FOO_display`` gives for a value of the choices.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import models
from django.utils import translation


class Labels(dict[object, str]):
    """Labels by value; a value outside the choices is its own label, as in
    ``get_FOO_display``."""

    def __missing__(self, value: object) -> str:
        return str(value)


@lru_cache(maxsize=128)
def _labels(choices: type[models.Choices], language: str | None) -> Labels:
    return Labels((value, str(label)) for value, label in choices.choices)


def choice_labels(choices: type[models.Choices]) -> Labels:
    """Each value of ``choices`` and its label, in the current language (read-only: the
    mapping is shared by the process)."""
    return _labels(choices, translation.get_language())
