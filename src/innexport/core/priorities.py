"""Priorities: which activities to develop first, and the smallest steps to the next class.

* **Ranked priorities** (vectorised over firms). An activity's priority is its *gap* to the
  central profile of the class just above the firm's IIEP class (to the top of the scale for a
  proactive firm) times its *leverage*: its weight in IIP plus its weight in IEP, so a joint
  activity, which raises both indices, counts twice. Priorities and leverages are compared
  rounded to 9 decimals; ties go to the higher leverage, then to the framework's order;
  unassessed activities come last.
* **Next-class plan** (per firm, batched). The fewest one-level answer improvements that lift the
  firm to the next class (or to a class the advisor chooses) on both IIP and IEP. Each index is
  linear in the answers for a fixed set of answered questions, so each step's gain is exact and
  the plan is a small integer program (a two-constraint covering problem with levels in order),
  solved exactly with HiGHS through ``scipy.optimize.milp`` (Huangfu & Hall 2018, "Parallelizing
  the dual revised simplex method", Math. Prog. Comp. 10). When the solver fails or runs out of
  time, the greedy plan (most progress towards both targets per step, then pruned) is used and the
  plan says so (``method``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from weakref import WeakKeyDictionary

import numpy as np

from innexport.core.classes import ROUNDING, classify, profiles, thresholds
from innexport.core.parallel import over_row_blocks
from innexport.core.scoring import Scores, ScoringModel

TOLERANCE = 1e-9
"""Two scores closer than this are equal (a gap below it is no gap)."""
TOP_PRIORITIES = 5
"""How many priorities a firm is told to work on first: the report's priority cards, the web
app's summary and the portfolio's "activities most often in the top priorities"."""
BLOCK_ROWS = 16_384
"""Rows ranked at once by one thread."""
PLAN_TIME_LIMIT = 2.0
"""Seconds the integer program may take for one firm's plan before the greedy plan is used instead."""
PLAN_BLOCK_ROWS = 256
"""Firms whose planning matrices are built at once."""
PlanMethod = Literal["exact", "greedy"]
"""How a plan's steps were chosen: the integer program's optimum, or the greedy fallback."""


@dataclass(frozen=True, eq=False)
class Priorities:
    """Ranked priorities of n assessments over the framework's A activities."""

    target_class: np.ndarray  # (n,) class whose profile is the target (0 = best); -1 if IIEP is missing
    target: np.ndarray  # (n,) target score of every activity (the target class's profile)
    gap: np.ndarray  # (n, A) max(0, target - activity score); NaN when the activity was not assessed
    leverage: np.ndarray  # (A,) weight in IIP + weight in IEP (or an impact-based leverage)
    priority: np.ndarray  # (n, A) gap × leverage
    order: np.ndarray  # (n, A) activity positions, first priority first; unassessed activities last


