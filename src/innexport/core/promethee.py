r"""PROMETHEE II net flows in O(n log n) per criterion, and the GAIA plane (pure numpy).

What this module decides: how ``n`` alternatives (an organisation's firms, a population's firms)
are ranked by PROMETHEE II on ``k`` criteria to be maximised (dimension or activity scores) with
weights, and where they sit on the GAIA plane. Sources: J.-P. Brans and Ph. Vincke (1985), "A
preference ranking organisation method (The PROMETHEE method for multiple criteria
decision-making)", *Management Science* 31(6):647–656; J.-P. Brans and B. Mareschal (2005),
"PROMETHEE methods", ch. 5 of Figueira, Greco & Ehrgott (eds.), *Multiple Criteria Decision
Analysis: State of the Art Surveys*, Springer, 163–195 (the GAIA plane, §5.5).

**Definitions** (Brans & Mareschal 2005, §5.3–5.4). For criterion ``j`` with values ``x`` and the
difference ``d = x_a − x_b``, the preference of ``a`` over ``b`` is ``P(d)`` (0 when ``d ≤ 0``):

* ``usual`` (type I): ``P(d) = 1`` if ``d > 0``, else 0 (ties give 0 both ways);
* ``vshape`` (type III, threshold ``p > 0``): ``P(d) = d/p`` for ``0 < d ≤ p``, 1 beyond;
* ``linear`` (type V, ``0 ≤ q < p``): 0 for ``d ≤ q``, ``(d − q)/(p − q)`` for ``q < d ≤ p``, 1
  beyond (``vshape`` is ``linear`` with ``q = 0``).

The unicriterion net flow is ``φ_j(a) = 1/(n−1) · Σ_b [P(x_a − x_b) − P(x_b − x_a)]``; with weights
``w`` normalised to sum 1, the PROMETHEE II net flow is ``φ(a) = Σ_j w_j φ_j(a)`` (the net flow
is the weighted sum of the unicriterion flows), between −1 and 1, higher is better.

**Derivation of the O(n log n) algorithm.** Computed pair by pair the flows take O(k n²). But for
one criterion, ``Σ_b P(x_a − x_b)`` depends only on where the other values fall relative to
``x_a``. Sort the values, ``s_1 ≤ … ≤ s_n``, and take the prefix sums ``S_m = s_1 + … + s_m``
(``S_0 = 0``). For the *linear* function (``q < p``):

* the values ``x_b ≤ x_a − p`` count 1 each: ``L = #{m : s_m ≤ x_a − p}`` of them;
* the values ``x_a − p < x_b < x_a − q`` count ``(x_a − q − x_b)/(p − q)``; they are ``s_{L+1} …
  s_H`` with ``H = #{m : s_m < x_a − q}``, so together ``[(H − L)(x_a − q) − (S_H − S_L)]/(p − q)``;
* the others count 0.

Hence ``Σ_b P(x_a − x_b) = L + [(H − L)(x_a − q) − (S_H − S_L)]/(p − q)``. Symmetrically, with
``L' = #{m : s_m ≤ x_a + q}`` and ``H' = #{m : s_m < x_a + p}``, ``Σ_b P(x_b − x_a) = (n − H') +
[(S_{H'} − S_{L'}) − (H' − L')(x_a + q)]/(p − q)``. (``P`` is continuous, so a value on a threshold
counts the same on either side.) For the *usual* function ``Σ_b [P(x_a − x_b) − P(x_b − x_a)] =
#{s_m < x_a} − #{s_m > x_a}``. Each count is a binary search in the sorted values (``searchsorted``),
so one criterion costs a sort and ``O(n log n)`` searches, and the flows are exact (no
approximation; floating-point rounding only). The values are shifted by their median before the
prefix sums of the linear case (the flows do not change under a shift) to keep the sums small.

**GAIA** (Brans & Mareschal 2005, §5.5): the principal component analysis of the unicriterion net
flow matrix ``Φ`` (n × k; its columns have mean 0). With the eigen-decomposition of the covariance
``C = ΦᵀΦ / n``, eigenvalues ``λ_1 ≥ … ≥ λ_k`` and eigenvectors ``u_1 … u_k``: the firms are at
``(Φ u_1, Φ u_2)``, criterion ``j`` is the axis ``(u_1[j], u_2[j])`` (the unit vector ``e_j``
projected), the decision stick ``π`` is the weight vector projected, ``(w·u_1, w·u_2)``, and
``δ = (λ_1 + λ_2) / Σλ`` is the share of the information the plane keeps. An eigenvector's sign is
arbitrary; here each is turned so that the decision stick has non-negative coordinates (when the
stick is orthogonal to a component, so that its largest loading is positive).

Arrays in, arrays out; refusals are :class:`ValueError` naming the criterion (its column number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import numpy.typing as npt

PreferenceKind = Literal["usual", "vshape", "linear"]
PREFERENCE_FUNCTIONS: tuple[PreferenceKind, ...] = ("usual", "vshape", "linear")
"""The preference functions offered (types I, III and V of Brans & Vincke 1985)."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Preference:
    """One criterion's preference function: ``kind`` with indifference ``q`` and preference ``p``.

    >>> Preference("linear", q=1.0, p=3.0)(np.array([0.5, 2.0, 4.0])).tolist()
    [0.0, 0.5, 1.0]
    """

    kind: PreferenceKind = "usual"
    q: float = 0.0
    p: float = 0.0

    def check(self, where: str) -> None:
        """Refuse thresholds the kind does not take (``where`` names the criterion).

        >>> Preference("vshape", p=0.0).check("criterion 0")
        Traceback (most recent call last):
        ...
        ValueError: criterion 0: vshape needs p > 0, not 0.0
        """
        q, p = float(self.q), float(self.p)
        if self.kind not in PREFERENCE_FUNCTIONS:
            raise ValueError(f"{where}: preference function {self.kind!r} is not one of {', '.join(PREFERENCE_FUNCTIONS)}")
        if not (np.isfinite(q) and np.isfinite(p)):
            raise ValueError(f"{where}: q and p must be finite numbers, not q={q}, p={p}")
        if self.kind == "usual" and (q != 0 or p != 0):
            raise ValueError(f"{where}: usual takes no threshold (q={q}, p={p}); use linear")
        if self.kind == "vshape" and (q != 0 or p <= 0):
            raise ValueError(f"{where}: vshape needs p > 0, not {p}" if q == 0 else
                             f"{where}: vshape takes no q (q={q}); use linear")
        if self.kind == "linear" and not 0 <= q < p:
            raise ValueError(f"{where}: linear needs 0 ≤ q < p, not q={q}, p={p}")

    def __call__(self, d: FloatArray) -> FloatArray:
        """``P(d)`` element-wise (the definition, pair by pair; used to check the fast flows)."""
        d = np.asarray(d, dtype=float)
        if self.kind == "usual":
            return (d > 0).astype(float)
        return cast(FloatArray, np.clip((d - self.q) / (self.p - self.q), 0.0, 1.0))


