"""Data-driven and expert weights of the activities, and how the classes change between weightings.

Three sources of activity weights for an index (a weighted mean of activity scores):

* **test values** (:func:`test_value_weights`): the iteration of Assielou (2008) used by Boly et
  al. (2014) for ERPI's innovation-capacity index — weight the practices by how much they
  distinguish the classes of firms that the index itself produces, and repeat until the
  classification no longer changes;
* **experts** (:func:`ahp_weights`): several experts' AHP pairwise comparisons, combined by the
  geometric mean (:mod:`innexport.core.ahp`);
* any vector you bring (equal weights, the framework's, an impact-based one…).

:func:`compare_weightings` cross-tabulates the classes that two or more weightings give the same
firms, and the share of firms that change class.

The test value (Lebart, Morineau & Piron 1995, *Statistique exploratoire multidimensionnelle*)
of a practice X in a class k of n_k among n firms measures, in standard deviations, how far the
class mean lies from the overall mean compared with a class of n_k firms drawn at random
(without replacement):

    t_k(X) = (mean_k(X) - mean(X)) / s_k(X),   s_k(X)^2 = ((n - n_k) / (n - 1)) * s(X)^2 / n_k,

with ``s(X)^2`` the variance over the n firms (divisor n). ``|t| > 2`` reads: the class is
characterised by the practice.

References:
    Assielou, N. G. (2008). *Modélisation et conception d'un outil d'évaluation de la capacité
    d'innovation des PME*. PhD thesis, INPL Nancy (ERPI).
    Boly, V., Morel, L., Assielou, N. G., & Camargo, M. (2014). Evaluating innovative processes in
    French firms: methodological proposition for firm innovation capacity evaluation. *Research
    Policy*, 43(3), 608-622.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from innexport.core.ahp import AHPResult, ahp, combine_judgements, require_consistent
from innexport.core.classes import classify
from innexport.core.framework import CLASS_IDS, default_classes
from innexport.population.frame import ACT, columns, survey_weights

__all__ = [
    "AGGREGATES",
    "DEFAULT_THRESHOLDS",
    "TestValueResult",
    "ahp_weights",
    "class_labels",
    "classes_by_weighting",
    "compare_weightings",
    "index_values",
    "test_value_weights",
    "test_values",
    "weights_from_test_values",
]

DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(float(c.threshold) for c in default_classes())
"""Lower bounds of the classes, best first (proactive, preactive, reactive, passive: Godet; ERPI), as the
core defines them (:func:`innexport.core.framework.default_classes`)."""
AGGREGATES = ("abs", "positive", "shifted")
"""How a practice's test values over the classes are summed: see :func:`weights_from_test_values`."""


def class_labels(thresholds: Sequence[float], labels: Sequence[str] | None = None) -> tuple[str, ...]:
    """Class names, best first: ``labels``, else the four attitudes for four classes, else ``class 1``…"""
    if labels is not None:
        if len(labels) != len(thresholds):
            raise ValueError(f"{len(thresholds)} thresholds but {len(labels)} class labels")
        return tuple(str(x) for x in labels)
    if len(thresholds) == len(CLASS_IDS):
        return CLASS_IDS
    return tuple(f"class {k + 1}" for k in range(len(thresholds)))


def _lower_bounds(thresholds: Sequence[float]) -> np.ndarray:
    lower = np.asarray(thresholds, dtype=float)
    if lower.ndim != 1 or len(lower) < 2 or np.any(np.diff(lower) >= 0) or lower[-1] != 0:
        raise ValueError(f"thresholds must be decreasing lower bounds ending with 0, got {tuple(thresholds)}")
    return lower


def _activity_columns(frame: pd.DataFrame, activities: Sequence[str] | None) -> list[str]:
    """Column names of the activities: every ``act.*`` column, or the given ids/columns."""
    if activities is None:
        cols = columns(frame, ACT)
        if not cols:
            raise ValueError("the frame has no act.* column")
        return cols
    cols = [a if a in frame.columns else ACT + a for a in activities]
    unknown = [a for a, c in zip(activities, cols, strict=True) if c not in frame.columns]
    if unknown:
        raise ValueError("unknown activit" + ("ies" if len(unknown) > 1 else "y") + ": " + ", ".join(map(repr, unknown)))
    return cols


def _survey_weights(frame: pd.DataFrame, weighted: bool | str) -> np.ndarray | None:
    """None when unweighted, else the survey weights (:func:`innexport.population.frame.survey_weights`)."""
    return None if weighted is False else survey_weights(frame, weighted)


