"""Small interval helpers shared by the engine. No Django import.

- :func:`mean_ci`: the mean with a two-sided 95 % t interval,
  ``mean ± t(0.975, n-1) · sd / √n`` (sd with n-1 in the denominator); undefined
  (None) for n < 2.
- :func:`wilson_ci`: the Wilson score interval for a proportion (Wilson 1927;
  recommended by Newcombe 1998, Stat Med 17:857-872, method 3), through
  ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clean", "mean_ci", "rate_ci", "wilson_ci"]

CONFIDENCE = 0.95


def mean_ci(values: np.ndarray) -> tuple[float | None, float | None, list[float] | None]:
    """``(mean, sd, [low, high])`` of ``values``; None where undefined (n = 0 or 1)."""
    n = len(values)
    if n == 0:
        return None, None, None
    mean = float(np.mean(values))
    if n == 1:
        return mean, None, None
    from scipy import stats as scipy_stats  # on first use: CLI error paths stay fast

    sd = float(np.std(values, ddof=1))
    half = float(scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / math.sqrt(n)
    return mean, sd, [mean - half, mean + half]


def wilson_ci(successes: int, n: int) -> list[float] | None:
    """The Wilson 95 % interval of ``successes / n``; None when n = 0."""
    if n == 0:
        return None
    from statsmodels.stats.proportion import proportion_confint  # on first use, as above

    low, high = proportion_confint(successes, n, alpha=1 - CONFIDENCE, method="wilson")
    return [float(low), float(high)]


def rate_ci(flags: np.ndarray) -> tuple[float | None, list[float] | None]:
    """``(rate, Wilson interval)`` of a boolean array; None for an empty one."""
    n = len(flags)
    if n == 0:
        return None, None
    k = int(np.count_nonzero(flags))
    return k / n, wilson_ci(k, n)


def clean(value: object) -> object:
    """``value`` made JSON-ready: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value
