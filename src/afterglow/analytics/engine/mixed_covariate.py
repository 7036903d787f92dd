"""The mixed model with one per-patient covariate as a fixed effect (``--covariate``).

Model (as ``mixed``, plus x_i, a number per patient, e.g. age)::

    y_ij = (β0 + β2 · x_i + b0_i) + (β1 + b1_i) · t_ij + e_ij

the same REML criterion as ``statsmodels.formula.api.mixedlm("total ~ weeks + x",
re_formula="~weeks", groups=patient).fit(reml=True)`` (tests compare the two). With
X_i = Z_i B_i, B_i = [[1, 0, x_i], [0, 1, 0]], every sum of ``mixed`` carries over:
X'WX = Σ B_i' G_i B_i and X'Wy = Σ B_i' (I - A_iM_i) c_i, so patients still pool by
visit pattern, now with Σ x, Σ x² and Σ x c_i per pattern. The gradient is
D = Σ G_i - Σ G_i (B_i H B_i') G_i - (N-3)/r Σ u_i u_i' (H = (X'WX)⁻¹,
u_i = Z_i'W_i(y_i - X_iβ̂)); the standard errors come from the observed information
of the profiled criterion in (β, Ψ) by central differences, as in ``mixed``.
Patients whose covariate is blank are left out of this model (and counted). No
Django import.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from afterglow.analytics.engine.config import AnalysisConfig
from afterglow.analytics.engine.mixed import Z975, PatientSums, Pooled, pool_sums
from afterglow.analytics.engine.mixed_algebra import (
    central_hessian,
    lower,
    minimize_scaled,
    pattern_pieces,
)
from afterglow.analytics.engine.stats import clean

__all__ = ["covariate_block", "fit_with_covariate"]

P = 3  # fixed effects: intercept, weeks, covariate


def covariate_block(
    sums: PatientSums, covariate: np.ndarray, config: AnalysisConfig
) -> dict[str, Any]:
    """The ``mixed_model`` block with the covariate (``None`` figures when not estimable)."""
    has_rows = sums.n > 0
    known = has_rows & np.isfinite(covariate)
    result = fit_with_covariate(sums.subset(known), covariate[known])
    low, high = config.mixed_window
    missing = int(np.count_nonzero(has_rows & ~known))
    if result is None:
        return {
            "slope_per_week": None,
            "ci95": None,
            "covariate_effect": None,
            "n_obs": int(np.sum(sums.n[known])),
            "n_covariate_missing": missing,
            "note": "not estimable: needs at least 4 patients with the covariate, "
            "5 observations, 2 days and 2 covariate values",
        }
    return clean({**result, "window": [low, high], "n_covariate_missing": missing})  # type: ignore[return-value]


def fit_with_covariate(sums: PatientSums, x: np.ndarray) -> dict[str, Any] | None:
    """REML estimates (JSON-ready numbers) for patients with rows, or None if not estimable."""
    x = x.astype(np.float64)
    stats = pool_sums(sums, x)
    x_spread = float(np.var(x[sums.n > 0])) if stats.n_patients else 0.0
    if stats.n_patients < 4 or stats.n_obs < 5 or x_spread <= 0:
        return None
    spread = float(np.sum(stats.count * stats.a22)) - float(
        np.sum(stats.count * stats.a12) ** 2 / stats.n_obs
    )
    if spread <= 1e-12:
        return None
    result = minimize_scaled(_scaled, np.array([1.0, 0.0, 0.5]), stats)
    factor = lower(result.x)
    psi = factor @ factor.T
    beta, _xtwx, _, r, _ = _profile(psi, stats)
    sigma2 = r / (stats.n_obs - P)
    se = _observed_se(beta, psi, stats)
    g = sigma2 * psi
    criterion = float(result.fun) * stats.n_obs + (stats.n_obs - P) * (1.0 + math.log(2 * math.pi))
    return {
        "slope_per_week": float(beta[1]),
        "ci95": [float(beta[1] - Z975 * se[1]), float(beta[1] + Z975 * se[1])],
        "slope_se": float(se[1]),
        "intercept": float(beta[0]),
        "intercept_ci95": [float(beta[0] - Z975 * se[0]), float(beta[0] + Z975 * se[0])],
        "intercept_se": float(se[0]),
        "covariate_effect": float(beta[2]),
        "covariate_ci95": [float(beta[2] - Z975 * se[2]), float(beta[2] + Z975 * se[2])],
        "covariate_se": float(se[2]),
        "residual_sd": math.sqrt(sigma2),
        "random_intercept_sd": math.sqrt(max(g[0, 0], 0.0)),
        "random_slope_sd": math.sqrt(max(g[1, 1], 0.0)),
        "random_effects_cov": [[float(g[0, 0]), float(g[0, 1])], [float(g[1, 0]), float(g[1, 1])]],
        "reml_log_likelihood": -criterion / 2,
        "converged": bool(np.max(np.abs(result.jac)) < 1e-6),
        "n_obs": stats.n_obs,
        "n_patients": stats.n_patients,
    }


# --- internals --------------------------------------------------------------------------------


def _normal_equations(psi: np.ndarray, st: Pooled) -> tuple[np.ndarray, np.ndarray, float, tuple]:
    sx, sxx, xc1, xc2 = st.covariate_sums()
    pieces = pattern_pieces(psi[0, 0], psi[0, 1], psi[1, 1], st.a11, st.a12, st.a22)
    m11, m12, m22, _logdet, am11, am12, am21, am22, g11, g12, g22 = pieces
    xtwx = np.empty((P, P))
    xtwx[0, 0], xtwx[0, 1], xtwx[1, 1] = st.count @ g11, st.count @ g12, st.count @ g22
    xtwx[0, 2], xtwx[1, 2], xtwx[2, 2] = sx @ g11, sx @ g12, sxx @ g11
    xtwx[1, 0], xtwx[2, 0], xtwx[2, 1] = xtwx[0, 1], xtwx[0, 2], xtwx[1, 2]
    p11, p12, p21, p22 = 1 - am11, -am12, -am21, 1 - am22
    xtwy = np.array(
        [
            np.sum(p11 * st.c1 + p12 * st.c2),
            np.sum(p21 * st.c1 + p22 * st.c2),
            np.sum(p11 * xc1 + p12 * xc2),
        ]
    )
    ywy = st.s - float(np.sum(m11 * st.q11 + 2 * m12 * st.q12 + m22 * st.q22))
    return xtwx, xtwy, ywy, pieces


def _profile(
    psi: np.ndarray, st: Pooled
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, tuple]:
    xtwx, xtwy, ywy, pieces = _normal_equations(psi, st)
    beta = np.linalg.solve(xtwx, xtwy)
    return beta, xtwx, xtwy, ywy - float(beta @ xtwy), pieces


def _scaled(theta: np.ndarray, st: Pooled) -> tuple[float, np.ndarray]:
    value, gradient = _objective(theta, st)
    return value / st.n_obs, gradient / st.n_obs


def _objective(theta: np.ndarray, st: Pooled) -> tuple[float, np.ndarray]:
    """Profiled -2 REML log-likelihood (no constants) and its gradient in θ (module doc)."""
    sx, sxx, xc1, xc2 = st.covariate_sums()
    factor = lower(theta)
    psi = factor @ factor.T
    try:
        beta, xtwx, _, r, pieces = _profile(psi, st)
    except np.linalg.LinAlgError:
        return math.inf, np.zeros(3)
    sign, logdet_x = np.linalg.slogdet(xtwx)
    if r <= 0 or not np.isfinite(r) or sign <= 0:
        return math.inf, np.zeros(3)
    n_p = st.n_obs - P
    _, _, _, logdet, am11, am12, am21, am22, g11, g12, g22 = pieces
    value = n_p * math.log(r / n_p) + float(st.count @ logdet) + logdet_x
    h = np.linalg.inv(xtwx)
    e11 = st.count * h[0, 0] + 2 * sx * h[0, 2] + sxx * h[2, 2]
    e12 = st.count * h[0, 1] + sx * h[1, 2]
    e22 = st.count * h[1, 1]
    ge11 = g11 * e11 + g12 * e12
    ge12 = g11 * e12 + g12 * e22
    ge21 = g12 * e11 + g22 * e12
    ge22 = g12 * e12 + g22 * e22
    geg11 = np.sum(ge11 * g11 + ge12 * g12)
    geg12 = np.sum(ge11 * g12 + ge12 * g22)
    geg22 = np.sum(ge21 * g12 + ge22 * g22)
    b0, b1, b2 = beta
    m1 = st.a11 * b0 + st.a12 * b1
    m2 = st.a12 * b0 + st.a22 * b1
    n1, n2 = b2 * st.a11, b2 * st.a12
    v11 = (
        st.q11
        - 2 * st.c1 * m1
        - 2 * xc1 * n1
        + st.count * m1 * m1
        + 2 * sx * m1 * n1
        + sxx * n1 * n1
    )
    v12 = (
        st.q12
        - st.c1 * m2
        - st.c2 * m1
        - xc1 * n2
        - xc2 * n1
        + st.count * m1 * m2
        + sx * (m1 * n2 + n1 * m2)
        + sxx * n1 * n2
    )
    v22 = (
        st.q22
        - 2 * st.c2 * m2
        - 2 * xc2 * n2
        + st.count * m2 * m2
        + 2 * sx * m2 * n2
        + sxx * n2 * n2
    )
    p11, p12, p21, p22 = 1 - am11, -am12, -am21, 1 - am22
    pv11 = p11 * v11 + p12 * v12
    pv12 = p11 * v12 + p12 * v22
    pv21 = p21 * v11 + p22 * v12
    pv22 = p21 * v12 + p22 * v22
    uu11 = np.sum(pv11 * p11 + pv12 * p12)
    uu12 = np.sum(pv11 * p21 + pv12 * p22)
    uu22 = np.sum(pv21 * p21 + pv22 * p22)
    scale = n_p / r
    d = np.empty((2, 2))
    d[0, 0] = st.count @ g11 - geg11 - scale * uu11
    d[0, 1] = d[1, 0] = st.count @ g12 - geg12 - scale * uu12
    d[1, 1] = st.count @ g22 - geg22 - scale * uu22
    grad_l = 2.0 * d @ factor
    return float(value), np.array([grad_l[0, 0], grad_l[1, 0], grad_l[1, 1]])


def _loglike(point: np.ndarray, st: Pooled) -> float:
    """statsmodels' profiled REML log-likelihood at (β0, β1, β2, Ψ11, Ψ21, Ψ22)."""
    beta = point[:P]
    psi = np.array([[point[3], point[4]], [point[4], point[5]]])
    xtwx, xtwy, ywy, pieces = _normal_equations(psi, st)
    r = ywy - 2 * float(beta @ xtwy) + float(beta @ xtwx @ beta)
    logdet_k = float(st.count @ pieces[3])
    return -0.5 * ((st.n_obs - P) * math.log(r) + logdet_k + np.linalg.slogdet(xtwx)[1])


def _observed_se(beta: np.ndarray, psi: np.ndarray, st: Pooled) -> np.ndarray:
    x0 = np.array([*beta, psi[0, 0], psi[0, 1], psi[1, 1]])
    floor = np.array([1.0, 1.0, 1.0, 1e-2, 1e-2, 1e-2])
    hess = central_hessian(
        lambda points: np.array([_loglike(point, st) for point in points]), x0, floor
    )
    try:
        diag = np.diag(np.linalg.inv(-hess))[:P]
        if np.all(diag > 0):
            return np.sqrt(diag)
    except np.linalg.LinAlgError:
        pass
    _beta_hat, xtwx, _, r, _ = _profile(psi, st)
    return np.sqrt(np.diag(r / (st.n_obs - P) * np.linalg.inv(xtwx)))
