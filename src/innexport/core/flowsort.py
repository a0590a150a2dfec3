"""FlowSort with central profiles: sorting firms into ordered classes with PROMETHEE flows.

FlowSort (Nemery & Lamboray 2008, "FlowSort: a flow-based sorting method with limiting or
central profiles", TOP 16:90-113) assigns each alternative to one of K ordered classes by
comparing it with reference profiles through PROMETHEE flows (Brans & Vincke 1985, "A
preference ranking organisation method: the PROMETHEE method for multiple criteria
decision-making", Management Science 31(6):647-656). This module implements the
central-profile variant:

* every class ``h`` has a central profile ``r_h``; ``profiles[0]`` is the best class and the
  profiles must strictly dominate each other in that order;
* for an alternative ``a`` the reference set is ``R_a = {r_1, ..., r_K} ∪ {a}`` and, for
  ``x, y`` in ``R_a``, ``π(x, y) = Σ_j w_j P_j(g_j(x) - g_j(y)) / Σ_j w_j``;
* flows are ``φ+(x) = 1/K Σ_{y≠x} π(x, y)``, ``φ-(x) = 1/K Σ_{y≠x} π(y, x)`` and
  ``φ(x) = φ+(x) - φ-(x)``;
* ``a`` is assigned to the class whose profile's net flow is closest to ``φ(a)``; an exact tie
  (distances within ``1e-9``) goes to the better class by default (``ties="better"``), or to the
  worse one (``ties="worse"``, as the FlowSort reference modules of the method's authors do).
  The assignments by closest ``φ+`` and closest ``φ-`` are returned too, so that a caller can
  report whether the three agree.

Profiles that are indifferent for the preference function (closer than ``q`` on every criterion
that counts) have equal flows, and the tie rule sends an alternative to the better of them;
raising one of its scores can then separate the two profiles and move it to the worse one. Keep
consecutive profiles more than ``q`` apart for assignments monotone in the scores.

Missing scores (NaN) are handled per alternative: the sums over criteria run over the criteria
the alternative has answered only (weights renormalised over them, or given per alternative), for every pair of ``R_a``
including profile-profile pairs, so that the alternative and the profiles are compared on the
same criteria. An alternative with no answered criterion of positive weight gets class -1 and
NaN flows. Weights may also be given per alternative (``weights_for``): the diagnostic passes each
firm's *effective* activity weights in the index (an unassessed activity's weight passed to its
siblings in the same dimension, the indices' rule, ``ScoringModel.effective_activity_weights``),
which already sum to 1 over the answered criteria, so the renormalisation leaves them unchanged.

The computation is vectorised and processed by blocks of rows, in parallel threads (NumPy
releases the GIL inside its loops). The profile-profile preferences are constant per criterion,
so their weighted sums for all the rows of a block are one product with the renormalised
weights; the alternative-profile preferences are evaluated in cache-sized tiles of shape
``(K, rows, m)`` and reduced with the weights. The reductions use ``np.einsum`` rather than BLAS
on purpose: OpenBLAS's own threads would compete with the block threads for the cores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from innexport.core.parallel import over_row_blocks

__all__ = ["TIE_RULES", "FlowSortResult", "PreferenceFunction", "Ties", "flowsort", "flowsort_many"]

Ties = Literal["better", "worse"]
"""Where an alternative exactly between two profiles' flows goes: the better or the worse class."""
TIE_RULES: tuple[Ties, ...] = ("better", "worse")

_BLOCK_ROWS = 16_384
"""Rows of one block, the unit of work of a thread (weights, flows and assignments)."""

_TILE_ROWS = 1_024
"""Rows of one ``(K, rows, m)`` tile of alternative-profile preferences; small enough to stay in
the CPU cache, which is what makes this kernel fast."""

RowWeights = Callable[[np.ndarray], np.ndarray]
"""Per-alternative weights: a block's answered mask ``(rows, m)`` → its weights ``(S, rows, m)``."""

_TIE_TOLERANCE = 1e-9
"""Distances between flows closer than this are an exact tie (up to floating-point rounding)."""


