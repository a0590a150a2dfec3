"""Factor analysis of a scale's items: sampling adequacy (KMO), sphericity (Bartlett) and EFA.

Whether the items' correlations are worth factoring (:func:`kmo`, :func:`bartlett_sphericity`),
and the exploratory factor analysis itself (:func:`efa`: minres, maximum likelihood or iterated
principal axis extraction; varimax, promax or oblimin rotation). The items are prepared as for
alpha (:mod:`innexport.population.items`: missing answers listwise or pairwise, reversed items,
survey weights), with the conventions of R's ``psych`` package (Revelle), whose published values
on the ``bfi`` data the tests reproduce.

References: Kaiser (1970, 1974) for the KMO measure of sampling adequacy; Bartlett (1951) for the
sphericity test; Harman (1976) for minimum residual (minres) factoring; Jöreskog (1967) for maximum
likelihood; Kaiser (1958) for varimax; Hendrickson & White (1964) for promax; Jennrich (2002) and
Bernaards & Jennrich (2005) for the gradient-projection oblimin rotation.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from innexport.population.items import (
    Missing,
    ReliabilityError,
    definiteness,
    item_correlation,
    item_covariance,
    prepare_items,
)

__all__ = [
    "METHODS", "OBLIQUE", "ROTATIONS", "EFAResult", "Method", "Rotation", "bartlett_from_correlation",
    "bartlett_sphericity", "efa", "kmo", "kmo_from_correlation",
]

Rotation = Literal["oblimin", "varimax", "promax"]
Method = Literal["minres", "ml", "principal"]

ROTATIONS: tuple[str, ...] = ("oblimin", "varimax", "promax")
METHODS: tuple[str, ...] = ("minres", "ml", "principal")
OBLIQUE: frozenset[str] = frozenset({"oblimin", "promax"})

#: Bounds of the uniquenesses searched by minres and ML factoring (those of ``psych::fa``).
_PSI_BOUNDS = (0.005, 1.0)


def _inverse(r: np.ndarray) -> np.ndarray:
    """Inverse of a correlation matrix, the pseudo-inverse when it is singular (as ``psych``)."""
    eigenvalues = linalg.eigvalsh(r)
    if eigenvalues.min() <= 1e-12 * max(eigenvalues.max(), 1.0):
        return linalg.pinvh(r)
    return linalg.inv(r)


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlation of each variable with all the others."""
    return np.clip(1.0 - 1.0 / np.diag(_inverse(r)), 0.0, 1.0)



# --------------------------------------------------------------------------------------------
# Sampling adequacy and sphericity
# --------------------------------------------------------------------------------------------


def kmo_from_correlation(r: np.ndarray) -> tuple[float, np.ndarray]:
    """KMO of a correlation matrix: (overall, per item); see :func:`kmo`.

    >>> overall, per_item = kmo_from_correlation(np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]]))
    >>> round(overall, 4), per_item.round(4).tolist()
    (0.6923, [0.6923, 0.6923, 0.6923])

    An indefinite matrix (a pairwise one can be: :func:`~innexport.population.items.definiteness`)
    has no partial correlations: NaN, overall and per item.

    >>> kmo_from_correlation(np.array([[1, 1, 1], [1, 1, -1], [1, -1, 1]]))
    (nan, array([nan, nan, nan]))
    """
    if definiteness(r)[0] == "indefinite":
        return math.nan, np.full(r.shape[0], np.nan)
    inv = _inverse(r)
    d = np.sqrt(np.diag(inv))
    partial = -inv / np.outer(d, d)
    np.fill_diagonal(partial, 0.0)
    r0 = r.copy()
    np.fill_diagonal(r0, 0.0)
    r2, q2 = r0**2, partial**2
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return overall, per_item


def kmo(items: pd.DataFrame, *, missing: Missing = "listwise", weights: Any = None) -> tuple[float, pd.Series]:
    """Kaiser-Meyer-Olkin measure of sampling adequacy: overall, and per item (MSA).

    KMO = Σ r² / (Σ r² + Σ q²) over the pairs of distinct items, with q the partial correlations
    (from the inverse of the correlation matrix; its pseudo-inverse when singular, as ``psych``).
    Kaiser's reading: ≥ .9 marvelous, .8 meritorious, .7 middling, .6 mediocre, .5 miserable.
    """
    data = prepare_items(items, missing=missing, weights=weights)
    overall, per_item = kmo_from_correlation(item_correlation(data, item_covariance(data)))
    return overall, pd.Series(per_item, index=pd.Index(data.frame.columns, name="item"), name="msa")


