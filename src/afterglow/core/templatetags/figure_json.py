"""``{{ value|figure_json:"element-id" }}``: Django's ``json_script`` filter, faster on a
chart's figure (issue 13 §2).

``json_script`` escapes ``<``, ``>`` and ``&`` with ``str.translate``, which walks the
JSON one character at a time: on a figure of a few kilobytes that costs several times
the ``json.dumps`` itself. Three ``str.replace`` calls give the same text
(``tests/core/test_figure_json.py`` compares them) in a fraction of the time.
"""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def figure_json(value: Any, element_id: str) -> SafeString:
    """``<script id="element_id" type="application/json">…</script>``, exactly as
    ``value|json_script:element_id`` writes it."""
    text = (
        json.dumps(value, cls=DjangoJSONEncoder)
        .replace("&", "\\u0026")
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
    )
    return format_html(
        '<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text)
    )
