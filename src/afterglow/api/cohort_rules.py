"""Minimum-N suppression of the ``analyze`` JSON for the API. No Django import.

The dashboard hides every figure that rests on fewer than the clinic's
``analytics_min_n`` patients (``analytics/dashboard.py``) so that small groups are
neither over-read nor re-identified; the API applies the same rule to the JSON of
``afterglow.analytics.engine.analyze``, block by block:

- a block (the whole cohort, or one ``by`` group) with ``n_patients < min_n`` becomes
  ``{"shown": false, "reason": "fewer than N patients"}``;
- a timepoint with ``n < min_n`` keeps only ``day`` and ``window``; the durability block
  with ``n_responders < min_n`` keeps only ``from_day``; the mixed model fitted on
  ``n_patients < min_n`` keeps nothing but the reason (its counts would tell a size);
- everything shown gets ``"shown": true``.
"""

from __future__ import annotations

from typing import Any


def _hidden(min_n: int, who: str = "patients", **kept: Any) -> dict[str, Any]:
    return {**kept, "shown": False, "reason": f"fewer than {min_n} {who}"}


def _block(block: dict[str, Any], min_n: int) -> dict[str, Any]:
    if block.get("n_patients", 0) < min_n:
        return _hidden(min_n)
    out = dict(block)
    out["timepoints"] = {
        key: (
            {**point, "shown": True}
            if point["n"] >= min_n
            else _hidden(min_n, day=point["day"], window=point["window"])
        )
        for key, point in block.get("timepoints", {}).items()
    }
    durability = block.get("durability")
    if durability is not None:
        out["durability"] = (
            {**durability, "shown": True}
            if (durability.get("n_responders") or 0) >= min_n
            else _hidden(min_n, "responders", from_day=durability.get("from_day"))
        )
    mixed = block.get("mixed_model")
    if mixed is not None:
        fitted_on = mixed.get("n_patients")
        out["mixed_model"] = (
            _hidden(min_n)
            if fitted_on is not None and fitted_on < min_n
            else {**mixed, "shown": True}
        )
    return out


def hide_small_groups(analysis: dict[str, Any], min_n: int) -> dict[str, Any]:
    """``analysis`` with every figure on fewer than ``min_n`` patients hidden (docstring)."""
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    out = _block(analysis, min_n)
    if out.get("shown") is False:
        return out
    for key in ("config", "by_column", "n_by_missing"):
        if key in analysis:
            out[key] = analysis[key]
    if "by" in analysis:
        out["by"] = {group: _block(block, min_n) for group, block in analysis["by"].items()}
    return out