def priority_targets(model: ScoringModel, iiep: np.ndarray, current: np.ndarray | None = None,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(target_class, target)`` of firms whose IIEP is ``iiep`` ``(n,)``: the class just above
    their IIEP class and its central profile (the top of the scale for a proactive firm, which
    consolidates its weakest activities); -1 and NaN when IIEP is missing. ``current``: IIEP's
    class if already known (:func:`classify` of ``iiep``).

    >>> from innexport.files.frameworks import load_framework
    >>> m = ScoringModel.from_framework(load_framework("iiep"))
    >>> cls, target = priority_targets(m, np.array([0.3, 0.7, np.nan]))
    >>> cls.tolist(), target.tolist()
    ([1, 0, -1], [0.51, 1.0, nan])
    """
    fw = model.framework
    if current is None:
        current = classify(iiep, thresholds(fw))
    target_class = np.where(current < 0, -1, np.maximum(current - 1, 0))
    profile_values = profiles(fw)
    target = np.where(current == 0, 1.0, profile_values[np.clip(target_class, 0, None)])
    target = np.where(current < 0, np.nan, target)
    return target_class, target


def _checked_leverage(model: ScoringModel, leverage: np.ndarray | None) -> np.ndarray:
    lev = model.leverage if leverage is None else np.asarray(leverage, dtype=float)
    if lev.shape != (len(model.activity_ids),) or not np.all(lev >= 0) or not np.all(np.isfinite(lev)):
        raise ValueError(f"leverage must be {len(model.activity_ids)} non-negative numbers, one per activity")
    return lev


def tie_order(leverage: np.ndarray) -> np.ndarray:
    """The activities in the order that breaks ties between equal priorities: leverage (rounded
    like the indices, :data:`classes.ROUNDING`) descending, then the framework's order.

    >>> tie_order(np.array([0.1, 0.3, 0.1, 0.3])).tolist()
    [1, 3, 0, 2]
    """
    by_leverage: np.ndarray = np.argsort(-np.round(leverage, ROUNDING), kind="stable")
    return by_leverage


def prioritise(model: ScoringModel, scores: Scores, leverage: np.ndarray | None = None) -> Priorities:
    """Rank every firm's activities by gap to the next class profile × leverage."""
    lev = _checked_leverage(model, leverage)
    target_class, target = priority_targets(model, scores.iiep)
    # The tie chain on keys rounded like the indices (classes.ROUNDING), so that mathematically equal
    # priorities computed as different floating-point products tie:
    # priority (desc), then leverage (desc), then the framework's order; unassessed activities last.
    by_leverage = tie_order(lev)
    shape = scores.activities.shape
    gap, priority, order = np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.intp)

    def rank(rows: slice) -> None:
        gap[rows] = np.maximum(target[rows, None] - scores.activities[rows], 0.0)  # NaN stays NaN
        np.multiply(gap[rows], lev, out=priority[rows])
        # Stable sort of the rounded priorities on the columns pre-ordered by (leverage desc,
        # framework order): a tie keeps that order. NaN (unassessed) sorts last.
        key = np.where(np.isnan(priority[rows]), np.inf, -np.round(priority[rows], ROUNDING))[:, by_leverage]
        order[rows] = by_leverage[np.argsort(key, axis=1, kind="stable")]

    over_row_blocks(shape[0], BLOCK_ROWS, rank)
    return Priorities(target_class, target, gap, lev, priority, order)


