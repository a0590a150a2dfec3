"""The items of a scale as analysed: checked, reversed, rows kept, weighted; their covariances and correlations.

The common ground of :mod:`innexport.population.reliability` (alpha, item statistics) and
:mod:`innexport.population.efa` (KMO, Bartlett, exploratory factor analysis). Every function
takes the items as the columns of a DataFrame (one row per respondent, NaN = not answered) and
works on *any* table, not only on a population table of :mod:`innexport.population.frame`.

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
  A pairwise matrix can be *indefinite* (:func:`definiteness`): each entry comes from other rows
  and nothing makes them fit together — three items whose pairs correlate 1, 1 and -1 cannot come
  from one set of complete answers. Such a matrix is no correlation matrix: ``ln |R|`` (Bartlett),
  the partial correlations (KMO) and a factor analysis are undefined on it, and the functions of
  :mod:`innexport.population.efa` say so rather than print a number (Wothke 1993, *Nonpositive
  definite matrices in structural modeling*, on where such matrices come from).
* **Reversed items** (``reverse=``): an item x is replaced by ``lo + hi - x`` where ``(lo, hi)`` is
  ``scale_range`` when given, else the smallest and largest value observed over *all* the items
  (as ``psych::alpha`` does). The constant only moves item and scale means: every covariance,
  alpha and correlation depends on the sign flip alone.
* **Weights** (``weights=``, optional): survey weights, one positive number per row (a Series is
  aligned on the index). Means and covariances are weighted (weights rescaled to mean 1, so that
  unit weights give the usual ``n - 1`` estimates); the confidence interval of alpha and
  Bartlett's test then use Kish's effective sample size ``(Σw)² / Σw²``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from innexport.population.io import format_rows

__all__ = [
    "EIGENVALUE_TOLERANCE", "MIN_CASES", "MISSING_MODES", "RELATIVE_ZERO", "Definiteness", "ItemData", "Missing",
    "ReliabilityError", "WideTable", "check_items", "correlation_matrix", "cov2cor", "definiteness", "factorize_labels",
    "item_correlation", "item_covariance", "long_to_wide", "observed_range", "pairwise_correlation", "prepare_items",
    "reverse_items", "select_items", "value_label", "weighted_cov",
]

Missing = Literal["listwise", "pairwise"]
MISSING_MODES: tuple[str, ...] = ("listwise", "pairwise")

#: The fewest rows kept (complete rows when listwise, rows answering an item when pairwise) for
#: any statistic of a scale: the one rule on a too-small sample or group.
MIN_CASES = 3

#: Variances below this fraction of the items' total variance are rounding errors of a zero.
RELATIVE_ZERO = 1e-10


Definiteness = Literal["positive definite", "singular", "indefinite"]

#: Eigenvalues within this fraction of the largest one (at least 1) of zero are zero (rounding).
EIGENVALUE_TOLERANCE = 1e-10


class ReliabilityError(ValueError):
    """The items cannot be analysed (unknown or non-numeric columns, too few cases, no variance…)."""


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
        lo, hi = observed_range(items)
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


def observed_range(items: pd.DataFrame) -> tuple[float, float]:
    """The smallest and largest value over all the items: the default range of reversal.

    >>> observed_range(pd.DataFrame({"a": [2, 5], "b": [1, None]}))
    (1.0, 5.0)
    """
    values = items.to_numpy(dtype=float)
    if not np.isfinite(values).any():
        raise ReliabilityError("cannot reverse items without any answer")
    return float(np.nanmin(values)), float(np.nanmax(values))


@dataclass(frozen=True)
class ItemData:
    """The items as analysed (:func:`prepare_items`): reversed, numeric, rows kept, weights rescaled to mean 1."""

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


def check_items(items: pd.DataFrame, min_items: int = 2) -> None:
    """Refuse what no analysis of these columns can use: not a DataFrame, duplicated or
    non-numeric columns, fewer than ``min_items`` items."""
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


def prepare_items(items: pd.DataFrame, reverse: Iterable[str] = (), scale_range: tuple[float, float] | None = None,
             missing: str = "listwise", weights: Any = None, min_items: int = 2) -> ItemData:
    check_items(items, min_items)
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
    if len(frame) < MIN_CASES:
        what = "complete cases" if missing == "listwise" else "cases"
        raise ReliabilityError(f"at least {MIN_CASES} {what} are needed, got {len(frame)}")
    w = w * len(w) / w.sum()
    n_eff = float(w.sum() ** 2 / np.sum(w**2))
    return ItemData(frame=frame, weights=w, missing=missing, n_effective=n_eff)


def _centred(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values minus their column's (weighted) mean, 0 where missing; and where present.

    Centring first lets the pair formulas below lose no precision to cancellation.
    """
    present = ~np.isnan(values)
    centre = np.array([np.average(values[m, j], weights=w[m]) if (m := present[:, j]).any() else 0.0
                       for j in range(values.shape[1])])
    return np.where(present, values - centre, 0.0), present


