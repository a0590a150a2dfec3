"""Synergy between innovation and export: a joint (bivariate probit) model of the two outcomes.

Do the capabilities that go with innovating also go with exporting, and is there something common
to the two *beyond* the capabilities? For a binary innovation outcome ``y1`` (innovates or not)
and a binary export outcome ``y2`` (exports or not) of the population table
(:mod:`innexport.population.frame`), :func:`synergy` fits the bivariate probit

    y1* = x'b1 + e1,   y2* = x'b2 + e2,   y_j = 1 when y_j* > 0,
    (e1, e2) ~ N(0, [[1, rho], [rho, 1]])

on the capabilities (the ``act.*`` columns by default, as :func:`innexport.population.impact.impact`
selects them, or the ``dim.*`` columns, or any given ones) and the controls. Its parts:

* **rho**, the correlation of what the capabilities leave unexplained in the two outcomes: the
  *synergy beyond the capabilities* (shared unobserved drive, complementarity). It is estimated as
  ``athrho = atanh(rho)`` (unbounded); its interval is ``tanh`` of the athrho interval, as Stata's
  ``biprobit`` reports it. The test of ``rho = 0`` is the likelihood-ratio test against the two
  separate probits when the firms are unweighted, and the Wald test on athrho (with the robust
  covariance) when survey weights are used -- with sampling weights the pseudo-likelihood ratio
  has no chi-square distribution (Stata does the same for ``pweight``).
* per capability, its coefficient in each equation (robust standard error, p, interval), the
  average change, over the firms (survey-weighted), of ``P(innovate AND export)`` when the
  capability rises by :data:`~innexport.population.impact.STEP` (0.1, a tenth of the scale;
  delta-method interval with the analytic gradient), the same for each outcome alone, and the flag
  *raises both*: positive and significant on both outcomes, the criterion of
  :func:`innexport.population.impact.raising_both` (which is called, not rewritten).
* with ``by`` (a country or sector column): the group's main effects and a capability x group term
  for every capability and every group but the first (the reference), so each group has its own
  effect of each capability; a Wald test per capability and outcome (and jointly for both) that
  the effect is the same in every group, and the effect in each group.

Estimation: weighted pseudo-maximum likelihood, ``sum_i w_i log Phi2(q1 x'b1, q2 x'b2; q1 q2 rho)``
with ``q_j = 2 y_j - 1`` (Greene, *Econometric Analysis*, 7th ed., section 17.9; Stata manual
``[R] biprobit``, Methods and formulas), vectorised, with its analytic gradient and Hessian; Newton's
method from the two univariate probits and ``rho = 0`` (BFGS first if the Hessian is not negative
definite on the way). Perfect separation is found before fitting by Konis's (2007) linear programme
and the separating column named. The bivariate normal CDF is Genz's (2004) refinement of Drezner and
Wesolowsky (1990), vectorised over the firms with a 20-point Gauss-Legendre rule (absolute error
about 1e-15; :func:`bvn_cdf`). Standard errors are the survey sandwich of :mod:`innexport.population.impact`
(HC1 by default, its rule imported: ``H^-1 (sum w_i^2 s_i s_i') H^-1 n/(n-k)``), or the inverse
information (``cov_type="model"``, Stata's default ``oim``).

Checked against the published likelihood-ratio test of gretl's bivariate probit example (Greene's
credit-card data, *Gretl User's Guide*, "Bivariate probit"; tests/test_synergy.py), against
statsmodels' univariate probits (rho = 0) and by simulation (the true rho inside its interval).

**Ordered outcomes** (export share bands, an innovation scale): when an outcome has more than two
ordered levels (an ordered Categorical, or integer bands) the model is the bivariate *ordered*
probit, ``y_j = level q`` when ``c_(q-1) < y_j* <= c_q`` (:func:`biprobit_ordered`; its likelihood is
the bivariate normal mass of each firm's rectangle, four CDF values, with the analytic gradient;
the Hessian by central differences of it). The capabilities' coefficients read as before; the
probabilities of the table (each outcome's, and both) are those of being *above the lowest level*
(innovating at all, exporting at all), and the cut points are reported. With two levels each it
is the bivariate probit exactly. ``export_threshold`` (``--export-threshold``) codes an ordered
outcome ``level >= threshold`` instead.

Refusals (:class:`SynergyError`, an :class:`~innexport.population.impact.ImpactError`): unknown
columns, an unordered outcome with more than two levels, a constant outcome, fewer than
:data:`~innexport.population.impact.MIN_ROWS` usable firms (overall or in a group), a cell of the
2 x 2 table of the outcomes (above their lowest level or not) with fewer than :data:`MIN_CELL`
firms (and, ordered, a level with fewer), collinear regressors, perfect separation, capabilities
never observed for one value of an outcome, no convergence, rho at +-1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import log_ndtr, ndtr

from innexport.population.frame import ACT, DIM, WEIGHT, columns
from innexport.population.impact import (
    MIN_ROWS,
    STEP,
    ImpactError,
    ImpactResult,
    check_columns,
    model_data,
    outcome_levels,
    raising_both,
    sandwich,
    weight_column,
)

__all__ = ["MIN_CELL", "BiprobitFit", "SynergyError", "SynergyResult", "biprobit", "biprobit_ordered", "bvn_cdf",
           "synergy"]

MIN_CELL = 5
"""Each of the four combinations of the two outcomes needs at least this many firms (else rho runs to +-1)."""
RHO_BOUNDARY = 0.9999
"""An estimated ``|rho|`` above this is a boundary solution (a cell of the 2 x 2 table is empty in effect)."""
SEPARATION_INDEX = 16.0
"""A fitted index ``|x'b|`` above this (a probability within 1e-57 of 0 or 1) is taken as separation."""

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)
_TWO_PI = 2 * math.pi


class SynergyError(ImpactError):
    """The data cannot support the bivariate probit (named column, group, count or cause)."""


# --------------------------------------------------------------------------------------------
# Bivariate normal distribution
# --------------------------------------------------------------------------------------------
def bvn_cdf(h: Any, k: Any, r: Any) -> np.ndarray:
    """``P(X <= h, Y <= k)`` for a standard bivariate normal with correlation ``r``, elementwise.

    Genz's (2004) BVNU algorithm (Drezner and Wesolowsky 1990, with his series for ``|r| >= 0.925``)
    with a 20-point Gauss-Legendre rule, vectorised; absolute error about 1e-15.

    >>> float(bvn_cdf(0.0, 0.0, 0.5))  # 1/4 + asin(r) / (2 pi)
    0.3333333333333333
    >>> bvn_cdf([1.0, -1.0], [0.5, 2.0], 0.0).round(6).tolist()  # Phi(h) Phi(k) when r = 0
    [0.581758, 0.155046]
    """
    hh, kk, rr = np.broadcast_arrays(np.asarray(h, dtype=float), np.asarray(k, dtype=float),
                                     np.asarray(r, dtype=float))
    shape = hh.shape
    dh, dk, rr = -hh.ravel(), -kk.ravel(), rr.ravel()  # Phi2(h, k; r) = upper probability at (-h, -k)
    out = np.empty(dh.shape)
    low = np.abs(rr) < 0.925
    if low.any():
        out[low] = _bvnu_low(dh[low], dk[low], rr[low])
    if (~low).any():
        out[~low] = _bvnu_high(dh[~low], dk[~low], rr[~low])
    return np.clip(out, 0.0, 1.0).reshape(shape)


def _bvnu_low(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Upper probability for ``|r| < 0.925``: Plackett's identity integrated over ``asin(r)``."""
    hk, hs, asr = h * k, (h * h + k * k) / 2, np.arcsin(r)
    sn = np.sin(asr[:, None] * (1 + _NODES) / 2)
    terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1 - sn * sn)) @ _WEIGHTS
    return terms * asr / (2 * _TWO_PI) + ndtr(-h) * ndtr(-k)