def _preferences(functions: Preference | Sequence[Preference] | None, k: int) -> list[Preference]:
    if functions is None:
        functions = Preference()
    prefs = [functions] * k if isinstance(functions, Preference) else list(functions)
    if len(prefs) != k:
        raise ValueError(f"promethee: {len(prefs)} preference functions for {k} criteria")
    for j, pref in enumerate(prefs):
        pref.check(f"criterion {j}")
    return prefs


def _values(values: npt.ArrayLike) -> FloatArray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"promethee: values must be a table of firms × criteria, not of shape {x.shape}")
    if x.shape[0] < 2:
        raise ValueError(f"promethee: flows need at least 2 alternatives, not {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError("promethee: flows need at least 1 criterion")
    bad = ~np.isfinite(x)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"promethee: criterion {col} has no finite value for alternative {row} ({x[row, col]})")
    return x


def _column_flow(x: FloatArray, pref: Preference) -> FloatArray:
    """The unicriterion net flow of one column (see the derivation in the module docstring).

    The searches are made with the sorted values as needles (each search then starts where the
    previous one ended, many times faster than in the firms' order) and scattered back.
    """
    n = len(x)
    order = np.argsort(x)  # tied values get the same flow, whatever their order
    s = x[order]
    flow = np.empty(n)
    if pref.kind == "usual":
        less = np.searchsorted(s, s, "left")
        greater = n - np.searchsorted(s, s, "right")
        flow[order] = (less - greater) / (n - 1)
        return flow
    q, p = float(pref.q), float(pref.p)
    s = s - s[n // 2]
    cum = np.concatenate(([0.0], np.cumsum(s)))
    lo = np.searchsorted(s, s - p, "right")
    hi = np.maximum(np.searchsorted(s, s - q, "left"), lo)
    plus = lo + ((hi - lo) * (s - q) - (cum[hi] - cum[lo])) / (p - q)
    lo2 = np.searchsorted(s, s + q, "right")
    hi2 = np.maximum(np.searchsorted(s, s + p, "left"), lo2)
    minus = (n - hi2) + ((cum[hi2] - cum[lo2]) - (hi2 - lo2) * (s + q)) / (p - q)
    flow[order] = (plus - minus) / (n - 1)
    return flow


def unicriterion_flows(values: npt.ArrayLike,
                       functions: Preference | Sequence[Preference] | None = None) -> FloatArray:
    """The unicriterion net flows ``Φ`` (n × k) of ``values`` (n alternatives × k criteria, maximised).

    ``functions``: one :class:`Preference` for all criteria or one per criterion (default: usual).

    >>> unicriterion_flows([[4, 3], [3, 2], [5, 1]]).tolist()
    [[0.0, 1.0], [-1.0, 0.0], [1.0, -1.0]]
    """
    x = _values(values)
    prefs = _preferences(functions, x.shape[1])
    columns = np.ascontiguousarray(x.T)  # a strided column sorts several times slower
    return np.column_stack([_column_flow(columns[j], prefs[j]) for j in range(x.shape[1])])


def normalised_weights(weights: npt.ArrayLike, k: int) -> FloatArray:
    """``weights`` divided by their sum, after checking there are ``k`` of them, ≥ 0, not all 0.

    >>> normalised_weights([1, 3], 2).tolist()
    [0.25, 0.75]
    """
    w = np.asarray(weights, dtype=float).reshape(-1)
    if w.shape != (k,):
        raise ValueError(f"promethee: {w.size} weights for {k} criteria")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"promethee: weights must be finite, ≥ 0 and not all 0, not {w.tolist()}")
    return cast(FloatArray, w / w.sum())