def weighted_cov(values: np.ndarray, w: np.ndarray, pairwise: bool) -> np.ndarray:
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


def pairwise_correlation(values: np.ndarray, w: np.ndarray) -> np.ndarray:
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


def item_correlation(data: ItemData, cov: np.ndarray) -> np.ndarray:
    """The correlation matrix used by KMO, Bartlett and the EFA: ``cov2cor(cov)`` when listwise,
    R's pairwise correlations when pairwise (as ``psych::KMO``, ``cortest.bartlett`` and ``fa``)."""
    if data.missing == "listwise":
        return cov2cor(cov)
    r = pairwise_correlation(data.values, data.weights)
    if not np.all(np.isfinite(r)):
        raise ReliabilityError("some pairs of items have too few cases answering both, or no variance on them")
    return r


def item_covariance(data: ItemData) -> np.ndarray:
    flat = [str(c) for c, distinct in data.frame.nunique().items() if distinct < 2]
    if flat:
        raise ReliabilityError(f"items without variance: {', '.join(flat)}")
    cov = weighted_cov(data.values, data.weights, data.missing == "pairwise")
    if np.isnan(cov).any():
        rows, cols = np.where(np.isnan(cov))
        names = data.frame.columns
        pairs = sorted({f"{names[i]}/{names[j]}" for i, j in zip(rows, cols, strict=True) if i <= j})
        raise ReliabilityError(f"too few cases answering both items of: {', '.join(pairs[:5])}")
    flat = [str(c) for c, v in zip(data.frame.columns, np.diag(cov), strict=True) if not v > 0]
    if flat:
        raise ReliabilityError(f"items without variance: {', '.join(flat)}")
    return cov


def definiteness(matrix: np.ndarray) -> tuple[Definiteness, float]:
    """Whether a symmetric matrix is positive definite, singular (positive semi-definite with a zero
    eigenvalue, to rounding: :data:`EIGENVALUE_TOLERANCE`) or indefinite (a negative eigenvalue),
    and its smallest eigenvalue.

    A listwise covariance or correlation matrix is never indefinite; a pairwise one can be (see
    the module's docstring):

    >>> kind, smallest = definiteness(np.array([[1.0, 1.0, 1.0], [1.0, 1.0, -1.0], [1.0, -1.0, 1.0]]))
    >>> kind, round(smallest, 12)  # eigenvalues -1, 2, 2
    ('indefinite', -1.0)
    >>> definiteness(np.array([[1.0, 1.0], [1.0, 1.0]]))[0], definiteness(np.eye(2))
    ('singular', ('positive definite', 1.0))
    """
    from scipy import linalg

    eigenvalues = linalg.eigvalsh(matrix)
    smallest, tolerance = float(eigenvalues.min()), EIGENVALUE_TOLERANCE * max(float(np.abs(eigenvalues).max()), 1.0)
    if smallest < -tolerance:
        return "indefinite", smallest
    return ("singular" if smallest <= tolerance else "positive definite"), smallest