def index_values(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of each row's assessed activity scores (weights renormalised); NaN if none."""
    x = np.asarray(scores, dtype=float)
    seen = ~np.isnan(x)
    num = np.where(seen, x, 0.0) @ weights
    den = seen.astype(float) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def test_values(scores: np.ndarray, classes: np.ndarray, n_classes: int,
                survey_weights: np.ndarray | None = None) -> np.ndarray:
    """``(n_classes, P)`` test values t_k(X) of each practice X in each class k.

    Per practice, the firms used are those classified (class >= 0) with the practice assessed.
    NaN for a class without such firms; 0 when the practice does not vary, or when every firm is
    in the class (nothing to compare with). With survey weights, they are rescaled to sum to the
    number of firms used, and counts, means and variances are weighted: the test value keeps its
    meaning of a number of standard deviations in a sample of that size.
    """
    x = np.asarray(scores, dtype=float)
    classes = np.asarray(classes)
    out = np.full((n_classes, x.shape[1]), np.nan)
    for j in range(x.shape[1]):
        used = (classes >= 0) & ~np.isnan(x[:, j])
        xj, cj = x[used, j], classes[used]
        n = len(xj)
        if n == 0:
            continue
        w = np.ones(n) if survey_weights is None else survey_weights[used] * (n / survey_weights[used].sum())
        mean = np.average(xj, weights=w)
        var = np.average((xj - mean) ** 2, weights=w)
        for k in range(n_classes):
            in_k = cj == k
            n_k = w[in_k].sum()
            if not in_k.any():
                continue
            if var <= 1e-20 or n - n_k <= 1e-9 * n:  # nothing varies, or nothing outside the class
                out[k, j] = 0.0
                continue
            var_k = (n - n_k) / (n - 1) * var / n_k
            out[k, j] = (np.average(xj[in_k], weights=w[in_k]) - mean) / np.sqrt(var_k)
    return out


def weights_from_test_values(t: np.ndarray, aggregate: str = "abs") -> np.ndarray:
    """Practice weights: each practice's share of the sum of test values.

    The test values summed for a practice X, over the classes k that have firms:

    * ``"abs"`` (default): ``sum_k |t_k(X)|``, the practice's power to separate the classes,
      whatever the direction;
    * ``"positive"``: ``sum_k max(t_k(X), 0)``, the classes the practice characterises by
      over-representation;
    * ``"shifted"``: the literal reading of the method — every test value of the table shifted by
      the smallest one when it is negative, ``t'_k(X) = t_k(X) - min(0, min t)``, then summed.
      Caveat: deviations from the mean cancel across classes, so with classes of equal sizes
      every practice has the same sum and the weights are equal.

    Then, as the method says, the sums are shifted by the smallest if any is negative (never the
    case with these three) and each practice's weight is its share of their total. Equal weights
    when the total is 0 (a single class, or no practice varies).
    """
    t = np.asarray(t, dtype=float)
    if aggregate == "abs":
        per_class = np.abs(t)
    elif aggregate == "positive":
        per_class = np.maximum(t, 0.0)
    elif aggregate == "shifted":
        smallest = np.nanmin(t) if np.any(~np.isnan(t)) else 0.0
        per_class = t - min(0.0, smallest)
    else:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {aggregate!r}")
    sums = np.nansum(per_class, axis=0)
    if np.any(sums < 0):
        sums = sums - sums.min()
    total = sums.sum()
    if not total > 0:
        return np.full(t.shape[1], 1.0 / t.shape[1])
    return sums / total


@dataclass(frozen=True, eq=False)
class TestValueResult:
    """The test-value iteration: weights and classes at each step.

    Iteration 0 is the equal weighting and its classes; iteration i's weights come from the test
    values of iteration i-1's classes, and its classes from those weights.
    """

    __test__ = False  # not a pytest test class

    activities: tuple[str, ...]
    """Activity columns, in the order of the weights."""
    weights_history: pd.DataFrame
    """Rows: iterations 0..T; columns: activities."""
    classes_history: pd.DataFrame
    """Rows: the frame's firms; columns: iterations 0..T; values: class labels (NaN unclassified)."""
    test_values_history: tuple[pd.DataFrame, ...]
    """Entry i (rows: classes, columns: activities): the test values that gave iteration i+1's weights."""
    converged: bool
    """The classification of the last iteration equals the previous one (or the weights moved by <= tol)."""
    iterations: int
    """Number of weight updates performed."""
    cycle: int
    """Length of the cycle of classifications found when the iteration cycles (0 otherwise)."""
    labels: tuple[str, ...]
    aggregate: str

    @property
    def weights(self) -> pd.Series:
        """The final weights (sum to 1)."""
        return self.weights_history.iloc[-1].rename("weight")

    @property
    def classes(self) -> pd.Series:
        """The final classes."""
        return self.classes_history.iloc[:, -1].rename("class")

    @property
    def test_values(self) -> pd.DataFrame:
        """The test values of the final classes."""
        return self.test_values_history[-1]


def _as_labels(codes: np.ndarray, labels: Sequence[str], index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(labels)), index=index)