def bartlett_from_correlation(r: np.ndarray, n: float) -> tuple[float, int, float]:
    """Bartlett's test of a correlation matrix from ``n`` cases: (chi², df, p); see :func:`bartlett_sphericity`.

    >>> chi2, df, p = bartlett_from_correlation(np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]]), 100)
    >>> round(chi2, 2), df, p < 1e-13  # -ln|R| = ln 4 - ln 2 = 0.693, times 100 - 1 - 11/6
    (67.35, 3, True)

    A singular R gives chi² = inf and p = 0 (the limit); an indefinite one (|R| < 0: no
    correlation matrix, see :func:`~innexport.population.items.definiteness`) has no ln |R|, so
    chi² and p are NaN — undefined, not 0.

    >>> bartlett_from_correlation(np.array([[1, 1, 1], [1, 1, -1], [1, -1, 1]]), 100)
    (nan, 3, nan)
    """
    p = r.shape[0]
    df = p * (p - 1) // 2
    kind, _ = definiteness(r)
    if kind == "indefinite":
        return math.nan, df, math.nan
    if kind == "singular":  # ln |R| = -inf
        return math.inf, df, 0.0
    eigenvalues = linalg.eigvalsh(r)
    chi2 = float(-np.sum(np.log(eigenvalues)) * (n - 1 - (2 * p + 5) / 6))
    return chi2, df, float(stats.chi2.sf(chi2, df))


def bartlett_sphericity(items: pd.DataFrame, *, missing: Missing = "listwise",
                        weights: Any = None) -> tuple[float, int, float]:
    """Bartlett's (1951) test that the correlation matrix is the identity: (chi², df, p).

    chi² = -(n - 1 - (2p + 5) / 6) · ln |R|, df = p (p - 1) / 2, with n the number of cases
    analysed (Kish's effective n when weighted), as ``psych::cortest.bartlett`` on raw data.
    A singular R gives chi² = inf and p = 0; an indefinite one (possible with ``missing="pairwise"``)
    gives NaN for both: the test is undefined.
    """
    data = prepare_items(items, missing=missing, weights=weights)
    return bartlett_from_correlation(item_correlation(data, item_covariance(data)), data.n_effective)


# --------------------------------------------------------------------------------------------
# Exploratory factor analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EFAResult:
    """An exploratory factor analysis of the items' correlation matrix.

    ``loadings``: items × factors (the pattern matrix for oblique rotations), factors named
    ``F1``… in decreasing order of variance explained, each signed so that its loadings sum to a
    positive number. ``variance``: rows ``ss_loadings`` (for oblique rotations the diagonal of
    Φ Λ'Λ, as ``psych``), ``proportion``, ``cumulative``. ``factor_correlations`` (Φ) for oblique
    rotations, else None. ``objective``: the minimised criterion, the sum of the squared residual
    correlations (minres, principal; both triangles) or the ML discrepancy (``psych``'s "objective
    function" for ``fm="ml"``).
    """

    loadings: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    variance: pd.DataFrame
    factor_correlations: pd.DataFrame | None
    n_factors: int
    method: str
    rotation: str | None
    n_cases: int
    missing: str
    converged: bool
    objective: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_factors": self.n_factors, "method": self.method, "rotation": self.rotation,
            "n_cases": self.n_cases, "missing": self.missing, "converged": self.converged,
            "objective": self.objective,
            "loadings": {item: row.to_dict() for item, row in self.loadings.iterrows()},
            "communalities": self.communalities.to_dict(),
            "uniquenesses": self.uniquenesses.to_dict(),
            "variance": {f: col.to_dict() for f, col in self.variance.items()},
            "factor_correlations": None if self.factor_correlations is None else
            {f: row.to_dict() for f, row in self.factor_correlations.iterrows()},
        }