def index_dtype(count: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned integer type that holds the positions ``0 .. count - 1``.

    >>> index_dtype(25).__name__, index_dtype(256).__name__, index_dtype(257).__name__
    ('uint8', 'uint8', 'uint16')
    """
    for kind in (np.uint8, np.uint16, np.uint32):
        if count - 1 <= np.iinfo(kind).max:
            return kind
    return np.uint64


def top_priorities(activities: np.ndarray, target: np.ndarray, leverage: np.ndarray, k: int = TOP_PRIORITIES,
                   by_leverage: np.ndarray | None = None) -> np.ndarray:
    """The first ``k`` activities (positions, ``(b, k)``, the smallest unsigned type) of each firm's
    priority order: :func:`prioritise`'s ``order[:, :k]`` exactly, without sorting every activity.

    ``activities`` (b, A) scores (NaN: unassessed), ``target`` (b,) from :func:`priority_targets`,
    ``leverage`` (A,) and its :func:`tie_order` (computed if not given). :func:`prioritise`'s keys and
    ties are encoded in one integer per activity: its priority rounded like there (``round(x, 9)``
    is ``rint(x·1e9) / 1e9``, numpy's rounding, so the integers order and tie alike), times A, plus
    the activity's place in the tie order; an unassessed activity gets A plus that place, after
    every assessed one. The keys are then distinct and a plain sort of them is the stable order.
    With leverages too large for such keys to be exact in floating point, the full stable sort.

    >>> lev = np.array([0.2, 0.1, 0.2])
    >>> top_priorities(np.array([[0.3, 0.2, np.nan]]), np.array([0.5]), lev, k=3).tolist()
    [[0, 1, 2]]
    >>> top_priorities(np.array([[0.5, 0.0, 0.4]]), np.array([0.5]), lev, k=2).tolist()  # 0, 0.05, 0.02
    [[1, 2]]
    """
    b, a = activities.shape
    k = max(0, min(int(k), a))
    order = tie_order(leverage) if by_leverage is None else by_leverage
    dtype = index_dtype(a)
    if not k:
        return np.empty((b, 0), dtype=dtype)
    priority = np.subtract(target[:, None], activities)
    np.maximum(priority, 0.0, out=priority)  # the gap; NaN (unassessed) stays NaN
    np.multiply(priority, leverage, out=priority)
    if float(np.max(leverage, initial=0.0)) * 10.0**ROUNDING * (2 * a) >= 2.0**52:  # keys not exact
        key = np.where(np.isnan(priority), np.inf, -np.round(priority, ROUNDING))[:, order]
        return order[np.argsort(key, axis=1, kind="stable")[:, :k]].astype(dtype)
    place = np.empty(a)
    place[order] = np.arange(a)  # each activity's place in the tie order
    np.multiply(priority, -(10.0**ROUNDING), out=priority)
    np.rint(priority, out=priority)  # -round(priority, 9) · 1e9, an integer
    np.multiply(priority, a, out=priority)
    np.fmin(priority, a, out=priority)  # unassessed (NaN): after every assessed activity
    np.add(priority, place, out=priority)
    positions = np.sort(priority, axis=1)[:, :k].astype(np.int64)
    positions %= a  # the places in the tie order of the first k
    return order[positions].astype(dtype)


@dataclass(frozen=True)
class Step:
    """Raise one answer by one level of its scale."""

    observable: str
    activity: str
    from_level: int
    to_level: int
    gain: tuple[float, float]  # (IIP gain, IEP gain)


@dataclass(frozen=True)
class NextClassPlan:
    """The fewest one-level answer improvements that lift IIP and IEP to a target class."""

    current: tuple[int, int]  # class index on (IIP, IEP); 0 = best
    target: tuple[int, int]  # class to reach on (IIP, IEP)
    needed: tuple[float, float]  # index points missing on (IIP, IEP)
    reachable: bool
    steps: list[Step] = field(default_factory=list)
    after: tuple[float, float] = (np.nan, np.nan)  # (IIP, IEP) after the steps
    method: PlanMethod = "exact"  # "exact": the integer program's optimum; "greedy": the fallback chose the steps

    @property
    def by_activity(self) -> dict[str, int]:
        """Number of one-level steps per activity, in the order of the steps."""
        out: dict[str, int] = {}
        for s in self.steps:
            out[s.activity] = out.get(s.activity, 0) + 1
        return out


@dataclass(frozen=True, eq=False)
class _PlanTables:
    """What planning needs of a model, computed once per model."""

    scales: np.ndarray  # (O, L) value of each level of each observable's scale, NaN past its top
    top: np.ndarray  # (O,) highest level of each observable's scale
    activity_of: tuple[str, ...]  # (O,) activity of each observable
    tie_break: np.ndarray  # (O,) leverage of each observable's activity (the greedy's last key)


_TABLES: WeakKeyDictionary[ScoringModel, _PlanTables] = WeakKeyDictionary()


def _tables(model: ScoringModel) -> _PlanTables:
    if (tables := _TABLES.get(model)) is None:
        fw = model.framework
        values = [fw.scale_by_id[fw.observable_by_id[o].scale].values for o in model.observable_ids]
        width = max((len(v) for v in values), default=1)
        scales = np.full((len(values), width), np.nan)
        for i, v in enumerate(values):
            scales[i, : len(v)] = v
        act_of = {o.id: a.id for a in fw.activities for o in a.observables}
        activity_of = tuple(act_of[o] for o in model.observable_ids)
        act_pos = {a: i for i, a in enumerate(model.activity_ids)}
        tie_break = model.leverage[[act_pos[a] for a in activity_of]]
        tables = _PlanTables(scales, np.array([len(v) - 1 for v in values]), activity_of, tie_break)
        _TABLES[model] = tables
    return tables


def target_class_index(model: ScoringModel, target: int | str | None) -> int | None:
    """The class index (0 = best) of a target class given by id or index; ``None`` stays ``None``.

    A bad target is refused with a :class:`ValueError` naming the framework's classes.
    """
    if target is None:
        return None
    ids = model.framework.class_ids
    if isinstance(target, str):
        if target not in ids:
            raise ValueError(f"target class {target!r} is not one of the framework's classes {list(ids)}")
        return ids.index(target)
    index = int(target)
    if index != target or not 0 <= index < len(ids):
        raise ValueError(f"target class must be a class id {list(ids)} or an index 0..{len(ids) - 1}, got {target!r}")
    return index


def next_class_plan(
    model: ScoringModel,
    scores: Scores,
    row: int = 0,
    target: int | str | None = None,
    *,
    time_limit: float = PLAN_TIME_LIMIT,
    exact: bool = True,
) -> NextClassPlan:
    """The fewest one-level improvements lifting IIP and IEP each to their next class (or ``target``).

    ``target`` is a class id or index (0 = best): "what is the least to reach proactive?" is
    ``target="proactive"``; an index already in that class or better has nothing to reach. The plan
    is the optimum of an integer program (:func:`next_class_plans` says how); the greedy plan is used
    when the solver fails or runs out of ``time_limit`` seconds, or when ``exact`` is false.

    >>> from innexport.core.scoring import score
    >>> from innexport.files.frameworks import load_framework
    >>> model = ScoringModel.from_framework(load_framework("iiep"))
    >>> nothing_yet = score(model, np.zeros(len(model.observable_ids)))  # passive on both indices
    >>> plan = next_class_plan(model, nothing_yet)
    >>> plan.current, plan.target, len(plan.steps), plan.method
    ((3, 3), (2, 2), 21, 'exact')
    >>> len(next_class_plan(model, nothing_yet, target="proactive").steps)
    74
    """
    return next_class_plans(model, scores, [row], target, time_limit=time_limit, exact=exact)[0]


def next_class_plans(
    model: ScoringModel,
    scores: Scores,
    rows: Sequence[int] | np.ndarray | None = None,
    target: int | str | None = None,
    *,
    time_limit: float = PLAN_TIME_LIMIT,
    exact: bool = True,
) -> list[NextClassPlan]:
    """Next-class plans of many firms (``rows`` of ``scores``, all of them by default).

    For one firm, with the answered questions fixed, each index is linear in the answers: raising
    question q from level k-1 to k adds ``w_q · (s_k - s_{k-1})`` to IIP and to IEP, ``w_q`` being
    q's effective weight in each index (:meth:`ScoringModel.effective_observable_weights`). One
    binary ``y[q,k]`` per answered question and level above its answer ("reach level k"), with
    ``y[q,k+1] <= y[q,k]``; minimise ``Σ y`` subject to each index's gain reaching its target's
    lower bound (less :data:`TOLERANCE`). Between plans with as few steps: the greedy plan when its
    length equals the lower bound (:func:`_lower_bound`), else HiGHS's optimum
    (``scipy.optimize.milp``, deterministic: the same answers give the same plan); the solution is
    checked against the targets in floating point. The steps are listed question by question in the
    framework's order.

    The matrices of a block of firms are built at once with numpy; each firm is then one small
    integer program (about 4 ms).

    >>> from innexport.core.scoring import score
    >>> from innexport.files.frameworks import load_framework
    >>> model = ScoringModel.from_framework(load_framework("iiep"))
    >>> halfway = score(model, np.full((3, len(model.observable_ids)), 0.5))  # preactive: proactive next
    >>> [(p.target, len(p.steps)) for p in next_class_plans(model, halfway)]
    [((0, 0), 7), ((0, 0), 7), ((0, 0), 7)]
    """
    tables = _tables(model)
    goal_class = target_class_index(model, target)
    n = scores.indices.shape[0]
    picked = np.arange(n) if rows is None else np.asarray(rows, dtype=np.intp).reshape(-1)
    if picked.size and (picked.min() < -n or picked.max() >= n):
        raise ValueError(f"rows must lie in 0..{n - 1}")
    lower = thresholds(model.framework)
    plans: list[NextClassPlan | None] = [None] * len(picked)

    def work(part: slice) -> None:
        block = picked[part]
        x = scores.observables[block]
        answered = ~np.isnan(x)
        dist = np.abs(tables.scales[None] - np.where(answered, x, 0.0)[:, :, None])
        level = np.where(answered, np.argmin(np.where(np.isnan(dist), np.inf, dist), axis=2), -1)
        for i, r in enumerate(block):
            # one row at a time: the weights, to the last bit, do not depend on the block's size
            coef = model.effective_observable_weights(answered[i : i + 1])[0, :2]  # (2, O)
            plans[part.start + i] = _plan_one(model, tables, lower, scores.indices[r, :2].astype(float), level[i],
                                              coef, goal_class, time_limit, exact)

    over_row_blocks(len(picked), PLAN_BLOCK_ROWS, work)  # firms are independent: blocks run on every core
    return [p for p in plans if p is not None]


def _plan_one(model: ScoringModel, tables: _PlanTables, lower: np.ndarray, index_now: np.ndarray, level: np.ndarray,
              coef: np.ndarray, goal_class: int | None, time_limit: float, exact: bool) -> NextClassPlan:
    """One firm's plan: ``level`` (O,) its answers' levels (-1: unscored), ``coef`` (2, O) the weights."""
    current = classify(index_now, lower)
    if np.any(current < 0):
        return NextClassPlan((int(current[0]), int(current[1])), (-1, -1), (np.nan, np.nan), False)
    target = np.maximum(current - 1, 0) if goal_class is None else np.minimum(current, goal_class)
    goal = np.where(target < current, lower[target], -np.inf)  # an index already there has nothing to reach
    needed = np.maximum(goal - index_now, 0.0)
    position = {o: i for i, o in enumerate(model.observable_ids)}

    def plan(steps: list[Step], reached: np.ndarray, reachable: bool, method: PlanMethod) -> NextClassPlan:
        # the steps question by question in the framework's order, levels in order (docs/method.md)
        ordered = sorted(steps, key=lambda st: (position[st.observable], st.to_level))
        return NextClassPlan((int(current[0]), int(current[1])), (int(target[0]), int(target[1])),
                             (float(needed[0]), float(needed[1])), reachable, ordered,
                             (float(reached[0]), float(reached[1])), method)

    if not np.any(goal - index_now > TOLERANCE):
        return plan([], index_now, True, "exact")
    # the candidate steps: (question, level reached), questions in framework order, levels in order
    q, k = np.nonzero((np.arange(tables.scales.shape[1]) > level[:, None]) & (level[:, None] >= 0)
                      & (np.arange(tables.scales.shape[1]) <= tables.top[:, None]))
    gains = coef[:, q] * (tables.scales[q, k] - tables.scales[q, k - 1])  # (2, V)
    steps, reached, reachable = _greedy(model, tables, index_now, level, coef, goal)
    if exact:
        if reachable and len(steps) == _lower_bound(gains, goal - index_now):
            return plan(steps, reached, True, "exact")  # the greedy plan is already as short as can be
        chosen = _exact(gains, q, goal - index_now, time_limit)
        if chosen is not None:
            steps = [_step(model, tables, int(qq), int(kk), g) for qq, kk, g in
                     zip(q[chosen], k[chosen], gains[:, chosen].T, strict=True)]
            return plan(steps, _after(index_now, steps), True, "exact")
    return plan(steps, reached, reachable, "greedy")


def _lower_bound(gains: np.ndarray, need: np.ndarray) -> int:
    """Fewest steps any plan needs: each short index needs its largest gains to add up to its need.

    Levels in order only add constraints, so this bound holds for every plan.
    """
    bound = 0
    for g, short in zip(gains, need, strict=True):
        if short > TOLERANCE:
            cum = np.cumsum(np.sort(g)[::-1])
            bound = max(bound, int(np.count_nonzero(cum < short - TOLERANCE - 1e-12)) + 1)
    return bound


def _step(model: ScoringModel, tables: _PlanTables, q: int, k: int, gain: np.ndarray) -> Step:
    return Step(model.observable_ids[q], tables.activity_of[q], k - 1, k, (float(gain[0]), float(gain[1])))


def _after(index_now: np.ndarray, steps: list[Step]) -> np.ndarray:
    reached = index_now.copy()
    for s in steps:
        reached = reached + np.array(s.gain)
    return reached


def _exact(gains: np.ndarray, q: np.ndarray, need: np.ndarray, time_limit: float) -> np.ndarray | None:
    """Indices of the candidate steps of the optimal plan; ``None`` if unreachable or unsolved in time."""
    short = need > TOLERANCE
    g = gains[short]
    rhs = need[short] - TOLERANCE
    if np.any(np.clip(g, 0.0, None).sum(axis=1) < rhs):
        return None  # unreachable even with every step: the greedy goes as far as it can
    from scipy.optimize import Bounds, LinearConstraint, milp  # here: scipy.optimize is slow to import
    from scipy.sparse import coo_array

    v = len(q)
    pairs = np.flatnonzero(q[1:] == q[:-1])  # y[v+1] <= y[v] when both are levels of one question
    rows = np.arange(len(pairs))
    order = coo_array((np.r_[np.ones(len(pairs)), -np.ones(len(pairs))], (np.r_[rows, rows], np.r_[pairs + 1, pairs])),
                      shape=(len(pairs), v))
    cost = np.ones(v)
    for _ in range(2):
        constraints = [LinearConstraint(g, rhs, np.inf)]
        if len(pairs):
            constraints.append(LinearConstraint(order, -np.inf, 0.0))
        try:
            res = milp(cost, integrality=np.ones(v), bounds=Bounds(0.0, 1.0), constraints=constraints,
                       options={"time_limit": max(float(time_limit), 0.0)})
        except (ValueError, RuntimeError, ArithmeticError):
            return None
        if res.status != 0 or res.x is None:
            return None
        chosen = np.flatnonzero(res.x > 0.5)
        shortfall = rhs - g[:, chosen].sum(axis=1)
        if not np.any(shortfall > 0):
            return chosen
        rhs = rhs + 2 * np.maximum(shortfall, 0.0)  # within the solver's tolerance but short: tighten once
    return None


def _greedy(model: ScoringModel, tables: _PlanTables, index_now: np.ndarray, level: np.ndarray, coef: np.ndarray,
            goal: np.ndarray) -> tuple[list[Step], np.ndarray, bool]:
    """The fallback: greedy on the gain towards both targets, then pruned so that no step can be dropped."""
    scales = tables.scales
    steps: list[Step] = []
    reached = index_now.copy()
    lvl = level.copy()
    every = np.arange(len(lvl))
    while np.any(goal - reached > TOLERANCE):
        need = np.maximum(goal - reached, 0.0)
        cand = every[(lvl >= 0) & (lvl < tables.top)]
        if not len(cand):
            break
        g = coef[:, cand] * (scales[cand, lvl[cand] + 1] - scales[cand, lvl[cand]])  # (2, C)
        progress = np.minimum(g, need[:, None]).sum(axis=0)
        # key (progress, total gain, leverage), the largest first, then the framework's order
        first = np.lexsort((cand, -tables.tie_break[cand], -g.sum(axis=0), -progress))[0]
        if progress[first] <= TOLERANCE:
            break
        best = int(cand[first])
        steps.append(_step(model, tables, best, int(lvl[best]) + 1, g[:, first]))
        reached = reached + g[:, first]
        lvl[best] += 1
    reachable = not np.any(goal - reached > TOLERANCE)
    if reachable:
        steps, reached = _prune(steps, reached, goal)
    return steps, reached, reachable


def _prune(steps: list[Step], reached: np.ndarray, goal: np.ndarray) -> tuple[list[Step], np.ndarray]:
    """Drop steps (last level first on each question) that the targets do not need."""
    kept = list(steps)
    for s in reversed(steps):
        later = [k for k in kept if k.observable == s.observable and k.to_level > s.to_level]
        if later:
            continue
        without = reached - np.array(s.gain)
        if not np.any(goal - without > TOLERANCE):
            kept.remove(s)
            reached = without
    return kept, reached
