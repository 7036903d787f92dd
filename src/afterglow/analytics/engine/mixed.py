"""Linear mixed model of the PCL-5 total on time, fitted by REML from sufficient statistics.

Model (patient i, observation j, t in weeks = day / 7, days inside ``mixed_window``)::

    y_ij = (β0 + b0_i) + (β1 + b1_i) · t_ij + e_ij
    (b0_i, b1_i) ~ N(0, G), G unstructured 2×2;  e_ij ~ N(0, σ²) independent of b.

Equivalently y_i ~ N(X_i β, σ² (I + Z_i Ψ Z_i')) with Z_i = X_i = [1, t_i] and
G = σ² Ψ. Assumptions: linear change over the window, normal random effects and
errors, constant residual variance, independence between patients, and visits
missing at random (the likelihood stays valid under MAR, unlike per-timepoint means).

Estimation is restricted maximum likelihood (REML), the same criterion as
``statsmodels.formula.api.mixedlm("total ~ weeks", re_formula="~weeks",
groups=patient).fit(reml=True)``, but the data enter only through each
patient's sufficient statistics, with A_i = Z_i'Z_i, c_i = Z_i'y_i, s_i = y_i'y_i:
by Woodbury and Sylvester, with Ψ = LL' (Cholesky factor, unconstrained, so
boundary fits with a zero variance are reachable) and K_i = I + L'A_iL::

    M_i = L K_i⁻¹ L'          Z_i'W_iZ_i = A_i - A_i M_i A_i   (W_i = (I + Z_iΨZ_i')⁻¹)
    X'WX = Σ (A_i - A_i M_i A_i)      X'Wy = Σ (I - A_i M_i) c_i
    y'Wy = Σ (s_i - c_i' M_i c_i)      log|I + Z_iΨZ_i'| = log|K_i|

β̂ = (X'WX)⁻¹X'Wy, r = y'Wy - β̂'X'Wy, σ̂² = r / (N - 2), and the profiled REML
criterion minimised over L is ``(N-2) log σ̂² + Σ log|K_i| + log|X'WX|``.
M_i depends only on A_i, i.e. on the patient's visit days, so patients with the
same visit pattern are pooled (their c_i, c_ic_i', s_i summed) and every
evaluation costs O(number of distinct patterns) of vectorised 2×2 algebra (M_i is
computed as Ψ(I + A_iΨ)⁻¹, the same matrix). The gradient is analytic (see
``_objective``); scipy's BFGS minimises the criterion divided by N, and L-BFGS-B
finishes the job if BFGS stops early. The result equals MixedLM's wherever MixedLM
converges (tests: estimates to 1e-5, SEs to 1e-3 relative); MixedLM's default BFGS
can stop short of the maximum on unbalanced data, where its ``method="lbfgs"`` agrees.

Standard errors of β̂: the inverse of the observed information of the profiled
REML criterion in (β, Ψ) — the definition statsmodels' MixedLM uses, so the two
agree — computed by central differences of that criterion from the same pooled
statistics. The Wald 95 % interval is β̂ ± 1.96 SE. ``conventional_se`` also
gives the usual sqrt(σ̂² (X'WX)⁻¹) (lme4, nlme), which differs only in the
second order.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from afterglow.analytics.engine.mixed_algebra import (
    Pieces,
    central_hessian,
    lower,
    minimize_scaled,
    pattern_pieces,
)

__all__ = [
    "MixedFit",
    "PatientSums",
    "Pooled",
    "fit_reml",
    "patient_sums",
    "pattern_index",
    "pool",
    "pool_sums",
]

Z975 = 1.959963984540054  # the 0.975 quantile of the standard normal
DAYS_PER_WEEK = 7.0


@dataclasses.dataclass(frozen=True)
class Pooled:
    """Sufficient statistics pooled by visit pattern (one entry per distinct A_i)."""

    count: np.ndarray  # patients with the pattern
    a11: np.ndarray  # n_i
    a12: np.ndarray  # Σ t
    a22: np.ndarray  # Σ t²
    c1: np.ndarray  # Σ_i Σ_j y
    c2: np.ndarray  # Σ_i Σ_j t y
    q11: np.ndarray  # Σ_i (Σ_j y)²
    q12: np.ndarray  # Σ_i (Σ_j y)(Σ_j t y)
    q22: np.ndarray  # Σ_i (Σ_j t y)²
    s: float  # Σ y²
    n_obs: int
    n_patients: int
    # With a per-patient covariate x (``mixed_covariate``), per pattern: Σ x, Σ x², Σ x c_i.
    sx: np.ndarray | None = None
    sxx: np.ndarray | None = None
    xc1: np.ndarray | None = None
    xc2: np.ndarray | None = None

    def covariate_sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(sx, sxx, xc1, xc2)``; only statistics pooled with a covariate have them."""
        if self.sx is None or self.sxx is None or self.xc1 is None or self.xc2 is None:
            raise ValueError("these statistics were pooled without a covariate")
        return self.sx, self.sxx, self.xc1, self.xc2


