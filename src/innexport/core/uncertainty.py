"""How far a diagnostic's result can be trusted: Monte Carlo intervals and stabilities, and the
stability intervals of the dimension weights.

**Monte Carlo** (:func:`simulate`). Each of ``draws`` draws of one firm re-creates what its answers
could have been:

a. every question left unanswered or answered "don't know" gets a level drawn from the empirical
   distribution of that question's answers among ``peers`` (an ``(m, O)`` array of peer firms'
   answer values), or uniformly over the question's scale levels when no peers are given or
   fewer than :data:`MIN_PEERS` of them answered it;
b. a firm answered by several respondents (``respondent_values[i]``, ``(R, O)``) has its R
   respondents resampled with replacement (the bootstrap, Efron & Tibshirani 1993), and each
   question gets the consolidation rule of the resampled team
   (:func:`innexport.core.respondents.lower_median`: the median level, the lower middle one for an
   even count, "don't know" never hiding a scored answer); a question no resampled respondent
   scored is then drawn as in (a). Questions whose answer an advisor reviewed (``fixed``, an
   ``(n, O)`` boolean mask) keep the consolidated value in every draw: the advisor's word is not
   resampled (a fixed question without a scored answer is still drawn as in (a));
c. a framework whose weights come from AHP judgements with at least two experts at some level
   (``ahp.experts``) has, at each such level, its experts resampled with replacement and that
   level's weights recomputed by :mod:`innexport.core.ahp` (geometric mean of the judgements,
   then the principal eigenvector; Saaty 1980, Aczél & Saaty 1983). Otherwise the weights are
   fixed and ``weights`` is not a source of variation.

Every draw is then scored, classified and prioritised with the core's own rules, on a fully
answered firm: an index is its activities' scores times the framework's full index weights
(:meth:`innexport.core.scoring.ScoringModel.index_activity_weights`, what
:func:`innexport.core.scoring.score` gives for a firm with every question answered), the classes
are :func:`innexport.core.classes.classify`'s, and the priorities' targets, tie order and "top"
rule are :func:`innexport.core.priorities.prioritise`'s and
:meth:`innexport.core.assessment.FirmResult.top_priorities`'s (the first
:data:`~innexport.core.priorities.TOP_PRIORITIES` activities with a gap above
:data:`~innexport.core.priorities.TOLERANCE`).

Per firm and index: the **interval** is the central ``level`` percentile interval of the drawn
values (numpy's default linear interpolation between order statistics, Hyndman & Fan 1996 type
7), widened when needed so that it always contains the point value (the point value is computed
on the answers as given, with weights renormalised over what was answered, so it need not lie in
the middle of the draws); ``class_stability`` is the share of draws whose threshold class is the
point class. Per activity: ``top_probability`` is the share of draws in which it is among the top
priorities.

Reproducible: ``seed=None`` gives each firm the seed :func:`firm_seed` (from its id and the
framework's content hash: the same on every run and machine, whatever other firms are diagnosed
with it); numpy's ``Generator(PCG64)``. The resampled weights (c) are drawn once per call from
:func:`weights_seed` and shared by every firm, so that the AHP weights are computed once per
distinct resample of the experts, not once per firm. Vectorised: draws × firms is one matrix
processed in blocks of :data:`BLOCK_ROWS` rows on every core; the only per-firm Python step is
seeding the firm's generator and drawing its uniform numbers.

**Stability intervals of the weights** (:func:`weight_ranges`). Dimension ``d``'s weight ``w_d`` is
moved to ``t`` in [0, 1] and the other dimension weights are rescaled proportionally,
``w_e(t) = w_e (1 − t) / (1 − w_d)``, so that they still sum to 1 (the one-at-a-time sensitivity of
Saltelli et al. 2008, ch. 1, along the simplex; Triantaphyllou & Sánchez 1997 for weights of
multi-criteria decisions). With the rule for unassessed activities
(:meth:`~innexport.core.scoring.ScoringModel.effective_activity_weights`), an index is
``Σ_e w_e u_e S_e / Σ_e w_e u_e`` with ``S_e`` the index's score within dimension ``e`` and ``u_e``
whether the firm assessed any of the index's activities in it: a ratio of two affine functions of
``t`` (affine when every dimension is assessed), monotone, so each class threshold is crossed at
most once and at an exact ``t``. The class interval of an index is the interval around ``w_d``
bounded by those crossings. The first priority's interval is found on a grid of
:data:`GRID_POINTS` points of [0, 1] with :func:`~innexport.core.priorities.prioritise` itself, then
refined by bisection to :data:`BISECTION_TOLERANCE`.

Sources: Efron, B. & Tibshirani, R. J. (1993), *An Introduction to the Bootstrap*, Chapman & Hall
(resampling with replacement; the percentile interval, ch. 13); Hyndman, R. J. & Fan, Y. (1996),
"Sample quantiles in statistical packages", *The American Statistician* 50(4), 361–365; Saaty,
T. L. (1980), *The Analytic Hierarchy Process*, McGraw-Hill; Aczél, J. & Saaty, T. L. (1983),
"Procedures for synthesizing ratio judgements", *J. Math. Psychology* 27(1), 93–102; Saltelli, A.
et al. (2008), *Global Sensitivity Analysis. The Primer*, Wiley; Triantaphyllou, E. & Sánchez, A.
(1997), "A sensitivity analysis approach for some deterministic multi-criteria decision-making
methods", *Decision Sciences* 28(1), 151–194. docs/method.md, "Intervals and stability" and
"Sensitivity to the weights", describes them for users.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from innexport.core import ahp as ahp_mod
from innexport.core.classes import ROUNDING, classify, thresholds
from innexport.core.framework import AHPJudgements, Framework
from innexport.core.parallel import over_row_blocks
from innexport.core.priorities import TOLERANCE, TOP_PRIORITIES, prioritise
from innexport.core.scoring import Scores, ScoringModel, score

DRAWS = 1000
"""Monte Carlo draws per firm by default (0 disables the intervals)."""
LEVEL = 0.90
"""Central share of the draws an interval holds by default."""
MIN_PEERS = 5
"""Fewest peer answers to a question for its missing answers to be drawn from the peers (else uniformly)."""
STABLE = 0.90
"""A class is called stable when at least this share of the draws keep it (``class_stability >= STABLE``),
borderline otherwise: the one threshold of the results page, the report and the readers of the JSON."""
MAX_DRAWS = 100_000
"""Most draws per firm one call accepts (a bounded refusal beyond)."""
BLOCK_ROWS = 8_192
"""Rows (firm × draw) drawn and scored at once: a block's arrays stay within the CPU's caches."""
GRID_POINTS = 201
"""Points of [0, 1] on which the first priority is evaluated per dimension weight, before bisection."""
BISECTION_TOLERANCE = 1e-7
"""Precision of the first priority's stability bounds."""
GRID_FIRMS = 256
"""Firms whose first priorities are evaluated on the whole grid at once."""