def _as_parameter(value: float | np.ndarray, name: str) -> float | np.ndarray:
    """A preference threshold as a float, or as a read-only 1-D float array (one per criterion)."""
    array = np.asarray(value, dtype=float)
    if array.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array (one value per criterion)")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if array.ndim == 0:
        return float(array)
    array = array.copy()
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class PreferenceFunction:
    """A PROMETHEE preference function ``P(d)`` on ``d = g_j(x) - g_j(y)`` (Brans & Vincke 1985).

    * ``"usual"`` (type I): ``P(d) = 1`` if ``d > 0`` else ``0``; ``q`` and ``p`` are unused.
    * ``"linear"`` (type V, linear with indifference threshold ``q >= 0`` and preference
      threshold ``p > q``): ``0`` if ``d <= q``, ``(d - q) / (p - q)`` if ``q < d < p``, ``1`` if
      ``d >= p``; ``q = 0`` gives the plain linear function (type III).

    ``q`` and ``p`` are scalars (same for every criterion) or 1-D arrays with one value per
    criterion, broadcast over the last axis of ``d``.
    """

    kind: Literal["usual", "linear"] = "linear"
    q: float | np.ndarray = 0.0
    p: float | np.ndarray = 0.25

    def __post_init__(self) -> None:
        if self.kind not in ("usual", "linear"):
            raise ValueError(
                f"unknown preference function kind {self.kind!r}; use 'usual' or 'linear'"
            )
        q = _as_parameter(self.q, "q")
        p = _as_parameter(self.p, "p")
        if self.kind == "linear":  # the usual function ignores its thresholds
            if np.ndim(q) == 1 and np.ndim(p) == 1 and np.shape(q) != np.shape(p):
                raise ValueError(f"q and p have different lengths ({np.size(q)} and {np.size(p)})")
            if np.any(np.asarray(q) < 0):
                raise ValueError(f"the indifference threshold q must be >= 0, got {q!r}")
            if np.any(np.asarray(p) <= np.asarray(q)):
                raise ValueError(f"the preference threshold p must be > q, got q={q!r}, p={p!r}")
        object.__setattr__(self, "q", q)
        object.__setattr__(self, "p", p)

    def __call__(self, d: np.ndarray) -> np.ndarray:
        """``P(d)`` elementwise; the last axis of ``d`` is the criteria. NaN stays NaN."""
        d = np.asarray(d, dtype=float)
        if self.kind == "usual":
            degree: np.ndarray = np.heaviside(d, 0.0)
        else:
            degree = np.clip((d - self.q) / (np.asarray(self.p) - self.q), 0.0, 1.0)
        return degree

    def _check_criteria(self, m: int) -> None:
        """Raise ``ValueError`` if the linear function's per-criterion thresholds do not have
        ``m`` values."""
        if self.kind == "usual":
            return
        for name in ("q", "p"):
            value = getattr(self, name)
            if np.ndim(value) == 1 and np.size(value) != m:
                raise ValueError(f"{name} has {np.size(value)} values but there are {m} criteria")


@dataclass(frozen=True)
class FlowSortResult:
    """FlowSort assignments and flows for ``n`` alternatives and ``K`` classes (0 = best class).

    Flows are computed in each alternative's own reference set ``R_a``; rows of alternatives
    with no answered criterion have class -1 and NaN flows.
    """

    classes: np.ndarray
    """(n,) class by closest net flow; -1 when nothing was answered."""
    net_flow: np.ndarray
    """(n,) ``φ(a)`` in ``R_a``."""
    positive_flow: np.ndarray
    """(n,) ``φ+(a)`` in ``R_a``."""
    negative_flow: np.ndarray
    """(n,) ``φ-(a)`` in ``R_a``."""
    profile_net_flows: np.ndarray
    """(n, K) ``φ(r_h)`` in ``R_a``."""
    profile_positive_flows: np.ndarray
    """(n, K) ``φ+(r_h)`` in ``R_a``."""
    profile_negative_flows: np.ndarray
    """(n, K) ``φ-(r_h)`` in ``R_a``."""
    classes_positive: np.ndarray
    """(n,) class by closest positive flow; -1 when nothing was answered."""
    classes_negative: np.ndarray
    """(n,) class by closest negative flow; -1 when nothing was answered."""


