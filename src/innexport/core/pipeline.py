"""The diagnostic of a whole population in one pass per block of rows, near the hardware's floor.

:func:`diagnose_population` computes what :func:`~innexport.core.assessment.assess` computes for
``n`` firms — scores, threshold classes, FlowSort on the three indices, ranked priorities — but for
each block of :data:`BLOCK_ROWS` rows it scores, classifies, sorts and ranks while the block is in
the CPU cache, writing into outputs allocated once, with scratch arrays reused from block to block
and the blocks spread over the cores (:func:`~innexport.core.parallel.over_row_blocks`). The rules
are the core's own, imported from their one home: the scores and completeness
(:func:`~innexport.core.scoring.activity_scores`), the indices through each firm's effective
activity weights (:meth:`~innexport.core.scoring.ScoringModel.indices_and_weights`), the classes
(:func:`~innexport.core.classes.classify`, :func:`~innexport.core.classes.quadrant`), FlowSort by
net flow (:func:`~innexport.core.flowsort.net_flow_sort`, Nemery & Lamboray 2008) and the
priority order with its tie chain (:func:`~innexport.core.priorities.top_priorities`).

What it keeps is what is used (issue 14, "The core near the floor"):

* per index: its value, its threshold class, its FlowSort net flow and class (``flows="net"``); the
  positive, negative and per-profile flows and the classes by them only with ``flows="all"`` (then
  by :func:`~innexport.core.flowsort.flowsort_many` itself, block by block); no FlowSort with
  ``flows="none"``;
* the priority order as its first ``top_k`` activities (:data:`~innexport.core.priorities.TOP_PRIORITIES`
  by default), in the smallest unsigned integer type that holds the activity count (``uint8`` up to
  256 activities), not the full ``(n, A)`` order, gaps and priorities;
* the activity and dimension scores and completeness only with ``scores="all"`` (then computed
  exactly as :func:`~innexport.core.scoring.score` does).

The dtype rule: every quantity is *computed* in float64 and every class, quadrant and priority is
decided on the float64 values, so that the classes (thresholds compared after rounding to 9
decimals, FlowSort's ties within 1e-9) and the top-k priorities (priorities rounded to 9 decimals
before their tie chain) are exactly those of :func:`assess`; float32 arithmetic would move values by
about 1e-7, far more than those 1e-9 tolerances, and flip ties and classes at their boundaries. The
*stored* index values and net flows are ``dtype`` (float32 by default: about 7 significant digits,
more than the 6 decimals a result shows); ``dtype=np.float64`` stores them unrounded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from innexport.core.classes import classify, profiles, quadrant, quadrant_cut, thresholds
from innexport.core.flowsort import PreferenceFunction, flowsort_many, net_flow_sort
from innexport.core.parallel import over_row_blocks
from innexport.core.priorities import (
    TOP_PRIORITIES,
    _checked_leverage,
    index_dtype,
    priority_targets,
    tie_order,
    top_priorities,
)
from innexport.core.scoring import CHUNK_ROWS, Scores, ScoringModel, Scratch, _score_rows, activity_scores

BLOCK_ROWS = CHUNK_ROWS
"""Rows diagnosed at once by one thread: the block's answers and scratch arrays (a few MB) stay in
the cache from scoring to ranking. The scoring's own block size, so that ``scores="all"`` makes the
very BLAS calls :func:`~innexport.core.scoring.score` makes (BLAS rounds a row's sums differently
in blocks of other sizes, by about 1e-16)."""

Flows = Literal["none", "net", "all"]
ScoreLevels = Literal["indices", "all"]
FLOWS: tuple[Flows, ...] = ("none", "net", "all")


@dataclass(frozen=True, eq=False)
class PopulationDiagnosis:
    """The diagnostic of ``n`` firms as arrays (columns in the order of ``INDICES``: IIP, IEP, IIEP)."""

    model: ScoringModel
    indices: np.ndarray
    """(n, 3) IIP, IEP, IIEP in ``dtype``; NaN where nothing of an index was answered."""
    classes: np.ndarray
    """(n, 3) int8 threshold class (0 = best, -1 = missing)."""
    quadrant: np.ndarray
    """(n,) int8 index into ``classes.QUADRANTS`` (-1: an index is missing)."""
    net_flow: np.ndarray | None
    """(n, 3) FlowSort net flow of each index's activities in ``dtype`` (None with ``flows="none"``)."""
    flow_classes: np.ndarray | None
    """(n, 3) int8 FlowSort class by net flow (-1: nothing to sort on; None with ``flows="none"``)."""
    target_class: np.ndarray
    """(n,) int8 class whose profile the priorities aim at (-1 when IIEP is missing)."""
    top_priorities: np.ndarray
    """(n, top_k) activity positions, first priority first (``assess``'s order cut to ``top_k``)."""
    activities: np.ndarray | None = None
    """(n, A) float64 activity scores (``scores="all"`` only)."""
    dimensions: np.ndarray | None = None
    """(n, D) float64 dimension scores (``scores="all"`` only)."""
    completeness: np.ndarray | None = None
    """(n,) float64 share of questions with a scored answer (``scores="all"`` only)."""
    positive_flow: np.ndarray | None = None
    """(n, 3) ``φ+`` (``flows="all"`` only), and so on for the fields below."""
    negative_flow: np.ndarray | None = None
    profile_net_flows: np.ndarray | None = None
    """(n, 3, K) the profiles' net flows in each firm's reference set (``flows="all"``)."""
    flow_classes_positive: np.ndarray | None = None
    flow_classes_negative: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        """Bytes held by the result's arrays."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def diagnose_population(
    model: ScoringModel,
    values: np.ndarray,
    *,
    leverage: np.ndarray | None = None,
    top_k: int = TOP_PRIORITIES,
    flows: Flows = "net",
    scores: ScoreLevels = "indices",
    dtype: Any = np.float32,
    block_rows: int = BLOCK_ROWS,
    workers: int | None = None,
) -> PopulationDiagnosis:
    """Diagnose an ``(n, O)`` array of answer values (NaN: unanswered) in one pass per block of rows.

    ``leverage`` (A,) as for :func:`~innexport.core.priorities.prioritise`; ``top_k`` priorities kept
    per firm (0: none); ``flows``: ``"net"`` (net flow and class), ``"all"`` (every flow) or
    ``"none"``; ``scores``: ``"indices"`` or ``"all"`` (activities, dimensions and completeness too);
    ``dtype``: float32 or float64, the stored indices' and flows' type (see the module docstring);
    ``workers``: threads (default: every core the process may use; 1 where a scheduler already
    runs one task per core, e.g. a Dask worker).
    Raises ``ValueError`` on a wrong shape, a value outside [0, 1] (naming the assessment and the
    observable), a bad leverage or option.

    >>> from innexport.core.assessment import assess
    >>> from innexport.files.frameworks import load_framework
    >>> m = ScoringModel.from_framework(load_framework("iiep"))
    >>> x = np.linspace(0, 1, 3 * len(m.observable_ids)).reshape(3, -1)
    >>> x[0, :5] = np.nan
    >>> d = diagnose_population(m, x, top_k=3)
    >>> old = assess(m, x)
    >>> bool((d.classes == old.classes).all()), bool((d.top_priorities == old.priorities.order[:, :3]).all())
    (True, True)
    >>> d.indices.dtype.name, d.top_priorities.dtype.name, d.top_priorities.shape
    ('float32', 'uint8', (3, 3))
    """
    if flows not in FLOWS:
        raise ValueError(f"flows must be one of {', '.join(FLOWS)}, got {flows!r}")
    if scores not in ("indices", "all"):
        raise ValueError(f"scores must be 'indices' or 'all', got {scores!r}")
    out_dtype = np.dtype(dtype)
    if out_dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {out_dtype}")
    if int(top_k) != top_k or top_k < 0:
        raise ValueError(f"top_k must be a whole number >= 0, got {top_k!r}")
    if int(block_rows) != block_rows or block_rows < 1:
        raise ValueError(f"block_rows must be a whole number >= 1, got {block_rows!r}")
    x = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if x.ndim != 2 or x.shape[1] != len(model.observable_ids):
        raise ValueError(f"expected an (n, {len(model.observable_ids)}) array of answer values (one row per "
                         f"assessment), got shape {np.shape(values)}")
    x = np.ascontiguousarray(x)
    n = x.shape[0]
    fw = model.framework
    a, d = len(model.activity_ids), len(model.dimension_ids)
    k_prof = len(fw.classes)
    lev = _checked_leverage(model, leverage)
    order = tie_order(lev)
    top_k = min(int(top_k), a)
    lower = thresholds(fw)
    cut = quadrant_cut(fw)
    settings = fw.flowsort
    pref = PreferenceFunction(kind=settings.preference, q=settings.q, p=settings.p)
    class_profiles = profiles(fw)
    profile_rows = np.repeat(class_profiles[:, None], a, axis=1)  # (K, A): the same profile on every activity
    fast_weights = model.normalised_index_weights
    flow_weights = model.index_activity_weights

    out = PopulationDiagnosis(
        model=model,
        indices=np.empty((n, 3), dtype=out_dtype),
        classes=np.empty((n, 3), dtype=np.int8),
        quadrant=np.empty(n, dtype=np.int8),
        net_flow=None if flows == "none" else np.empty((n, 3), dtype=out_dtype),
        flow_classes=None if flows == "none" else np.empty((n, 3), dtype=np.int8),
        target_class=np.empty(n, dtype=np.int8),
        top_priorities=np.empty((n, top_k), dtype=index_dtype(a)),
        activities=np.empty((n, a)) if scores == "all" else None,
        dimensions=np.empty((n, d)) if scores == "all" else None,
        completeness=np.empty(n) if scores == "all" else None,
        positive_flow=np.empty((n, 3), dtype=out_dtype) if flows == "all" else None,
        negative_flow=np.empty((n, 3), dtype=out_dtype) if flows == "all" else None,
        profile_net_flows=np.empty((n, 3, k_prof), dtype=out_dtype) if flows == "all" else None,
        flow_classes_positive=np.empty((n, 3), dtype=np.int8) if flows == "all" else None,
        flow_classes_negative=np.empty((n, 3), dtype=np.int8) if flows == "all" else None,
    )

    scratch: dict[int, Scratch] = {}  # each thread's arrays, reused by every block it diagnoses

    def work(rows: slice) -> None:
        block = x[rows]
        if scores == "all":  # the activities, dimensions and indices exactly as score() computes them
            full = Scores(observables=block, activities=out.activities[rows],  # type: ignore[index]
                          dimensions=out.dimensions[rows], indices=np.empty((len(block), 3)),  # type: ignore[index]
                          completeness=out.completeness[rows])  # type: ignore[index]
            _score_rows(model, full, slice(0, len(block)), first_row=rows.start)
            act, indices = full.activities, full.indices
            assessed = act == act
            partial = ~assessed.all(axis=1)
            partial_weights = model.effective_activity_weights(assessed[partial]) if partial.any() else None
        else:
            act, _ = activity_scores(model, block, rows.start, scratch.setdefault(threading.get_ident(), Scratch()),
                                     exact=False)
            indices, partial, partial_weights = model.indices_and_weights(act)
        out.indices[rows] = indices
        classes = classify(indices, lower)
        out.classes[rows] = classes
        out.quadrant[rows] = quadrant(indices[:, 0], indices[:, 1], cut)
        target_class, target = priority_targets(model, indices[:, 2], classes[:, 2])
        out.target_class[rows] = target_class
        if top_k:
            out.top_priorities[rows] = top_priorities(act, target, lev, top_k, order)
        if flows == "net":
            filled = np.fmax(act, 0.0)  # NaN (unassessed, weighing 0) → 0
            net, cls = net_flow_sort(filled, fast_weights, profile_rows, pref, settings.ties, partial, partial_weights)
            out.net_flow[rows] = net  # type: ignore[index]
            out.flow_classes[rows] = cls  # type: ignore[index]
        elif flows == "all":
            sorted_ = flowsort_many(
                act, profile_rows, flow_weights, pref,
                weights_for=lambda assessed: model.effective_activity_weights(assessed).transpose(1, 0, 2),
                ties=settings.ties)
            for s, result in enumerate(sorted_):
                out.net_flow[rows, s] = result.net_flow  # type: ignore[index]
                out.flow_classes[rows, s] = result.classes  # type: ignore[index]
                out.positive_flow[rows, s] = result.positive_flow  # type: ignore[index]
                out.negative_flow[rows, s] = result.negative_flow  # type: ignore[index]
                out.profile_net_flows[rows, s] = result.profile_net_flows  # type: ignore[index]
                out.flow_classes_positive[rows, s] = result.classes_positive  # type: ignore[index]
                out.flow_classes_negative[rows, s] = result.classes_negative  # type: ignore[index]

    over_row_blocks(n, int(block_rows), work, workers)
    return out