Source = Literal["unanswered", "respondents", "weights"]


def firm_seed(firm_id: str, content_hash: str) -> int:
    """The seed of a firm's draws when none is given: from its id and the framework's content hash
    (52 bits, so that it survives JSON readers that hold numbers as doubles).

    >>> firm_seed("fr-acme", "sha256:00") == firm_seed("fr-acme", "sha256:00") != firm_seed("fr-acme", "sha256:01")
    True
    """
    digest = hashlib.sha256(f"{content_hash}\x00{firm_id}".encode()).hexdigest()
    return int(digest[:13], 16)


def weights_seed(content_hash: str, seed: int | None) -> int:
    """The seed of the resampled AHP weights: ``seed`` when given, else from the content hash alone.

    >>> weights_seed("sha256:00", 7), weights_seed("sha256:00", None) == weights_seed("sha256:00", None)
    (7, True)
    """
    return seed if seed is not None else firm_seed("", content_hash)


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """What :func:`simulate` computes for n firms (arrays; NaN where an index is not scored)."""

    draws: int
    level: float
    low: np.ndarray  # (n, 3) interval of IIP, IEP, IIEP (widened to hold the point value)
    high: np.ndarray  # (n, 3)
    drawn_low: np.ndarray  # (n, 3) the draws' percentile interval before it is widened
    drawn_high: np.ndarray  # (n, 3)
    stability: np.ndarray  # (n, 3) share of draws in the point class
    top_probability: np.ndarray  # (n, A) share of draws with the activity among the top priorities
    seeds: list[int]
    sources: list[list[Source]]
    unanswered_from: list[Literal["peers", "uniform"]]


@dataclass(frozen=True, eq=False)
class WeightRanges:
    """What :func:`weight_ranges` computes for n firms over the D dimensions."""

    weights: np.ndarray  # (D,) the dimension weights
    classes: np.ndarray  # (n, D, 3, 2) [low, high] per index; NaN where the index is not scored
    priority: np.ndarray  # (n, D, 2) [low, high] of the first priority; NaN where none


# --- checking the inputs ----------------------------------------------------------------------------