def _validate(
    scores: np.ndarray, profiles: np.ndarray, weights: np.ndarray, preference: PreferenceFunction
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inputs as checked float arrays: scores (n, m), profiles (K, m), weight sets (S, m)."""
    x = np.asarray(scores, dtype=float)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        raise ValueError(f"scores must be a (n, m) or (m,) array, got shape {np.shape(scores)}")
    r = np.asarray(profiles, dtype=float)
    w = np.asarray(weights, dtype=float)
    m = x.shape[1]
    if r.ndim != 2 or r.shape[1] != m:
        raise ValueError(
            f"profiles must be a (K, {m}) array for {m} criteria, got shape {r.shape}"
        )
    if w.ndim != 2 or w.shape[1:] != (m,) or len(w) == 0:
        raise ValueError(f"weights must be a ({m},) array for {m} criteria, got shape {w.shape[1:]}")
    if r.shape[0] < 2:
        raise ValueError(f"FlowSort needs at least two classes, got {r.shape[0]} profile(s)")
    if np.any(np.isinf(x)):
        raise ValueError("scores must be finite or NaN (missing), found an infinite value")
    if not np.all(np.isfinite(r)):
        raise ValueError("profiles must be finite (no NaN or infinite value)")
    for ws in w:
        if not np.all(np.isfinite(ws)) or np.any(ws < 0):
            raise ValueError(f"weights must be finite and >= 0, got {ws.tolist()}")
        with np.errstate(over="ignore"):
            weight_sum = ws.sum()
        if not weight_sum > 0:
            raise ValueError("at least one weight must be positive")
        if not np.isfinite(weight_sum):
            raise ValueError("weights are too large: their sum overflows (only their ratios matter)")
    for h in range(r.shape[0] - 1):
        worse = np.flatnonzero(r[h] < r[h + 1])
        if worse.size or np.array_equal(r[h], r[h + 1]):
            detail = (
                f"worse on criteria {worse.tolist()}" if worse.size else "equal on every criterion"
            )
            raise ValueError(
                f"profiles must strictly dominate each other, best class first: the profile of "
                f"class {h} does not strictly dominate the profile of class {h + 1} ({detail})"
            )
    preference._check_criteria(m)
    return x, r, w


def _alternative_profile_sums(
    x: np.ndarray, row_weights: np.ndarray, profiles: np.ndarray, preference: PreferenceFunction
) -> tuple[np.ndarray, np.ndarray]:
    """``Σ_j w_sij P_j(g_j(a_i) - r_hj)`` and ``Σ_j w_sij P_j(r_hj - g_j(a_i))``, each (S, K, rows).

    ``x`` (rows, m) holds finite scores (missing ones filled with any number) and
    ``row_weights`` (S, rows, m) each row's weights in each weight set, 0 where its score is
    missing. The preferences are computed once and reduced with every weight set. The usual
    function is a comparison; the linear one is ``P(d) = clip(d / (p - q) - q / (p - q), 0, 1)``,
    computed with the profiles pre-scaled and pre-shifted so that each direction is one
    subtraction and one clip.
    """
    n, m = x.shape
    k = profiles.shape[0]
    linear = preference.kind == "linear"
    if linear:
        scale = 1.0 / (np.asarray(preference.p) - preference.q)
        shift = preference.q * scale
        x = x * scale
        ahead = profiles * scale + shift  # P(g(a) - r_h) = clip(g(a)·scale - ahead_h, 0, 1)
        behind = profiles * scale - shift  # P(r_h - g(a)) = clip(behind_h - g(a)·scale, 0, 1)

    forward = np.empty((len(row_weights), k, n))
    backward = np.empty((len(row_weights), k, n))
    part = np.empty((k, 0, m))
    for start in range(0, n, _TILE_ROWS):
        rows = slice(start, min(start + _TILE_ROWS, n))
        tile = x[rows]
        if part.shape[1] != len(tile):  # the first tile, and a shorter last one
            part = np.empty((k, len(tile), m))
        for h in range(k):
            if linear:
                np.subtract(tile, ahead[h], out=part[h])
            else:
                np.greater(tile, profiles[h], out=part[h])
        if linear:
            np.clip(part, 0.0, 1.0, out=part)
        forward[:, :, rows] = np.einsum("hij,sij->shi", part, row_weights[:, rows])
        for h in range(k):
            if linear:
                np.subtract(behind[h], tile, out=part[h])
            else:
                np.less(tile, profiles[h], out=part[h])
        if linear:
            np.clip(part, 0.0, 1.0, out=part)
        backward[:, :, rows] = np.einsum("hij,sij->shi", part, row_weights[:, rows])
    return forward, backward


def _checked_row_weights(weights: np.ndarray, sets: int, rows: slice, m: int) -> np.ndarray:
    """The per-alternative weights a ``weights_for`` callable returned, checked: (S, rows, m),
    finite and ``>= 0``."""
    w = np.asarray(weights, dtype=float)
    expected = (sets, rows.stop - rows.start, m)
    if w.shape != expected:
        raise ValueError(f"per-alternative weights must have shape {expected}, got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = np.argwhere(~np.isfinite(w) | (w < 0))[0]
        raise ValueError(f"weights must be finite and >= 0: weight set {bad[0]}, alternative "
                         f"{rows.start + bad[1]}, criterion {bad[2]} is {w[tuple(bad)]}")
    return w


def _closest(value: np.ndarray, centres: np.ndarray, ties: Ties = "better") -> np.ndarray:
    """Index (row of ``centres``, (K, rows)) of the centre closest to each value; ties go to
    the lowest index (``"better"``) or the highest (``"worse"``).

    >>> centres = np.array([[0.5], [0.0], [-0.5]])
    >>> _closest(np.array([0.25]), centres), _closest(np.array([0.25]), centres, "worse")
    (array([0]), array([1]))
    """
    distance = np.abs(centres - value)
    within = distance.min(axis=0) + _TIE_TOLERANCE
    k = centres.shape[0]
    order = range(k - 1, -1, -1) if ties == "better" else range(k)
    index = np.empty(value.shape, dtype=np.int64)
    for h in order:  # the last match written wins
        np.copyto(index, h, where=distance[h] <= within)
    return index


def _sort_rows(
    x: np.ndarray,
    profiles: np.ndarray,
    weight_sets: np.ndarray,
    preference: PreferenceFunction,
    profile_sums: np.ndarray,
    rows: slice,
    results: list[FlowSortResult],
    weights_for: RowWeights | None = None,
    ties: Ties = "better",
) -> None:
    """Compute the flows and assignments of ``x[rows]`` for every weight set and write them into
    ``results[s][rows]``.

    ``profile_sums`` (2K, m) holds ``Σ_g P(r_h - r_g)`` then ``Σ_g P(r_g - r_h)`` per criterion.
    Per-row quantities are laid out (K, rows) so that sums and minima over the K profiles are
    elementwise operations on contiguous rows.
    """
    k = profiles.shape[0]
    block = x[rows]
    answered = ~np.isnan(block)
    # Weights renormalised over each row's answered criteria, before any product so that tiny
    # weights do not underflow; a row with nothing to compare on gets NaN weights, hence NaN
    # flows, without a division warning.
    if weights_for is None:
        given = weight_sets[:, np.newaxis, :]
    else:
        given = _checked_row_weights(weights_for(answered), weight_sets.shape[0], rows, block.shape[1])
    row_weights = np.where(answered, given, 0.0)  # (S, rows, m)
    total = row_weights.sum(axis=2)  # (S, rows)
    usable = total > 0
    total[~usable] = np.nan
    row_weights /= total[:, :, np.newaxis]

    between_sums = np.matmul(profile_sums, row_weights.transpose(0, 2, 1))  # (S, 2K, rows)
    forward, backward = _alternative_profile_sums(  # π(a, r_h) and π(r_h, a)
        np.where(answered, block, 0.0), row_weights, profiles, preference
    )
    for s, result in enumerate(results):
        positive = forward[s].sum(axis=0) / k
        negative = backward[s].sum(axis=0) / k
        profiles_positive = (between_sums[s, :k] + backward[s]) / k
        profiles_negative = (between_sums[s, k:] + forward[s]) / k
        for flows, profile_flows, assigned, flow, profile_flow in (
            (result.net_flow, result.profile_net_flows, result.classes,
             positive - negative, profiles_positive - profiles_negative),
            (result.positive_flow, result.profile_positive_flows, result.classes_positive,
             positive, profiles_positive),
            (result.negative_flow, result.profile_negative_flows, result.classes_negative,
             negative, profiles_negative),
        ):
            flows[rows] = flow
            profile_flows.T[:, rows] = profile_flow
            assigned[rows] = np.where(usable[s], _closest(flow, profile_flow, ties), -1)


def net_flow_sort(
    filled: np.ndarray,
    weights: np.ndarray,
    profiles: np.ndarray,
    preference: PreferenceFunction,
    ties: Ties = "better",
    partial: np.ndarray | None = None,
    partial_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """FlowSort by net flow only, for a block of alternatives: ``(net flows (b, S), classes (b, S))``.

    The same assignments as :func:`flowsort_many`'s ``classes`` and the same ``net_flow`` (up to
    rounding), with a fraction of the work: net flows only need, per profile ``r_h``, the net
    preference ``N_h(a) = Σ_j w_j [P(g_j(a) - r_hj) - P(r_hj - g_j(a))]``, one odd function of each
    difference (``clip(d / p, -1, 1)`` for the linear function without indifference), since
    ``φ(a) = Σ_h N_h(a) / K`` and ``φ(r_h) = (Σ_j w_j Σ_g [P(r_hj - r_gj) - P(r_gj - r_hj)] - N_h(a)) / K``.

    ``filled`` (b, m): scores with the missing ones filled with any finite number (they weigh 0);
    ``weights`` (S, m): every row's weights, already summing to 1 per set; rows where ``partial``
    (b,) is true take theirs from ``partial_weights`` (p, S, m) instead (0 where missing; a set
    whose weights are all 0 gives NaN and class -1). ``profiles`` (K, m) as for :func:`flowsort`.
    A kernel for blocks of checked data (``core.pipeline``): the inputs are not validated here.

    >>> pref = PreferenceFunction(kind="linear", q=0.0, p=0.25)
    >>> profiles = np.array([[0.8, 0.8], [0.5, 0.5], [0.2, 0.2]])
    >>> net, cls = net_flow_sort(np.array([[0.9, 0.7], [0.1, 0.3]]), np.array([[0.5, 0.5]]), profiles, pref)
    >>> cls.tolist()
    [[0], [2]]
    >>> full = flowsort(np.array([[0.9, 0.7], [0.1, 0.3]]), profiles, np.array([0.5, 0.5]), pref)
    >>> bool(np.allclose(net[:, 0], full.net_flow)), full.classes.tolist()
    (True, [0, 2])
    """
    b, m = filled.shape
    k = profiles.shape[0]
    sets = weights.shape[0]
    between = preference(profiles[:, np.newaxis, :] - profiles[np.newaxis, :, :])  # [h, g] = P(r_h - r_g)
    between_net = between.sum(axis=1) - between.sum(axis=0)  # (K, m)
    odd = np.empty((k, b, m))
    if preference.kind == "linear" and not np.any(np.asarray(preference.q)):
        scale = 1.0 / np.asarray(preference.p)
        scaled = filled * scale
        shifts = profiles * scale
        if np.all(shifts == shifts[:, :1]):
            shifts = shifts[:, :1]  # one profile value per class on every criterion: a scalar subtraction
        for h in range(k):
            np.subtract(scaled, shifts[h, 0] if shifts.shape[1] == 1 else shifts[h], out=odd[h])
        np.clip(odd, -1.0, 1.0, out=odd)
    else:
        for h in range(k):
            odd[h] = preference(filled - profiles[h]) - preference(profiles[h] - filled)
    # N_h(a) per set, laid out (K, S, b): sums over the profiles and distances are contiguous rows
    net_pref = np.matmul(weights, odd.transpose(0, 2, 1))
    profile_part = np.empty((k, sets, b))
    profile_part[...] = (weights @ between_net.T).T[:, :, np.newaxis]
    usable = np.ones((sets, b), dtype=bool)
    if partial is not None and partial_weights is not None and partial.any():
        pw = partial_weights
        total = pw.sum(axis=2)  # (p, S)
        ok = total > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            pw = pw / np.where(ok, total, np.nan)[:, :, np.newaxis]
        rows = np.flatnonzero(partial)
        net_pref[:, :, rows] = np.einsum("hpm,psm->hsp", odd[:, rows], pw)
        profile_part[:, :, rows] = (pw @ between_net.T).transpose(2, 1, 0)
        usable[:, rows] = ok.T
    phi = net_pref.sum(axis=0)
    phi /= k  # (S, b)
    profile_flows = np.subtract(profile_part, net_pref, out=profile_part)
    profile_flows /= k  # (K, S, b)
    closest = _closest(phi.reshape(sets * b), profile_flows.reshape(k, sets * b), ties).reshape(sets, b)
    classes = np.where(usable, closest, -1).astype(np.int8 if k <= 127 else np.int16).T
    flow = phi.T
    return flow, classes


def flowsort(
    scores: np.ndarray,
    profiles: np.ndarray,
    weights: np.ndarray,
    preference: PreferenceFunction = PreferenceFunction(),
    ties: Ties = "better",
) -> FlowSortResult:
    """Sort alternatives into ordered classes with FlowSort and central profiles.

    Nemery & Lamboray (2008), FlowSort, TOP 16:90-113, with PROMETHEE preference functions
    (Brans & Vincke 1985). See the module docstring for the definitions.

    Args:
        scores: (n, m) criterion scores to maximise, NaN when missing; a (m,) array is one
            alternative.
        profiles: (K, m) central profiles, best class first, each strictly dominating the next
            (``>=`` on every criterion and ``>`` on at least one).
        weights: (m,) criterion weights, ``>= 0`` with a positive sum; only their ratios matter.
        preference: the preference function, the same kind for every criterion.
        ties: an exact tie between two profiles goes to the ``"better"`` class or the ``"worse"``.

    Returns:
        The assignments by closest net, positive and negative flow, and the flows.

    Raises:
        ValueError: on inconsistent shapes, non-dominating profiles, negative, all-zero or
            overflowing weights, non-finite profiles or thresholds, or infinite scores.
    """
    return flowsort_many(scores, profiles, np.asarray(weights, dtype=float)[np.newaxis], preference, ties=ties)[0]


def flowsort_many(
    scores: np.ndarray,
    profiles: np.ndarray,
    weight_sets: np.ndarray,
    preference: PreferenceFunction = PreferenceFunction(),
    weights_for: RowWeights | None = None,
    ties: Ties = "better",
) -> list[FlowSortResult]:
    """:func:`flowsort` of the same alternatives and profiles under several weight sets
    ``(S, m)`` (e.g. one per index), computing the preferences once: one result per set.

    ``weights_for``, if given, replaces the renormalisation of the weight sets over each
    alternative's answered criteria: called with a block's answered mask ``(rows, m)`` it returns
    that block's weights ``(S, rows, m)`` (e.g. each firm's effective activity weights in each
    index, ``ScoringModel.effective_activity_weights``), computed block by block so that no
    ``(S, n, m)`` array is ever held; they are renormalised over the answered criteria too, and an
    alternative whose answered criteria all weigh 0 in a set gets class -1 and NaN flows in it.
    """
    if ties not in TIE_RULES:
        raise ValueError(f"unknown tie rule {ties!r}; use {' or '.join(map(repr, TIE_RULES))}")
    x, r, w = _validate(scores, profiles, weight_sets, preference)
    n = x.shape[0]
    k = r.shape[0]

    # P between profiles: (K, K, m), [h, g] = P(r_h - r_g). Its sums over g (outgoing) and over
    # h (incoming), weighted, give Σ_g π(r_h, r_g) and Σ_g π(r_g, r_h) for every row at once.
    between = preference(r[:, np.newaxis, :] - r[np.newaxis, :, :])
    profile_sums = np.concatenate([between.sum(axis=1), between.sum(axis=0)])  # (2K, m)

    results = [
        FlowSortResult(
            classes=np.empty(n, dtype=np.int64),
            net_flow=np.empty(n),
            positive_flow=np.empty(n),
            negative_flow=np.empty(n),
            # (n, K) views of (K, n) arrays: the blocks write whole contiguous rows of each profile
            profile_net_flows=np.empty((k, n)).T,
            profile_positive_flows=np.empty((k, n)).T,
            profile_negative_flows=np.empty((k, n)).T,
            classes_positive=np.empty(n, dtype=np.int64),
            classes_negative=np.empty(n, dtype=np.int64),
        )
        for _ in range(len(w))
    ]
    over_row_blocks(n, _BLOCK_ROWS,
                    lambda rows: _sort_rows(x, r, w, preference, profile_sums, rows, results, weights_for, ties))
    return results