def _bvnu_high(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Upper probability for ``|r| >= 0.925`` (Genz's series in ``sqrt(1 - r^2)``)."""
    neg = r < 0
    k = np.where(neg, -k, k)
    hk = h * k
    bvn = np.zeros_like(h)
    inner = np.abs(r) < 1
    if inner.any():
        hi, ki, hki, ri = h[inner], k[inner], hk[inner], np.abs(r[inner])
        a_s = (1 - ri) * (1 + ri)
        a = np.sqrt(a_s)
        bs = (hi - ki) ** 2
        c, d = (4 - hki) / 8, (12 - hki) / 16
        val = a * np.exp(-(bs / a_s + hki) / 2) * (1 - c * (bs - a_s) * (1 - d * bs / 5) / 3 + c * d * a_s * a_s / 5)
        b = np.sqrt(bs)
        with np.errstate(over="ignore", invalid="ignore"):
            tail = np.exp(-hki / 2) * math.sqrt(_TWO_PI) * ndtr(-b / a) * b * (1 - c * bs * (1 - d * bs / 5) / 3)
        val = np.where(hki > -160, val - np.nan_to_num(tail), val)
        half = a / 2
        xs = (half[:, None] * (1 + _NODES)) ** 2
        rs = np.sqrt(1 - xs)
        asr = -(bs[:, None] / xs + hki[:, None]) / 2
        with np.errstate(over="ignore", invalid="ignore"):
            term = (np.exp(asr - hki[:, None] * xs / (2 * (1 + rs) ** 2)) / rs
                    - np.exp(asr) * (1 + c[:, None] * xs * (1 + d[:, None] * xs)))
        term = np.where(asr > -100, np.nan_to_num(term), 0.0)
        val = val + (half[:, None] * _WEIGHTS * term).sum(axis=1)
        bvn[inner] = -val / _TWO_PI
    pos_out = bvn + ndtr(-np.maximum(h, k))
    neg_out = -bvn + np.where(k > h, np.where(h < 0, ndtr(k) - ndtr(h), ndtr(-h) - ndtr(-k)), 0.0)
    return np.where(neg, neg_out, pos_out)


# --------------------------------------------------------------------------------------------
# The bivariate probit
# --------------------------------------------------------------------------------------------
def _norm_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-z * z / 2) / math.sqrt(_TWO_PI)


def _pieces(theta: np.ndarray, q1: np.ndarray, q2: np.ndarray, x1: np.ndarray,
            x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per firm: ``log P`` of its observed pair and the rows ``d log P / d theta`` (unweighted).

    With ``w_j = q_j x_j'b_j``, ``r = q1 q2 rho`` and ``s = sqrt(1 - rho^2) = sech(athrho)``:
    ``d/db1 = q1 phi(w1) Phi((w2 - r w1)/s) / P x1`` (the same for b2 with the roles swapped) and
    ``d/d athrho = q1 q2 phi2(w1, w2; r) / P * s^2`` (Greene 2012, eq. 17-50).
    """
    k1, k2 = x1.shape[1], x2.shape[1]
    b1, b2, ath = theta[:k1], theta[k1 : k1 + k2], float(theta[-1])
    rho, s = math.tanh(ath), 1 / math.cosh(ath)
    w1, w2 = q1 * (x1 @ b1), q2 * (x2 @ b2)
    r = q1 * q2 * rho
    prob = np.maximum(bvn_cdf(w1, w2, r), 1e-300)
    g1 = _norm_pdf(w1) * ndtr((w2 - r * w1) / s)
    g2 = _norm_pdf(w2) * ndtr((w1 - r * w2) / s)
    phi2 = np.exp(-(w1 * w1 + w2 * w2 - 2 * r * w1 * w2) / (2 * s * s)) / (_TWO_PI * s)
    scores = np.column_stack([x1 * (q1 * g1 / prob)[:, None], x2 * (q2 * g2 / prob)[:, None],
                              q1 * q2 * phi2 / prob * s * s])
    return np.log(prob), scores


def _hessian(theta: np.ndarray, q1: np.ndarray, q2: np.ndarray, x1: np.ndarray, x2: np.ndarray,
             w: np.ndarray) -> np.ndarray:
    """The analytic Hessian of ``sum_i w_i log P_i`` in ``(b1, b2, athrho)``.

    With ``L1 = g1/P``, ``L2 = g2/P``, ``Lr = phi2/P`` (see :func:`_pieces`) and the identities
    ``dg1/dw1 = -w1 g1 - r phi2``, ``dg1/dw2 = phi2``, ``dg1/dr = phi2 (r w2 - w1)/(1 - r^2)``,
    ``dphi2/dr = phi2 (r/(1 - r^2) + (w1 w2 (1 - r^2) - r (w1^2 + w2^2 - 2 r w1 w2))/(1 - r^2)^2)``:
    ``l_11 = -(w1 g1 + r phi2)/P - L1^2``, ``l_12 = phi2/P - L1 L2``, ``l_1r = Lr ((r w2 - w1)/(1 - r^2) - L1)``
    (the same with 1 and 2 swapped), ``l_rr = (dphi2/dr)/P - Lr^2``; then the chain rule with
    ``dw_j/db_j = q_j x_j`` and ``dr/d athrho = q1 q2 s^2``, ``d^2r/d athrho^2 = -2 r s^2``.
    Checked against central differences of the gradient in tests/test_synergy.py.
    """
    k1, k2 = x1.shape[1], x2.shape[1]
    b1, b2, ath = theta[:k1], theta[k1 : k1 + k2], float(theta[-1])
    rho, s = math.tanh(ath), 1 / math.cosh(ath)
    s2 = s * s
    w1, w2 = q1 * (x1 @ b1), q2 * (x2 @ b2)
    r = q1 * q2 * rho
    prob = np.maximum(bvn_cdf(w1, w2, r), 1e-300)
    phi2 = np.exp(-(w1 * w1 + w2 * w2 - 2 * r * w1 * w2) / (2 * s2)) / (_TWO_PI * s)
    l1 = _norm_pdf(w1) * ndtr((w2 - r * w1) / s) / prob
    l2 = _norm_pdf(w2) * ndtr((w1 - r * w2) / s) / prob
    lr = phi2 / prob
    l11 = -(w1 * l1 + r * lr) - l1 * l1
    l22 = -(w2 * l2 + r * lr) - l2 * l2
    l12 = lr - l1 * l2
    l1r = lr * ((r * w2 - w1) / s2 - l1)
    l2r = lr * ((r * w1 - w2) / s2 - l2)
    dphi = lr * (r / s2 + (w1 * w2 * s2 - r * (w1 * w1 + w2 * w2 - 2 * r * w1 * w2)) / (s2 * s2))
    lrr = dphi - lr * lr
    p = k1 + k2 + 1
    h = np.empty((p, p))
    h[:k1, :k1] = (x1 * (w * l11)[:, None]).T @ x1
    h[k1 : k1 + k2, k1 : k1 + k2] = (x2 * (w * l22)[:, None]).T @ x2
    h[:k1, k1 : k1 + k2] = (x1 * (w * l12 * q1 * q2)[:, None]).T @ x2
    h[k1 : k1 + k2, :k1] = h[:k1, k1 : k1 + k2].T
    h[:k1, -1] = h[-1, :k1] = x1.T @ (w * l1r * q2 * s2)
    h[k1 : k1 + k2, -1] = h[-1, k1 : k1 + k2] = x2.T @ (w * l2r * q1 * s2)
    h[-1, -1] = float(w @ (lrr * s2 * s2 - 2 * lr * r * s2))
    return (h + h.T) / 2


@dataclass(frozen=True, eq=False)
class BiprobitFit:
    """A fitted bivariate probit: estimates (``<eq>:<regressor>`` and ``athrho``) and covariance."""

    params: pd.Series
    cov: pd.DataFrame
    n: int
    llf: float
    """Weighted pseudo log-likelihood at the estimates."""
    llf_independent: float
    """The same for the two separate probits (``rho = 0``)."""
    converged: bool
    k1: int
    k2: int

    @property
    def rho(self) -> float:
        return math.tanh(float(self.params["athrho"]))


def _separating(y: np.ndarray, x: np.ndarray, names: Sequence[str]) -> list[str]:
    """The regressors that alone (quasi-)separate ``y`` (codes 0..m): every firm below the top level on one
    side of every firm above the lowest (for a binary outcome: the 0s on one side of the 1s).

    >>> _separating(np.array([0, 0, 1, 1]), np.array([[1, 0.0], [1, 0.2], [1, 0.2], [1, 0.9]]), ["const", "a"])
    ['a']
    """
    m = int(y.max())
    out = []
    for j, name in enumerate(names):
        col = x[:, j]
        if np.ptp(col) == 0:
            continue
        below, above = col[y < m], col[y > 0]
        if below.max() <= above.min() or above.max() <= below.min():
            out.append(str(name))
    return out


def _separates(y: np.ndarray, x: np.ndarray) -> bool:
    """Whether the (ordered) probit of codes ``y`` (0..m) on ``x`` (with a constant) has no finite estimates.

    Some ``b != 0`` has ``x_i'b <= 0`` for every firm below the top level and ``x_i'b >= 0`` for every
    firm above the lowest: along ``t b``, ``t -> inf``, the likelihood never falls. For a binary
    outcome this is complete or quasi-complete separation, found by the linear programme of Konis
    (2007, R's ``detectseparation``): maximise ``sum_(y=m) x_i'b - sum_(y=0) x_i'b`` under those
    constraints and ``|b_j| <= 1``, on columns scaled to a maximum of 1; only ``b = 0`` is feasible
    otherwise, and the maximum is 0.

    >>> x = np.column_stack([np.ones(6), [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]])
    >>> _separates(np.array([0, 0, 0, 1, 1, 1]), x), _separates(np.array([0, 1, 0, 1, 0, 1]), x)
    (True, False)
    >>> _separates(np.array([0, 0, 1, 1, 2, 2]), x), _separates(np.array([0, 0, 0, 1, 2, 2]), x)
    (False, True)
    """
    m = int(y.max())
    scale = np.maximum(np.abs(x).max(axis=0), 1e-300)
    xs = x / scale
    below, above = y < m, y > 0
    a_ub = np.vstack([xs[below], -xs[above]])
    objective = xs[y == 0].sum(axis=0) - xs[y == m].sum(axis=0)
    res = optimize.linprog(objective, A_ub=a_ub, b_ub=np.zeros(len(a_ub)), bounds=(-1, 1), method="highs")
    return bool(res.status == 0 and -res.fun > 1e-7 * len(y))


def _univariate_probit(y: np.ndarray, x: np.ndarray, w: np.ndarray, name: str,
                       names: Sequence[str]) -> np.ndarray:
    """Weighted probit estimates by Newton's method (analytic Hessian); separation and non-convergence refused, named.

    Score ``sum w lambda x`` and Hessian ``-sum w lambda (lambda + z) x x'`` with ``z = x'b`` and
    ``lambda = q phi(q z) / Phi(q z)`` the generalised residual (Greene 2012, eq. 17-19).
    """
    if _separates(y, x):
        _refuse_separation(y, x, name, names)
    q = 2 * y - 1
    beta = np.zeros(x.shape[1])

    def loglik(b: np.ndarray) -> float:
        return float(w @ log_ndtr(q * (x @ b)))

    converged = False
    for _ in range(200):
        z = x @ beta
        lam = q * np.exp(-0.5 * z * z - 0.5 * math.log(_TWO_PI) - log_ndtr(q * z))
        grad = x.T @ (w * lam)
        info = (x * (w * lam * (lam + z))[:, None]).T @ x
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        if float(grad @ step) < 1e-12:
            converged = True
            break
        ll = loglik(beta)
        for _halving in range(40):
            if loglik(beta + step) >= ll - 1e-12:
                break
            step /= 2
        beta = beta + step
        if np.max(np.abs(x @ beta)) > SEPARATION_INDEX:
            break
    if np.max(np.abs(x @ beta)) > SEPARATION_INDEX or not np.all(np.isfinite(beta)):
        _refuse_separation(y, x, name, names)
    if not converged:
        raise SynergyError(f"the probit of {name!r} did not converge")
    return beta


def _refuse_separation(y: np.ndarray, x: np.ndarray, name: str, names: Sequence[str]) -> None:
    culprits = _separating(y, x, names)
    which = (f"by {', '.join(map(repr, culprits))} (the firms at its lowest level on one side of the others, or "
             "those at its highest)") if culprits else "by a combination of the regressors"
    raise SynergyError(f"{name!r} is perfectly (or almost perfectly) predicted {which}: perfect separation, "
                       "its probit has no finite estimates; leave out or merge the capability, control or "
                       "group that separates it")


def biprobit(y1: np.ndarray, y2: np.ndarray, x1: np.ndarray, x2: np.ndarray, w: np.ndarray | None = None, *,
             names1: Sequence[str] | None = None, names2: Sequence[str] | None = None,
             eq1: str = "y1", eq2: str = "y2", cov_type: str = "HC1") -> BiprobitFit:
    """The (weighted) bivariate probit of 0/1 arrays ``y1``, ``y2`` on ``x1`` and ``x2`` (constants included).

    ``cov_type``: ``"HC1"`` (the survey sandwich of :mod:`innexport.population.impact`, with
    ``n/(n-k)``), ``"HC0"`` or ``"model"`` (inverse observed information). The equations may have
    different regressors (Stata's "seemingly unrelated" form).

    >>> rng = np.random.default_rng(1)
    >>> x = np.column_stack([np.ones(400), rng.normal(size=400)])
    >>> e = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=400)
    >>> fit = biprobit((x @ [0.2, 1] + e[:, 0] > 0) * 1, (x @ [-0.3, 0.5] + e[:, 1] > 0) * 1, x, x)
    >>> fit.converged, 0.2 < fit.rho < 0.8
    (True, True)
    """
    y1a, y2a = np.asarray(y1, dtype=float), np.asarray(y2, dtype=float)
    x1a, x2a = np.asarray(x1, dtype=float), np.asarray(x2, dtype=float)
    n = len(y1a)
    wa = np.ones(n) if w is None else np.asarray(w, dtype=float)
    if cov_type not in ("HC0", "HC1", "model"):
        raise SynergyError(f"cov_type must be 'HC1', 'HC0' or 'model', not {cov_type!r}")
    names1 = list(names1) if names1 is not None else [f"x{j}" for j in range(x1a.shape[1])]
    names2 = list(names2) if names2 is not None else [f"x{j}" for j in range(x2a.shape[1])]
    wn = wa / wa.mean()  # the estimates do not depend on the weights' total; this keeps the scale moderate
    q1, q2 = 2 * y1a - 1, 2 * y2a - 1
    b1 = _univariate_probit(y1a, x1a, wn, eq1, names1)
    b2 = _univariate_probit(y2a, x2a, wn, eq2, names2)
    start = np.concatenate([b1, b2, [0.0]])

    def total(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, sc = _pieces(theta, q1, q2, x1a, x2a)
        return float(wn @ ll), wn @ sc

    llf_indep = total(start)[0]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = total(theta)
        return -ll / n, -grad / n

    def newton(theta: np.ndarray) -> tuple[np.ndarray, bool]:
        return _newton(total, lambda t: _hessian(t, q1, q2, x1a, x2a, wn), theta, 100)

    theta, converged = newton(start)
    if not converged:  # far from the optimum the Hessian may not be negative definite: BFGS first
        res = optimize.minimize(objective, theta, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
        theta, converged = newton(np.asarray(res.x, dtype=float))
    ll = total(theta)[0]
    info = -_hessian(theta, q1, q2, x1a, x2a, wa)  # on the survey weights' own scale
    _, sc = _pieces(theta, q1, q2, x1a, x2a)
    try:
        if cov_type == "model":
            cov = np.linalg.inv(info)
            cov = (cov + cov.T) / 2
        else:
            cov = sandwich(info, sc * wa[:, None], cov_type)
    except np.linalg.LinAlgError:
        converged = False
        cov = np.full((len(theta), len(theta)), np.nan)
    names = [f"{eq1}:{c}" for c in names1] + [f"{eq2}:{c}" for c in names2] + ["athrho"]
    scale = wa.mean()
    return BiprobitFit(pd.Series(theta, index=names), pd.DataFrame(cov, index=names, columns=names), n,
                       ll * scale, llf_indep * scale, converged and bool(np.all(np.isfinite(cov))),
                       x1a.shape[1], x2a.shape[1])


# --------------------------------------------------------------------------------------------
# The bivariate ordered probit (ordered outcomes: export share bands…)
# --------------------------------------------------------------------------------------------
_BIG = 38.0
"""An infinite bound of an interval, as a number: ``Phi(38) = 1`` and ``phi(38) = 0`` in double precision."""


def _cuts(t: np.ndarray) -> np.ndarray:
    """The cut points ``c_j = t_0 + sum_{1 <= q <= j} exp(t_q)`` (increasing whatever ``t``)."""
    return t[0] + np.concatenate([[0.0], np.cumsum(np.exp(t[1:]))])


def _bounds(y: np.ndarray, xb: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each firm's interval ``(c_{y-1} - x'b, c_y - x'b]`` (``+-_BIG`` where infinite) and its Jacobians.

    Returns the upper and lower bounds, their derivatives in ``t`` (rows) and the factors (1 or 0)
    of their derivative ``-x`` in ``b``.
    """
    m = len(t)
    c = _cuts(t)
    jac = np.tril(np.ones((m, m))) * np.concatenate([[1.0], np.exp(t[1:])])  # dc_j/dt_q
    up, lo = y < m, y > 0
    upper = np.where(up, c[np.minimum(y, m - 1)] - xb, _BIG)
    lower = np.where(lo, c[np.maximum(y - 1, 0)] - xb, -_BIG)
    ju = np.where(up[:, None], jac[np.minimum(y, m - 1)], 0.0)
    jl = np.where(lo[:, None], jac[np.maximum(y - 1, 0)], 0.0)
    return upper, lower, ju, jl, up.astype(float), lo.astype(float)


def _ordered_start(y: np.ndarray, m: int) -> np.ndarray:
    """Cut points from the outcome's cumulative shares (no regressor), as ``t``."""
    share = np.clip(np.cumsum(np.bincount(y, minlength=m + 1))[:m] / len(y), 1e-6, 1 - 1e-6)
    c = stats.norm.ppf(share)
    return np.concatenate([[c[0]], np.log(np.maximum(np.diff(c), 1e-3))])


def _uni_ordered_pieces(theta: np.ndarray, y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per firm: ``log P(y)`` of the ordered probit and its gradient rows in ``(b, t)``."""
    k = x.shape[1]
    u, lo, ju, jl, fu, fl = _bounds(y, x @ theta[:k], theta[k:])
    prob = np.maximum(ndtr(u) - ndtr(lo), 1e-300)
    pu, pl = _norm_pdf(u), _norm_pdf(lo)
    grad = np.column_stack([-x * ((pu * fu - pl * fl) / prob)[:, None], (ju * pu[:, None] - jl * pl[:, None]) / prob[:, None]])
    return np.log(prob), grad


def _ordered_pieces(theta: np.ndarray, y1: np.ndarray, y2: np.ndarray, x: np.ndarray, m1: int,
                    m2: int) -> tuple[np.ndarray, np.ndarray]:
    """Per firm: ``log P(y1, y2)`` of the bivariate ordered probit and its gradient rows.

    ``P`` is the bivariate normal mass of the rectangle ``(l1, u1] x (l2, u2]``:
    ``F(u1, u2) - F(l1, u2) - F(u1, l2) + F(l1, l2)``; each corner's derivatives are
    ``dF/da = phi(a) Phi((b - rho a)/s)``, ``dF/db = phi(b) Phi((a - rho b)/s)``, ``dF/drho = phi2(a, b)``.
    Parameters: ``b1``, ``b2`` (no constant), ``t1`` (m1), ``t2`` (m2), ``athrho``.
    """
    k = x.shape[1]
    b1, b2 = theta[:k], theta[k : 2 * k]
    t1, t2 = theta[2 * k : 2 * k + m1], theta[2 * k + m1 : 2 * k + m1 + m2]
    ath = float(theta[-1])
    rho, s = math.tanh(ath), 1 / math.cosh(ath)
    u1, l1, ju1, jl1, fu1, fl1 = _bounds(y1, x @ b1, t1)
    u2, l2, ju2, jl2, fu2, fl2 = _bounds(y2, x @ b2, t2)

    def corner(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        phi2 = np.exp(-(a * a + b * b - 2 * rho * a * b) / (2 * s * s)) / (_TWO_PI * s)
        # an infinite bound (+-_BIG) gives the CDF in closed form: 0 below, the other margin above
        cdf = np.where((a <= -_BIG) | (b <= -_BIG), 0.0, np.where(a >= _BIG, ndtr(b), ndtr(a)))
        both = (np.abs(a) < _BIG) & (np.abs(b) < _BIG)
        cdf[both] = bvn_cdf(a[both], b[both], rho)
        return cdf, _norm_pdf(a) * ndtr((b - rho * a) / s), _norm_pdf(b) * ndtr((a - rho * b) / s), phi2

    uu, lu, ul, ll_ = corner(u1, u2), corner(l1, u2), corner(u1, l2), corner(l1, l2)
    prob = np.maximum(uu[0] - lu[0] - ul[0] + ll_[0], 1e-300)
    a_u, a_l = uu[1] - ul[1], ll_[1] - lu[1]  # dP/d(u1), dP/d(l1)
    b_u, b_l = uu[2] - lu[2], ll_[2] - ul[2]  # dP/d(u2), dP/d(l2)
    r = uu[3] - lu[3] - ul[3] + ll_[3]
    grad = np.column_stack([
        -x * (a_u * fu1 + a_l * fl1)[:, None], -x * (b_u * fu2 + b_l * fl2)[:, None],
        ju1 * a_u[:, None] + jl1 * a_l[:, None], ju2 * b_u[:, None] + jl2 * b_l[:, None], r * s * s,
    ]) / prob[:, None]
    return np.log(prob), grad


def _maximise(total: Any, start: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """BFGS on the analytic gradient, then Newton's steps with the Hessian by central differences of it."""

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = total(theta)
        return -ll / n, -grad / n

    res = optimize.minimize(objective, start, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
    return _newton(total, lambda t: _numeric_hessian(t, lambda u: total(u)[1]), np.asarray(res.x, dtype=float), 50)


def _newton(total: Any, hessian: Any, theta: np.ndarray, steps: int) -> tuple[np.ndarray, bool]:
    """Newton's steps on ``total(theta) -> (log-likelihood, gradient)`` with ``hessian(theta)``, halving a step
    that lowers the likelihood; converged when ``g' (-H)^-1 g < 1e-10`` with ``-H`` positive definite."""
    for _ in range(steps):
        ll, grad = total(theta)
        try:
            hess = hessian(theta)
            np.linalg.cholesky(-hess)
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            return theta, False
        if float(grad @ step) < 1e-10:
            return theta, True
        for _halving in range(40):
            if total(theta + step)[0] >= ll - 1e-12:
                break
            step /= 2
        else:
            return theta, False
        theta = theta + step
    return theta, False


def _numeric_hessian(theta: np.ndarray, score: Any) -> np.ndarray:
    """Central differences of the analytic gradient ``score(theta)``, symmetrised."""
    p = len(theta)
    h = np.empty((p, p))
    for i in range(p):
        step = 1e-6 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        h[:, i] = (score(up) - score(down)) / (2 * step)
    return (h + h.T) / 2


def biprobit_ordered(y1: np.ndarray, y2: np.ndarray, x: np.ndarray, w: np.ndarray | None = None, *,
                     names: Sequence[str] | None = None, eq1: str = "y1", eq2: str = "y2",
                     cov_type: str = "HC1") -> tuple[BiprobitFit, dict[str, pd.DataFrame]]:
    """The (weighted) bivariate ordered probit of integer codes ``y1``, ``y2`` (0 = lowest level) on ``x``
    (no constant: the cut points play its part).

    Returns the fit in the binary model's form -- ``<eq>:const`` is minus the first cut point, so that
    ``P(y1 > 0, y2 > 0) = Phi2(const1 + x'b1, const2 + x'b2; rho)`` as in :func:`biprobit` -- and each
    equation's cut points with their delta-method standard errors. With two levels each it *is*
    :func:`biprobit`.

    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=(500, 1))
    >>> e = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], size=500)
    >>> y2 = np.digitize(0.8 * x[:, 0] + e[:, 1], [-0.5, 0.5, 1.5])  # four bands
    >>> fit, cuts = biprobit_ordered((x[:, 0] + e[:, 0] > 0) * 1, y2, x)
    >>> fit.converged, 0.1 < fit.rho < 0.7, len(cuts["y2"])
    (True, True, 3)
    """
    y1a, y2a = np.asarray(y1, dtype=int), np.asarray(y2, dtype=int)
    xa = np.asarray(x, dtype=float)
    n, k = xa.shape
    m1, m2 = int(y1a.max()), int(y2a.max())
    wa = np.ones(n) if w is None else np.asarray(w, dtype=float)
    wn = wa / wa.mean()
    names = list(names) if names is not None else [f"x{j}" for j in range(k)]
    with_const = np.column_stack([np.ones(n), xa])
    for y, eq in ((y1a, eq1), (y2a, eq2)):
        if _separates(y, with_const):
            _refuse_separation(y, with_const, eq, ["const", *names])
    starts = []
    llf_indep = 0.0
    for y, m in ((y1a, m1), (y2a, m2)):

        def uni(theta: np.ndarray, y: np.ndarray = y) -> tuple[float, np.ndarray]:
            ll, g = _uni_ordered_pieces(theta, y, xa)
            return float(wn @ ll), wn @ g

        est, ok = _maximise(uni, np.concatenate([np.zeros(k), _ordered_start(y, m)]), n)
        if not ok:
            raise SynergyError("an ordered probit of one outcome alone did not converge (separation or too many "
                               "regressors for the firms)")
        starts.append(est)
        llf_indep += uni(est)[0]
    start = np.concatenate([starts[0][:k], starts[1][:k], starts[0][k:], starts[1][k:], [0.0]])

    def total(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = _ordered_pieces(theta, y1a, y2a, xa, m1, m2)
        return float(wn @ ll), wn @ g

    theta, converged = _maximise(total, start, n)
    ll = total(theta)[0]
    info = -_numeric_hessian(theta, lambda t: wa @ _ordered_pieces(t, y1a, y2a, xa, m1, m2)[1])
    _, sc = _ordered_pieces(theta, y1a, y2a, xa, m1, m2)
    p = len(theta)
    try:
        raw = np.linalg.inv(info) if cov_type == "model" else sandwich(info, sc * wa[:, None], cov_type)
        raw = (raw + raw.T) / 2
    except np.linalg.LinAlgError:
        converged, raw = False, np.full((p, p), np.nan)
    # the binary form: [-c1_0, b1, -c2_0, b2, athrho] (c_0 = t_0, linear), and the cut points
    o1, o2 = 2 * k, 2 * k + m1
    view = np.zeros((2 * (k + 1) + 1, p))
    view[0, o1] = -1.0
    view[1 : k + 1, :k] = np.eye(k)
    view[k + 1, o2] = -1.0
    view[k + 2 : 2 * k + 2, k : 2 * k] = np.eye(k)
    view[-1, -1] = 1.0
    est, cov = view @ theta, view @ raw @ view.T
    labels = [f"{eq1}:{c}" for c in ["const", *names]] + [f"{eq2}:{c}" for c in ["const", *names]] + ["athrho"]
    fit = BiprobitFit(pd.Series(est, index=labels), pd.DataFrame(cov, index=labels, columns=labels), n,
                      ll * wa.mean(), llf_indep * wa.mean(), converged and bool(np.all(np.isfinite(cov))), k + 1, k + 1)
    cuts: dict[str, pd.DataFrame] = {}
    for eq, off, m in ((eq1, o1, m1), (eq2, o2, m2)):
        t = theta[off : off + m]
        jac = np.zeros((m, p))
        jac[:, off : off + m] = np.tril(np.ones((m, m))) * np.concatenate([[1.0], np.exp(t[1:])])
        c_cov = jac @ raw @ jac.T
        cuts[eq] = pd.DataFrame({"cut": _cuts(t), "se": np.sqrt(np.maximum(np.diag(c_cov), 0.0))})
    return fit, cuts


def _p_both_and_gradient(theta: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``P(y1 = 1, y2 = 1)`` per firm (same regressors ``x`` in both equations) and its gradient in theta."""
    b1, b2, ath = theta[:k], theta[k : 2 * k], float(theta[-1])
    rho, s = math.tanh(ath), 1 / math.cosh(ath)
    z1, z2 = x @ b1, x @ b2
    p = bvn_cdf(z1, z2, rho)
    g1 = _norm_pdf(z1) * ndtr((z2 - rho * z1) / s)
    g2 = _norm_pdf(z2) * ndtr((z1 - rho * z2) / s)
    phi2 = np.exp(-(z1 * z1 + z2 * z2 - 2 * rho * z1 * z2) / (2 * s * s)) / (_TWO_PI * s)
    return p, np.column_stack([x * g1[:, None], x * g2[:, None], phi2 * s * s])


# --------------------------------------------------------------------------------------------
# The synergy model on a population table
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SynergyResult:
    """The joint model of an innovation and an export outcome.

    ``table``: one row per capability with, for each outcome (suffixes ``_innovation`` and
    ``_export``): ``coef``, ``se`` (robust), ``p``, ``ci_low``, ``ci_high``, ``ame`` (average change of
    the outcome's probability for +0.1); then ``ame_both`` (of ``P(innovate AND export)``),
    ``ame_both_se``, ``ame_both_low``, ``ame_both_high``, and ``raises_both``. With ``by`` these are
    the effects in the reference group (the first of ``groups``); ``by_group`` has every group's
    and ``equality`` the tests that they are equal.
    """

    innovation: str
    export: str
    table: pd.DataFrame
    rho: float
    rho_se: float
    rho_low: float
    rho_high: float
    test: str
    """``"LR"`` (unweighted) or ``"Wald"`` (survey weights): the test of ``rho = 0`` reported first."""
    chi2: float
    p: float
    lr_chi2: float | None
    lr_p: float | None
    wald_chi2: float
    wald_p: float
    n: int
    counts: dict[str, int]
    """Firms used per pair ``"<innovation><export>"``: ``"11"``, ``"10"``, ``"01"``, ``"00"``."""
    controls: tuple[str, ...]
    by: str | None
    groups: tuple[str, ...]
    weighted: bool
    confidence: float
    cov_type: str
    llf: float
    llf_independent: float
    converged: bool
    equations: dict[str, pd.DataFrame]
    """Every coefficient of each equation (constant, capabilities, interactions, controls):
    ``coef``, ``se``, ``z``, ``p``, ``ci_low``, ``ci_high``; keys ``"innovation"``, ``"export"``."""
    by_group: pd.DataFrame | None
    """With ``by``: rows (capability, group), the effect in that group on each outcome."""
    equality: pd.DataFrame | None
    """With ``by``: per capability, Wald chi2, df and p that its effect is equal across groups,
    for each outcome and jointly (``_both``)."""
    kind: str
    """``"binary"`` (bivariate probit) or ``"ordered"`` (bivariate ordered probit: an outcome has more
    than two ordered levels; ``P(both)`` and each outcome's ``ame`` are then about being *above the
    lowest level*, e.g. innovating at all and exporting at all, and ``const`` is minus the first cut)."""
    levels: dict[str, tuple]
    """Each outcome's levels, lowest first (keys ``"innovation"``, ``"export"``)."""
    cuts: dict[str, pd.DataFrame] | None
    """Ordered model: each outcome's cut points ``c_j`` (``P(y <= level_j) = Phi(c_j - x'b)``) with their SEs."""
    fit: BiprobitFit = field(repr=False)
    impacts: tuple[ImpactResult, ImpactResult] = field(repr=False)
    """Each equation's capability effects as an :class:`~innexport.population.impact.ImpactResult`
    (kind ``"probit"``; no odds ratios), the form :func:`~innexport.population.impact.raising_both` reads."""

    @property
    def capabilities(self) -> list[str]:
        return list(self.table.index)

    def raising_both(self) -> pd.DataFrame:
        """The capabilities that raise both outcomes, strongest first (:func:`~innexport.population.impact.raising_both`)."""
        return raising_both(*self.impacts, alpha=1 - self.confidence)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: the model, rho and its tests, the capabilities, groups and equations."""

        def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if frame is None:
                return None
            return [{str(k): _json_value(v) for k, v in row.items()}
                    for row in frame.reset_index().to_dict(orient="records")]

        return {
            "model": "bivariate ordered probit" if self.kind == "ordered" else "bivariate probit",
            "levels": {key: [_json_value(v) for v in lv] for key, lv in self.levels.items()},
            "cuts": None if self.cuts is None else {key: records(c) for key, c in self.cuts.items()},
            "innovation": self.innovation, "export": self.export, "n": self.n,
            "counts": self.counts, "controls": list(self.controls), "by": self.by, "groups": list(self.groups),
            "weighted": self.weighted, "confidence": self.confidence, "cov_type": self.cov_type,
            "converged": self.converged, "log_likelihood": self.llf,
            "log_likelihood_independent": self.llf_independent,
            "rho": {"estimate": self.rho, "se": self.rho_se, "ci_low": self.rho_low, "ci_high": self.rho_high,
                    "test": self.test, "chi2": self.chi2, "df": 1, "p": self.p,
                    "lr_chi2": _json_value(self.lr_chi2), "lr_p": _json_value(self.lr_p),
                    "wald_chi2": self.wald_chi2, "wald_p": self.wald_p},
            "capabilities": records(self.table.assign(p_context=None if self.equality is None
                                                      else self.equality["p_both"].reindex(self.table.index))),
            "raises_both": [str(c) for c in self.table.index[self.table["raises_both"]]],
            "by_group": records(self.by_group),
            "equality": records(self.equality),
            "equations": {key: records(eq) for key, eq in self.equations.items()},
        }


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    return str(v)


def _coded(series: pd.Series, threshold: float | str | None, name: str, option: str) -> tuple[pd.Series, tuple]:
    """The outcome as integer codes 0..K-1 (NaN kept) and its levels, lowest first: as it is (binary,
    or ordered bands), or ``level >= threshold`` as 1 when a threshold is given."""
    present = series.dropna()
    if threshold is not None:
        if isinstance(series.dtype, pd.CategoricalDtype):
            if not series.cat.ordered:
                raise SynergyError(f"outcome {name!r}: a threshold needs ordered levels; {name!r} is unordered")
            labels = [str(c) for c in series.cat.categories]
            if str(threshold) not in labels:
                raise SynergyError(f"{option} {threshold}: not a level of {name!r} (levels: {', '.join(labels)})")
            codes = series.cat.codes.astype(float).where(series.notna())
            out = (codes >= labels.index(str(threshold))).astype(float).where(series.notna())
        else:
            values = pd.to_numeric(series, errors="coerce")
            if values[series.notna()].isna().any():
                raise SynergyError(f"{option} {threshold}: {name!r} is not numeric")
            try:
                cut = float(threshold)
            except ValueError:
                raise SynergyError(f"{option} {threshold!r}: not a number") from None
            out = (values >= cut).astype(float).where(series.notna())
        return out, (f"< {threshold}", f">= {threshold}")
    codes, levels, _ = outcome_levels(present, "auto", name)
    return pd.Series(codes.astype(float), index=present.index).reindex(series.index), tuple(levels)


def _capabilities(frame: pd.DataFrame, capabilities: Sequence[str] | str | None) -> list[str]:
    if capabilities is None or (isinstance(capabilities, str) and capabilities.rstrip(".") in ("act", "dim")):
        prefix = DIM if isinstance(capabilities, str) and capabilities.startswith("dim") else ACT
        caps = [c for c in columns(frame, prefix) if frame[c].notna().any()]
        if not caps:
            raise SynergyError(f"no capability to estimate (no {prefix}* column with data, and none given)")
        return caps
    caps = [capabilities] if isinstance(capabilities, str) else list(capabilities)
    if not caps:
        raise SynergyError("no capability given")
    return caps


def synergy(frame: pd.DataFrame, innovation: str, export: str, capabilities: Sequence[str] | str | None = None, *,
            by: str | None = None, controls: Sequence[str] = (), weights: bool | str = True,
            confidence: float = 0.95, cov_type: str = "HC1", innovation_threshold: float | str | None = None,
            export_threshold: float | str | None = None) -> SynergyResult:
    """The bivariate probit of ``innovation`` and ``export`` on the capabilities (see the module).

    Args:
        frame: the population table (one row per firm).
        innovation, export: the outcome columns: binary (boolean, 0/1, two values, two levels), or
            ordered (an ordered Categorical, integer bands): then the bivariate ordered probit.
        capabilities: the regressors of interest: ``None`` or ``"act"`` (every ``act.*`` column with
            data), ``"dim"`` (every ``dim.*`` column with data) or column names.
        by: a group column (country, sector, size): capability x group interactions.
        controls: further regressors; non-numeric ones become dummies (first level dropped).
        weights: ``True`` for the ``weight`` column, ``False`` for none, or another column's name.
        confidence: level of the intervals (the significance of "raises both" is ``1 - confidence``).
        cov_type: ``"HC1"`` (default), ``"HC0"`` or ``"model"`` (inverse information).
        innovation_threshold, export_threshold: code an ordered outcome ``level >= threshold`` as 1
            (a level name for an ordered Categorical, a number otherwise) instead of modelling its levels.

    Raises:
        SynergyError: see the module (every refusal names the column, group or count).

    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"act.a": rng.random(600), "act.b": rng.random(600)})
    >>> e = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=600)
    >>> frame["innovates"] = (frame["act.a"] + frame["act.b"] - 1 + e[:, 0] > 0).astype(int)
    >>> frame["exports"] = (1.5 * frame["act.a"] - 0.7 + e[:, 1] > 0).astype(int)
    >>> result = synergy(frame, "innovates", "exports", weights=False)
    >>> result.table["raises_both"].to_dict(), result.test, result.rho_low < 0.5 < result.rho_high
    ({'act.a': True, 'act.b': False}, 'LR', True)
    """
    if not 0 < confidence < 1:
        raise SynergyError(f"confidence must lie in (0, 1), not {confidence!r}")
    if cov_type not in ("HC0", "HC1", "model"):
        raise SynergyError(f"cov_type must be 'HC1', 'HC0' or 'model', not {cov_type!r}")
    if innovation == export:
        raise SynergyError(f"the innovation and export outcomes are the same column {innovation!r}")
    caps = _capabilities(frame, capabilities)
    controls = list(controls)
    check_columns(frame, [innovation, export, *caps, *controls, *([by] if by else [])])
    used = [innovation, export, *caps, *controls, *([by] if by else [])]
    dup = sorted({c for c in used if used.count(c) > 1})
    if dup:
        raise SynergyError("a column cannot play two roles (outcome, capability, control, group): "
                           + ", ".join(map(repr, dup)))
    if weights is True and WEIGHT not in frame.columns:
        raise SynergyError(f"no {WEIGHT!r} column: name the survey weight column (weights=…, --weight COL) or "
                           "count every firm the same (weights=False, --no-weights)")
    data = frame[used].reset_index(drop=True)
    w = weight_column(frame.reset_index(drop=True), weights)
    data[innovation], levels1 = _coded(data[innovation], innovation_threshold, innovation, "--innovation-threshold")
    data[export], levels2 = _coded(data[export], export_threshold, export, "--export-threshold")
    ordered = len(levels1) > 2 or len(levels2) > 2
    for c in caps:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            raise SynergyError(f"capability {c!r} must be numeric, not {data[c].dtype}")
    data = data[data[export].notna()].copy()
    regressors = list(caps)
    groups: tuple[str, ...] = ()
    inter: dict[str, list[str]] = {}
    if by is not None:
        labels = data[by].astype("string")
        present = labels.dropna()
        groups = tuple(sorted(present.unique()))
        if len(groups) < 2:
            raise SynergyError(f"--by {by}: {len(groups)} group(s) among the firms with both outcomes; at least 2 "
                               "are needed")
        data[by] = pd.Categorical(labels, categories=list(groups))
        for c in caps:
            inter[c] = []
            for g in groups[1:]:
                name = f"{c}:{by}={g}"
                data[name] = data[c] * (labels == g).astype(float)
                inter[c].append(name)
                regressors.append(name)
    _explain_constant(data, [innovation, export], [*regressors, *controls, *([by] if by else [])], w)
    d = model_data(data, innovation, regressors, [*controls, *([by] if by else [])], w,
                "ordered" if len(levels1) > 2 else "logit", "the synergy model")
    index = d.x.index
    y1 = d.y.astype(int)
    y2 = data.loc[index, export].to_numpy(dtype=float).astype(int)
    n = len(y1)
    if np.ptp(y2) == 0:
        raise SynergyError(f"outcome {export!r} is constant ({levels2[y2[0]]!r}) among the {n} usable rows")
    for y, name, levels in ((y1, innovation, levels1), (y2, export, levels2)):
        per_level = np.bincount(y, minlength=len(levels))
        if ordered and per_level.min() < MIN_CELL:
            raise SynergyError(f"outcome {name!r}: too few firms at a level (" + ", ".join(
                f"{lv}: {c}" for lv, c in zip(levels, per_level, strict=True)) + f"); each needs at least {MIN_CELL}: "
                "merge the sparse levels")
    counts = {f"{a}{b}": int(np.sum(((y1 > 0) == a) & ((y2 > 0) == b))) for a in (1, 0) for b in (1, 0)}
    thin = {key: v for key, v in counts.items() if v < MIN_CELL}
    if thin:
        raise SynergyError(f"too few firms in a combination of the outcomes ({innovation}, {export}): "
                           + ", ".join(f"({k[0]}, {k[1]}): {v}" for k, v in counts.items())
                           + f"; each needs at least {MIN_CELL}")
    if by is not None:
        sizes = data.loc[index, by].value_counts()
        small = [f"{g} ({int(sizes.get(g, 0))})" for g in groups if sizes.get(g, 0) < MIN_ROWS]
        if small:
            raise SynergyError(f"--by {by}: too few usable firms in group(s) " + ", ".join(small)
                               + f"; each needs at least {MIN_ROWS}")
    names = ["const", *d.x.columns]
    x = np.column_stack([np.ones(n), d.x.to_numpy(dtype=float)])
    weighted = w is not None and bool(np.ptp(d.w) > 0)
    cuts: dict[str, pd.DataFrame] | None = None
    if ordered:
        fit, raw_cuts = biprobit_ordered(y1, y2, d.x.to_numpy(dtype=float), d.w, names=list(d.x.columns),
                                         eq1=innovation, eq2=export, cov_type=cov_type)
        cuts = {}
        for key, eq, levels in (("innovation", innovation, levels1), ("export", export, levels2)):
            table = raw_cuts[eq]
            table.index = pd.Index([f"{levels[j]}|{levels[j + 1]}" for j in range(len(table))], name="between")
            cuts[key] = table
    else:
        fit = biprobit(y1, y2, x, x, d.w, names1=names, names2=names, eq1=innovation, eq2=export, cov_type=cov_type)
    _check_fit(fit, x, innovation, export)
    return _result(fit, x, d.w, names, caps, inter, data.loc[index], innovation, export, by, groups, controls,
                   counts, weighted, confidence, cov_type, w is not None,
                   "ordered" if ordered else "binary", {"innovation": levels1, "export": levels2}, cuts)


def _explain_constant(data: pd.DataFrame, outcomes: list[str], regressors: list[str], w: pd.Series | None) -> None:
    """Refuse, naming the columns, an outcome that is constant among the complete rows because some
    regressors are observed only for firms with one of its values (e.g. asked only of innovators)."""
    complete = data[[*outcomes, *regressors]].notna().all(axis=1)
    if w is not None:
        complete &= w.reindex(data.index).notna()
    for outcome in outcomes:
        values = data.loc[complete, outcome].unique()
        if len(values) != 1 or data[outcome].nunique() < 2:
            continue
        other = data[outcome].notna() & (data[outcome] != values[0])
        blind = [c for c in regressors if data.loc[other, c].isna().all()]
        if blind:
            raise SynergyError(f"{outcome!r} is {values[0]:g} for every firm complete on the regressors: "
                               + ", ".join(map(repr, blind)) + (" is" if len(blind) == 1 else " are")
                               + f" never observed where {outcome!r} is "
                               f"{1 - values[0]:g}; leave them out (capabilities=…, --capabilities)")


def _check_fit(fit: BiprobitFit, x: np.ndarray, innovation: str, export: str) -> None:
    theta = fit.params.to_numpy()
    k = fit.k1
    if not fit.converged:
        raise SynergyError(f"the bivariate probit of {innovation!r} and {export!r} did not converge (often a "
                           "capability, control or group that predicts an outcome perfectly, or too many "
                           "regressors for the firms); use fewer capabilities or merge small groups")
    if abs(fit.rho) > RHO_BOUNDARY:
        raise SynergyError(f"the residual correlation of {innovation!r} and {export!r} runs to {fit.rho:+.4f} (a "
                           "boundary solution: the model cannot tell the two outcomes apart given the regressors)")
    for eq, b in ((innovation, theta[:k]), (export, theta[k : 2 * k])):
        if np.max(np.abs(x @ b)) > SEPARATION_INDEX:
            raise SynergyError(f"{eq!r} is almost perfectly predicted by the regressors (perfect separation); "
                               "drop or merge the capability, control or group that separates it")


def _coef_rows(params: np.ndarray, cov: np.ndarray, names: list[str], z_crit: float) -> pd.DataFrame:
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = params / se
    return pd.DataFrame({"coef": params, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z)),
                         "ci_low": params - z_crit * se, "ci_high": params + z_crit * se},
                        index=pd.Index(names, name="term"))


def _wald(b: np.ndarray, v: np.ndarray) -> tuple[float, int, float]:
    chi2 = float(b @ np.linalg.solve(v, b))
    return chi2, len(b), float(stats.chi2.sf(chi2, len(b)))


def _result(fit: BiprobitFit, x: np.ndarray, w: np.ndarray, names: list[str], caps: list[str],
            inter: dict[str, list[str]], data: pd.DataFrame, innovation: str, export: str, by: str | None,
            groups: tuple[str, ...], controls: list[str], counts: dict[str, int], weighted: bool,
            confidence: float, cov_type: str, has_weights: bool, kind: str, levels: dict[str, tuple],
            cuts: dict[str, pd.DataFrame] | None) -> SynergyResult:
    z_crit = float(stats.norm.ppf(0.5 + confidence / 2))
    theta, cov = fit.params.to_numpy(), fit.cov.to_numpy()
    k = fit.k1
    eqs = {"innovation": _coef_rows(theta[:k], cov[:k, :k], names, z_crit),
           "export": _coef_rows(theta[k : 2 * k], cov[k : 2 * k, k : 2 * k], names, z_crit)}
    share = w / w.sum()
    p0, j0 = _p_both_and_gradient(theta, x, k)
    rows: dict[str, dict[str, Any]] = {}
    for c in caps:
        x1 = x.copy()
        x1[:, names.index(c)] += STEP
        for col, g in zip(inter.get(c, []), groups[1:], strict=False):  # the terms follow the groups but the first
            x1[:, names.index(col)] += STEP * (data[by].astype("string") == g).to_numpy(dtype=float)
        p1, j1 = _p_both_and_gradient(theta, x1, k)
        ame = float(share @ (p1 - p0))
        grad = share @ (j1 - j0)
        ame_se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
        row: dict[str, Any] = {}
        for key, sl in (("innovation", slice(0, k)), ("export", slice(k, 2 * k))):
            r = eqs[key].loc[c]
            b = theta[sl]
            row.update({f"coef_{key}": r["coef"], f"se_{key}": r["se"], f"p_{key}": r["p"],
                        f"ci_low_{key}": r["ci_low"], f"ci_high_{key}": r["ci_high"],
                        f"ame_{key}": float(share @ (ndtr(x1 @ b) - ndtr(x @ b)))})
        row.update({"ame_both": ame, "ame_both_se": ame_se, "ame_both_low": ame - z_crit * ame_se,
                    "ame_both_high": ame + z_crit * ame_se})
        rows[c] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "capability"
    impacts = tuple(_as_impact(table, key, outcome, x, names, share, controls, has_weights, confidence, cov_type,
                               levels[key]) for key, outcome in (("innovation", innovation), ("export", export)))
    both = raising_both(impacts[0], impacts[1], alpha=1 - confidence)
    table["raises_both"] = table.index.isin(both.index)
    ath, ath_se = float(theta[-1]), float(np.sqrt(max(cov[-1, -1], 0.0)))
    rho = math.tanh(ath)
    wald = (ath / ath_se) ** 2 if ath_se > 0 else float("nan")
    wald_p = float(stats.chi2.sf(wald, 1))
    lr = max(2 * (fit.llf - fit.llf_independent), 0.0)
    lr_chi2, lr_p = (None, None) if weighted else (lr, float(stats.chi2.sf(lr, 1)))
    by_group, equality = (None, None)
    if by is not None:
        by_group, equality = _groups(theta, cov, k, names, caps, inter, groups, z_crit)
    return SynergyResult(
        innovation, export, table, rho, (1 - rho * rho) * ath_se, math.tanh(ath - z_crit * ath_se),
        math.tanh(ath + z_crit * ath_se), "Wald" if weighted else "LR",
        wald if weighted else lr, wald_p if weighted else float(stats.chi2.sf(lr, 1)), lr_chi2, lr_p, wald, wald_p,
        fit.n, counts, tuple(controls), by, groups, weighted, confidence, cov_type, fit.llf, fit.llf_independent,
        fit.converged, eqs, by_group, equality, kind, levels, cuts, fit, (impacts[0], impacts[1]))


def _as_impact(table: pd.DataFrame, key: str, outcome: str, x: np.ndarray, names: list[str], share: np.ndarray,
               controls: list[str], has_weights: bool, confidence: float, cov_type: str,
               categories: tuple) -> ImpactResult:
    """One equation's capability rows in the form of :class:`~innexport.population.impact.ImpactResult`."""
    t = pd.DataFrame(index=table.index)
    t["coef"], t["se"], t["p"] = table[f"coef_{key}"], table[f"se_{key}"], table[f"p_{key}"]
    t["z"] = t["coef"] / t["se"]
    t["ci_low"], t["ci_high"] = table[f"ci_low_{key}"], table[f"ci_high_{key}"]
    t["odds_ratio"] = t["or_low"] = t["or_high"] = np.nan  # a probit has no odds ratios
    sd = {}
    for c in table.index:
        xj = x[:, names.index(c)]
        mean = float(share @ xj)
        sd[c] = float(np.sqrt(share @ (xj - mean) ** 2))
    t["n"] = len(x)
    t["sd"] = pd.Series(sd)
    t["std_coef"] = t["coef"] * t["sd"]
    t["ame"] = t["ame_top"] = table[f"ame_{key}"]
    return ImpactResult(outcome, "probit", "joint", t, categories, tuple(controls), has_weights, confidence, cov_type,
                        fits={})


def _groups(theta: np.ndarray, cov: np.ndarray, k: int, names: list[str], caps: list[str],
            inter: dict[str, list[str]], groups: tuple[str, ...], z_crit: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each group's effect of each capability, and the Wald tests that they are equal."""
    rows, tests = [], {}
    for c in caps:
        test: dict[str, Any] = {}
        both_idx: list[int] = []
        for key, off in (("innovation", 0), ("export", k)):
            idx = [off + names.index(col) for col in inter[c]]
            both_idx += idx
            chi2, df, p = _wald(theta[idx], cov[np.ix_(idx, idx)])
            test.update({f"chi2_{key}": chi2, f"df_{key}": df, f"p_{key}": p})
        chi2, df, p = _wald(theta[both_idx], cov[np.ix_(both_idx, both_idx)])
        test.update({"chi2_both": chi2, "df_both": df, "p_both": p})
        tests[c] = test
        for gi, g in enumerate(groups):
            row: dict[str, Any] = {"capability": c, "group": g}
            for key, off in (("innovation", 0), ("export", k)):
                vec = np.zeros(len(theta))
                vec[off + names.index(c)] = 1.0
                if gi > 0:
                    vec[off + names.index(inter[c][gi - 1])] = 1.0
                est, se = float(vec @ theta), float(np.sqrt(max(vec @ cov @ vec, 0.0)))
                zval = est / se if se > 0 else float("nan")
                row.update({f"coef_{key}": est, f"se_{key}": se, f"p_{key}": float(2 * stats.norm.sf(abs(zval))),
                            f"ci_low_{key}": est - z_crit * se, f"ci_high_{key}": est + z_crit * se})
            rows.append(row)
    by_group = pd.DataFrame(rows).set_index(["capability", "group"])
    equality = pd.DataFrame.from_dict(tests, orient="index")
    equality.index.name = "capability"
    return by_group, equality