def _check(model: ScoringModel, values: np.ndarray, draws: int, level: float, peers: np.ndarray | None,
           respondent_values: Sequence[np.ndarray | None] | None, fixed: np.ndarray | None,
           ids: Sequence[str]) -> None:
    n, o = values.shape
    if o != len(model.observable_ids):
        raise ValueError(f"expected {len(model.observable_ids)} answer values per firm, got {o}")
    whole = not isinstance(draws, bool) and isinstance(draws, (int, np.integer))  # callers outside mypy's reach
    if not (whole and 0 < draws <= MAX_DRAWS):
        raise ValueError(f"draws must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}")
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be a share strictly between 0 and 1 (e.g. 0.9), got {level!r}")
    if len(ids) != n:
        raise ValueError(f"expected {n} firm ids, got {len(ids)}")
    if peers is not None and (peers.ndim != 2 or peers.shape[1] != o):
        raise ValueError(f"peers must be an (m, {o}) array of answer values, got shape {peers.shape}")
    if respondent_values is not None:
        if len(respondent_values) != n:
            raise ValueError(f"respondent_values must have one entry per firm ({n}), got {len(respondent_values)}")
        for i, team in enumerate(respondent_values):
            if team is not None and (np.ndim(team) != 2 or np.shape(team)[1] != o or np.shape(team)[0] == 0):
                raise ValueError(f"firm {ids[i]}: its respondents' values must be an (R, {o}) array, "
                                 f"got shape {np.shape(team)}")
    if fixed is not None and np.shape(fixed) != (n, o):
        raise ValueError(f"fixed must be an ({n}, {o}) boolean array, got shape {np.shape(fixed)}")


# --- the level each draw gives an unanswered question --------------------------------------------------


def _level_tables(model: ScoringModel, peers: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(O, L) level values (padded with the top value), (O, L-1) cumulative probabilities of the
    levels but the last (padded with 1: never reached), (O,) whether the peers' answers are used."""
    fw = model.framework
    scales = [fw.scale_by_id[fw.observable_by_id[o].scale].values for o in model.observable_ids]
    width = max(len(v) for v in scales)
    values = np.array([np.pad(v, (0, width - len(v)), mode="edge") for v in scales])
    prob = np.array([np.pad(np.full(len(v), 1.0 / len(v)), (0, width - len(v))) for v in scales])
    from_peers = np.zeros(len(scales), dtype=bool)
    if peers is not None:
        known = ~np.isnan(peers)
        # each peer answer is one of its scale's levels (encode gives level values); the nearest level counts it
        nearest = np.abs(np.where(known, peers, -9.0)[:, :, None] - values[None]).argmin(axis=2)  # (m, O)
        counts = np.stack([((nearest == k) & known).sum(axis=0) for k in range(width)], axis=1).astype(float)
        for j, v in enumerate(scales):
            counts[j, len(v):] = 0.0
        enough = known.sum(axis=0) >= MIN_PEERS
        prob = np.where(enough[:, None], counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0), prob)
        from_peers = enough
    cumulative = np.cumsum(prob, axis=1)[:, :-1]
    cumulative = np.where(np.arange(width - 1)[None] >= np.array([len(v) - 1 for v in scales])[:, None], 1.0,
                          cumulative)
    return values, cumulative, from_peers


# --- resampled AHP weights -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _WeightDraws:
    """Per draw: observable weights (D, O, A), index weights (D, A, 3), leverage (D, A) and
    prioritise's tie order (D, A)."""

    observable: np.ndarray
    index: np.ndarray
    leverage: np.ndarray
    tie_rank: np.ndarray


def _experts(fw: Framework) -> list[tuple[str, str, AHPJudgements]]:
    """The levels whose weights come from AHP with at least two experts: (kind, parent id, judgements)."""
    out: list[tuple[str, str, AHPJudgements]] = []
    if fw.ahp is not None and len(fw.ahp.experts) >= 2 and fw.scoring.dimension_weights == "given":
        out.append(("framework", fw.id, fw.ahp))
    out.extend(("dimension", d.id, d.ahp) for d in fw.dimensions if d.ahp is not None and len(d.ahp.experts) >= 2)
    out.extend(("activity", a.id, a.ahp) for a in fw.activities if a.ahp is not None and len(a.ahp.experts) >= 2)
    return out


def _ahp_weights(judgements: AHPJudgements, counts: tuple[int, ...], children: list[str]) -> np.ndarray:
    """The children's weights when expert k's matrix counts ``counts[k]`` times (core.ahp's rules)."""
    matrices = [ahp_mod.as_pairwise(m, judgements.items) for m, c in zip(judgements.experts, counts, strict=True)
                for _ in range(c)]
    combined = ahp_mod.combine_judgements(matrices) if len(matrices) > 1 else matrices[0]
    by_id = ahp_mod.ahp(combined, judgements.items).weights_dict()
    return np.array([by_id[c] for c in children])