def cov2cor(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


def correlation_matrix(items: pd.DataFrame, *, missing: Missing = "listwise", weights: Any = None) -> pd.DataFrame:
    """Pearson correlations of the items (listwise or pairwise, optionally weighted)."""
    data = prepare_items(items, missing=missing, weights=weights)
    names = list(data.frame.columns)
    return pd.DataFrame(item_correlation(data, item_covariance(data)), index=names, columns=names)


def select_items(frame: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """The columns ``items`` of ``frame``, in that order; unknown names are all reported at once."""
    items = list(dict.fromkeys(items))
    unknown = [i for i in items if i not in frame.columns]
    if unknown:
        raise ReliabilityError(f"unknown items: {', '.join(map(str, unknown))}")
    return frame[items]



# --------------------------------------------------------------------------------------------
# Long format: one row per answer
# --------------------------------------------------------------------------------------------


def value_label(value: Any) -> str:
    """How a group, item or respondent value is named: an integral number without its ``.0``.

    A column of codes read as floats (because one row is blank) names its groups ``1`` and ``2``,
    as the user writes them on the command line:

    >>> value_label(2.0), value_label(np.int64(7)), value_label("FR"), value_label(2.5), value_label(True)
    ('2', '7', 'FR', '2.5', 'True')
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def factorize_labels(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's code (-1 where missing) and the labels (:func:`value_label`) in order of first appearance.

    Values with the same label share a code (``1`` and ``1.0``):

    >>> codes, labels = factorize_labels(pd.Series([2.0, None, 1.0, 2.0]))
    >>> codes.tolist(), labels
    ([0, -1, 1, 0], ['2', '1'])
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    label_codes, labels = pd.factorize(pd.Index([value_label(u) for u in uniques], dtype=object))
    out = np.where(codes >= 0, label_codes[np.maximum(codes, 0)] if len(label_codes) else -1, -1)
    return out.astype(np.int64), [str(label) for label in labels]


@dataclass(frozen=True)
class WideTable:
    """A long table pivoted by :func:`long_to_wide`.

    ``frame``: one row per respondent (index: the respondent ids, in order of first appearance), one
    column per item (named by :func:`value_label`, in order of first appearance; NaN where not
    answered), then the kept respondent-level columns. ``n_rows``: rows of the long table.
    """

    frame: pd.DataFrame
    items: tuple[str, ...]
    n_rows: int

    @property
    def n_respondents(self) -> int:
        return len(self.frame)


def long_to_wide(frame: pd.DataFrame, id_column: str, item_column: str, value_column: str,
                 keep: Sequence[str] = ()) -> WideTable:
    """Pivot a long table (one row per respondent and item) to one row per respondent.

    ``keep`` names respondent-level columns (a group, a weight) carried over: each must have one
    value per respondent, repeated on all its rows. Refused, naming the place (data rows counted
    from 1, as :func:`~innexport.population.io.format_rows`): a row without respondent id or item
    name, a value that is not a number, a respondent answering the same item twice (both rows
    named), a kept column that changes within a respondent (the respondent and the rows named).
    A missing value is an unanswered item.

    >>> long = pd.DataFrame({"id": [7, 7, 8, 8, 8], "item": ["a", "b", "a", "b", "c"],
    ...                      "value": [1, 2, 3, None, 5], "g": ["x", "x", "y", "y", "y"]})
    >>> wide = long_to_wide(long, "id", "item", "value", keep=["g"])
    >>> wide.frame  # doctest: +NORMALIZE_WHITESPACE
          a    b    c  g
    id
    7   1.0  2.0  NaN  x
    8   3.0  NaN  5.0  y
    >>> long_to_wide(long.assign(item=["a", "b", "a", "b", "b"]), "id", "item", "value")
    Traceback (most recent call last):
    ...
    innexport.population.items.ReliabilityError: respondent 8 answers item b more than once: rows 4, 5
    """
    key_columns = [id_column, item_column, value_column]
    if len(set(key_columns)) < 3:
        raise ReliabilityError(f"the long format needs three different columns ID,ITEM,VALUE, got {','.join(key_columns)}")
    keep = list(dict.fromkeys(keep))
    unknown = [c for c in [*key_columns, *keep] if c not in frame.columns]
    if unknown:
        raise ReliabilityError(f"no column {', '.join(map(repr, unknown))} in the long table")
    both = [c for c in keep if c in key_columns]
    if both:
        raise ReliabilityError(f"column {both[0]!r} is one of ID,ITEM,VALUE and cannot also be a respondent's group or weight")
    ids, id_labels = factorize_labels(frame[id_column])
    if (ids < 0).any():
        raise ReliabilityError(f"no respondent id ({id_column}) on {format_rows(np.flatnonzero(ids < 0))}")
    items, item_labels = factorize_labels(frame[item_column])
    if (items < 0).any():
        raise ReliabilityError(f"no item name ({item_column}) on {format_rows(np.flatnonzero(items < 0))}")
    clash = [i for i in item_labels if i in keep]
    if clash:
        raise ReliabilityError(f"item {clash[0]!r} has the name of the column {clash[0]!r} kept for each respondent")
    values = _long_values(frame[value_column], value_column)
    n_items = len(item_labels)
    key = ids * n_items + items
    repeated = pd.Series(key).duplicated(keep=False).to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        pairs = len(np.unique(key[repeated]))
        more = f" (and {pairs - 1} more respondent-item pairs answered more than once)" if pairs > 1 else ""
        raise ReliabilityError(
            f"respondent {id_labels[ids[first]]} answers item {item_labels[items[first]]} more than once: "
            f"{format_rows(np.flatnonzero(key == key[first]))}{more}")
    first_rows = np.unique(ids, return_index=True)[1]  # codes are 0..n-1: the first row of each respondent
    for column in keep:
        _constant_within(frame[column], column, ids, id_labels, first_rows)
    wide = np.full((len(id_labels), n_items), np.nan)
    wide[ids, items] = values
    index = pd.Index(frame[id_column].iloc[first_rows].to_numpy(), name=id_column)
    out = pd.DataFrame(wide, columns=pd.Index(item_labels, dtype=object), index=index)
    for column in keep:
        out[column] = frame[column].iloc[first_rows].to_numpy()
    return WideTable(frame=out, items=tuple(item_labels), n_rows=len(frame))


def _long_values(column: pd.Series, name: str) -> np.ndarray:
    """The values as numbers, a non-number refused with its rows."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float)
    numbers = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero((column.notna() & numbers.isna()).to_numpy())
    if len(bad):
        raise ReliabilityError(
            f"the values ({name}) must be numbers: {column.iloc[bad[0]]!r} on {format_rows(bad)}")
    return numbers.to_numpy(dtype=float)


def _constant_within(column: pd.Series, name: str, ids: np.ndarray, id_labels: Sequence[str],
                     first_rows: np.ndarray) -> None:
    """Refuse a respondent-level column whose value changes between the rows of a respondent."""
    codes, labels = factorize_labels(column)
    changed = np.flatnonzero(codes != codes[first_rows][ids])
    if not len(changed):
        return
    row = int(changed[0])
    respondent = ids[row]
    start = int(first_rows[respondent])
    shown = [labels[c] if c >= 0 else "no value" for c in (codes[start], codes[row])]
    others = len(np.unique(ids[changed])) - 1
    more = f" (and {others} more respondents)" if others else ""
    raise ReliabilityError(
        f"{name!r} must be the same on every row of a respondent: respondent {id_labels[respondent]} has "
        f"{shown[0]} on {format_rows([start])} and {shown[1]} on {format_rows([row])}{more}")
