"""Reliability of a multi-item scale: Cronbach's alpha, its intervals, and the item statistics.

Pandas in, pandas or dataclasses out. The items are prepared by :mod:`innexport.population.items`
(missing answers listwise or pairwise, reversed items, survey weights: its docstring gives the
conventions, those of R's ``psych`` package). :func:`reliability_report` gathers alpha, the item
table and the factorability checks and EFA of :mod:`innexport.population.efa` in one JSON-able
dict (the ``innexport population reliability`` command).

With ``missing="pairwise"`` the correlation matrix may be indefinite (no correlation matrix at all:
:func:`~innexport.population.items.definiteness`). The report then gives what stays defined —
alpha and the item table, computed from the pairwise covariances as ``psych::alpha`` does — and
``null`` for KMO, Bartlett's chi² and p and the EFA, with a note saying why (``notes``,
``undefined``); it never prints a number for an undefined statistic.

References: Cronbach (1951); Feldt (1965) and Feldt, Woodruff & Salih (1987) for the F-based
confidence interval; Duhachek & Iacobucci (2004) for the asymptotic standard error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from innexport.population.efa import Method, Rotation, bartlett_from_correlation, efa, kmo_from_correlation
from innexport.population.io import json_plain
from innexport.population.items import (
    RELATIVE_ZERO,
    Definiteness,
    ItemData,
    Missing,
    ReliabilityError,
    cov2cor,
    definiteness,
    item_correlation,
    item_covariance,
    pairwise_correlation,
    prepare_items,
    reverse_items,
    select_items,
    weighted_cov,
)

__all__ = [
    "AlphaResult", "ReliabilityError", "cronbach_alpha", "item_statistics", "reliability_report",
]


# --------------------------------------------------------------------------------------------
# Cronbach's alpha and item statistics
# --------------------------------------------------------------------------------------------


def _alpha_raw(cov: np.ndarray) -> float:
    """k / (k - 1) · (1 - tr C / ΣC); NaN when the total has no variance."""
    k, total, trace = cov.shape[0], cov.sum(), np.trace(cov)
    return float(k / (k - 1) * (1.0 - trace / total)) if total > RELATIVE_ZERO * trace else math.nan


def _alpha_std(r: np.ndarray) -> float:
    """k / (k - 1) · (1 - k / ΣR); NaN when the standardized total has no variance."""
    k, total = r.shape[0], r.sum()
    return float(k / (k - 1) * (1.0 - k / total)) if total > RELATIVE_ZERO * k else math.nan


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


def _alpha_from(data: ItemData, cov: np.ndarray, confidence: float, reversed_: Sequence[str]) -> AlphaResult:
    if not 0.0 < confidence < 1.0:
        raise ReliabilityError(f"confidence must be in (0, 1), got {confidence}")
    k = cov.shape[0]
    r = cov2cor(cov)
    if not cov.sum() > RELATIVE_ZERO * np.trace(cov):
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
    data = prepare_items(items, reverse, scale_range, missing, weights)
    return _alpha_from(data, item_covariance(data), confidence, reverse)


def _item_table(data: ItemData, cov: np.ndarray, reversed_: Sequence[str]) -> pd.DataFrame:
    """The item statistics; NaN where a correlation is undefined (a constant rest or total)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _item_table_values(data, cov, reversed_)


def _item_table_values(data: ItemData, cov: np.ndarray, reversed_: Sequence[str]) -> pd.DataFrame:
    names = list(data.frame.columns)
    k = len(names)
    r = cov2cor(cov)
    values, w = data.values, data.weights
    # Item-total r: each item with the scale score (mean of the answered items of the row), from
    # the same listwise or pairwise rows as everything else, as psych's raw.r.
    both = np.column_stack([values, np.nanmean(values, axis=1)])
    if data.missing == "pairwise":
        r_total = pairwise_correlation(both, w)[:k, k]
    else:
        c = weighted_cov(both, w, pairwise=False)
        r_total = c[:k, k] / np.sqrt(np.diag(c)[:k] * c[k, k])
    col_sum = cov.sum(axis=0)
    rest_var = cov.sum() - 2 * col_sum + np.diag(cov)
    rest_var = np.where(rest_var > RELATIVE_ZERO * np.trace(cov), rest_var, np.nan)  # a constant rest
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
    data = prepare_items(items, reverse, scale_range, missing, weights)
    return _item_table(data, item_covariance(data), reverse)



# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------



