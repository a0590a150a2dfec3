"""Reliability of multi-item scales: Cronbach's alpha, item analysis, sampling adequacy and EFA.

Pandas in, pandas or dataclasses out. Every function takes the items as the columns of a
DataFrame (one row per respondent, NaN = not answered) and works on *any* table, not only on a
population table of :mod:`innexport.population.frame`.

Conventions, chosen to reproduce R's ``psych`` package (Revelle), the reference most published
values come from:

* **Missing answers** (``missing=``): ``"listwise"`` (the default) keeps only the rows where every
  item is answered, so all statistics describe the same respondents. ``"pairwise"`` computes each
  covariance from the rows where both items are answered (R's ``cov(use="pairwise")``, which
  ``psych::alpha``, ``psych::KMO``, ``psych::cortest.bartlett`` and ``psych::fa`` use on raw data).
  Alpha and the item statistics then use that covariance matrix (and its ``cov2cor`` for the
  standardized values), as ``psych::alpha``; KMO, Bartlett and the EFA use correlations each
  computed wholly from its pair's rows (R's ``cor(use="pairwise")``), as ``psych``'s functions.
  Rows with no item answered at all are ignored in both modes.
* **Reversed items** (``reverse=``): an item x is replaced by ``lo + hi - x`` where ``(lo, hi)`` is
  ``scale_range`` when given, else the smallest and largest value observed over *all* the items
  (as ``psych::alpha`` does). The constant only moves item and scale means: every covariance,
  alpha and correlation depends on the sign flip alone.
* **Weights** (``weights=``, optional): survey weights, one positive number per row (a Series is
  aligned on the index). Means and covariances are weighted (weights rescaled to mean 1, so that
  unit weights give the usual ``n - 1`` estimates); the confidence interval of alpha and
  Bartlett's test then use Kish's effective sample size ``(Σw)² / Σw²``.

References: Cronbach (1951); Feldt (1965) and Feldt, Woodruff & Salih (1987) for the F-based
confidence interval; Duhachek & Iacobucci (2004) for the asymptotic standard error; Kaiser (1970,
1974) for the KMO measure of sampling adequacy; Bartlett (1951) for the sphericity test; Harman
(1976) for minimum residual (minres) factoring; Jöreskog (1967) for maximum likelihood; Kaiser
(1958) for varimax; Hendrickson & White (1964) for promax; Jennrich (2002) and Bernaards &
Jennrich (2005) for the gradient-projection oblimin rotation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

Missing = Literal["listwise", "pairwise"]
Rotation = Literal["oblimin", "varimax", "promax"]
Method = Literal["minres", "ml", "principal"]

MISSING_MODES: tuple[str, ...] = ("listwise", "pairwise")
ROTATIONS: tuple[str, ...] = ("oblimin", "varimax", "promax")
METHODS: tuple[str, ...] = ("minres", "ml", "principal")
OBLIQUE: frozenset[str] = frozenset({"oblimin", "promax"})

#: Variances below this fraction of the items' total variance are rounding errors of a zero.
_RELATIVE_ZERO = 1e-10

#: Bounds of the uniquenesses searched by minres and ML factoring (those of ``psych::fa``).
_PSI_BOUNDS = (0.005, 1.0)


class ReliabilityError(ValueError):
    """The items cannot be analysed (unknown or non-numeric columns, too few cases, no variance…)."""


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------


def reverse_items(items: pd.DataFrame, reverse: Iterable[str] = (),
                  scale_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """A copy of ``items`` where each column of ``reverse`` x becomes ``lo + hi - x``.

    ``(lo, hi)`` is ``scale_range`` or, by default, the smallest and largest value observed over
    all the columns of ``items`` (``psych::alpha``'s rule). Reversing twice with the same range
    gives the items back.
    """
    reverse = list(dict.fromkeys(reverse))
    unknown = [r for r in reverse if r not in items.columns]
    if unknown:
        raise ReliabilityError(f"reversed items not among the items: {', '.join(map(str, unknown))}")
    out = items.copy()
    if not reverse:
        return out
    if scale_range is None:
        values = items.to_numpy(dtype=float)
        if not np.isfinite(values).any():
            raise ReliabilityError("cannot reverse items without any answer")
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    else:
        lo, hi = (float(v) for v in scale_range)
        if not lo < hi:
            raise ReliabilityError(f"scale_range must be (low, high) with low < high, got {scale_range}")
        values = items[reverse].to_numpy(dtype=float)
        if np.any((values < lo) | (values > hi)):
            raise ReliabilityError(f"reversed items have values outside scale_range {lo:g}..{hi:g}")
    for name in reverse:
        out[name] = lo + hi - items[name].astype(float)
    return out


@dataclass(frozen=True)
class _Data:
    """The items as analysed: reversed, numeric, rows kept, weights rescaled to mean 1."""

    frame: pd.DataFrame
    weights: np.ndarray
    missing: str
    n_effective: float

    @property
    def values(self) -> np.ndarray:
        return self.frame.to_numpy(dtype=float)

    @property
    def n_cases(self) -> int:
        return len(self.frame)


def _check_items(items: pd.DataFrame, min_items: int = 2) -> None:
    if not isinstance(items, pd.DataFrame):
        raise ReliabilityError("items must be a pandas DataFrame, one column per item")
    if items.columns.duplicated().any():
        dupes = sorted({str(c) for c in items.columns[items.columns.duplicated()]})
        raise ReliabilityError(f"duplicated item columns: {', '.join(dupes)}")
    if items.shape[1] < min_items:
        raise ReliabilityError(f"at least {min_items} items are needed, got {items.shape[1]}")
    bad = [str(c) for c in items.columns
           if not (pd.api.types.is_numeric_dtype(items[c]) and not pd.api.types.is_bool_dtype(items[c]))]
    if bad:
        raise ReliabilityError(f"items must be numeric; not numeric: {', '.join(bad)}")


def _weights(items: pd.DataFrame, weights: Any) -> np.ndarray:
    if weights is None:
        return np.ones(len(items))
    if isinstance(weights, pd.Series) and not weights.index.equals(items.index):
        if not weights.index.is_unique:
            raise ReliabilityError("weights must have a unique index to be aligned on the items")
        w = weights.reindex(items.index).to_numpy(dtype=float)
    else:
        w = np.asarray(weights, dtype=float)
    if w.shape != (len(items),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ReliabilityError("weights must be one positive finite number per row of the items")
    return w


def _prepare(items: pd.DataFrame, reverse: Iterable[str] = (), scale_range: tuple[float, float] | None = None,
             missing: str = "listwise", weights: Any = None, min_items: int = 2) -> _Data:
    _check_items(items, min_items)
    if missing not in MISSING_MODES:
        raise ReliabilityError(f"missing must be one of {', '.join(MISSING_MODES)}, got {missing!r}")
    w = _weights(items, weights)
    frame = reverse_items(items.astype(float), reverse, scale_range)
    values = frame.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ReliabilityError("items contain infinite values")
    answered = ~np.isnan(values)
    keep = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    frame, w = frame.loc[keep], w[keep]
    if len(frame) < 3:
        what = "complete cases" if missing == "listwise" else "cases"
        raise ReliabilityError(f"at least 3 {what} are needed, got {len(frame)}")
    w = w * len(w) / w.sum()
    n_eff = float(w.sum() ** 2 / np.sum(w**2))
    return _Data(frame=frame, weights=w, missing=missing, n_effective=n_eff)


def _centred(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values minus their column's (weighted) mean, 0 where missing; and where present.

    Centring first lets the pair formulas below lose no precision to cancellation.
    """
    present = ~np.isnan(values)
    centre = np.array([np.average(values[m, j], weights=w[m]) if (m := present[:, j]).any() else 0.0
                       for j in range(values.shape[1])])
    return np.where(present, values - centre, 0.0), present


def _cov(values: np.ndarray, w: np.ndarray, pairwise: bool) -> np.ndarray:
    """Weighted covariance matrix (weights of mean 1 give the usual n - 1 estimate).

    Pairwise: each entry uses the rows where both columns are present, with that pair's means.
    """
    x, present = _centred(values, w)
    wx = x * w[:, None]
    if not pairwise:
        n = w.sum()
        mean = wx.sum(axis=0) / n
        return (wx.T @ x - n * np.outer(mean, mean)) / (n - 1)
    m = present.astype(float)
    n = (m * w[:, None]).T @ m          # n_ij: weight of the rows where i and j are both present
    s = wx.T @ m                        # s_ij: weighted sum of x_i over those rows
    p = wx.T @ x                        # p_ij: weighted sum of x_i x_j over those rows
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (p - s * s.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return cov


def _pairwise_cor(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlations each computed from the rows where both columns are present (means *and*
    standard deviations of those rows), as R's ``cor(use="pairwise")``."""
    x, present = _centred(values, w)
    m = present.astype(float)
    wx = x * w[:, None]
    n = (m * w[:, None]).T @ m
    s = wx.T @ m                        # s_ij: Σ w x_i over the rows where j is present too
    q = (wx * x).T @ m                  # q_ij: Σ w x_i² over those rows
    p = wx.T @ x
    with np.errstate(divide="ignore", invalid="ignore"):
        sxy = p - s * s.T / n
        sxx = q - s**2 / n
        r = sxy / np.sqrt(sxx * sxx.T)
    r[n < 2] = np.nan
    np.fill_diagonal(r, 1.0)
    return r


def _correlation(data: _Data, cov: np.ndarray) -> np.ndarray:
    """The correlation matrix used by KMO, Bartlett and the EFA: ``cov2cor(cov)`` when listwise,
    R's pairwise correlations when pairwise (as ``psych::KMO``, ``cortest.bartlett`` and ``fa``)."""
    if data.missing == "listwise":
        return _cov2cor(cov)
    r = _pairwise_cor(data.values, data.weights)
    if not np.all(np.isfinite(r)):
        raise ReliabilityError("some pairs of items have too few cases answering both, or no variance on them")
    return r


def _covariance(data: _Data) -> np.ndarray:
    flat = [str(c) for c, distinct in data.frame.nunique().items() if distinct < 2]
    if flat:
        raise ReliabilityError(f"items without variance: {', '.join(flat)}")
    cov = _cov(data.values, data.weights, data.missing == "pairwise")
    if np.isnan(cov).any():
        rows, cols = np.where(np.isnan(cov))
        names = data.frame.columns
        pairs = sorted({f"{names[i]}/{names[j]}" for i, j in zip(rows, cols, strict=True) if i <= j})
        raise ReliabilityError(f"too few cases answering both items of: {', '.join(pairs[:5])}")
    flat = [str(c) for c, v in zip(data.frame.columns, np.diag(cov), strict=True) if not v > 0]
    if flat:
        raise ReliabilityError(f"items without variance: {', '.join(flat)}")
    return cov


def _cov2cor(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


def correlation_matrix(items: pd.DataFrame, *, missing: Missing = "listwise", weights: Any = None) -> pd.DataFrame:
    """Pearson correlations of the items (listwise or pairwise, optionally weighted)."""
    data = _prepare(items, missing=missing, weights=weights)
    names = list(data.frame.columns)
    return pd.DataFrame(_correlation(data, _covariance(data)), index=names, columns=names)


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
# Cronbach's alpha and item statistics
# --------------------------------------------------------------------------------------------


def _alpha_raw(cov: np.ndarray) -> float:
    """k / (k - 1) · (1 - tr C / ΣC); NaN when the total has no variance."""
    k, total, trace = cov.shape[0], cov.sum(), np.trace(cov)
    return float(k / (k - 1) * (1.0 - trace / total)) if total > _RELATIVE_ZERO * trace else math.nan


def _alpha_std(r: np.ndarray) -> float:
    """k / (k - 1) · (1 - k / ΣR); NaN when the standardized total has no variance."""
    k, total = r.shape[0], r.sum()
    return float(k / (k - 1) * (1.0 - k / total)) if total > _RELATIVE_ZERO * k else math.nan


def _feldt(alpha: float, n: float, k: int, confidence: float) -> tuple[float, float]:
    """Feldt (1965) interval: (1 - alpha) / (1 - alpha_pop) follows F(n - 1, (n - 1)(k - 1))."""
    df1, df2 = n - 1.0, (n - 1.0) * (k - 1.0)
    tail = (1.0 - confidence) / 2.0
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - tail, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _duhachek_ase(cov: np.ndarray, n: float) -> float:
    """Asymptotic standard error of alpha (Duhachek & Iacobucci 2004, as ``psych``'s ``ase``)."""
    k = cov.shape[0]
    total, trace = cov.sum(), np.trace(cov)
    cc = cov @ cov
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (total * (np.trace(cc) + trace**2) - 2 * trace * cc.sum())
    return float(math.sqrt(max(q, 0.0) / n))


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha of a scale, with its Feldt confidence interval.

    ``alpha`` is the raw coefficient (from covariances), ``std_alpha`` the standardized one (from
    correlations). ``ci_low``/``ci_high``: Feldt's F-based interval at ``confidence`` (as ``psych``'s
    "Feldt" bounds); ``ase`` and ``duhachek_low``/``duhachek_high``: the asymptotic standard error
    and normal interval of Duhachek & Iacobucci (2004). ``mean``/``sd``: of the scale score, the
    mean of the answered items of each row (reversed items reversed).
    """

    alpha: float
    std_alpha: float
    ci_low: float
    ci_high: float
    confidence: float
    ase: float
    duhachek_low: float
    duhachek_high: float
    average_r: float
    n_items: int
    n_cases: int
    n_effective: float
    missing: str
    reversed: tuple[str, ...] = field(default_factory=tuple)
    mean: float = math.nan
    sd: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha, "std_alpha": self.std_alpha,
            "ci": {"method": "Feldt", "confidence": self.confidence, "low": self.ci_low, "high": self.ci_high},
            "duhachek": {"ase": self.ase, "low": self.duhachek_low, "high": self.duhachek_high},
            "average_r": self.average_r, "n_items": self.n_items, "n_cases": self.n_cases,
            "n_effective": self.n_effective, "missing": self.missing, "reversed": list(self.reversed),
            "mean": self.mean, "sd": self.sd,
        }


def _weighted_mean_sd(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if len(x) == 0:
        return math.nan, math.nan
    mean = float(np.average(x, weights=w))
    if len(x) < 2:
        return mean, math.nan
    w = w * len(w) / w.sum()
    return mean, float(math.sqrt(np.sum(w * (x - mean) ** 2) / (w.sum() - 1)))


def _alpha_from(data: _Data, cov: np.ndarray, confidence: float, reversed_: Sequence[str]) -> AlphaResult:
    if not 0.0 < confidence < 1.0:
        raise ReliabilityError(f"confidence must be in (0, 1), got {confidence}")
    k = cov.shape[0]
    r = _cov2cor(cov)
    if not cov.sum() > _RELATIVE_ZERO * np.trace(cov):
        raise ReliabilityError("the variance of the total score is not positive: check the reversed items")
    alpha, std_alpha = _alpha_raw(cov), _alpha_std(r)
    n = data.n_effective
    low, high = _feldt(alpha, n, k, confidence)
    ase = _duhachek_ase(cov, n)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    score = np.nanmean(data.values, axis=1)
    mean, sd = _weighted_mean_sd(score, data.weights)
    return AlphaResult(
        alpha=alpha, std_alpha=std_alpha, ci_low=low, ci_high=high, confidence=confidence,
        ase=ase, duhachek_low=alpha - z * ase, duhachek_high=alpha + z * ase,
        average_r=float((r.sum() - k) / (k * (k - 1))), n_items=k, n_cases=data.n_cases,
        n_effective=n, missing=data.missing, reversed=tuple(reversed_), mean=mean, sd=sd)


def cronbach_alpha(items: pd.DataFrame, reverse: Iterable[str] = (), scale_range: tuple[float, float] | None = None,
                   confidence: float = 0.95, *, missing: Missing = "listwise", weights: Any = None) -> AlphaResult:
    """Cronbach's alpha of the scale made of the columns of ``items``.

    alpha = k / (k - 1) · (1 - Σ var(item) / var(total)), from the covariance matrix (raw) or the
    correlation matrix (standardized). ``reverse`` lists the negatively keyed items. The interval is
    Feldt's (1965), with n the number of cases analysed (Kish's effective n when weighted).
    """
    reverse = tuple(dict.fromkeys(reverse))
    data = _prepare(items, reverse, scale_range, missing, weights)
    return _alpha_from(data, _covariance(data), confidence, reverse)


def _item_table(data: _Data, cov: np.ndarray, reversed_: Sequence[str]) -> pd.DataFrame:
    """The item statistics; NaN where a correlation is undefined (a constant rest or total)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _item_table_values(data, cov, reversed_)


def _item_table_values(data: _Data, cov: np.ndarray, reversed_: Sequence[str]) -> pd.DataFrame:
    names = list(data.frame.columns)
    k = len(names)
    r = _cov2cor(cov)
    values, w = data.values, data.weights
    # Item-total r: each item with the scale score (mean of the answered items of the row), from
    # the same listwise or pairwise rows as everything else, as psych's raw.r.
    both = np.column_stack([values, np.nanmean(values, axis=1)])
    if data.missing == "pairwise":
        r_total = _pairwise_cor(both, w)[:k, k]
    else:
        c = _cov(both, w, pairwise=False)
        r_total = c[:k, k] / np.sqrt(np.diag(c)[:k] * c[k, k])
    col_sum = cov.sum(axis=0)
    rest_var = cov.sum() - 2 * col_sum + np.diag(cov)
    rest_var = np.where(rest_var > _RELATIVE_ZERO * np.trace(cov), rest_var, np.nan)  # a constant rest
    r_rest = (col_sum - np.diag(cov)) / np.sqrt(np.diag(cov) * rest_var)
    drop_raw = np.full(k, np.nan)
    drop_std = np.full(k, np.nan)
    if k > 2:
        for i in range(k):
            keep = [j for j in range(k) if j != i]
            drop_raw[i] = _alpha_raw(cov[np.ix_(keep, keep)])
            drop_std[i] = _alpha_std(r[np.ix_(keep, keep)])
    answered = ~np.isnan(values)
    moments = [_weighted_mean_sd(values[:, j], w) for j in range(k)]
    return pd.DataFrame({
        "n": answered.sum(axis=0).astype(int),
        "mean": [m for m, _ in moments],
        "sd": [s for _, s in moments],
        "r_total": r_total,
        "r_total_std": r.sum(axis=0) / np.sqrt(r.sum()),
        "r_rest": r_rest,
        "alpha_if_dropped": drop_raw,
        "std_alpha_if_dropped": drop_std,
        "reversed": [n in reversed_ for n in names],
    }, index=pd.Index(names, name="item"))


def item_statistics(items: pd.DataFrame, reverse: Iterable[str] = (),
                    scale_range: tuple[float, float] | None = None, *, missing: Missing = "listwise",
                    weights: Any = None) -> pd.DataFrame:
    """One row per item: its analysis of the scale (the columns of ``psych::alpha``'s item tables).

    Columns: ``n`` (answers), ``mean``, ``sd`` (after reversal), ``r_total`` (item-total
    correlation, psych's ``raw.r``), ``r_total_std`` (from the correlation matrix, ``std.r``),
    ``r_rest`` (corrected item-total correlation: with the sum of the *other* items, ``r.drop``),
    ``alpha_if_dropped`` and ``std_alpha_if_dropped`` (alpha of the other items; NaN for a
    two-item scale), ``reversed``.
    """
    reverse = tuple(dict.fromkeys(reverse))
    data = _prepare(items, reverse, scale_range, missing, weights)
    return _item_table(data, _covariance(data), reverse)


# --------------------------------------------------------------------------------------------
# Sampling adequacy and sphericity
# --------------------------------------------------------------------------------------------


def _kmo(r: np.ndarray) -> tuple[float, np.ndarray]:
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
    data = _prepare(items, missing=missing, weights=weights)
    overall, per_item = _kmo(_correlation(data, _covariance(data)))
    return overall, pd.Series(per_item, index=pd.Index(data.frame.columns, name="item"), name="msa")


def _bartlett(r: np.ndarray, n: float) -> tuple[float, int, float]:
    p = r.shape[0]
    eigenvalues = linalg.eigvalsh(r)
    df = p * (p - 1) // 2
    if eigenvalues.min() <= 1e-10:  # singular (up to rounding): ln |R| = -inf
        return math.inf, df, 0.0
    chi2 = float(-np.sum(np.log(eigenvalues)) * (n - 1 - (2 * p + 5) / 6))
    return chi2, df, float(stats.chi2.sf(chi2, df))


def bartlett_sphericity(items: pd.DataFrame, *, missing: Missing = "listwise",
                        weights: Any = None) -> tuple[float, int, float]:
    """Bartlett's (1951) test that the correlation matrix is the identity: (chi², df, p).

    chi² = -(n - 1 - (2p + 5) / 6) · ln |R|, df = p (p - 1) / 2, with n the number of cases
    analysed (Kish's effective n when weighted), as ``psych::cortest.bartlett`` on raw data.
    A singular R gives chi² = inf and p = 0.
    """
    data = _prepare(items, missing=missing, weights=weights)
    return _bartlett(_correlation(data, _covariance(data)), data.n_effective)


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
    None. Uniquenesses are 1 - communalities.
    """
    if method not in _FITS:
        raise ReliabilityError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if rotation is not None and rotation not in ROTATIONS:
        raise ReliabilityError(f"rotation must be one of {', '.join(ROTATIONS)} or None, got {rotation!r}")
    data = _prepare(items, missing=missing, weights=weights, min_items=3)
    p = data.frame.shape[1]
    if not (isinstance(n_factors, int | np.integer) and 1 <= n_factors < p):
        raise ReliabilityError(f"n_factors must be an integer from 1 to {p - 1}, got {n_factors}")
    k = int(n_factors)
    r = _correlation(data, _covariance(data))
    if method == "ml" and linalg.eigvalsh(r).min() <= 1e-10:
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


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


def _json_number(x: Any) -> Any:
    """Plain Python numbers, None for NaN and infinities (so that the report is valid JSON)."""
    if isinstance(x, dict):
        return {str(k): _json_number(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_number(v) for v in x]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    return x


def select_items(frame: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """The columns ``items`` of ``frame``, in that order; unknown names are all reported at once."""
    items = list(dict.fromkeys(items))
    unknown = [i for i in items if i not in frame.columns]
    if unknown:
        raise ReliabilityError(f"unknown items: {', '.join(map(str, unknown))}")
    return frame[items]


def reliability_report(frame: pd.DataFrame, items: Sequence[str], reverse: Iterable[str] = (), *,
                       scale_range: tuple[float, float] | None = None, missing: Missing = "listwise",
                       weights: str | Any = None, confidence: float = 0.95, n_factors: int | None = None,
                       rotation: Rotation | None = "oblimin", method: Method = "minres") -> dict[str, Any]:
    """Alpha with its interval, the item table, KMO, Bartlett (and an EFA if ``n_factors``): a JSON-able dict.

    ``weights`` is a column of ``frame`` (name) or one number per row. KMO, Bartlett and the EFA
    need at least 3 items; with 2 they are reported as None.
    """
    selected = select_items(frame, items)
    reverse = tuple(dict.fromkeys(reverse))
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise ReliabilityError(f"unknown weight column: {weights}")
        weights = frame[weights]
    data = _prepare(selected, reverse, scale_range, missing, weights)
    cov = _covariance(data)
    r = _correlation(data, cov)
    alpha = _alpha_from(data, cov, confidence, reverse)
    table = _item_table(data, cov, reverse)
    report: dict[str, Any] = {
        "items": list(selected.columns),
        "alpha": alpha.as_dict(),
        "item_statistics": {item: row.to_dict() for item, row in table.iterrows()},
        "kmo": None,
        "bartlett": None,
        "efa": None,
    }
    if len(selected.columns) >= 3:
        overall, per_item = _kmo(r)
        report["kmo"] = {"overall": overall, "items": dict(zip(selected.columns, per_item, strict=True))}
        chi2, df, p = _bartlett(r, data.n_effective)
        report["bartlett"] = {"chi2": chi2, "df": df, "p": p, "n": data.n_effective}
    if n_factors is not None:
        keyed = reverse_items(selected, reverse, scale_range)
        report["efa"] = efa(keyed, n_factors, rotation, method, missing=missing, weights=weights).as_dict()
    return _json_number(report)