def test_value_weights(frame: pd.DataFrame, activities: Sequence[str] | None = None, *, max_iter: int = 50,
                       tol: float = 1e-9, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                       aggregate: str = "abs", weighted: bool | str = False,
                       labels: Sequence[str] | None = None) -> TestValueResult:
    """Activity weights by Assielou's test-value iteration (METHOD.md, "Data-driven weights").

    1. Classify the firms with equal weights: index = weighted mean of the (assessed) activity
       scores, classes by ``thresholds`` (lower bounds, best first).
    2. For each class k and practice X, the test value t_k(X) (see the module and
       :func:`test_values`).
    3. A practice's weight is its share of the sum of test values (:func:`weights_from_test_values`;
       ``aggregate="abs"`` by default: the sum over classes of ``|t_k(X)|``).
    4. Re-classify with these weights and repeat from 2 until the classification is stable (then
       the weights are a fixed point: they depend only on the classes), or the weights move by at
       most ``tol``, or ``max_iter`` updates; a classification met before ends a cycle (not
       converged; the cycle's length is reported).

    The iteration need not converge: a firm just at a threshold can flip class back and forth,
    each classification giving weights that produce the other (a 2-cycle, in about one run in ten
    on simulated populations). The result then has ``converged=False`` and ``cycle=2`` and keeps
    the last weights; :func:`compare_weightings` shows how little the two classifications differ.

    ``weighted=True`` (or a column name) uses the survey weights in the test values, so that they
    describe the population rather than the sample (see :func:`test_values`); the classes are the
    firms' own and do not depend on it. By default the firms count equally, as in Boly et al. 2014.
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {aggregate!r}")
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")
    cols = _activity_columns(frame, activities)
    lower = _lower_bounds(thresholds)
    names = class_labels(thresholds, labels)
    sw = _survey_weights(frame, weighted)
    x = frame[cols].to_numpy(dtype=float)
    p = len(cols)

    w = np.full(p, 1.0 / p)
    cls = classify(index_values(x, w), lower)
    weights_hist, classes_hist, tv_hist = [w], [cls], []
    seen = {cls.tobytes(): 0}
    converged, cycle = False, 0
    for it in range(1, max_iter + 1):
        t = test_values(x, cls, len(lower), sw)
        w_new = weights_from_test_values(t, aggregate)
        cls_new = classify(index_values(x, w_new), lower)
        weights_hist.append(w_new)
        classes_hist.append(cls_new)
        tv_hist.append(pd.DataFrame(t, index=list(names), columns=cols))
        if np.array_equal(cls_new, cls) or np.max(np.abs(w_new - w)) <= tol:
            converged = True
            break
        key = cls_new.tobytes()
        if key in seen:
            cycle = it - seen[key]
            break
        seen[key] = it
        w, cls = w_new, cls_new
    iterations = len(weights_hist) - 1
    if converged:  # the last test values are those of the final (stable) classes
        final_t = test_values(x, classes_hist[-1], len(lower), sw)
        tv_hist.append(pd.DataFrame(final_t, index=list(names), columns=cols))
    return TestValueResult(
        activities=tuple(cols),
        weights_history=pd.DataFrame(np.array(weights_hist), columns=cols).rename_axis("iteration"),
        classes_history=pd.DataFrame({i: _as_labels(c, names, frame.index) for i, c in enumerate(classes_hist)})
        .rename_axis(columns="iteration"),
        test_values_history=tuple(tv_hist),
        converged=converged,
        iterations=iterations,
        cycle=cycle,
        labels=names,
        aggregate=aggregate,
    )


# --------------------------------------------------------------------------------------------
# Expert weights
# --------------------------------------------------------------------------------------------
def ahp_weights(expert_matrices: Sequence[Any], items: Sequence[str], max_cr: float | None = None) -> pd.Series:
    """Activity weights from several experts' AHP pairwise-comparison matrices.

    The matrices (one per expert, rows and columns in the order of ``items``, the activity ids or
    columns) are combined by the element-wise geometric mean (Aczél & Saaty 1983) and weighted by
    Saaty's eigenvector method (:func:`innexport.core.ahp.ahp`). With ``max_cr``, an
    :class:`innexport.core.ahp.InconsistentMatrixError` is raised when the combined matrix's consistency
    ratio exceeds it. The Series (indexed by ``items``, summing to 1) carries ``lambda_max``, the
    consistency index and ratio in ``attrs``.
    """
    result = ahp(combine_judgements(expert_matrices), items)
    if max_cr is not None:
        require_consistent(result, max_cr)
    out = pd.Series(result.weights, index=list(result.items), name="weight")
    out.attrs.update({k: v for k, v in result.as_dict().items() if k != "weights"})
    return out


# --------------------------------------------------------------------------------------------
# Comparing weightings
# --------------------------------------------------------------------------------------------
def _weight_vector(weights: Any, cols: list[str], name: str) -> np.ndarray:
    """A weighting as a vector over ``cols``, summing to 1."""
    if isinstance(weights, TestValueResult):
        weights = weights.weights
    if isinstance(weights, AHPResult):
        weights = pd.Series(weights.weights, index=list(weights.items))
    if isinstance(weights, Mapping) and not isinstance(weights, pd.Series):
        weights = pd.Series(weights, dtype=float)
    if isinstance(weights, pd.Series):
        keyed = {(k if k in cols else ACT + str(k)): float(v) for k, v in weights.items()}
        extra = [k for k in keyed if k not in cols]
        if extra:
            raise ValueError(f"weighting {name!r}: weights for unknown activities: {', '.join(extra)}")
        vec = np.array([keyed.get(c, 0.0) for c in cols])
    else:
        vec = np.asarray(weights, dtype=float)
        if vec.shape != (len(cols),):
            raise ValueError(f"weighting {name!r}: {len(cols)} activities but {vec.shape} weights")
    if not np.all(np.isfinite(vec)) or np.any(vec < 0) or vec.sum() <= 0:
        raise ValueError(f"weighting {name!r}: weights must be non-negative, finite and not all 0")
    return vec / vec.sum()


def classes_by_weighting(frame: pd.DataFrame, weightings: Mapping[str, Any], activities: Sequence[str] | None = None,
                         thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                         labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Each firm's class (label; NaN when unscored) under each weighting (one column per weighting).

    A weighting is an array over the activities, a Series or dict keyed by activity id or column
    (missing activities weigh 0), an :class:`~innexport.core.ahp.AHPResult` or a :class:`TestValueResult`.
    """
    cols = _activity_columns(frame, activities)
    lower = _lower_bounds(thresholds)
    names = class_labels(thresholds, labels)
    x = frame[cols].to_numpy(dtype=float)
    return pd.DataFrame({
        name: _as_labels(classify(index_values(x, _weight_vector(w, cols, name)), lower), names, frame.index)
        for name, w in weightings.items()
    }).rename_axis(columns="weighting")


