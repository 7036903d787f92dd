"""Number formats of the cohort pages: "43%", "33–52%", "−12.3", "−15.6 to −9.1".

A missing value (``None``, NaN) is an en dash, never 0. Minus signs are the typographic
minus so a column of changes lines up and reads clearly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django import template

from afterglow.analytics.forms import column_label, value_label

register = template.Library()

DASH = "–"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")  # no "-0.0"
    return text.replace("-", "−")


@register.filter
def pct(value: float | None, digits: int = 0) -> str:
    """A proportion as a percentage: 0.4257 -> "43%"."""
    if _missing(value):
        return DASH
    assert value is not None
    return f"{_number(100 * value, int(digits))}%"


@register.filter
def pct_ci(ci: Sequence[float | None] | None, digits: int = 0) -> str:
    """A proportion's CI: (0.33, 0.52) -> "33–52%"."""
    if ci is None or any(_missing(v) for v in ci):
        return DASH
    low, high = ci
    assert low is not None and high is not None
    return f"{_number(100 * low, int(digits))}–{_number(100 * high, int(digits))}%"


@register.filter
def num(value: float | None, digits: int = 1) -> str:
    """A number to ``digits`` decimals with a true minus sign: -12.34 -> "−12.3"."""
    if _missing(value):
        return DASH
    assert value is not None
    if math.isinf(value):
        return "not reached"
    return _number(float(value), int(digits))


@register.filter
def ci(interval: Sequence[float | None] | None, digits: int = 1) -> str:
    """A CI: (-15.6, -9.1) -> "−15.6 to −9.1"; an infinite upper limit is "not reached"."""
    if interval is None or len(interval) != 2 or _missing(interval[0]):
        return DASH
    low, high = interval
    assert low is not None
    upper = "not reached" if _missing(high) else num(high, digits)
    return f"{num(low, digits)} to {upper}"


@register.filter
def column_name(column: str) -> str:
    return column_label(column)


@register.filter
def shown_as(value: object, column: str) -> str:
    """A covariate value as people read it: ``"iv"|shown_as:"route"`` -> "Intravenous …"."""
    return value_label(column, value)


@register.filter
def any_hidden(rows: Sequence[dict[str, object]]) -> bool:
    """Whether any row of a weekly table is hidden (to print the footnote once)."""
    return any(not row.get("shown", True) for row in rows)


#: Yes/no covariates read as a presence: an odds ratio "with vs without".
PRESENCE = {("yes", "no"): "with vs without", ("no", "yes"): "without vs with"}


@register.filter
def contrast(row: dict[str, object]) -> str:
    """What a categorical odds ratio compares: "with vs without" for a yes/no feature
    (therapy in the post-dose window), else "<level> vs <reference>" as people read them."""
    level, reference, feature = row.get("level"), row.get("reference"), str(row.get("feature"))
    presence = PRESENCE.get((str(level).lower(), str(reference).lower()))
    if presence is not None:
        return presence
    return f"{value_label(feature, level)} vs {value_label(feature, reference)}"
