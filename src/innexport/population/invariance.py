"""Measurement invariance across groups: multi-group confirmatory factor analysis by maximum likelihood.

Decides whether a scale measures the same thing in each group (country, language, sector) before
its scores are compared, by the usual sequence of nested models (Meredith 1993; Vandenberg & Lance
2000; Putnick & Bornstein 2016):

* **configural**: the same pattern of loadings in every group, every parameter free per group;
* **metric** (weak): the loadings equal across groups;
* **scalar** (strong): the loadings and the item intercepts equal across groups, the factor means
  free in every group but the first.

The model is lavaan's (Rosseel 2012) default for ``cfa(model, data, group=…)``: the first item of
each factor is its marker (loading fixed to 1 in every group), factor variances and covariances and
residual variances free in every group, uncorrelated residuals, a mean structure (intercepts free,
factor means 0 in the configural and metric models). It is fitted by maximum likelihood with the
``N`` convention (sample covariances divided by ``n``, not ``n - 1``): the discrepancy of group g is
``log|Σ| + tr(S Σ⁻¹) − log|S| − p + (ȳ − μ)' Σ⁻¹ (ȳ − μ)`` and the chi-square is ``Σ_g n_g F_g``;
scipy's BFGS minimises it with the analytic gradient (damped Newton steps finish an ill-conditioned
fit), the items in units of their pooled within-group SD (ML is scale-free; the estimates are given
back in the items' units). Factor covariances are ``L L'`` and residual variances ``exp(t)``, so every
step stays where Σ is positive definite: a residual variance that lavaan would estimate below 0 (a
Heywood case) is at 0 here, and reported (``Fit.zero_residuals``, a note); lavaan's chi-square is then
slightly lower. A model that does not converge is refused, naming the factor whose variance vanished.
The fit indices are lavaan's: the baseline model has free means and variances per group and no
covariance; CFI (Bentler 1990); TLI (Tucker & Lewis 1973); RMSEA (Steiger 1980) with the
multi-group factor √G (Steiger 1998) and its 90 % interval from the non-central chi-square; SRMR
as lavaan's ``srmr`` (Bentler's, with the means, averaged over the groups with weights ``n_g / N``).
Checked against lavaan's published example, the Holzinger & Swineford (1939) children by school
(tests/test_invariance.py).

Each level is compared with the one below it by the chi-square difference test and by the changes
in the fit indices, judged by the usual cut-offs:

* Cheung & Rensvold (2002): ΔCFI ≤ −0.01 means non-invariance (:data:`CFI_DROP`);
* Chen (2007): non-invariance when ΔCFI ≤ −0.01 *supplemented by* ΔRMSEA ≥ 0.015 or ΔSRMR ≥ 0.030
  for the loadings, ≥ 0.010 for the intercepts (:data:`RMSEA_RISE`, :data:`SRMR_RISE`).

When a level does not hold, the **partial invariance** search (Byrne, Shavelson & Muthén 1989)
frees, one at a time, the equality constraint of the item whose freeing lowers the chi-square most
(the likelihood-ratio counterpart of the largest modification index), until the level holds by the
chosen criterion; the items freed are listed. A marker's loading cannot be freed (it sets the scale),
and each factor keeps at least one item with an equal intercept (which identifies its mean).

semopy (MIT) was the kept SEM library considered: its ``multigroup`` module fits each group's
model apart and cannot hold a parameter equal across groups, which is the whole of an invariance
test, so the multi-group ML fit is written here (about 150 lines on numpy and scipy).

Pure numpy/scipy/pandas; :func:`measurement_invariance` is the entry point (the ``innexport
population invariance`` command and the study report use it), :func:`confirmatory_fit` fits one level.

References: Byrne, Shavelson & Muthén (1989), Psychological Bulletin 105(3), 456-466; Chen (2007),
Sensitivity of goodness of fit indexes to lack of measurement invariance, Structural Equation
Modeling 14(3), 464-504; Cheung & Rensvold (2002), Evaluating goodness-of-fit indexes for testing
measurement invariance, Structural Equation Modeling 9(2), 233-255; Meredith (1993), Psychometrika
58(4), 525-543; Rosseel (2012), lavaan, Journal of Statistical Software 48(2); Steiger (1998),
A note on multiple sample extensions of the RMSEA fit index, Structural Equation Modeling 5(4),
411-419; Holzinger & Swineford (1939), Supplementary Educational Monographs 48.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "CFI_DROP", "CRITERIA", "LEVELS", "RMSEA_RISE", "SRMR_RISE", "Comparison", "Criterion", "Fit",
    "Freed", "InvarianceError", "InvarianceResult", "confirmatory_fit", "dimension_factors", "measurement_invariance",
]

LEVELS = ("configural", "metric", "scalar")
"""The nested levels of invariance, from the weakest."""

Level = Literal["configural", "metric", "scalar"]
Criterion = Literal["chen", "cfi", "chi2"]
CRITERIA: tuple[Criterion, ...] = ("chen", "cfi", "chi2")
"""How a level is judged to hold: Chen (2007), Cheung & Rensvold's ΔCFI alone (2002), or the chi-square difference test."""

CFI_DROP = -0.010
"""ΔCFI at or below which a level does not hold (Cheung & Rensvold 2002; Chen 2007)."""

RMSEA_RISE = 0.015
"""ΔRMSEA at or above which, with the CFI drop, a level does not hold (Chen 2007)."""

SRMR_RISE: dict[str, float] = {"metric": 0.030, "scalar": 0.010}
"""ΔSRMR at or above which, with the CFI drop, a level does not hold (Chen 2007: loadings, intercepts)."""

ALPHA = 0.05
"""Level of the chi-square difference test."""

RMSEA_CI = 0.90
"""Confidence level of the RMSEA interval (lavaan's)."""

_GRADIENT_TOLERANCE = 1e-6
"""Largest gradient entry of the discrepancy accepted as converged when the optimiser stops early."""