def compare_weightings(frame: pd.DataFrame, weightings: Mapping[str, Any], activities: Sequence[str] | None = None, *,
                       reference: str | None = None, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                       weighted: bool | str = False, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Cross-tab of the classes under a reference weighting against each other weighting.

    Rows: the classes under ``reference`` (default: the first weighting), best first, then
    ``all``. Columns: for each other weighting, its classes and ``changed``. A cell counts the
    firms (the sum of their survey weights with ``weighted``) in the row's reference class and the
    column's class; ``changed`` is the share of the row's firms whose class differs, and on the
    ``all`` row the share of all firms that change class. Firms unclassified under either
    weighting of a pair (no assessed activity) are left out of that pair.
    """
    if len(weightings) < 2:
        raise ValueError("compare at least two weightings")
    reference = next(iter(weightings)) if reference is None else reference
    if reference not in weightings:
        raise ValueError(f"unknown reference weighting {reference!r}; have: {', '.join(weightings)}")
    classes = classes_by_weighting(frame, weightings, activities, thresholds, labels)
    names = list(class_labels(thresholds, labels))
    sw = _survey_weights(frame, weighted)
    mass = pd.Series(np.ones(len(frame)) if sw is None else sw, index=frame.index)
    blocks = {}
    for other in weightings:
        if other == reference:
            continue
        a, b = classes[reference], classes[other]
        ok = a.notna() & b.notna()
        tab = (pd.crosstab(a[ok], b[ok], values=mass[ok], aggfunc="sum", dropna=False)
               .reindex(index=names, columns=names).fillna(0.0))
        if sw is None:
            tab = tab.astype(int)
        tab.loc["all"] = tab.sum(axis=0)
        same = np.diag(tab.loc[names, names].to_numpy(dtype=float))
        row_total = tab.loc[names].sum(axis=1).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            changed = np.where(row_total > 0, 1 - same / np.where(row_total > 0, row_total, 1.0), np.nan)
        overall = 1 - same.sum() / row_total.sum() if row_total.sum() > 0 else np.nan
        tab["changed"] = [*changed, overall]
        blocks[other] = tab
    out = pd.concat(blocks, axis=1, names=["weighting", "class"])
    out.index.name = f"class under {reference}"
    return out