def net_flows(values: npt.ArrayLike, weights: npt.ArrayLike,
              functions: Preference | Sequence[Preference] | None = None) -> FloatArray:
    """The PROMETHEE II net flows ``φ = Φ w`` (weights normalised to sum 1), one per alternative.

    >>> net_flows([[4, 3, 2], [3, 2, 4], [5, 1, 3]], [0.5, 0.3, 0.2]).round(12).tolist()
    [0.1, -0.3, 0.2]
    """
    flows = unicriterion_flows(values, functions)
    return flows @ normalised_weights(weights, flows.shape[1])


@dataclass(frozen=True)
class Gaia:
    """The GAIA plane: ``firms`` (n × 2) and ``criteria`` (k × 2) coordinates, the decision
    ``stick`` (2,), ``delta`` (share of the information kept) and all ``eigenvalues`` (descending)."""

    firms: FloatArray
    criteria: FloatArray
    stick: FloatArray
    delta: float
    eigenvalues: FloatArray


def gaia(flows: npt.ArrayLike, weights: npt.ArrayLike) -> Gaia:
    """The GAIA plane of the unicriterion net flows ``flows`` (n × k, k ≥ 2) with ``weights``.

    When every flow is 0 (all alternatives alike) every coordinate is 0 and ``delta`` is 1
    (nothing is lost).

    >>> g = gaia(unicriterion_flows([[4, 3, 2], [3, 2, 4], [5, 1, 3]]), [0.5, 0.3, 0.2])
    >>> round(g.delta, 12), g.firms.shape, g.criteria.shape, bool((g.stick >= 0).all())
    (1.0, (3, 2), (3, 2), True)
    """
    phi = np.asarray(flows, dtype=float)
    if phi.ndim != 2 or phi.shape[0] < 2 or phi.shape[1] < 2:
        raise ValueError(f"gaia: needs a flow table of ≥ 2 alternatives × ≥ 2 criteria, not of shape {phi.shape}")
    if not np.isfinite(phi).all():
        raise ValueError("gaia: the flow table holds a value that is not a finite number")
    w = normalised_weights(weights, phi.shape[1])
    centred = phi - phi.mean(axis=0)
    cov = centred.T @ centred / phi.shape[0]
    eigenvalues, vectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = np.clip(eigenvalues[order], 0.0, None)
    u = vectors[:, order[:2]]
    for i in range(2):
        along = float(w @ u[:, i])
        if along < -1e-12 or (abs(along) <= 1e-12 and u[np.argmax(np.abs(u[:, i])), i] < 0):
            u[:, i] = -u[:, i]
    total = float(eigenvalues.sum())
    delta = float(eigenvalues[:2].sum() / total) if total > 0 else 1.0
    return Gaia(firms=cast(FloatArray, centred @ u), criteria=cast(FloatArray, u.copy()),
                stick=cast(FloatArray, w @ u), delta=delta, eigenvalues=cast(FloatArray, eigenvalues))