class InvarianceError(ValueError):
    """The data or the model cannot be fitted; the message names the item, group or model."""


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _num(x: float | None, digits: int = 6) -> float | None:
    """A JSON-able number: None for a missing or non-finite value, else rounded."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


@dataclass(frozen=True)
class Freed:
    """An equality constraint freed by the partial-invariance search: an item's loading or intercept."""

    item: str
    parameter: Literal["loading", "intercept"]
    chi2_drop: float
    """How much the chi-square fell when the constraint was freed."""

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "parameter": self.parameter, "chi2_drop": _num(self.chi2_drop)}


@dataclass(frozen=True)
class Fit:
    """One fitted multi-group model: its test, fit indices and estimates."""

    name: str
    """``configural``, ``metric``, ``scalar``, ``partial_metric`` or ``partial_scalar``."""
    level: Level
    chi2: float
    df: int
    p: float | None
    cfi: float
    tli: float | None
    rmsea: float
    rmsea_ci: tuple[float | None, float | None]
    srmr: float
    n_parameters: int
    chi2_by_group: dict[str, float]
    loadings: dict[str, dict[str, dict[str, float]]]
    """group → factor → item → loading."""
    intercepts: dict[str, dict[str, float]]
    """group → item → intercept."""
    factor_means: dict[str, dict[str, float]]
    """group → factor → mean (0 in the reference group, and everywhere below the scalar level)."""
    free_loadings: tuple[str, ...] = ()
    free_intercepts: tuple[str, ...] = ()
    iterations: int = 0
    zero_residuals: tuple[str, ...] = ()
    """``item (group)`` whose residual variance is at 0 (a Heywood case: lavaan would give it a negative value)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "level": self.level, "chi2": _num(self.chi2), "df": self.df, "p": _num(self.p),
            "cfi": _num(self.cfi), "tli": _num(self.tli), "rmsea": _num(self.rmsea),
            "rmsea_ci": {"level": RMSEA_CI, "low": _num(self.rmsea_ci[0]), "high": _num(self.rmsea_ci[1])},
            "srmr": _num(self.srmr), "n_parameters": self.n_parameters,
            "chi2_by_group": {g: _num(v) for g, v in self.chi2_by_group.items()},
            "free_loadings": list(self.free_loadings), "free_intercepts": list(self.free_intercepts),
            "loadings": {g: {f: {i: _num(v) for i, v in items.items()} for f, items in fs.items()}
                         for g, fs in self.loadings.items()},
            "intercepts": {g: {i: _num(v) for i, v in items.items()} for g, items in self.intercepts.items()},
            "factor_means": {g: {f: _num(v) for f, v in fs.items()} for g, fs in self.factor_means.items()},
            "iterations": self.iterations, "zero_residuals": list(self.zero_residuals),
        }


@dataclass(frozen=True)
class Comparison:
    """A more constrained model against the one below it: chi-square difference and fit changes."""

    model: str
    against: str
    level: Level
    d_chi2: float
    d_df: int
    p: float | None
    d_cfi: float
    d_rmsea: float
    d_srmr: float
    holds: dict[str, bool]
    """Whether the level holds by each criterion of :data:`CRITERIA`."""

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "against": self.against, "level": self.level, "d_chi2": _num(self.d_chi2),
                "d_df": self.d_df, "p": _num(self.p), "d_cfi": _num(self.d_cfi), "d_rmsea": _num(self.d_rmsea),
                "d_srmr": _num(self.d_srmr), "holds": dict(self.holds)}


@dataclass
class InvarianceResult:
    """The invariance sequence of a scale across groups (:func:`measurement_invariance`)."""

    items: list[str]
    factors: dict[str, list[str]]
    by: str
    groups: dict[str, int]
    """Each group's number of complete cases, in the order the groups were fitted (the first is the reference)."""
    dropped: dict[str, int]
    """Each group's rows left out for a missing item (listwise deletion)."""
    criterion: Criterion
    fits: dict[str, Fit]
    comparisons: list[Comparison]
    partial: dict[str, list[Freed]]
    """``metric`` / ``scalar`` → the constraints freed, in the order the search freed them."""
    conclusion: str
    """The highest level that holds: ``scalar``, ``partial scalar``, ``metric``, ``partial metric`` or ``configural``."""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-able builtins (``None`` for an undefined number)."""
        return {
            "items": list(self.items), "factors": {k: list(v) for k, v in self.factors.items()}, "by": self.by,
            "groups": dict(self.groups), "dropped": dict(self.dropped), "n": sum(self.groups.values()),
            "criterion": self.criterion,
            "cutoffs": {"cfi_drop": CFI_DROP, "rmsea_rise": RMSEA_RISE, "srmr_rise": dict(SRMR_RISE), "alpha": ALPHA},
            "fits": {name: fit.to_dict() for name, fit in self.fits.items()},
            "comparisons": [c.to_dict() for c in self.comparisons],
            "partial": {level: [f.to_dict() for f in freed] for level, freed in self.partial.items()},
            "conclusion": self.conclusion, "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# The model: which parameter each matrix cell is
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """Parameter indices of every group's matrices (-1: fixed), shared indices being equality constraints.

    Two parameters are transformed so that every parameter vector gives a positive definite Σ (the
    optimiser never leaves the model's domain): Ψ is ``L L'`` with ``L`` lower triangular (its cells
    are the parameters), θ is ``exp(t)``. Neither is ever shared across groups; the count of
    parameters, hence the degrees of freedom, are those of Ψ and θ themselves.
    """

    lam: np.ndarray  # (G, p, m) int
    lam_fixed: np.ndarray  # (G, p, m) float: values of the fixed cells (1 for markers, 0 elsewhere)
    chol: np.ndarray  # (G, m, m) int, lower triangle: the Cholesky factor of Ψ
    theta: np.ndarray  # (G, p) int: log of the residual variances
    nu: np.ndarray  # (G, p) int
    alpha: np.ndarray  # (G, m) int
    n_par: int


@dataclass
class _Mats:
    """Every group's matrices: loadings Λ, factor covariances Ψ, residual variances θ, intercepts ν, factor means α."""

    lam: np.ndarray  # (G, p, m)
    psi: np.ndarray  # (G, m, m)
    theta: np.ndarray  # (G, p)
    nu: np.ndarray  # (G, p)
    alpha: np.ndarray  # (G, m)


def _spec(pattern: np.ndarray, markers: Sequence[int], n_groups: int, level: Level,
          free_loadings: frozenset[int] = frozenset(), free_intercepts: frozenset[int] = frozenset()) -> _Spec:
    """The parameters of a level; ``free_loadings``/``free_intercepts`` (item indices) stay group-specific."""
    p, m = pattern.shape
    g_n = n_groups
    lam = np.full((g_n, p, m), -1)
    lam_fixed = np.zeros((g_n, p, m))
    chol = np.full((g_n, m, m), -1)
    theta = np.full((g_n, p), -1)
    nu = np.full((g_n, p), -1)
    alpha = np.full((g_n, m), -1)
    count = 0

    def new() -> int:
        nonlocal count
        count += 1
        return count - 1

    for f in range(m):
        lam_fixed[:, markers[f], f] = 1.0
    for j in range(p):
        for f in range(m):
            if not pattern[j, f] or j == markers[f]:
                continue
            if level == "configural" or j in free_loadings:
                for g in range(g_n):
                    lam[g, j, f] = new()
            else:
                lam[:, j, f] = new()
    for g in range(g_n):
        for k in range(m):
            for q in range(k + 1):
                chol[g, k, q] = new()
        for j in range(p):
            theta[g, j] = new()
    for j in range(p):
        if level == "scalar" and j not in free_intercepts:
            nu[:, j] = new()
        else:
            for g in range(g_n):
                nu[g, j] = new()
    if level == "scalar":
        for g in range(1, g_n):
            for f in range(m):
                alpha[g, f] = new()
    return _Spec(lam, lam_fixed, chol, theta, nu, alpha, count)


def _take(x: np.ndarray, idx: np.ndarray, fixed: np.ndarray | float) -> np.ndarray:
    return np.where(idx >= 0, x[np.maximum(idx, 0)], fixed)


def _unpack(x: np.ndarray, spec: _Spec) -> _Mats:
    chol = _take(x, spec.chol, 0.0)
    return _Mats(_take(x, spec.lam, spec.lam_fixed), np.einsum("gkq,glq->gkl", chol, chol),
                 np.exp(np.clip(_take(x, spec.theta, 0.0), -_LOG_LIMIT, _LOG_LIMIT)), _take(x, spec.nu, 0.0),
                 _take(x, spec.alpha, 0.0))


_LOG_LIMIT = 60.0
"""Bound of the log residual variances (e^±60: far beyond any data in units of its SD), against overflow."""


_VARIANCE_FLOOR = 1e-8
"""Smallest residual and factor variance a start takes (in units of the items' pooled variance)."""


def _pack(spec: _Spec, mats: _Mats) -> np.ndarray:
    """The parameter vector of ``spec`` closest to ``mats``: each shared parameter the mean of its cells."""
    total = np.zeros(spec.n_par)
    count = np.zeros(spec.n_par)
    chol = np.zeros_like(mats.psi)
    for g, psi in enumerate(mats.psi):
        values, vectors = np.linalg.eigh((psi + psi.T) / 2.0)
        chol[g] = np.linalg.cholesky((vectors * np.maximum(values, _VARIANCE_FLOOR)) @ vectors.T)
    log_theta = np.log(np.maximum(mats.theta, _VARIANCE_FLOOR))
    for idx, values in ((spec.lam, mats.lam), (spec.chol, chol), (spec.theta, log_theta),
                        (spec.nu, mats.nu), (spec.alpha, mats.alpha)):
        mask = idx >= 0
        np.add.at(total, idx[mask], values[mask])
        np.add.at(count, idx[mask], 1.0)
    return total / np.maximum(count, 1.0)


@dataclass(frozen=True)
class _Data:
    """The sample moments of each group (covariances divided by n), of the items divided by :attr:`scale`.

    ML is scale-free (the same chi-square whatever each item's unit, and the equality constraints
    are kept when an item is divided by the same number in every group): the model is fitted to
    items in units of their pooled within-group SD, so that the optimiser's tolerances mean the
    same for every scale, and the estimates are given back in the items' units.
    """

    names: list[str]
    n: np.ndarray  # (G,)
    mean: np.ndarray  # (G, p)
    cov: np.ndarray  # (G, p, p)
    logdet: np.ndarray  # (G,)
    scale: np.ndarray  # (p,)

    @property
    def total(self) -> float:
        return float(self.n.sum())


def _discrepancy(x: np.ndarray, spec: _Spec, data: _Data) -> tuple[float, np.ndarray]:
    """The ML discrepancy Σ_g (n_g/N) F_g and its gradient in the parameters of ``spec``."""
    mats = _unpack(x, spec)
    chol = _take(x, spec.chol, 0.0)
    grad = np.zeros_like(x)
    total = 0.0
    p = data.mean.shape[1]
    for g in range(len(data.n)):
        lam, psi = mats.lam[g], mats.psi[g]
        sigma = lam @ psi @ lam.T + np.diag(mats.theta[g])
        try:
            factor = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:  # only when exp(t) underflows: the edge of the domain
            return math.inf, grad
        inv = np.linalg.inv(sigma)
        d = data.mean[g] - (mats.nu[g] + lam @ mats.alpha[g])
        inv_d = inv @ d
        f_g = (2.0 * float(np.log(np.diag(factor)).sum()) + float(np.sum(data.cov[g] * inv)) - float(data.logdet[g])
               - p + float(d @ inv_d))
        w = float(data.n[g] / data.total)
        total += w * f_g
        big_w = inv - inv @ (data.cov[g] + np.outer(d, d)) @ inv
        g_mu = -2.0 * inv_d
        g_lam = 2.0 * big_w @ lam @ psi + np.outer(g_mu, mats.alpha[g])
        g_chol = 2.0 * (lam.T @ big_w @ lam) @ chol[g]  # dF/dL = (G + G') L with G = Λ'WΛ symmetric
        g_log_theta = np.diag(big_w) * mats.theta[g]
        for idx, values in ((spec.lam[g], g_lam), (spec.chol[g], g_chol), (spec.theta[g], g_log_theta),
                            (spec.nu[g], g_mu), (spec.alpha[g], lam.T @ g_mu)):
            mask = idx >= 0
            np.add.at(grad, idx[mask], w * values[mask])
    return (total, grad) if math.isfinite(total) else (math.inf, grad)


def _start(pattern: np.ndarray, markers: Sequence[int], data: _Data) -> _Mats:
    """Starting values per group: each factor's first principal component scaled to its marker."""
    g_n, p = data.mean.shape
    m = pattern.shape[1]
    mats = _Mats(np.zeros((g_n, p, m)), np.zeros((g_n, m, m)), np.zeros((g_n, p)), data.mean.copy(),
                 np.zeros((g_n, m)))
    for g in range(g_n):
        s = data.cov[g]
        for f in range(m):
            items = np.flatnonzero(pattern[:, f])
            values, vectors = np.linalg.eigh(s[np.ix_(items, items)])
            load = vectors[:, -1] * math.sqrt(max(values[-1], 1e-12))
            marker_load = load[int(np.flatnonzero(items == markers[f])[0])]
            if abs(marker_load) < 1e-8:
                marker_load = math.copysign(1e-8, marker_load) if marker_load else 1e-8
            mats.lam[g, items, f] = load / marker_load
            mats.psi[g, f, f] = marker_load ** 2
        for k in range(m):
            for q in range(k):
                ik, iq = np.flatnonzero(pattern[:, k]), np.flatnonzero(pattern[:, q])
                ratios = [s[a, b] / (mats.lam[g, a, k] * mats.lam[g, b, q]) for a in ik for b in iq if a != b]
                bound = 0.9 * math.sqrt(mats.psi[g, k, k] * mats.psi[g, q, q])
                mats.psi[g, k, q] = mats.psi[g, q, k] = float(np.clip(np.median(ratios), -bound, bound)) if ratios else 0.0
        common = np.einsum("jf,fk,jk->j", mats.lam[g], mats.psi[g], mats.lam[g])
        mats.theta[g] = np.maximum(np.diag(s) - common, 0.1 * np.diag(s))
    return mats


_ZERO_RESIDUAL = 1e-6
"""A residual variance below this share of the item's pooled variance is reported as at 0 (a Heywood case)."""

_MAX_ITERATIONS = 3000
"""Iterations of each optimiser before a model is reported as not converging (a model that fits takes 30 to 300)."""


class _NotConverged(Exception):
    """The optimiser's failure, with the parameters where it stopped (None if it could not start)."""

    def __init__(self, message: str, x: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.x = x


def _minimise(spec: _Spec, data: _Data, start: np.ndarray) -> tuple[np.ndarray, float, int]:
    """The ML estimates of ``spec``, the discrepancy at them and the number of iterations."""
    x0 = start.copy()
    value, _ = _discrepancy(x0, spec, data)
    if not math.isfinite(value):
        raise _NotConverged("the starting values give a covariance matrix that is not positive definite")
    res = optimize.minimize(_discrepancy, x0, args=(spec, data), jac=True, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": _MAX_ITERATIONS})
    x, iterations = res.x, int(res.nit)
    value, grad = _discrepancy(x, spec, data)
    if math.isfinite(value) and float(np.max(np.abs(grad))) < _GRADIENT_TOLERANCE:
        return x, value, iterations
    # BFGS stops early on an ill-conditioned model ("precision loss"): Newton's steps from there
    x, value, grad, steps = _newton(x, spec, data)
    if math.isfinite(value) and float(np.max(np.abs(grad))) < _GRADIENT_TOLERANCE:
        return x, value, iterations + steps
    raise _NotConverged(f"the optimiser stopped without converging after {iterations + steps} iterations "
                        f"(largest gradient {float(np.max(np.abs(grad))):.2g})", x)


def _newton(x: np.ndarray, spec: _Spec, data: _Data, max_steps: int = 40) -> tuple[np.ndarray, float, np.ndarray, int]:
    """Damped Newton steps with the Hessian by forward differences of the analytic gradient."""
    value, grad = _discrepancy(x, spec, data)
    n = len(x)
    for step in range(max_steps):
        if not math.isfinite(value) or float(np.max(np.abs(grad))) < _GRADIENT_TOLERANCE:
            return x, value, grad, step
        hessian = np.empty((n, n))
        for i in range(n):
            h = 1e-6 * max(1.0, abs(float(x[i])))
            moved = x.copy()
            moved[i] += h
            hessian[:, i] = (_discrepancy(moved, spec, data)[1] - grad) / h
        hessian = (hessian + hessian.T) / 2.0
        eigenvalues = np.linalg.eigvalsh(hessian)
        top = max(float(eigenvalues[-1]), 1e-12)
        damping = max(0.0, 1e-10 * top - float(eigenvalues[0]))
        direction = -np.linalg.solve(hessian + damping * np.eye(n), grad)
        slope = float(grad @ direction)
        if slope >= 0:
            direction, slope = -grad, -float(grad @ grad)
        t = 1.0
        while t > 1e-10:
            new_value, new_grad = _discrepancy(x + t * direction, spec, data)
            if math.isfinite(new_value) and new_value <= value + 1e-4 * t * slope:
                break
            t /= 2.0
        else:
            return x, value, grad, step
        x, value, grad = x + t * direction, new_value, new_grad
    return x, value, grad, max_steps


# --------------------------------------------------------------------------------------------
# Fit indices
# --------------------------------------------------------------------------------------------


def _baseline(data: _Data) -> tuple[float, int]:
    """Chi-square and df of lavaan's baseline: free means and variances in every group, no covariance."""
    p = data.mean.shape[1]
    chi2 = float(sum(n * (np.log(np.diag(s)).sum() - ld) for n, s, ld in zip(data.n, data.cov, data.logdet, strict=True)))
    return chi2, len(data.n) * p * (p - 1) // 2


def _rmsea_ci(chi2: float, df: int, n: float, n_groups: int) -> tuple[float | None, float | None]:
    """The RMSEA interval (lavaan's ``lav_fit_rmsea_ci``): non-centrality bounds of the chi-square."""
    if df < 1:
        return None, None
    upper_p, lower_p = 1 - (1 - RMSEA_CI) / 2, (1 - RMSEA_CI) / 2

    def cdf(ncp: float) -> float:
        return float(stats.chi2.cdf(chi2, df) if ncp <= 0 else stats.ncx2.cdf(chi2, df, ncp))

    def rmsea(ncp: float) -> float:
        return math.sqrt(ncp / (n * df)) * math.sqrt(n_groups)

    low = 0.0
    if cdf(0.0) - upper_p >= 0:
        low = rmsea(optimize.brentq(lambda lam: cdf(lam) - upper_p, 0.0, chi2, xtol=1e-10))
    top = max(n, 4 * chi2)
    high = 0.0
    if not (cdf(top) - lower_p > 0 or cdf(0.0) - lower_p < 0):
        high = rmsea(optimize.brentq(lambda lam: cdf(lam) - lower_p, 0.0, top, xtol=1e-10))
    return low, high


def _srmr(mats: _Mats, data: _Data) -> float:
    """lavaan's ``srmr`` with a mean structure (Bentler's: residuals scaled by the sample SDs), n-weighted."""
    p = data.mean.shape[1]
    rows, cols = np.tril_indices(p)
    out = 0.0
    for g in range(len(data.n)):
        sigma = mats.lam[g] @ mats.psi[g] @ mats.lam[g].T + np.diag(mats.theta[g])
        mu = mats.nu[g] + mats.lam[g] @ mats.alpha[g]
        sd = np.sqrt(np.diag(data.cov[g]))
        cov_res = ((data.cov[g] - sigma) / np.outer(sd, sd))[rows, cols]
        mean_res = (data.mean[g] - mu) / sd
        out += float(data.n[g] / data.total) * math.sqrt((np.sum(cov_res ** 2) + np.sum(mean_res ** 2)) / (len(rows) + p))
    return out


# --------------------------------------------------------------------------------------------
# Fitting a level
# --------------------------------------------------------------------------------------------


@dataclass
class _Problem:
    items: list[str]
    factors: dict[str, list[str]]
    pattern: np.ndarray
    markers: list[int]
    data: _Data
    baseline: tuple[float, int]
    start: _Mats


def _fit(problem: _Problem, name: str, level: Level, free_loadings: frozenset[int] = frozenset(),
         free_intercepts: frozenset[int] = frozenset(), start: _Mats | None = None) -> tuple[Fit, _Mats]:
    data = problem.data
    spec = _spec(problem.pattern, problem.markers, len(data.n), level, free_loadings, free_intercepts)
    try:
        x, value, iterations = _minimise(spec, data, _pack(spec, start or problem.start))
    except _NotConverged as exc:
        if start is None:
            raise InvarianceError(_not_converged(problem, name, spec, exc)) from None
        try:  # a warm start can lead astray: start again from the heuristic values
            x, value, iterations = _minimise(spec, data, _pack(spec, problem.start))
        except _NotConverged as again:
            raise InvarianceError(_not_converged(problem, name, spec, again)) from None
    mats = _unpack(x, spec)
    n_total, g_n = data.total, len(data.n)
    p = data.mean.shape[1]
    chi2 = max(n_total * value, 0.0)
    df = g_n * p * (p + 3) // 2 - spec.n_par
    base_chi2, base_df = problem.baseline
    d_model, d_base = max(chi2 - df, 0.0), max(base_chi2 - base_df, 0.0)
    cfi = 1.0 if df == 0 or max(d_model, d_base) == 0 else 1.0 - d_model / max(d_model, d_base)
    tli = None
    if df > 0 and base_df > 0 and base_chi2 / base_df != 1.0:
        tli = ((base_chi2 / base_df) - (chi2 / df)) / ((base_chi2 / base_df) - 1.0)
    elif df == 0:
        tli = 1.0
    rmsea = math.sqrt(max(chi2 / n_total / df - 1.0 / n_total, 0.0)) * math.sqrt(g_n) if df > 0 else 0.0
    by_group = {}
    for g, group in enumerate(data.names):
        single = _Data([group], data.n[g:g + 1], data.mean[g:g + 1], data.cov[g:g + 1], data.logdet[g:g + 1],
                       data.scale)
        one = _Mats(mats.lam[g:g + 1], mats.psi[g:g + 1], mats.theta[g:g + 1], mats.nu[g:g + 1], mats.alpha[g:g + 1])
        by_group[group] = float(data.n[g] * _group_value(one, single))
    factor_names = list(problem.factors)
    scale, markers = data.scale, problem.markers
    fit = Fit(
        name=name, level=level, chi2=chi2, df=df, p=float(stats.chi2.sf(chi2, df)) if df > 0 else None,
        cfi=cfi, tli=tli, rmsea=rmsea, rmsea_ci=_rmsea_ci(chi2, df, n_total, g_n), srmr=_srmr(mats, data),
        n_parameters=spec.n_par, chi2_by_group=by_group,
        loadings={group: {f: {problem.items[j]: float(mats.lam[g, j, k] * scale[j] / scale[markers[k]])
                              for j in np.flatnonzero(problem.pattern[:, k])}
                          for k, f in enumerate(factor_names)} for g, group in enumerate(data.names)},
        intercepts={group: {item: float(mats.nu[g, j] * scale[j]) for j, item in enumerate(problem.items)}
                    for g, group in enumerate(data.names)},
        factor_means={group: {f: float(mats.alpha[g, k] * scale[markers[k]]) for k, f in enumerate(factor_names)}
                      for g, group in enumerate(data.names)},
        free_loadings=tuple(problem.items[j] for j in sorted(free_loadings)),
        free_intercepts=tuple(problem.items[j] for j in sorted(free_intercepts)),
        iterations=iterations,
        zero_residuals=tuple(f"{problem.items[j]} ({group})" for g, group in enumerate(data.names)
                             for j in range(p) if mats.theta[g, j] < _ZERO_RESIDUAL),
    )
    return fit, mats


def _not_converged(problem: _Problem, name: str, spec: _Spec, exc: _NotConverged) -> str:
    """Why a model did not converge, naming the factor and group whose variance vanished, if one did."""
    message = f"the {name.replace('_', ' ')} model did not converge: {exc}"
    if exc.x is None:
        return message
    mats = _unpack(exc.x, spec)
    for g, group in enumerate(problem.data.names):
        for k, factor in enumerate(problem.factors):
            if mats.psi[g, k, k] < 1e-4:  # in units of the marker's pooled variance
                marker = problem.items[problem.markers[k]]
                return (f"{message}: in group {group}, the variance of factor {factor} goes to 0 (its items hardly "
                        f"correlate with its marker {marker}); the model is not identified by these data "
                        f"(another marker: list the factor's items in another order; or drop the item)")
    return f"{message}; the model may not be identified by these data (items that hardly correlate)"


def _group_value(mats: _Mats, data: _Data) -> float:
    """The discrepancy F of the one group of ``data`` at the matrices ``mats``."""
    lam, psi = mats.lam[0], mats.psi[0]
    sigma = lam @ psi @ lam.T + np.diag(mats.theta[0])
    _sign, logdet = np.linalg.slogdet(sigma)
    inv = np.linalg.inv(sigma)
    d = data.mean[0] - (mats.nu[0] + lam @ mats.alpha[0])
    return float(logdet + np.sum(data.cov[0] * inv) - data.logdet[0] - data.mean.shape[1] + d @ inv @ d)


def _compare(model: Fit, against: Fit) -> Comparison:
    d_chi2 = model.chi2 - against.chi2
    d_df = model.df - against.df
    p = float(stats.chi2.sf(max(d_chi2, 0.0), d_df)) if d_df > 0 else None
    d_cfi, d_rmsea, d_srmr = model.cfi - against.cfi, model.rmsea - against.rmsea, model.srmr - against.srmr
    cfi_fails = d_cfi <= CFI_DROP
    holds = {
        "chen": not (cfi_fails and (d_rmsea >= RMSEA_RISE or d_srmr >= SRMR_RISE[model.level])),
        "cfi": not cfi_fails,
        "chi2": p is None or p >= ALPHA,
    }
    return Comparison(model.name, against.name, model.level, d_chi2, d_df, p, d_cfi, d_rmsea, d_srmr, holds)


def _search(problem: _Problem, level: Literal["metric", "scalar"], current: tuple[Fit, _Mats], against: Fit,
            free_loadings: frozenset[int], criterion: Criterion) -> tuple[list[Freed], Fit, _Mats]:
    """Free constraints one at a time (largest chi-square drop first) until ``level`` holds against ``against``."""
    name = f"partial_{level}"
    freed: list[Freed] = []
    fit, mats = current
    loadings: set[int] = set(free_loadings)
    intercepts: set[int] = set()
    pattern, markers = problem.pattern, problem.markers
    while not _compare(fit, against).holds[criterion]:
        if level == "metric":
            candidates = [j for j in range(len(problem.items)) if j not in loadings and j not in markers]
        else:
            candidates = []
            for j in range(len(problem.items)):
                if j in intercepts:
                    continue
                # each factor keeps one item with an equal intercept: it identifies the factor's mean
                if all(any(i not in intercepts and i != j for i in np.flatnonzero(pattern[:, f]))
                       for f in np.flatnonzero(pattern[j])):
                    candidates.append(j)
        best: tuple[float, int, Fit, _Mats] | None = None
        for j in candidates:
            trial_l = frozenset(loadings | {j}) if level == "metric" else frozenset(loadings)
            trial_i = frozenset(intercepts | {j}) if level == "scalar" else frozenset()
            try:
                trial, trial_mats = _fit(problem, name, level, trial_l, trial_i, start=mats)
            except InvarianceError:  # a model that cannot be fitted is no candidate
                continue
            drop = fit.chi2 - trial.chi2
            if best is None or drop > best[0]:
                best = (drop, j, trial, trial_mats)
        if best is None:
            break
        drop, j, fit, mats = best
        (loadings if level == "metric" else intercepts).add(j)
        freed.append(Freed(problem.items[j], "loading" if level == "metric" else "intercept", float(drop)))
    return freed, Fit(**{**fit.__dict__, "name": name}), mats


# --------------------------------------------------------------------------------------------
# Preparing the data
# --------------------------------------------------------------------------------------------


def dimension_factors(frame: pd.DataFrame, items: Sequence[str] | None = None) -> dict[str, list[str]] | None:
    """The framework's dimensions as factors of a population table's activity scores, or None.

    For a table written by ``population import`` (its framework stamp, see
    :func:`innexport.population.frame.stamped_framework`): each dimension (``dim.<id>``) with at
    least two informed ``act.*`` columns among ``items`` (all of them when None) is a factor over
    them. None when the table has no stamp or no such dimension.

    >>> dimension_factors(pd.DataFrame({"x1": [1.0], "x2": [2.0]})) is None
    True
    """
    from innexport.population.frame import ACT, dimension_columns, stamped_framework

    try:
        framework = stamped_framework(frame)
    except ValueError:
        return None
    if framework is None:
        return None
    wanted = set(items) if items is not None else None
    out = {}
    for dim, cols in dimension_columns(frame, framework, ACT).items():
        kept = [c for c in cols if wanted is None or c in wanted]
        if len(kept) >= 2:
            out[dim] = kept
    return out or None


def _prepare(frame: pd.DataFrame, items: list[str], by: str | None, groups: Sequence[Any] | None,
             min_groups: int = 2) -> tuple[_Data, dict[str, int], list[str]]:
    """Each group's complete cases' moments; refusals name the item or group."""
    if by is not None and by not in frame.columns:
        raise InvarianceError(f"--by {by}: no such column")
    from innexport.population.items import ReliabilityError, check_items, select_items

    try:  # unknown, duplicated or non-numeric items: the rules of innexport.population.items
        check_items(select_items(frame, items))
    except ReliabilityError as exc:
        raise InvarianceError(str(exc)) from None
    table = frame[items].astype(float)
    infinite = [item for item in items if np.isinf(table[item].to_numpy()).any()]
    if infinite:
        raise InvarianceError(f"item(s) {', '.join(infinite)} have infinite values")
    if by is None:
        selected: list[tuple[str, np.ndarray]] = [("all", np.ones(len(frame), dtype=bool))]
    else:
        from innexport.population.groups import GroupError, select_groups

        try:
            selection = select_groups(frame, by, groups)
        except GroupError as exc:
            raise InvarianceError(str(exc)) from None
        selected = list(zip(selection.labels, selection.masks, strict=True))
    if len(selected) < min_groups:
        raise InvarianceError(f"--by {by}: invariance needs at least two groups, there are {len(selected)}")
    notes: list[str] = []
    if by is not None and selection.n_missing:
        notes.append(f"{selection.n_missing} row(s) without a value of {by} are left out")
    names, ns, means, covs, logdets = [], [], [], [], []
    dropped: dict[str, int] = {}
    for group, mask in selected:
        rows = table[mask]
        complete = rows.dropna()
        dropped[group] = len(rows) - len(complete)
        x = complete.to_numpy(dtype=float)
        n = len(x)
        if n < 2:
            raise InvarianceError(f"group {group}: {n} complete case(s)")
        sd = x.std(axis=0)
        constant = [items[j] for j in np.flatnonzero(sd <= 1e-12 * np.maximum(np.abs(x).max(axis=0), 1.0))]
        if constant:
            raise InvarianceError(f"group {group}: item(s) {', '.join(constant)} take a single value")
        mean = x.mean(axis=0)
        cov = (x - mean).T @ (x - mean) / n
        sign, logdet = np.linalg.slogdet(cov)
        corr = cov / np.outer(sd, sd)
        if sign <= 0 or np.linalg.eigvalsh(corr)[0] < 1e-10:
            raise InvarianceError(f"group {group}: the items' covariance matrix is singular "
                                  f"({n} complete cases for {len(items)} items, or items that are linear combinations of others)")
        names.append(group)
        ns.append(n)
        means.append(mean)
        covs.append(cov)
        logdets.append(logdet)
    if any(dropped.values()):
        notes.append("rows with a missing item are left out (listwise): "
                     + ", ".join(f"{g}: {k}" for g, k in dropped.items() if k))
    scale = np.sqrt(np.mean([np.diag(c) for c in covs], axis=0))
    data = _Data(names, np.array(ns, dtype=float), np.array(means) / scale, np.array(covs) / np.outer(scale, scale),
                 np.array(logdets) - 2.0 * float(np.log(scale).sum()), scale)
    return data, dropped, notes


def _factor_pattern(items: list[str], factors: Mapping[str, Sequence[str]]) -> tuple[np.ndarray, list[int]]:
    pattern = np.zeros((len(items), len(factors)), dtype=bool)
    position = {item: j for j, item in enumerate(items)}
    markers = []
    seen: dict[str, str] = {}
    for k, (name, members) in enumerate(factors.items()):
        if len(members) < 2:
            raise InvarianceError(f"factor {name}: a factor needs at least two items, it has {len(members)}")
        for item in members:
            if item in seen:
                raise InvarianceError(f"item {item} is in factors {seen[item]} and {name}: each item measures one factor")
            seen[item] = name
            pattern[position[item], k] = True
        markers.append(position[members[0]])
    return pattern, markers


def _setup(frame: pd.DataFrame, items: Sequence[str], by: str | None, groups: Sequence[Any] | None,
           factors: Mapping[str, Sequence[str]] | None, min_groups: int = 2) -> tuple[_Problem, dict[str, int], list[str]]:
    """The model and data to fit, after every check (see :func:`measurement_invariance`)."""
    items = list(dict.fromkeys(items))
    if factors:
        factors = {name: list(dict.fromkeys(members)) for name, members in factors.items()}
        in_factors = [item for members in factors.values() for item in members]
        if items:
            outside = [item for item in in_factors if item not in items]
            if outside:
                raise InvarianceError(f"item(s) {', '.join(dict.fromkeys(outside))} of a factor are not among the items")
            left = [item for item in items if item not in in_factors]
            if left:
                raise InvarianceError(f"item(s) {', '.join(left)} are in no factor")
        else:
            items = list(dict.fromkeys(in_factors))
    else:
        factors = {"F": list(items)}
    if len(items) < 2:
        raise InvarianceError("invariance needs at least two items")
    data, dropped, notes = _prepare(frame, items, by, groups, min_groups)
    pattern, markers = _factor_pattern(items, factors)
    p = len(items)
    per_group = _spec(pattern, markers, 1, "configural").n_par
    moments = p * (p + 3) // 2
    if per_group > moments:
        raise InvarianceError(f"the model has {per_group} parameters per group for {moments} means, variances and "
                              f"covariances: it is not identified (give a factor at least three items)")
    small = [f"{group} ({int(n)})" for group, n in zip(data.names, data.n, strict=True) if n < per_group]
    if small:
        raise InvarianceError(f"group(s) {', '.join(small)} have fewer complete cases than the {per_group} "
                              f"parameters per group of the configural model")
    problem = _Problem(items, {k: list(v) for k, v in factors.items()}, pattern, markers, data, _baseline(data),
                       _start(pattern, markers, data))
    return problem, dropped, notes


def measurement_invariance(frame: pd.DataFrame, items: Sequence[str], by: str, groups: Sequence[Any] | None = None,
                           factors: Mapping[str, Sequence[str]] | None = None,
                           criterion: Criterion = "chen") -> InvarianceResult:
    """Configural, metric and scalar invariance of ``items`` across the groups of column ``by``.

    ``factors`` maps each factor's name to its items (the first is its marker); by default one
    factor, ``F``, over ``items``. ``groups`` picks and orders the groups (default: every value of
    ``by``, sorted: :func:`innexport.population.groups.select_groups` decides which rows form each
    group); the first is the reference group whose factor means are 0. Rows with a missing item
    are left out. ``criterion`` judges whether a level holds (Chen 2007 by default; ``cfi``: ΔCFI
    alone; ``chi2``: the difference test) and drives the partial-invariance search. Raises
    :class:`InvarianceError` naming the item, group or model (unknown items or groups, a constant
    item in a group, too few cases, no convergence).

    >>> rng = np.random.default_rng(1)
    >>> eta = rng.normal(size=600)
    >>> frame = pd.DataFrame({f"x{j}": l * eta + rng.normal(scale=0.6, size=600)
    ...                       for j, l in enumerate((1.0, 0.8, 0.9, 1.1))})
    >>> frame["g"] = ["a", "b"] * 300
    >>> result = measurement_invariance(frame, ["x0", "x1", "x2", "x3"], by="g")
    >>> result.fits["configural"].df, result.fits["metric"].df, result.fits["scalar"].df
    (4, 7, 10)
    >>> result.conclusion
    'scalar'
    """
    if criterion not in CRITERIA:
        raise InvarianceError(f"criterion {criterion!r}: one of {', '.join(CRITERIA)}")
    problem, dropped, notes = _setup(frame, items, by, groups, factors)
    data, items, factors = problem.data, problem.items, problem.factors
    configural, mats_c = _fit(problem, "configural", "configural")
    metric, mats_m = _fit(problem, "metric", "metric", start=mats_c)
    scalar, mats_s = _fit(problem, "scalar", "scalar", start=mats_m)
    fits = {"configural": configural, "metric": metric, "scalar": scalar}
    comparisons = [_compare(metric, configural), _compare(scalar, metric)]
    heywood = list(dict.fromkeys(z for fit in (configural, metric, scalar) for z in fit.zero_residuals))
    if heywood:
        notes.append(f"residual variance at 0 (a Heywood case: the item is all factor, or the model does not suit it): "
                     f"{', '.join(heywood)}")
    partial: dict[str, list[Freed]] = {}
    metric_holds = comparisons[0].holds[criterion]
    base_metric, base_mats = metric, mats_m
    free_loadings: frozenset[int] = frozenset()
    if not metric_holds:
        freed, base_metric, base_mats = _search(problem, "metric", (metric, mats_m), configural, frozenset(), criterion)
        partial["metric"] = freed
        free_loadings = frozenset(items.index(f.item) for f in freed)
        fits["partial_metric"] = base_metric
        comparisons.append(_compare(base_metric, configural))
        metric_holds = comparisons[-1].holds[criterion]
    if not metric_holds:
        conclusion = "configural"
        notes.append("the loadings differ across groups even with every non-marker loading free: "
                     "the scale's scores are not comparable")
    else:
        start = _fit(problem, "partial_scalar", "scalar", free_loadings, start=base_mats) if free_loadings else (scalar, mats_s)
        if _compare(start[0], base_metric).holds[criterion] and not free_loadings:
            conclusion = "scalar"
        else:
            freed, partial_scalar, _mats = _search(problem, "scalar", start, base_metric, free_loadings, criterion)
            partial["scalar"] = freed
            fits["partial_scalar"] = partial_scalar
            comparisons.append(_compare(partial_scalar, base_metric))
            if comparisons[-1].holds[criterion]:
                conclusion = "partial scalar"
            else:
                conclusion = "partial metric" if free_loadings else "metric"
                notes.append("the intercepts differ across groups even with every identifiable intercept free: "
                             "the groups' means are not comparable")
    return InvarianceResult(items=items, factors={k: list(v) for k, v in factors.items()}, by=by,
                            groups={g: int(n) for g, n in zip(data.names, data.n, strict=True)}, dropped=dropped,
                            criterion=criterion, fits=fits, comparisons=comparisons, partial=partial,
                            conclusion=conclusion, notes=notes)


def confirmatory_fit(frame: pd.DataFrame, factors: Mapping[str, Sequence[str]], by: str | None = None,
                     groups: Sequence[Any] | None = None, level: Level = "configural") -> Fit:
    """One confirmatory factor model: of all rows (``by`` None) or of the groups of ``by`` at ``level``.

    The same model, estimator and fit indices as :func:`measurement_invariance` (lavaan's ``cfa``
    with ``meanstructure``); ``factors`` maps each factor to its items, the first its marker.

    >>> rng = np.random.default_rng(2)
    >>> eta = rng.normal(size=400)
    >>> frame = pd.DataFrame({f"x{j}": eta + rng.normal(scale=0.5, size=400) for j in range(3)})
    >>> fit = confirmatory_fit(frame, {"F": ["x0", "x1", "x2"]})
    >>> fit.df, round(fit.chi2, 9), fit.cfi, fit.rmsea
    (0, 0.0, 1.0, 0.0)
    """
    if level not in LEVELS:
        raise InvarianceError(f"level {level!r}: one of {', '.join(LEVELS)}")
    problem, _dropped, _notes = _setup(frame, [], by, groups, factors, min_groups=1 if by is None else 2)
    if level == "configural":
        return _fit(problem, "configural", "configural")[0]
    _configural, mats = _fit(problem, "configural", "configural")
    return _fit(problem, level, level, start=mats)[0]