@dataclasses.dataclass(frozen=True)
class MixedFit:
    intercept: float
    slope: float  # per week
    intercept_se: float
    slope_se: float
    conventional_se: tuple[float, float]  # sqrt(diag(σ² (X'WX)⁻¹))
    residual_var: float
    re_cov: tuple[tuple[float, float], tuple[float, float]]  # G = σ² Ψ
    reml_criterion: float  # -2 × REML log-likelihood, constants included
    converged: bool
    n_obs: int
    n_patients: int
    n_patterns: int

    def to_dict(self) -> dict[str, object]:
        return {
            "slope_per_week": self.slope,
            "ci95": [self.slope - Z975 * self.slope_se, self.slope + Z975 * self.slope_se],
            "slope_se": self.slope_se,
            "intercept": self.intercept,
            "intercept_ci95": [
                self.intercept - Z975 * self.intercept_se,
                self.intercept + Z975 * self.intercept_se,
            ],
            "intercept_se": self.intercept_se,
            "residual_sd": math.sqrt(self.residual_var),
            "random_intercept_sd": math.sqrt(max(self.re_cov[0][0], 0.0)),
            "random_slope_sd": math.sqrt(max(self.re_cov[1][1], 0.0)),
            "random_effects_cov": [list(row) for row in self.re_cov],
            "reml_log_likelihood": -self.reml_criterion / 2,
            "converged": self.converged,
            "n_obs": self.n_obs,
            "n_patients": self.n_patients,
        }


@dataclasses.dataclass(frozen=True)
class PatientSums:
    """Each patient's sums over the observations inside the mixed window (float64 arrays).

    ``n`` rows, ``d`` Σ day, ``dd`` Σ day², ``y`` Σ total, ``ty`` (Σ day·total) / 7,
    ``yy`` Σ total²; all zero for a patient without rows there. Days and totals are
    whole numbers, so all but ``ty`` are exact.
    """

    n: np.ndarray
    d: np.ndarray
    dd: np.ndarray
    y: np.ndarray
    ty: np.ndarray
    yy: np.ndarray

    def subset(self, keep: np.ndarray) -> PatientSums:
        return PatientSums(*(getattr(self, f.name)[keep] for f in dataclasses.fields(self)))


