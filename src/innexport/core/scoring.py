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


def _score_rows(model: ScoringModel, out: Scores, rows: slice) -> None:
    """Score a block of rows into ``out``."""
    x = out.observables[rows]
    answered = x == x  # False where NaN
    x0 = np.where(answered, x, 0.0)
    if x0.size and (x0.min() < 0.0 or x0.max() > 1.0):
        bad = np.argwhere((x0 < 0.0) | (x0 > 1.0))[0]
        raise ValueError(f"answer values must lie in [0, 1] (NaN for unanswered): assessment {rows.start + bad[0]}, "
                         f"observable {model.observable_ids[bad[1]]} is {x0[tuple(bad)]}")
    # one more column of ones in the weights counts the answered questions (completeness)
    num = x0 @ model._observable_weights_and_count
    den = answered.astype(float) @ model._observable_weights_and_count
    out.completeness[rows] = den[:, -1] / x.shape[1]
    act = _ratio(num[:, :-1], den[:, :-1])
    out.activities[rows] = act
    act_answered = act == act
    dim_blocks = _weighted_mean(np.where(act_answered, act, 0.0), act_answered, model._activity_to_dimension_blocks)
    out.dimensions[rows] = dim_blocks[:, : len(model.dimension_ids)]
    dim_answered = dim_blocks == dim_blocks
    out.indices[rows] = _weighted_mean(np.where(dim_answered, dim_blocks, 0.0), dim_answered, model._dimension_to_index)


def _weighted_mean(x: np.ndarray, answered: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column-wise weighted means of the answered entries of ``x``; NaN where none is answered."""
    return _ratio(x @ weights, answered.astype(x.dtype) @ weights)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio: np.ndarray = num / den  # 0/0 = NaN where nothing below was answered
    return ratio
