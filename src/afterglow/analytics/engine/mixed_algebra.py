"""The 2×2 algebra, optimiser and Hessian both mixed models share (``mixed``). No Django.

Per visit pattern (A = Z'Z, scaled to weeks) and random-effect matrix Ψ = LL':
M = Ψ(I + AΨ)⁻¹ (= L K⁻¹ L'), log|I + AΨ| (= log|K|), AM and G = A - AMA, written
out elementwise so that Ψ may be one matrix or a batch of them (arrays broadcast
against the patterns). See ``mixed``'s docstring for where each enters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Pieces", "central_hessian", "lower", "minimize_scaled", "pattern_pieces"]


class Pieces(NamedTuple):
    m11: np.ndarray
    m12: np.ndarray
    m22: np.ndarray
    logdet: np.ndarray  # log|I + AΨ|
    am11: np.ndarray
    am12: np.ndarray
    am21: np.ndarray
    am22: np.ndarray
    g11: np.ndarray  # G = A - AMA (symmetric)
    g12: np.ndarray
    g22: np.ndarray


def lower(theta: np.ndarray) -> np.ndarray:
    """The Cholesky factor L of Ψ from the three free parameters θ."""
    return np.array([[theta[0], 0.0], [theta[1], theta[2]]])


def pattern_pieces(
    p11: Any, p12: Any, p22: Any, a11: np.ndarray, a12: np.ndarray, a22: np.ndarray
) -> Pieces:
    """:class:`Pieces` per pattern for Ψ = [[p11, p12], [p12, p22]] (scalars or arrays)."""
    # B = I + AΨ (not symmetric); M = Ψ B⁻¹ is symmetric.
    b11 = 1.0 + a11 * p11 + a12 * p12
    b12 = a11 * p12 + a12 * p22
    b21 = a12 * p11 + a22 * p12
    b22 = 1.0 + a12 * p12 + a22 * p22
    det = b11 * b22 - b12 * b21
    m11 = (p11 * b22 - p12 * b21) / det
    m12 = (-p11 * b12 + p12 * b11) / det
    m22 = (-p12 * b12 + p22 * b11) / det
    am11 = a11 * m11 + a12 * m12
    am12 = a11 * m12 + a12 * m22
    am21 = a12 * m11 + a22 * m12
    am22 = a12 * m12 + a22 * m22
    return Pieces(
        m11=m11,
        m12=m12,
        m22=m22,
        logdet=np.log(det),
        am11=am11,
        am12=am12,
        am21=am21,
        am22=am22,
        g11=a11 - (am11 * a11 + am12 * a12),
        g12=a12 - (am11 * a12 + am12 * a22),
        g22=a22 - (am21 * a12 + am22 * a22),
    )


def minimize_scaled(
    scaled: Callable[..., tuple[float, np.ndarray]], start: np.ndarray, stats: object
) -> Any:
    """scipy's BFGS on ``scaled(θ, stats)`` (value and gradient), L-BFGS-B if it stops early.

    BFGS stops on "precision loss" when the line search can gain nothing more; a second,
    differently built quasi-Newton run settles it either way.
    """
    from scipy import optimize  # on first use: CLI error paths stay fast

    result = optimize.minimize(
        scaled, start, args=(stats,), jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    if not result.success:
        result = optimize.minimize(
            scaled,
            result.x,
            args=(stats,),
            jac=True,
            method="L-BFGS-B",
            options={"gtol": 1e-10, "ftol": 1e-15},
        )
    return result


def central_hessian(
    values_at: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, floor: np.ndarray
) -> np.ndarray:
    """The Hessian of a smooth function at ``x0`` by central differences.

    Steps are ``1e-4 · max(|x0|, floor)``; ``values_at`` gets every point at once (rows)
    and returns the function's values, so a caller may evaluate them in one batch.
    """
    steps = 1e-4 * np.maximum(np.abs(x0), floor)
    k = len(x0)
    unit = np.diag(steps)
    points = [x0]
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    for i, j in pairs:
        if i == j:
            points += [x0 + unit[i], x0 - unit[i]]
        else:
            points += [
                x0 + unit[i] + unit[j],
                x0 + unit[i] - unit[j],
                x0 - unit[i] + unit[j],
                x0 - unit[i] - unit[j],
            ]
    values = iter(values_at(np.array(points)))
    f0 = next(values)
    hess = np.empty((k, k))
    for i, j in pairs:
        if i == j:
            hess[i, i] = (next(values) - 2 * f0 + next(values)) / steps[i] ** 2
        else:
            pp, pm, mp, mm = (next(values) for _ in range(4))
            hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4 * steps[i] * steps[j])
    return hess