def _weight_draws(model: ScoringModel, draws: int, seed: int, leverage: np.ndarray | None) -> _WeightDraws | None:
    """The weights of each draw, the experts of each AHP level resampled with replacement; None when
    no level has two experts (the weights are fixed)."""
    fw = model.framework
    levels = _experts(fw)
    if not levels:
        return None
    rng = np.random.Generator(np.random.PCG64(seed))
    obs_w = np.broadcast_to(model.observable_weights, (draws, *model.observable_weights.shape)).copy()
    act_w = np.broadcast_to(model.activity_weights, (draws, *model.activity_weights.shape)).copy()
    dim_w = np.broadcast_to(model.dimension_weights, (draws, len(model.dimension_ids))).copy()
    obs_pos = {o: i for i, o in enumerate(model.observable_ids)}
    act_pos = {a: i for i, a in enumerate(model.activity_ids)}
    chosen = np.zeros((draws, len(levels)), dtype=np.intp)  # each draw's resample of each level's experts
    for lv, (kind, parent, judgements) in enumerate(levels):
        e = len(judgements.experts)
        picks = rng.integers(0, e, size=(draws, e))
        counts = np.stack([(picks == k).sum(axis=1) for k in range(e)], axis=1)
        unique, which = np.unique(counts, axis=0, return_inverse=True)
        if kind == "framework":
            children = list(model.dimension_ids)
        elif kind == "dimension":
            children = [a.id for a in next(d for d in fw.dimensions if d.id == parent).activities]
        else:
            children = [o.id for o in fw.activity_by_id[parent].observables]
        table = np.array([_ahp_weights(judgements, tuple(int(c) for c in u), children) for u in unique])
        chosen[:, lv] = np.ravel(which)
        drawn = table[chosen[:, lv]]  # (draws, children)
        if kind == "framework":
            dim_w = drawn
        elif kind == "dimension":
            col = model.dimension_ids.index(parent)
            act_w[:, [act_pos[c] for c in children], col] = drawn
        else:
            obs_w[:, [obs_pos[c] for c in children], act_pos[parent]] = drawn
    # one small model per distinct resample (a few for a few experts, at most the draws): the core's
    # own index weights, leverage and tie order
    combos, combo_of = np.unique(chosen, axis=0, return_inverse=True)
    a = len(model.activity_ids)
    index, lev, tie = np.empty((len(combos), a, 3)), np.empty((len(combos), a)), np.empty((len(combos), a), np.int64)
    for c, k in enumerate(np.unique(np.ravel(combo_of), return_index=True)[1]):
        drawn_model = dataclasses.replace(model, observable_weights=obs_w[k], activity_weights=act_w[k],
                                          dimension_weights=dim_w[k])
        index[c] = drawn_model.index_activity_weights.T
        lev[c] = drawn_model.leverage if leverage is None else leverage
        tie[c] = _tie_rank(drawn_model, leverage)
    per_draw = np.ravel(combo_of)
    return _WeightDraws(obs_w, index[per_draw], lev[per_draw], tie[per_draw])


# --- the priorities' rules, taken from core.priorities -----------------------------------------------------


def _targets_by_class(model: ScoringModel, leverage: np.ndarray | None) -> np.ndarray:
    """(C,) the priorities' target for a firm whose IIEP is in class c: prioritise's own answer for
    one firm per class (its IIEP at the class's threshold)."""
    th = thresholds(model.framework)
    n, a = len(th), len(model.activity_ids)
    probe = Scores(observables=np.zeros((n, 0)), activities=np.zeros((n, a)), dimensions=np.zeros((n, 0)),
                   indices=np.repeat(th[:, None], 3, axis=1), completeness=np.ones(n))
    targets: np.ndarray = prioritise(model, probe, leverage).target
    return targets


def _tie_rank(model: ScoringModel, leverage: np.ndarray | None) -> np.ndarray:
    """(A,) each activity's place in prioritise's tie order (0 first): its order for a firm with no gap."""
    a = len(model.activity_ids)
    probe = Scores(observables=np.zeros((1, 0)), activities=np.ones((1, a)), dimensions=np.zeros((1, 0)),
                   indices=np.ones((1, 3)), completeness=np.ones(1))
    order = prioritise(model, probe, leverage).order[0]
    rank = np.empty(a, dtype=np.int64)
    rank[order] = np.arange(a)
    return rank


def _in_top(activities: np.ndarray, target: np.ndarray, leverage: np.ndarray, tie_rank: np.ndarray) -> np.ndarray:
    """(rows, A) whether each activity is among the top priorities: gap × leverage ranked like
    prioritise (rounded to classes.ROUNDING decimals, then its tie order), keeping the first
    TOP_PRIORITIES with a gap above TOLERANCE (FirmResult.top_priorities). A key is the rounded
    priority in units of 10⁻⁹ (a whole number below 2³³) plus the tie order as a fraction of 1,
    (A − 1 − tie rank) / A: distinct and exact enough in float64 (their spacing 1/A ≫ 2⁻²⁰)."""
    a = activities.shape[1]
    gap = target[:, None] - activities
    np.maximum(gap, 0.0, out=gap)
    key = gap * (leverage * 10.0**ROUNDING)
    np.rint(key, out=key)
    key += (a - 1 - tie_rank) / a
    np.putmask(key, gap <= TOLERANCE, -1.0)
    if a <= TOP_PRIORITIES:
        out: np.ndarray = key >= 0
        return out
    kth = np.partition(key, a - TOP_PRIORITIES, axis=1)[:, a - TOP_PRIORITIES]
    out = key >= kth[:, None]
    out &= key >= 0
    return out


# --- Monte Carlo ------------------------------------------------------------------------------------------


