"""Form widgets rendered in Python where Django's template-per-option rendering is too slow.

Django renders every ``<option>`` of a ``Select`` through its own template; a select with
a hundred options (the dosing page's amendment "What to correct", one group per vitals
row) then costs more than the rest of the form. :class:`PlainSelect` writes the same HTML
with ``format_html`` in one pass (issue 13 §2).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _options(choices: Iterable[tuple[Any, Any]], selected: set[str]) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) in selected else "", label)
            for value, label in choices
        ),
    )


class PlainSelect(forms.Select):
    """A ``Select`` (optgroups included) rendered without a template per option.

    Same markup as Django's widget: the attributes the bound field passes (``id``,
    ``required``, ``aria-invalid``, ``aria-describedby``), the selected value marked.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in self.format_value(value)}
        parts = []
        for group, options in self.choices:
            if isinstance(options, (list, tuple)):
                parts.append(
                    format_html(
                        '<optgroup label="{}">{}</optgroup>', group, _options(options, selected)
                    )
                )
            else:
                parts.append(_options([(group, options)], selected))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final),
            mark_safe("".join(parts)),  # each part built by format_html above
        )
