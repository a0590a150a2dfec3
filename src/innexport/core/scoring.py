"""Scoring: observable answers → activity → dimension → the three indices IIP, IEP and IIEP.

Everything works on matrices: a population of assessments is an ``(n, observables)`` array of
answer values in [0, 1] with NaN for an unanswered question or a "don't know"; one firm is the
case ``n = 1``. At each level a score is the weighted mean of its answered children, the weights
being renormalised over what was answered (ERPI's IIP aggregation, Boly et al. 2014).

* an activity's score is the weighted mean of its observables;
* a dimension's score is the weighted mean of its activities;
* IIP is the weighted mean, over dimensions, of each dimension's innovation and joint activities;
  IEP the same over export and joint activities; IIEP over all activities (the framework's
  ``scoring.iiep_scope: all``, the default) or over the joint activities only (``common_space``).

So a joint activity counts in both IIP and IEP. docs/method.md writes every formula out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from innexport.core.framework import INDICES, Framework
from innexport.core.parallel import over_row_blocks

CHUNK_ROWS = 4_096
"""Rows scored at once: the temporaries stay in the CPU cache and the memory stays flat."""


@dataclass(frozen=True, eq=False)
class ScoringModel:
    """A framework compiled into the weight matrices that scoring multiplies by."""

    framework: Framework
    observable_ids: tuple[str, ...]
    activity_ids: tuple[str, ...]
    dimension_ids: tuple[str, ...]
    observable_weights: np.ndarray
    """(O, A): weight of each observable within its activity (columns sum to 1)."""
    activity_weights: np.ndarray
    """(A, D): weight of each activity within its dimension (columns sum to 1)."""
    dimension_weights: np.ndarray
    """(D,): weight of each dimension (sums to 1)."""
    index_activities: np.ndarray
    """(3, A) bool: which activities feed IIP, IEP and IIEP (the IIEP's by the framework's scope)."""

    @classmethod
    def from_framework(cls, framework: Framework) -> ScoringModel:
        obs = framework.observables
        acts = framework.activities
        dims = framework.dimensions
        obs_pos = {o.id: i for i, o in enumerate(obs)}
        act_pos = {a.id: i for i, a in enumerate(acts)}
        w_oa = np.zeros((len(obs), len(acts)))
        for a in acts:
            rows = [obs_pos[o.id] for o in a.observables]
            w_oa[rows, act_pos[a.id]] = framework.observable_weights(a)
        w_ad = np.zeros((len(acts), len(dims)))
        for j, d in enumerate(dims):
            rows = [act_pos[a.id] for a in d.activities]
            w_ad[rows, j] = framework.activity_weights(d)
        tags = framework.index_tags
        masks = np.array([[a.tag in tags[index] for a in acts] for index in INDICES])
        return cls(
            framework=framework,
            observable_ids=tuple(o.id for o in obs),
            activity_ids=tuple(a.id for a in acts),
            dimension_ids=tuple(d.id for d in dims),
            observable_weights=w_oa,
            activity_weights=w_ad,
            dimension_weights=framework.dimension_weights(),
            index_activities=masks,
        )

    # --- derived matrices used by score() ---------------------------------------------------
    @cached_property
    def _activity_to_dimension_blocks(self) -> np.ndarray:
        """(A, 4D): activity weights into [all | IIP | IEP | IIEP activities] per dimension."""
        w = self.activity_weights
        return np.hstack([w, *(w * mask[:, None] for mask in self.index_activities)])

    @cached_property
    def _observable_weights_and_count(self) -> np.ndarray:
        """(O, A+1): the observable weights and a column of ones."""
        return np.hstack([self.observable_weights, np.ones((len(self.observable_ids), 1))])

    @cached_property
    def _question_counts(self) -> tuple[np.ndarray, np.ndarray] | None:
        """When every activity weighs its observables alike: ((O, A+1) float32 0/1 membership with a
        column of ones, (A+1,) the common weight of each activity's observables and 1); else None."""
        w = self._observable_weights_and_count
        member = w > 0
        common = np.where(member, w, 0.0).max(axis=0)
        if not np.array_equal(np.where(member, w, 0.0), member * common) or member.shape[0] >= 2**24:
            return None
        return member.astype(np.float32), common

    @cached_property
    def _dimension_to_index(self) -> np.ndarray:
        """(4D, 3): dimension weights from the blocks above into IIP, IEP, IIEP (each over its block)."""
        d = len(self.dimension_ids)
        out = np.zeros((4 * d, 3))
        for k in range(3):
            out[(k + 1) * d : (k + 2) * d, k] = self.dimension_weights
        return out

    @cached_property
    def _dimension_of_activity(self) -> np.ndarray:
        """(A,): position of each activity's dimension."""
        position: np.ndarray = np.argmax(self.activity_weights > 0, axis=1)
        return position

    def effective_activity_weights(self, assessed: np.ndarray) -> np.ndarray:
        """(n, 3, A): each activity's weight in IIP, IEP and IIEP for firms that assessed ``assessed``.

        THE rule for unassessed activities, shared by the indices, FlowSort and leverage: an
        unassessed activity weighs 0 and its weight passes to its assessed siblings *in the same
        dimension* (that index's activities of it); a dimension with none of an index's activities
        assessed passes its weight to the other dimensions. These are exactly the coefficients of
        the activity scores in :func:`score`'s indices, so each index is
        ``Σ_a weight[k, a] · activity score[a]`` over the assessed activities; each row sums to 1
        over an index's assessed activities (0 when there are none). ``assessed`` is ``(n, A)``
        booleans (or ``(A,)`` for one firm).

        >>> from innexport.files.frameworks import load_framework
        >>> m = ScoringModel.from_framework(load_framework("iiep"))
        >>> assessed = np.ones(len(m.activity_ids), dtype=bool)
        >>> assessed[0] = False  # the first activity left unassessed
        >>> w = m.effective_activity_weights(assessed)[0]
        >>> float(w[2, 0]), [round(float(t), 9) for t in w.sum(axis=1)]
        (0.0, [1.0, 1.0, 1.0])
        """
        assessed = np.atleast_2d(np.asarray(assessed, dtype=bool)).astype(float)
        if assessed.shape[1] != len(self.activity_ids):
            raise ValueError(f"expected {len(self.activity_ids)} activities per firm, got {assessed.shape[1]}")
        d = len(self.dimension_ids)
        blocks = self._activity_to_dimension_blocks[:, d:]  # (A, 3D): IIP | IEP | IIEP
        dim_den = (assessed @ blocks).reshape(-1, 3, d)  # (n, 3, D)
        dim_used = dim_den > 0
        idx_den = dim_used.astype(float) @ self.dimension_weights  # (n, 3)
        with np.errstate(invalid="ignore", divide="ignore"):
            dim_share = np.where(dim_used, self.dimension_weights / dim_den, 0.0)
            dim_share /= np.where(idx_den > 0, idx_den, 1.0)[:, :, None]
        dim_of = self._dimension_of_activity
        own = self.activity_weights[np.arange(len(dim_of)), dim_of] * self.index_activities  # (3, A)
        weights: np.ndarray = own[None] * dim_share[:, :, dim_of] * assessed[:, None, :]
        return weights

    @cached_property
    def index_activity_weights(self) -> np.ndarray:
        """(3, A): each activity's weight in IIP, IEP and IIEP when every activity is assessed."""
        weights: np.ndarray = self.effective_activity_weights(np.ones(len(self.activity_ids), dtype=bool))[0]
        return weights

    @property
    def leverage(self) -> np.ndarray:
        """(A,): an activity's weight in IIP plus its weight in IEP (joint activities count in both).

        Full-framework weights (every activity assessed), the same for every firm: see
        docs/method.md, section 4.
        """
        leverage: np.ndarray = self.index_activity_weights[0] + self.index_activity_weights[1]
        return leverage

    @cached_property
    def normalised_index_weights(self) -> np.ndarray:
        """(3, A): :attr:`index_activity_weights` divided by their sum per index (1 up to rounding),
        the weights FlowSort uses for a firm that assessed every activity."""
        w = self.index_activity_weights
        normalised: np.ndarray = w / w.sum(axis=1, keepdims=True)
        return normalised

    @cached_property
    def _index_weights_and_ones(self) -> np.ndarray:
        """(A, 4): the activities' weights in IIP, IEP and IIEP and a column of ones."""
        return np.hstack([self.index_activity_weights.T, np.ones((len(self.activity_ids), 1))])

    def indices_and_weights(self, activities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IIP, IEP and IIEP ``(b, 3)`` of a block of activity scores ``(b, A)`` (NaN: unassessed)
        as ``Σ_a weight[k, a] · score[a]`` with :meth:`effective_activity_weights`; also which rows
        assessed an activity only partly (``(b,)`` bools) and their effective weights ``(p, 3, A)``
        (the rows assessing every activity share :attr:`index_activity_weights`). The same values
        as :func:`score` up to rounding, without the dimensions: what a block pipeline needs.

        >>> from innexport.files.frameworks import load_framework
        >>> m = ScoringModel.from_framework(load_framework("iiep"))
        >>> act = np.full((2, len(m.activity_ids)), 0.5)
        >>> act[1, 0] = np.nan
        >>> idx, partial, weights = m.indices_and_weights(act)
        >>> idx.round(9).tolist(), partial.tolist(), weights.shape
        ([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], [False, True], (1, 3, 24))
        """
        # a fourth column of ones sums the scores: NaN exactly on the rows with an unassessed activity
        with_sum = np.matmul(activities, self._index_weights_and_ones)
        indices: np.ndarray = with_sum[:, :3]
        partial = np.isnan(with_sum[:, 3])
        weights = np.empty((0, 3, len(self.activity_ids)))
        if partial.any():
            sub = ~np.isnan(activities[partial])
            weights = self.effective_activity_weights(sub)
            some = weights.sum(axis=2) > 0
            indices[partial] = np.where(some, np.einsum("pka,pa->pk", weights, np.where(sub, activities[partial], 0.0)),
                                        np.nan)
        return indices, partial, weights

    def effective_observable_weights(self, answered: np.ndarray) -> np.ndarray:
        """(n, 3, O): the weight each answered observable has in IIP, IEP and IIEP.

        Each index is linear in the answer values for a fixed set of answered questions; these are
        its coefficients (they sum to 1 over the answered observables of each index). Used to
        explain a score and to plan the smallest steps to the next class.
        """
        answered = np.asarray(answered, dtype=float)
        act_den = answered @ self.observable_weights  # (n, A)
        with np.errstate(invalid="ignore", divide="ignore"):
            act_share = np.where(act_den > 0, 1.0 / act_den, 0.0)
        act_in_index = self.effective_activity_weights(act_den > 0)  # (n, 3, A)
        obs_in_act = answered[:, :, None] * self.observable_weights[None] * act_share[:, None, :]  # (n, O, A)
        weights: np.ndarray = np.einsum("nka,noa->nko", act_in_index, obs_in_act)
        return weights


@dataclass(frozen=True, eq=False)
class Scores:
    """Scores of n assessments; NaN where nothing below was answered."""

    observables: np.ndarray  # (n, O) answer values in [0, 1], NaN when unanswered or "don't know"
    activities: np.ndarray  # (n, A)
    dimensions: np.ndarray  # (n, D)
    indices: np.ndarray  # (n, 3): IIP, IEP, IIEP
    completeness: np.ndarray  # (n,) share of questions with a scored answer

    @property
    def iip(self) -> np.ndarray:
        return self.indices[:, 0]

    @property
    def iep(self) -> np.ndarray:
        return self.indices[:, 1]

    @property
    def iiep(self) -> np.ndarray:
        return self.indices[:, 2]


def score(model: ScoringModel, values: np.ndarray) -> Scores:
    """Score an ``(n, O)`` (or ``(O,)``) array of answer values in [0, 1], NaN for unanswered.

    Rows are scored in cache-sized chunks, spread over the CPU cores (numpy releases the GIL).
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n, o = values.shape
    if o != len(model.observable_ids):
        raise ValueError(f"expected {len(model.observable_ids)} observables per assessment, got {o}")
    out = Scores(
        observables=values,
        activities=np.empty((n, len(model.activity_ids))),
        dimensions=np.empty((n, len(model.dimension_ids))),
        indices=np.empty((n, 3)),
        completeness=np.empty(n),
    )
    over_row_blocks(n, CHUNK_ROWS, lambda rows: _score_rows(model, out, rows))
    return out


def _score_rows(model: ScoringModel, out: Scores, rows: slice, first_row: int | None = None) -> None:
    """Score a block of rows into ``out`` (messages count its rows from ``first_row``, default ``rows.start``)."""
    x = out.observables[rows]
    act, completeness = activity_scores(model, x, rows.start if first_row is None else first_row)
    out.completeness[rows] = completeness
    out.activities[rows] = act
    act_answered = act == act
    dim_blocks = _weighted_mean(np.where(act_answered, act, 0.0), act_answered, model._activity_to_dimension_blocks)
    out.dimensions[rows] = dim_blocks[:, : len(model.dimension_ids)]
    dim_answered = dim_blocks == dim_blocks
    out.indices[rows] = _weighted_mean(np.where(dim_answered, dim_blocks, 0.0), dim_answered, model._dimension_to_index)


def check_values(model: ScoringModel, x: np.ndarray, first_row: int = 0) -> None:
    """Refuse answer values outside [0, 1] (NaN is an unanswered question), naming the first one:
    its assessment (counted from ``first_row``) and observable.

    >>> from innexport.files.frameworks import load_framework
    >>> m = ScoringModel.from_framework(load_framework("iiep"))
    >>> x = np.full((2, len(m.observable_ids)), 0.5)
    >>> x[1, 3] = 1.5
    >>> check_values(m, x, first_row=10)
    Traceback (most recent call last):
    ValueError: answer values must lie in [0, 1] (NaN for unanswered): assessment 11, observable net_strong_ties_research is 1.5
    """
    if not x.size:
        return
    # fmin/fmax skip NaN: one pass each, no filled copy
    if not (np.fmin.reduce(x, axis=None) < 0.0 or np.fmax.reduce(x, axis=None) > 1.0):
        return
    x0 = np.where(x == x, x, 0.0)
    bad = np.argwhere((x0 < 0.0) | (x0 > 1.0))[0]
    raise ValueError(f"answer values must lie in [0, 1] (NaN for unanswered): assessment {first_row + bad[0]}, "
                     f"observable {model.observable_ids[bad[1]]} is {x0[tuple(bad)]}")


class Scratch:
    """Arrays reused from block to block by one thread (:func:`activity_scores`'s ``work``)."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, int], dtype: type[np.floating[Any]] = np.float64) -> np.ndarray:
        """The array ``name`` of ``shape`` (allocated anew only when it has too few rows).

        >>> work = Scratch()
        >>> big = work.get("num", (8, 3))
        >>> small = work.get("num", (5, 3))
        >>> small.shape, bool(np.shares_memory(big, small))
        ((5, 3), True)
        """
        array = self._arrays.get(name)
        if array is None or array.shape[0] < shape[0] or array.shape[1:] != shape[1:] or array.dtype != dtype:
            array = self._arrays[name] = np.empty(shape, dtype=dtype)
        return array[: shape[0]]


def activity_scores(model: ScoringModel, x: np.ndarray, first_row: int = 0, work: Scratch | None = None,
                    exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Activity scores ``(b, A)`` (NaN: nothing answered) and completeness ``(b,)`` of a block of
    answer values ``x`` ``(b, O)``, checked by :func:`check_values` (``first_row`` names the rows).

    ``work``: scratch arrays to reuse (a block pipeline keeps one per thread); the results are views
    into them. ``exact``: the very products :func:`score` computes; with ``False``, when every
    activity weighs its questions alike (the shipped frameworks), the weights answered are the
    count of answered questions (an exact float32 product of 0/1 matrices) times that weight: the
    same scores up to the last bit or two, one float64 matrix product fewer.

    >>> from innexport.files.frameworks import load_framework
    >>> m = ScoringModel.from_framework(load_framework("iiep"))
    >>> x = np.full((1, len(m.observable_ids)), 0.5)
    >>> x[0, :3] = np.nan  # the first activity's questions left unanswered
    >>> act, done = activity_scores(m, x)
    >>> bool(np.isnan(act[0, 0])), float(act[0, 1]), round(float(done[0]), 4)
    (True, 0.5, 0.9615)
    >>> bool(np.allclose(activity_scores(m, x, exact=False)[0], act, equal_nan=True))
    True
    """
    check_values(model, x, first_row)
    b, o = x.shape
    a1 = len(model.activity_ids) + 1
    work = Scratch() if work is None else work
    filled, num, den = work.get("filled", (b, o)), work.get("num", (b, a1)), work.get("den", (b, a1))
    np.fmax(x, 0.0, out=filled)  # NaN → 0 (the values are checked to lie in [0, 1])
    # one more column of ones in the weights counts the answered questions (completeness)
    np.matmul(filled, model._observable_weights_and_count, out=num)
    counts = None if exact else model._question_counts
    if counts is None:
        answered = work.get("answered", (b, o))
        np.equal(x, x, out=answered, casting="unsafe")  # 1.0 where answered, 0.0 where NaN
        np.matmul(answered, model._observable_weights_and_count, out=den)
    else:
        answered32, count = work.get("answered32", (b, o), np.float32), work.get("count", (b, a1), np.float32)
        np.equal(x, x, out=answered32, casting="unsafe")
        np.matmul(answered32, counts[0], out=count)  # whole numbers up to O: exact in float32
        np.multiply(count, counts[1], out=den)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(num, den, out=num)  # 0/0 = NaN where nothing below was answered
    np.divide(den[:, -1], o, out=den[:, -1])
    return num[:, :-1], den[:, -1]


def _weighted_mean(x: np.ndarray, answered: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column-wise weighted means of the answered entries of ``x``; NaN where none is answered."""
    return _ratio(x @ weights, answered.astype(x.dtype) @ weights)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio: np.ndarray = num / den  # 0/0 = NaN where nothing below was answered
    return ratio