def simulate(
    model: ScoringModel,
    values: np.ndarray,
    ids: Sequence[str],
    *,
    draws: int = DRAWS,
    level: float = LEVEL,
    seed: int | None = None,
    peers: np.ndarray | None = None,
    respondent_values: Sequence[np.ndarray | None] | None = None,
    fixed: np.ndarray | None = None,
    leverage: np.ndarray | None = None,
) -> Uncertainty:
    """Intervals, class stabilities and top-priority probabilities of n firms (the module's method).

    ``values`` (n, O): each firm's answer values as diagnosed (the consolidated ones for a team);
    ``ids``: the firms' ids (their seeds); ``peers`` (m, O): other firms' answer values;
    ``respondent_values[i]`` (R, O): firm i's respondents' values (or None); ``fixed`` (n, O):
    questions an advisor reviewed; ``leverage``: the priorities' leverage (default: the framework's).
    Bad shapes or settings raise :class:`ValueError` naming them.

    A fully answered firm, one respondent, fixed weights: nothing varies.

    >>> from innexport.files.frameworks import load_framework
    >>> model = ScoringModel.from_framework(load_framework("iiep"))
    >>> full = np.full((1, len(model.observable_ids)), 0.5)
    >>> u = simulate(model, full, ["a"], draws=50)
    >>> bool(np.all(u.low == u.high)), u.stability.tolist(), u.sources
    (True, [[1.0, 1.0, 1.0]], [[]])
    >>> half = full.copy(); half[0, ::2] = np.nan  # half the questions unanswered: the indices move
    >>> u = simulate(model, half, ["a"], draws=400, seed=1)
    >>> bool(np.all(u.low < u.high)), u.sources, u.unanswered_from
    (True, [['unanswered']], ['uniform'])
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    _check(model, values, draws, level, peers, respondent_values, fixed, ids)
    n, o = values.shape
    a = len(model.activity_ids)
    fw = model.framework
    fixed_mask = np.zeros((n, o), dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    teams: list[np.ndarray | None] = [None] * n if respondent_values is None else [
        None if t is None or np.shape(t)[0] < 2 else np.asarray(t, dtype=float) for t in respondent_values]

    point = score(model, values)
    th = thresholds(fw)
    point_cls = classify(point.indices, th)
    level_values, cumulative, from_peers = _level_tables(model, None if peers is None else np.asarray(peers, float))
    weight_draws = _weight_draws(model, draws, weights_seed(fw.content_hash, seed), leverage)
    targets = _targets_by_class(model, leverage)
    tie_rank = _tie_rank(model, leverage)
    lev = model.leverage if leverage is None else np.asarray(leverage, dtype=float)
    index_w = model.index_activity_weights.T  # (A, 3)
    seeds = [seed if seed is not None else firm_seed(i, fw.content_hash) for i in ids]

    # the questions that may vary for each firm: unanswered (or don't know) ones, and with a team the
    # questions a resampled team may leave unanswered; fixed ones vary only when they have no answer
    may_be_missing = np.isnan(values)
    varying = may_be_missing.copy()  # and with a team, the questions its respondents do not all answer alike
    for i, team in enumerate(teams):
        if team is not None:
            may_be_missing[i] |= np.isnan(team).any(axis=0) & ~fixed_mask[i]
            varying[i] |= may_be_missing[i] | ((team != team[0]).any(axis=0) & ~fixed_mask[i])
    # what does not vary is added once per firm: the activity scores of the answers that stay
    steady = np.where(varying, 0.0, values) @ model.observable_weights  # (n, A)
    counts = varying.sum(axis=1)

    low = np.full((n, 3), np.nan)
    high = np.full((n, 3), np.nan)
    drawn_low = np.full((n, 3), np.nan)
    drawn_high = np.full((n, 3), np.nan)
    stability = np.full((n, 3), np.nan)
    top_probability = np.zeros((n, a))
    quantiles = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]

    def block(firms: slice) -> None:
        rows = range(firms.start, firms.stop)
        b = len(rows)
        k = max(int(counts[firms].max()), 1)
        # each firm's varying questions, padded to k (a padding column weighs nothing)
        cols = np.zeros((b, k), dtype=np.intp)
        real = np.arange(k)[None, :] < counts[firms, None]
        cols[real] = np.nonzero(varying[firms])[1]
        u = np.zeros((b, draws, k), dtype=np.float32)
        teamed: dict[int, np.ndarray] = {}
        for f, i in enumerate(rows):  # per firm: its own generator (reproducible whatever the batch)
            rng = np.random.Generator(np.random.PCG64(seeds[i]))
            u[f, :, : counts[i]] = rng.random((draws, int(counts[i])), dtype=np.float32)
            team = teams[i]
            if team is not None:
                picks = rng.integers(0, len(team), size=(draws, len(team)))
                teamed[f] = _team_draws(team[picks], values[i], fixed_mask[i])[:, cols[f]]
        # a level for every varying question and draw, by the inverse of its levels' cumulative probabilities
        cum = cumulative[cols].astype(np.float32)  # (b, k, L - 1)
        width = level_values.shape[1]
        at = (u >= cum[:, None, :, 0]).astype(np.intp)  # the drawn level: how many cumulative steps u passes
        for j in range(1, cum.shape[2]):
            at += u >= cum[:, None, :, j]
        at += (cols * width)[:, None, :]  # its flat position in the table of level values
        x = np.take(level_values.ravel(), at)  # (b, D, k) the drawn levels' values
        for f, team_values in teamed.items():
            x[f] = np.where(np.isnan(team_values), x[f], team_values)
        if weight_draws is None:
            weights = model.observable_weights[cols] * real[:, :, None]  # the padding weighs nothing
            act = steady[firms, None, :] + np.matmul(x, weights)  # (b, D, A)
            idx = act @ index_w
            row_lev, row_tie = lev, tie_rank
        else:
            full = np.repeat(np.where(varying[firms], 0.0, values[firms])[:, None, :], draws, axis=1)
            ff, kk = np.nonzero(real)
            full[ff, :, cols[ff, kk]] = x[ff, :, kk]
            act = np.matmul(full.transpose(1, 0, 2), weight_draws.observable).transpose(1, 0, 2)  # (b, D, A)
            idx = np.einsum("bda,dak->bdk", act, weight_draws.index)
            row_lev = np.broadcast_to(weight_draws.leverage, (b, draws, a)).reshape(-1, a)
            row_tie = np.broadcast_to(weight_draws.tie_rank, (b, draws, a)).reshape(-1, a)
        idx = np.round(idx, ROUNDING)  # like classify: equal values computed two ways are equal
        cls = classify(idx, th)  # (b, D, 3)
        pv = np.round(point.indices[firms], ROUNDING)
        ql, qh = _percentiles(idx, quantiles)
        drawn_low[firms], drawn_high[firms] = ql, qh
        low[firms] = np.where(np.isnan(pv), np.nan, np.minimum(ql, pv))
        high[firms] = np.where(np.isnan(pv), np.nan, np.maximum(qh, pv))
        pc = point_cls[firms]
        stability[firms] = np.where(pc < 0, np.nan, (cls == pc[:, None, :]).mean(axis=1))
        target = targets[cls[:, :, 2].reshape(-1)]
        top = _in_top(act.reshape(-1, a), target, row_lev, row_tie)
        top_probability[firms] = top.reshape(b, draws, a).mean(axis=1)

    over_row_blocks(n, max(1, BLOCK_ROWS // draws), block)

    sources: list[list[Source]] = []
    for i in range(n):
        varied: list[Source] = []
        if may_be_missing[i].any():
            varied.append("unanswered")
        if teams[i] is not None:
            varied.append("respondents")
        if weight_draws is not None:
            varied.append("weights")
        sources.append(varied)
    return Uncertainty(
        draws=draws, level=float(level), low=low, high=high, drawn_low=drawn_low, drawn_high=drawn_high,
        stability=stability, top_probability=top_probability,
        seeds=seeds, sources=sources,
        unanswered_from=["peers" if (from_peers & may_be_missing[i]).any() else "uniform" for i in range(n)],
    )


def _percentiles(x: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """(len(q), b, 3) the q-quantiles of x (b, D, 3) along the draws: linear interpolation between
    order statistics (Hyndman & Fan's type 7, numpy's default), from a partial sort.

    >>> x = np.arange(11.0)[None, :, None].repeat(3, axis=2)
    >>> _percentiles(x, [0.05, 0.95])[:, 0, 0].tolist(), np.quantile(x, [0.05, 0.95], axis=1)[:, 0, 0].tolist()
    ([0.5, 9.5], [0.5, 9.5])
    """
    d = x.shape[1]
    h = np.asarray(q, dtype=float) * (d - 1)
    below = np.floor(h).astype(np.intp)
    above = np.minimum(below + 1, d - 1)
    ordered = np.partition(x, np.unique(np.concatenate([below, above])), axis=1)
    lo, hi = ordered[:, below], ordered[:, above]  # (b, len(q), 3)
    out: np.ndarray = (lo + (hi - lo) * (h - below)[None, :, None]).transpose(1, 0, 2)
    return out


def _team_draws(resampled: np.ndarray, consolidated: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """(D, O) the consolidation of each resampled team (D, R, O); the fixed questions keep ``consolidated``."""
    from innexport.core.respondents import lower_median  # the consolidation's rule (imports this module's user)

    d, r, o = resampled.shape
    median = lower_median(resampled.transpose(1, 0, 2).reshape(r, d * o)).reshape(d, o)
    out: np.ndarray = np.where(fixed[None, :], consolidated[None, :], median)
    return out


# --- stability intervals of the dimension weights --------------------------------------------------------


def _path(weights: np.ndarray, d: int, t: np.ndarray) -> np.ndarray:
    """(len(t), D) the dimension weights with weight d set to each t, the others rescaled to sum to 1."""
    rest = weights / (1.0 - weights[d]) if weights[d] < 1.0 else np.zeros_like(weights)
    out: np.ndarray = (1.0 - t)[:, None] * rest[None, :]
    out[:, d] = t
    return out


def weight_ranges(model: ScoringModel, values: np.ndarray, leverage: np.ndarray | None = None) -> WeightRanges:
    """Each dimension weight's stability intervals for n firms: where each index keeps its threshold
    class, and where the first priority stays first (the module's method).

    >>> from innexport.files.frameworks import load_framework
    >>> model = ScoringModel.from_framework(load_framework("iiep"))
    >>> r = weight_ranges(model, np.full((1, len(model.observable_ids)), 0.5))
    >>> r.classes[0, 0].tolist()  # every activity at 0.5: preactive whatever the weights
    [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n, o = values.shape
    if o != len(model.observable_ids):
        raise ValueError(f"expected {len(model.observable_ids)} answer values per firm, got {o}")
    fw = model.framework
    w = model.dimension_weights
    nd = len(w)
    th = thresholds(fw)
    point = score(model, values)
    point_cls = classify(point.indices, th)
    # S[:, e, k]: index k's score within dimension e alone (NaN when the firm assessed none of its activities)
    within = np.stack([score(dataclasses.replace(model, dimension_weights=np.eye(nd)[e]), values).indices
                       for e in range(nd)], axis=1)  # (n, D, 3)
    used = ~np.isnan(within)
    s0 = np.where(used, within, 0.0)
    classes = np.full((n, nd, 3, 2), np.nan)
    priority = np.full((n, nd, 2), np.nan)
    first = prioritise(model, point, leverage).order[:, 0]
    has_first = ~np.isnan(point.activities[np.arange(n), first])
    for d in range(nd):  # D small: each step is vectorised over firms and thresholds
        if w[d] >= 1.0:
            classes[:, d] = np.where(point_cls[:, :, None] >= 0, 1.0, np.nan)
            priority[:, d] = np.where(has_first[:, None], 1.0, np.nan)
            continue
        others = np.arange(nd) != d
        # index(t) = (t·N1 + (1 − t)·N0) / (t·D1 + (1 − t)·D0)
        n1, d1 = used[:, d] * s0[:, d], used[:, d].astype(float)  # (n, 3)
        n0 = np.einsum("e,nek->nk", w[others], (used * s0)[:, others]) / (1.0 - w[d])
        d0 = np.einsum("e,nek->nk", w[others], used[:, others].astype(float)) / (1.0 - w[d])
        lo = np.zeros((n, 3))
        hi = np.ones((n, 3))
        for theta, upper_class in zip(th[:-1], range(len(th) - 1), strict=True):
            above = point_cls <= upper_class  # (n, 3): the point is at or above this threshold
            f0 = n0 - theta * d0  # f(t) = f0 + t (f1 − f0), its sign that of index(t) − θ
            slope = (n1 - theta * d1) - f0
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = -f0 / slope
            # leaving the class to the right: above and falling, or below and rising; to the left, the reverse
            right = np.where(above, slope < 0, slope > 0) & np.isfinite(cross)
            left = np.where(above, slope > 0, slope < 0) & np.isfinite(cross)
            hi = np.where(right, np.minimum(hi, np.clip(cross, w[d], 1.0)), hi)
            lo = np.where(left, np.maximum(lo, np.clip(cross, 0.0, w[d])), lo)
        scored = point_cls >= 0
        classes[:, d, :, 0] = np.where(scored, lo, np.nan)
        classes[:, d, :, 1] = np.where(scored, hi, np.nan)
        priority[:, d] = _priority_range(model, point, (n1, n0, d1, d0), d, first, leverage)
        priority[~has_first, d] = np.nan
    return WeightRanges(weights=w, classes=classes, priority=priority)


def _leverage_path(model: ScoringModel, d: int, t: np.ndarray, leverage: np.ndarray | None) -> np.ndarray:
    """(len(t), A) the leverage along dimension d's path (a given ``leverage`` does not move).

    With every activity assessed an activity's weight in an index is ``c · w_e / Σ w`` (its
    dimension e's weight over the weights of the dimensions with activities of that index, ``c``
    not depending on the dimension weights: ScoringModel.effective_activity_weights), so the core's
    weights at the point give ``c`` and the path moves only ``w``.
    """
    if leverage is not None:
        return np.broadcast_to(np.asarray(leverage, dtype=float), (len(t), len(model.activity_ids)))
    w = model.dimension_weights
    dim_of = model._dimension_of_activity
    moved = _path(w, d, t)  # (T, D)
    out = np.zeros((len(t), len(model.activity_ids)))
    for k in (0, 1):  # IIP and IEP
        weights = model.index_activity_weights[k]
        has = np.zeros(len(w), dtype=bool)
        has[dim_of[weights > 0]] = True
        c = weights * w[has].sum() / w[dim_of]
        total = moved[:, has].sum(axis=1, keepdims=True)  # 0: no weight left on the index (core: weight 0)
        out += c[None, :] * moved[:, dim_of] / np.where(total > 0, total, np.inf)
    return out


def _leverage_rank(leverage: np.ndarray) -> np.ndarray:
    """(..., A) each activity's place in prioritise's tie order for these leverages (0 first):
    leverage rounded to classes.ROUNDING decimals, descending, then the framework's order."""
    by_leverage = np.argsort(-np.round(leverage, ROUNDING), axis=-1, kind="stable")
    rank = np.empty_like(by_leverage)
    np.put_along_axis(rank, by_leverage, np.broadcast_to(np.arange(leverage.shape[-1]), by_leverage.shape), axis=-1)
    return rank


def _first_priority(activities: np.ndarray, target: np.ndarray, leverage: np.ndarray,
                    rank: np.ndarray | None = None) -> np.ndarray:
    """Each firm's first priority given its activity scores (n, 1, A) or (n, A), its targets (n, G)
    or (n,), and leverages (G, A) or (n, A) (their tie ``rank``, :func:`_leverage_rank`, if known):
    prioritise's order (gap × leverage rounded to classes.ROUNDING decimals, descending; then the
    tie order; unassessed last), its first, (n, G) or (n,)."""
    a = activities.shape[-1]
    rank = _leverage_rank(leverage) if rank is None else rank
    gap = np.maximum(target[..., None] - activities, 0.0)
    with np.errstate(invalid="ignore"):
        key = np.rint(gap * leverage * 10.0**ROUNDING) * a + (a - 1 - rank)
    key = np.where(np.isnan(key), -1.0 - rank, key)
    first: np.ndarray = np.argmax(key, axis=-1)
    return first


def _priority_range(model: ScoringModel, point: Scores, parts: tuple[np.ndarray, ...], d: int,
                    first: np.ndarray, leverage: np.ndarray | None) -> np.ndarray:
    """(n, 2) where dimension d's weight keeps each firm's first priority first: a grid, then bisection.

    ``parts`` = (N1, N0, D1, D0) of the IIEP along the path (see weight_ranges)."""
    n = len(first)
    n1, n0, d1, d0 = (p[:, 2] for p in parts)
    targets = _targets_by_class(model, leverage)
    th = thresholds(model.framework)

    def stays(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether the first priority of firm rows[j] is still first at t[j]."""
        with np.errstate(invalid="ignore", divide="ignore"):
            iiep = (t * n1[rows] + (1 - t) * n0[rows]) / (t * d1[rows] + (1 - t) * d0[rows])
        target = targets[classify(iiep, th)]
        target = np.where(np.isnan(iiep), np.nan, target)
        lev = _leverage_path(model, d, t, leverage)
        kept: np.ndarray = _first_priority(point.activities[rows], target, lev) == first[rows]
        return kept

    w_d = float(model.dimension_weights[d])
    grid = np.union1d(np.linspace(0.0, 1.0, GRID_POINTS), [w_d])
    g = len(grid)
    grid_lev = _leverage_path(model, d, grid, leverage)  # (G, A): the same for every firm
    grid_rank = _leverage_rank(grid_lev)
    same = np.empty((n, g), dtype=bool)
    for start in range(0, n, GRID_FIRMS):  # bounded memory: (firms, G, A) at once
        rows = np.arange(start, min(start + GRID_FIRMS, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            iiep = ((grid * n1[rows, None] + (1 - grid) * n0[rows, None])
                    / (grid * d1[rows, None] + (1 - grid) * d0[rows, None]))  # (firms, G)
        target = np.where(np.isnan(iiep), np.nan, targets[classify(iiep, th)])
        same[rows] = _first_priority(point.activities[rows, None, :], target, grid_lev, grid_rank) == first[rows, None]
    at = int(np.searchsorted(grid, w_d))
    out = np.empty((n, 2))
    for side, step in ((0, -1), (1, 1)):
        span = same[:, at:] if step == 1 else same[:, at::-1]
        run = np.where(span.all(axis=1), span.shape[1], np.maximum(np.argmin(span, axis=1), 1))  # first change
        inside = grid[at + step * (run - 1)]
        changed = run < span.shape[1]
        good = inside.copy()
        bad = np.where(changed, grid[np.clip(at + step * run, 0, g - 1)], inside)
        rows = np.flatnonzero(changed)
        while len(rows) and np.max(np.abs(bad[rows] - good[rows])) > BISECTION_TOLERANCE:
            mid = (good[rows] + bad[rows]) / 2
            keep = stays(rows, mid)
            good[rows] = np.where(keep, mid, good[rows])
            bad[rows] = np.where(keep, bad[rows], mid)
        out[:, side] = np.where(changed, good, 0.0 if side == 0 else 1.0)
    return out