def _correlation_for_report(data: ItemData, cov: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    """The correlation matrix of KMO, Bartlett and the EFA, or None and why it is undefined."""
    try:
        return item_correlation(data, cov), None
    except ReliabilityError as exc:  # pairwise only: a pair without variance on the rows answering both
        return None, str(exc)


def reliability_report(frame: pd.DataFrame, items: Sequence[str], reverse: Iterable[str] = (), *,
                       scale_range: tuple[float, float] | None = None, missing: Missing = "listwise",
                       weights: str | Any = None, confidence: float = 0.95, n_factors: int | None = None,
                       rotation: Rotation | None = "oblimin", method: Method = "minres",
                       efa_failure: Literal["raise", "note"] = "raise") -> dict[str, Any]:
    """Alpha with its interval, the item table, KMO, Bartlett (and an EFA if ``n_factors``): a JSON-able dict.

    ``weights`` is a column of ``frame`` (name) or one number per row. KMO, Bartlett and the EFA
    need at least 3 items; with 2 they are reported as None. ``correlation`` tells whether the
    correlation matrix they use is positive definite, singular or indefinite (possible with
    pairwise deletion); when it is indefinite, or a pairwise correlation is undefined, KMO,
    Bartlett's chi² and p and the EFA are None, listed in ``undefined`` and explained in ``notes``
    (sentences) — the rest of the report is still given. A :class:`ReliabilityError` is raised
    only when alpha itself cannot be computed, or when the EFA cannot be run and ``efa_failure`` is
    ``"raise"`` (with ``"note"``, the default of the grouped analysis, the EFA is then None, listed in
    ``undefined`` and its reason given in ``notes``).

    >>> rows = [[1, 1, None], [2, 2, None], [3, 3, None], [1, None, 1], [2, None, 2], [3, None, 3],
    ...         [None, 1, 3], [None, 2, 2], [None, 3, 1]]  # pairs correlate 1, 1 and -1
    >>> report = reliability_report(pd.DataFrame(rows, columns=list("abc"), dtype=float), list("abc"),
    ...                             missing="pairwise")
    >>> report["correlation"]["definiteness"], report["undefined"], report["bartlett"]["p"]
    ('indefinite', ['kmo', 'bartlett'], None)
    >>> round(report["alpha"]["alpha"], 4)  # variances 0.8, covariances 1, 1, -1: 3/2 · (1 - 2.4 / 4.4)
    0.6818
    """
    selected = select_items(frame, items)
    reverse = tuple(dict.fromkeys(reverse))
    if isinstance(weights, str):
        if weights not in frame.columns:
            raise ReliabilityError(f"unknown weight column: {weights}")
        weights = frame[weights]
    data = prepare_items(selected, reverse, scale_range, missing, weights)
    cov = item_covariance(data)
    alpha = _alpha_from(data, cov, confidence, reverse)
    table = _item_table(data, cov, reverse)
    r, why = _correlation_for_report(data, cov)
    kind: Definiteness | None = None
    smallest: float | None = None
    if r is not None:
        kind, smallest = definiteness(r)
    names = list(selected.columns)
    report: dict[str, Any] = {
        "items": names,
        "alpha": alpha.as_dict(),
        "item_statistics": {item: row.to_dict() for item, row in table.iterrows()},
        "correlation": {"missing": data.missing, "definiteness": kind, "smallest_eigenvalue": smallest},
        "kmo": None,
        "bartlett": None,
        "efa": None,
        "undefined": [],
        "notes": [],
    }
    undefined, notes = report["undefined"], report["notes"]
    usable = r is not None and kind != "indefinite"
    if len(names) >= 3:
        if r is not None and usable:
            overall, per_item = kmo_from_correlation(r)
            chi2, df, p = bartlett_from_correlation(r, data.n_effective)
        else:
            overall, per_item = math.nan, np.full(len(names), np.nan)
            chi2, df, p = math.nan, len(names) * (len(names) - 1) // 2, math.nan
            undefined += ["kmo", "bartlett"]
        report["kmo"] = {"overall": overall, "items": dict(zip(names, per_item, strict=True))}
        report["bartlett"] = {"chi2": chi2, "df": df, "p": p, "n": data.n_effective}
    if n_factors is not None:
        if usable:
            keyed = reverse_items(selected, reverse, scale_range)
            try:
                report["efa"] = efa(keyed, n_factors, rotation, method, missing=missing, weights=weights).as_dict()
            except ReliabilityError as exc:
                if efa_failure == "raise":
                    raise
                undefined.append("efa")
                notes.append(f"The factor analysis cannot be run: {exc}.")
        else:
            undefined.append("efa")
    if why is not None and undefined:
        notes.append(f"The pairwise correlations are undefined ({why}): {_listed(undefined)} cannot be computed.")
    elif kind == "indefinite":
        notes.append(
            f"The pairwise correlation matrix is not positive definite (smallest eigenvalue {smallest:.3g} < 0): "
            "no set of complete answers could give these correlations, so "
            f"{_listed(undefined) or 'KMO, Bartlett and the factor analysis'} are undefined."
            " Alpha and the item statistics are computed from the pairwise covariances, as psych::alpha does,"
            " but may fall outside their usual ranges; listwise deletion gives a consistent analysis.")
    return json_plain(report)


_NAMES = {"kmo": "KMO", "bartlett": "Bartlett's test", "efa": "the factor analysis"}


def _listed(keys: Sequence[str]) -> str:
    names = [_NAMES[k] for k in keys]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