def _top_loadings(m: np.ndarray, k: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The k largest eigenpairs of symmetric m: loadings v sqrt(max(λ - shift, 0)), and all λ."""
    vals, vecs = linalg.eigh(m)
    top = slice(None, -k - 1, -1) if k < len(vals) else slice(None, None, -1)
    lam, v = vals[top], vecs[:, top]
    return v * np.sqrt(np.maximum(lam - shift, 0.0)), vals


def _solved(res: optimize.OptimizeResult, tol: float = 1e-6) -> bool:
    """Whether L-BFGS-B stopped at a minimum: success, or a projected gradient ~ 0 (it may stop on
    a line search that cannot improve a criterion already minimised to rounding)."""
    if res.success:
        return True
    lo, hi = _PSI_BOUNDS
    g = np.where((res.x <= lo) & (res.jac > 0) | (res.x >= hi) & (res.jac < 0), 0.0, res.jac)
    return bool(np.max(np.abs(g)) < tol)


def _fit_minres(r: np.ndarray, k: int) -> tuple[np.ndarray, float, bool]:
    """Minimum residual (unweighted least squares): min over Ψ of Σ λ_j(R - Ψ)² beyond the k largest.

    For a given Ψ the best loadings are the k leading eigenpairs of R - Ψ (Eckart-Young), so the
    off-diagonal residuals are minimised over the uniquenesses alone, bounded like ``psych``'s.
    """
    p = r.shape[0]

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        vals, vecs = linalg.eigh(r - np.diag(psi))
        rest, vr = vals[: p - k], vecs[:, : p - k]
        return 0.5 * float(rest @ rest), -(vr**2) @ rest

    start = np.clip(1.0 - _smc(r), *_PSI_BOUNDS)
    res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[_PSI_BOUNDS] * p,
                            options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10})
    loadings, _ = _top_loadings(r - np.diag(res.x), k)
    return loadings, 2.0 * float(res.fun), _solved(res)


def _fit_ml(r: np.ndarray, k: int) -> tuple[np.ndarray, float, bool]:
    """Maximum likelihood (Jöreskog 1967): min over Ψ of Σ (θ - ln θ - 1) over the p - k smallest
    eigenvalues θ of Ψ^-1/2 R Ψ^-1/2."""
    p = r.shape[0]

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        s = 1.0 / np.sqrt(psi)
        vals, vecs = linalg.eigh(r * np.outer(s, s))
        rest = vals[: p - k]
        value = float(np.sum(rest - np.log(rest) - 1.0))
        lead = vecs[:, p - k:] * np.sqrt(np.maximum(vals[p - k:] - 1.0, 0.0))
        lam = lead * np.sqrt(psi)[:, None]
        grad = (np.sum(lam**2, axis=1) + psi - 1.0) / psi**2
        return value, grad

    start = np.clip(1.0 - _smc(r), *_PSI_BOUNDS)
    res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[_PSI_BOUNDS] * p,
                            options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10})
    psi = res.x
    s = np.sqrt(psi)
    loadings, _ = _top_loadings(r / np.outer(s, s), k, shift=1.0)
    return loadings * s[:, None], float(res.fun), _solved(res)


def _fit_principal(r: np.ndarray, k: int, tol: float = 1e-8, max_iter: int = 10_000) -> tuple[np.ndarray, float, bool]:
    """Iterated principal axis factoring, starting from the squared multiple correlations."""
    h2 = _smc(r)
    reduced = r.copy()
    converged = False
    for _ in range(max_iter):
        np.fill_diagonal(reduced, h2)
        loadings, _ = _top_loadings(reduced, k)
        new = np.sum(loadings**2, axis=1)
        if np.max(np.abs(new - h2)) < tol:
            converged = True
            h2 = new
            break
        h2 = new
    residual = r - loadings @ loadings.T
    np.fill_diagonal(residual, 0.0)
    return loadings, float(np.sum(residual**2)), converged


def _varimax(a: np.ndarray, normalize: bool = True, eps: float = 1e-10,
             max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Kaiser's varimax (with Kaiser normalization by default), by successive SVDs."""
    p, k = a.shape
    if k < 2:
        return a.copy(), np.eye(k)
    h = np.sqrt(np.sum(a**2, axis=1)) if normalize else np.ones(p)
    h = np.where(h > 0, h, 1.0)
    x = a / h[:, None]
    t = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        z = x @ t
        b = x.T @ (z**3 - z * (np.sum(z**2, axis=0) / p))
        u, s, vt = linalg.svd(b)
        t = u @ vt
        d_old, d = d, float(s.sum())
        if d < d_old * (1 + eps):
            break
    return (x @ t) * h[:, None], t


def _promax(a: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Promax (Hendrickson & White 1964): varimax, then a least-squares fit to the loadings raised
    to ``power``, columns rescaled. Returns the pattern and the factor correlations."""
    v, t = _varimax(a)
    target = v * np.abs(v) ** (power - 1)
    u = linalg.lstsq(v, target)[0]
    u = u * np.sqrt(np.diag(linalg.inv(u.T @ u)))[None, :]
    pattern = v @ u
    ui = linalg.inv(t @ u)
    return pattern, ui @ ui.T


def _oblimin(a: np.ndarray, gamma: float = 0.0, eps: float = 1e-6,
             max_iter: int = 5000) -> tuple[np.ndarray, np.ndarray, bool]:
    """Direct oblimin (quartimin for gamma = 0) by Bernaards & Jennrich's gradient projection.

    Unnormalized, from the identity, as ``psych::fa(rotate="oblimin")`` (GPArotation's ``oblimin``),
    but stopping at a projected gradient below 1e-6 rather than 1e-5.
    Returns the pattern, the factor correlations and whether it converged.
    """
    p, k = a.shape
    if k < 2:
        return a.copy(), np.eye(k), True
    off = 1.0 - np.eye(k)
    centring = np.eye(p) - gamma / p

    def criterion(lam: np.ndarray) -> tuple[float, np.ndarray]:
        x = (lam**2) @ off
        if gamma:
            x = centring @ x
        return float(np.sum(lam**2 * x) / 4.0), lam * x

    t = np.eye(k)
    lam = a.copy()
    f, gq = criterion(lam)
    g = -(lam.T @ gq @ linalg.inv(t)).T
    step = 1.0
    converged = False
    for _ in range(max_iter):
        gp = g - t * np.sum(t * g, axis=0)
        s = math.sqrt(float(np.sum(gp**2)))
        if s < eps:
            converged = True
            break
        step *= 2.0
        for _ in range(11):
            x = t - step * gp
            t_new = x / np.sqrt(np.sum(x**2, axis=0))
            lam_new = a @ linalg.inv(t_new).T
            f_new, gq_new = criterion(lam_new)
            if f - f_new > 0.5 * s**2 * step:
                break
            step /= 2.0
        t, lam, f, gq = t_new, lam_new, f_new, gq_new
        g = -(lam.T @ gq @ linalg.inv(t)).T
    return lam, t.T @ t, converged


_FITS = {"minres": _fit_minres, "ml": _fit_ml, "principal": _fit_principal}


def efa(items: pd.DataFrame, n_factors: int, rotation: Rotation | None = "oblimin", method: Method = "minres",
        *, missing: Missing = "listwise", weights: Any = None) -> EFAResult:
    """Exploratory factor analysis of the items' correlation matrix.

    ``method``: ``"minres"`` (minimum residual, ``psych::fa``'s default), ``"ml"`` (maximum
    likelihood) or ``"principal"`` (iterated principal axis, psych's ``fm="pa"``). ``rotation``:
    ``"oblimin"`` (direct quartimin, gamma 0, unnormalized: GPArotation's default used by psych),
    ``"varimax"`` (Kaiser-normalized, as R's ``varimax``), ``"promax"`` (power 4 after varimax) or
    None. Uniquenesses are 1 - communalities. An indefinite pairwise correlation matrix
    (:func:`~innexport.population.items.definiteness`) is refused with a :class:`ReliabilityError`.
    """
    if method not in _FITS:
        raise ReliabilityError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if rotation is not None and rotation not in ROTATIONS:
        raise ReliabilityError(f"rotation must be one of {', '.join(ROTATIONS)} or None, got {rotation!r}")
    data = prepare_items(items, missing=missing, weights=weights, min_items=3)
    p = data.frame.shape[1]
    try:
        k = operator.index(n_factors)  # an int or a numpy integer, not 2.0
    except TypeError:
        k = 0
    if not 1 <= k < p:
        raise ReliabilityError(f"n_factors must be an integer from 1 to {p - 1}, got {n_factors}")
    r = item_correlation(data, item_covariance(data))
    kind, smallest = definiteness(r)
    if kind == "indefinite":
        raise ReliabilityError(
            f"the {data.missing} correlation matrix is not positive definite (smallest eigenvalue {smallest:.3g}): "
            "no complete answers could give it, and a factor analysis of it is undefined; use listwise deletion")
    if method == "ml" and kind != "positive definite":
        raise ReliabilityError("ML factoring needs a positive definite correlation matrix; use minres")
    unrotated, objective, converged = _FITS[method](r, k)
    phi: np.ndarray | None = None
    if rotation is None or k == 1:  # one factor: nothing to rotate
        loadings = unrotated
    elif rotation == "varimax":
        loadings, _ = _varimax(unrotated)
    elif rotation == "promax":
        loadings, phi = _promax(unrotated)
    else:
        loadings, phi, ok = _oblimin(unrotated)
        converged = converged and ok
    sign = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * sign
    if phi is not None:
        phi = phi * np.outer(sign, sign)
        ss = np.diag(phi @ loadings.T @ loadings)
        h2 = np.einsum("ij,jk,ik->i", loadings, phi, loadings)
    else:
        ss = np.sum(loadings**2, axis=0)
        h2 = np.sum(loadings**2, axis=1)
    order = np.argsort(-ss, kind="stable")
    loadings, ss = loadings[:, order], ss[order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    names = list(data.frame.columns)
    factors = [f"F{j + 1}" for j in range(k)]
    item_index = pd.Index(names, name="item")
    variance = pd.DataFrame([ss, ss / p, np.cumsum(ss) / p], index=["ss_loadings", "proportion", "cumulative"],
                            columns=factors)
    return EFAResult(
        loadings=pd.DataFrame(loadings, index=item_index, columns=factors),
        communalities=pd.Series(h2, index=item_index, name="communality"),
        uniquenesses=pd.Series(1.0 - h2, index=item_index, name="uniqueness"),
        variance=variance,
        factor_correlations=None if phi is None else pd.DataFrame(phi, index=factors, columns=factors),
        n_factors=k, method=method, rotation=rotation if k > 1 else None, n_cases=data.n_cases, missing=data.missing,
        converged=converged, objective=objective)
