"""``figure_json`` writes exactly what Django's ``json_script`` writes, faster."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.template import Context, Template
from django.utils.html import json_script

from afterglow.core.templatetags.figure_json import figure_json

FIGURE = {
    "data": [
        {
            "x": [dt.datetime(2026, 3, 9, 7, 5, tzinfo=dt.UTC), dt.date(2026, 3, 10)],
            "y": [31, Decimal("12.5"), None, 1.25],
            "text": ["</script><script>alert(1)</script>", "a & b", "<b>dose</b> 35 mg"],
            "name": "PCL-5 — “total”",
        }
    ],
    "layout": {"shapes": [], "title": {"text": "x > y & y < z"}},
}


def test_it_writes_the_text_json_script_writes() -> None:
    assert figure_json(FIGURE, "pcl5-figure") == json_script(FIGURE, "pcl5-figure")


def test_a_closing_script_tag_in_a_label_cannot_end_the_element() -> None:
    text = figure_json(FIGURE, "pcl5-figure")
    assert text.count("</script>") == 1 and text.endswith("</script>")
    assert "\\u003C/script\\u003E" in text and "a \\u0026 b" in text


def test_the_filter_in_a_template_matches_json_script() -> None:
    context = Context({"figure": FIGURE})
    ours = Template('{% load figure_json %}{{ figure|figure_json:"f" }}').render(context)
    django = Template('{{ figure|json_script:"f" }}').render(context)
    assert ours == django