def patient_sums(
    code: np.ndarray, day: np.ndarray, total: np.ndarray, n_patients: int
) -> PatientSums:
    """:class:`PatientSums` of observations (patient code 0..n_patients-1, day, total)."""
    d = day.astype(np.float64)
    y = total.astype(np.float64)

    def per_patient(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(code, weights=weights, minlength=n_patients).astype(np.float64)

    return PatientSums(
        n=per_patient(None),
        d=per_patient(d),
        dd=per_patient(d * d),
        y=per_patient(y),
        # Σ day·total is exact (whole numbers), then scaled: the DuckDB reader sums the same.
        ty=per_patient(d * y) / DAYS_PER_WEEK,
        yy=per_patient(y * y),
    )


def pool(code: np.ndarray, day: np.ndarray, total: np.ndarray) -> Pooled:
    """Reduce observations (patient code, day, total) to :class:`Pooled` statistics.

    ``code`` need not be contiguous; only patients with at least one row count.
    Patterns are grouped on exact integers (n, Σ day, Σ day²), then scaled to weeks.
    """
    if len(code) and np.all(code[1:] >= code[:-1]):  # sorted (as the engine passes them)
        code = np.concatenate([[0], np.cumsum(code[1:] != code[:-1])])
    else:
        _, code = np.unique(code, return_inverse=True)
    n_patients = int(code.max()) + 1 if len(code) else 0
    return pool_sums(patient_sums(code, day, total, n_patients))


def pattern_index(sums: PatientSums) -> tuple[np.ndarray, int]:
    """Each patient's visit pattern (0.., in order of first appearance) and their number."""
    pattern_of = (
        pd.DataFrame({"n": sums.n, "d": sums.d, "dd": sums.dd})
        .groupby(["n", "d", "dd"], sort=False)
        .ngroup()
        .to_numpy()
    )
    return pattern_of, int(pattern_of.max()) + 1 if len(pattern_of) else 0


def pool_sums(sums: PatientSums, covariate: np.ndarray | None = None) -> Pooled:
    """:class:`Pooled` statistics of the patients with at least one row in ``sums``.

    ``covariate`` (one float per patient of ``sums``) adds its per-pattern sums.
    """
    has_rows = sums.n > 0
    sums = sums.subset(has_rows)
    n_patients = len(sums.n)
    # Days are whole numbers, so the three sums are exact and group patterns exactly.
    pattern_of, n_patterns = pattern_index(sums)
    count = np.bincount(pattern_of, minlength=n_patterns).astype(np.float64)
    patterns = np.column_stack(
        [
            np.bincount(pattern_of, weights=v, minlength=n_patterns) / count
            for v in (sums.n, sums.d, sums.dd)
        ]
    )
    sy, sty = sums.y, sums.ty

    def per_pattern(values: np.ndarray | None) -> np.ndarray:
        return np.bincount(pattern_of, weights=values, minlength=n_patterns)

    by_covariate: dict[str, np.ndarray] = {}
    if covariate is not None:
        x = covariate[has_rows].astype(np.float64)
        by_covariate = {
            "sx": per_pattern(x),
            "sxx": per_pattern(x * x),
            "xc1": per_pattern(x * sy),
            "xc2": per_pattern(x * sty),
        }
    return Pooled(
        count=count,
        a11=patterns[:, 0],
        a12=patterns[:, 1] / DAYS_PER_WEEK,
        a22=patterns[:, 2] / DAYS_PER_WEEK**2,
        c1=per_pattern(sy),
        c2=per_pattern(sty),
        q11=per_pattern(sy * sy),
        q12=per_pattern(sy * sty),
        q22=per_pattern(sty * sty),
        s=float(np.sum(sums.yy)),
        n_obs=int(np.sum(sums.n)),
        n_patients=n_patients,
        **by_covariate,
    )


def fit_reml(stats: Pooled) -> MixedFit | None:
    """The REML fit, or None when the model is not estimable.

    Not estimable: fewer than 3 patients, fewer than 4 observations, or no spread
    of time (every observation on the same day).
    """
    if stats.n_patients < 3 or stats.n_obs < 4:
        return None
    spread = float(np.sum(stats.count * stats.a22)) - float(
        np.sum(stats.count * stats.a12) ** 2 / stats.n_obs
    )
    if spread <= 1e-12:
        return None
    # The criterion is divided by N so that its scale (and BFGS's tolerances) do not
    # grow with the registry.
    result = minimize_scaled(_scaled, _start(stats), stats)
    converged = bool(np.max(np.abs(result.jac)) < 1e-6)
    parts = _parts(result.x, stats)
    psi = parts.psi
    sigma2 = parts.sigma2
    xtwx_inv = np.linalg.inv(parts.xtwx)
    conventional = np.sqrt(np.diag(sigma2 * xtwx_inv))
    se = _observed_se(parts.beta, psi, stats)
    p = 2
    criterion = float(result.fun) * stats.n_obs + (stats.n_obs - p) * (1.0 + math.log(2 * math.pi))
    g = sigma2 * psi
    return MixedFit(
        intercept=float(parts.beta[0]),
        slope=float(parts.beta[1]),
        intercept_se=float(se[0]),
        slope_se=float(se[1]),
        conventional_se=(float(conventional[0]), float(conventional[1])),
        residual_var=float(sigma2),
        re_cov=((float(g[0, 0]), float(g[0, 1])), (float(g[1, 0]), float(g[1, 1]))),
        reml_criterion=criterion,
        converged=converged,
        n_obs=stats.n_obs,
        n_patients=stats.n_patients,
        n_patterns=len(stats.count),
    )


# --- internals --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Parts:
    psi: np.ndarray
    beta: np.ndarray
    xtwx: np.ndarray
    xtwy: np.ndarray
    r: float
    sigma2: float
    logdet_k: float
    pieces: Pieces  # per pattern, kept for the gradient


def _start(stats: Pooled) -> np.ndarray:
    """Ψ = diag(1, 0.25): random-effect SDs of the same order as the residual SD."""
    return np.array([1.0, 0.0, 0.5])


def _sums(psi: np.ndarray, stats: Pooled) -> _Parts:
    pieces = pattern_pieces(psi[0, 0], psi[0, 1], psi[1, 1], stats.a11, stats.a12, stats.a22)
    m11, m12, m22, logdet, am11, am12, am21, am22, g11, g12, g22 = pieces
    w = stats.count
    # G = A - A M A, weighted by the patients sharing the pattern.
    xtwx = np.array([[np.dot(w, g11), np.dot(w, g12)], [np.dot(w, g12), np.dot(w, g22)]])
    # (I - AM) C with C the pattern's summed c_i.
    c1, c2 = stats.c1, stats.c2
    xtwy = np.array([np.sum(c1 - (am11 * c1 + am12 * c2)), np.sum(c2 - (am21 * c1 + am22 * c2))])
    ywy = stats.s - float(np.sum(m11 * stats.q11 + 2 * m12 * stats.q12 + m22 * stats.q22))
    beta = np.linalg.solve(xtwx, xtwy)
    r = ywy - float(beta @ xtwy)
    sigma2 = r / (stats.n_obs - 2)
    return _Parts(
        psi=psi,
        beta=beta,
        xtwx=xtwx,
        xtwy=xtwy,
        r=r,
        sigma2=sigma2,
        logdet_k=float(np.dot(w, logdet)),
        pieces=pieces,
    )


def _parts(theta: np.ndarray, stats: Pooled) -> _Parts:
    factor = lower(theta)
    return _sums(factor @ factor.T, stats)


def _scaled(theta: np.ndarray, stats: Pooled) -> tuple[float, np.ndarray]:
    value, gradient = _objective(theta, stats)
    return value / stats.n_obs, gradient / stats.n_obs


def _objective(theta: np.ndarray, stats: Pooled) -> tuple[float, np.ndarray]:
    """Profiled -2 REML log-likelihood (without constants) and its gradient in θ.

    With D = ∂f/∂Ψ (symmetric; df = tr(D dΨ)), G_i = A_i - A_iM_iA_i,
    u_i = (I - A_iM_i)(c_i - A_iβ̂) = Z_i'W_i(y_i - X_iβ̂) and H = (X'WX)⁻¹:
    D = Σ G_i - Σ G_i H G_i - (N-2)/r · Σ u_iu_i', and ∂f/∂L = 2 D L.
    Σ u_iu_i' pools by pattern since u_i is linear in c_i.
    """
    parts = _parts(theta, stats)
    n_p = stats.n_obs - 2
    if parts.r <= 0 or not np.isfinite(parts.r):
        return math.inf, np.zeros(3)
    sign, logdet_x = np.linalg.slogdet(parts.xtwx)
    value = n_p * math.log(parts.sigma2) + parts.logdet_k + logdet_x
    a11, a12, a22, w = stats.a11, stats.a12, stats.a22, stats.count
    _, _, _, _, am11, am12, am21, am22, g11, g12, g22 = parts.pieces
    h = np.linalg.inv(parts.xtwx)
    # G H G per pattern.
    hg11 = h[0, 0] * g11 + h[0, 1] * g12
    hg12 = h[0, 0] * g12 + h[0, 1] * g22
    hg21 = h[1, 0] * g11 + h[1, 1] * g12
    hg22 = h[1, 0] * g12 + h[1, 1] * g22
    ghg11 = g11 * hg11 + g12 * hg21
    ghg12 = g11 * hg12 + g12 * hg22
    ghg22 = g12 * hg12 + g22 * hg22
    # Σ (c_i - Aβ)(c_i - Aβ)' over a pattern's patients, then P = I - AM on both sides.
    b0, b1 = parts.beta
    ab1 = a11 * b0 + a12 * b1
    ab2 = a12 * b0 + a22 * b1
    e11 = stats.q11 - 2 * stats.c1 * ab1 + w * ab1 * ab1
    e12 = stats.q12 - stats.c1 * ab2 - stats.c2 * ab1 + w * ab1 * ab2
    e22 = stats.q22 - 2 * stats.c2 * ab2 + w * ab2 * ab2
    p11, p12, p21, p22 = 1 - am11, -am12, -am21, 1 - am22
    pe11 = p11 * e11 + p12 * e12
    pe12 = p11 * e12 + p12 * e22
    pe21 = p21 * e11 + p22 * e12
    pe22 = p21 * e12 + p22 * e22
    uu11 = np.sum(pe11 * p11 + pe12 * p12)
    uu12 = np.sum(pe11 * p21 + pe12 * p22)
    uu22 = np.sum(pe21 * p21 + pe22 * p22)
    scale = n_p / parts.r
    d = np.array(
        [
            [
                np.dot(w, g11) - np.dot(w, ghg11) - scale * uu11,
                np.dot(w, g12) - np.dot(w, ghg12) - scale * uu12,
            ],
            [0.0, np.dot(w, g22) - np.dot(w, ghg22) - scale * uu22],
        ]
    )
    d[1, 0] = d[0, 1]
    grad_l = 2.0 * d @ lower(theta)
    if sign <= 0:
        return math.inf, np.zeros(3)
    return float(value), np.array([grad_l[0, 0], grad_l[1, 0], grad_l[1, 1]])


def _criterion_batch(points: np.ndarray, stats: Pooled) -> np.ndarray:
    """Profiled REML log-likelihood at each row (β0, β1, Ψ11, Ψ21, Ψ22) of ``points``.

    statsmodels' definition: ``-½ [(N-2) log r(β) + Σ log|K_i| + log|X'WX|]`` with
    r(β) the residual quadratic form at the given β (not at β̂). Rows are evaluated
    together (broadcast against the patterns), in chunks that bound the memory used.
    """
    a11, a12, a22, w = stats.a11, stats.a12, stats.a22, stats.count
    chunk = max(1, 2_000_000 // max(1, len(w)))
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        x = points[start : start + chunk]
        pieces = pattern_pieces(x[:, 2:3], x[:, 3:4], x[:, 4:5], a11, a12, a22)
        m11, m12, m22, logdet, am11, am12, am21, am22, g11, g12, g22 = pieces
        x11, x12, x22 = g11 @ w, g12 @ w, g22 @ w
        y1 = (stats.c1 - (am11 * stats.c1 + am12 * stats.c2)).sum(axis=1)
        y2 = (stats.c2 - (am21 * stats.c1 + am22 * stats.c2)).sum(axis=1)
        ywy = stats.s - (m11 * stats.q11 + 2 * m12 * stats.q12 + m22 * stats.q22).sum(axis=1)
        beta0, beta1 = x[:, 0], x[:, 1]
        r = (
            ywy
            - 2 * (beta0 * y1 + beta1 * y2)
            + beta0 * beta0 * x11
            + 2 * beta0 * beta1 * x12
            + beta1 * beta1 * x22
        )
        logdet_k = logdet @ w
        logdet_x = np.log(x11 * x22 - x12 * x12)
        out[start : start + chunk] = -0.5 * ((stats.n_obs - 2) * np.log(r) + logdet_k + logdet_x)
    return out


def _observed_se(beta: np.ndarray, psi: np.ndarray, stats: Pooled) -> np.ndarray:
    """SE of β̂ from the inverse observed information of ``_criterion_batch``.

    The Hessian in (β0, β1, Ψ11, Ψ21, Ψ22) is taken by central differences with steps
    scaled to each parameter, all 51 points evaluated in one batch; the function is
    smooth, so the result is accurate to about 1e-7 relative.
    """
    x0 = np.array([beta[0], beta[1], psi[0, 0], psi[0, 1], psi[1, 1]])
    floor = np.array([1.0, 1.0, 1e-2, 1e-2, 1e-2])
    hess = central_hessian(lambda points: _criterion_batch(points, stats), x0, floor)
    try:
        cov = np.linalg.inv(-hess)
        diag = np.diag(cov)[:2]
        if np.all(diag > 0):
            return np.sqrt(diag)
    except np.linalg.LinAlgError:
        pass
    # On a boundary (a variance of 0) the full information can be singular: fall back.
    parts = _sums(psi, stats)
    return np.sqrt(np.diag(parts.sigma2 * np.linalg.inv(parts.xtwx)))