@dataclass(frozen=True)
class Ranking:
    """PROMETHEE II and GAIA of the complete rows of a table (see :func:`rank_alternatives`).

    ``kept``: which rows had every value (n,); then for those m rows: ``net_flow`` (m,), ``rank``
    (m,; 1 = best, net flows equal to 12 decimals share the best rank), the unicriterion ``flows``
    (m × k); the normalised ``weights`` (k,) and the GAIA ``plane``."""

    kept: npt.NDArray[np.bool_]
    net_flow: FloatArray
    rank: npt.NDArray[np.int64]
    flows: FloatArray
    weights: FloatArray
    plane: Gaia


def rank_alternatives(values: npt.ArrayLike, weights: npt.ArrayLike,
                      functions: Preference | Sequence[Preference] | None = None) -> Ranking:
    """PROMETHEE II ranks and the GAIA plane of the rows of ``values`` that have every value.

    A row lacking a value (NaN) is left out (``kept`` False): PROMETHEE compares complete profiles.
    Refused (:class:`ValueError`) when fewer than 2 rows are complete or fewer than 2 criteria.

    >>> r = rank_alternatives([[4, 3, 2], [3, 2, 4], [np.nan, 0, 0], [5, 1, 3]], [0.5, 0.3, 0.2])
    >>> r.kept.tolist(), r.net_flow.round(12).tolist(), r.rank.tolist()
    ([True, True, False, True], [0.1, -0.3, 0.2], [2, 3, 1])
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"promethee: needs a table of firms × at least 2 criteria, not of shape {x.shape}")
    kept = ~np.isnan(x).any(axis=1)
    if kept.sum() < 2:
        raise ValueError(f"promethee: needs at least 2 alternatives with every value, not {int(kept.sum())}")
    flows = unicriterion_flows(x[kept], functions)
    w = normalised_weights(weights, x.shape[1])
    flow = flows @ w
    key = np.sort(np.round(flow, 12))
    rank = (len(key) - np.searchsorted(key, np.round(flow, 12), "right") + 1).astype(np.int64)
    return Ranking(kept=kept, net_flow=flow, rank=rank, flows=flows, weights=w, plane=gaia(flows, w))
