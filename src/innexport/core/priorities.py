"""Priorities: which activities to develop first, and the smallest steps to the next class.

* **Ranked priorities** (vectorised over firms). An activity's priority is its *gap* to the
  central profile of the class just above the firm's IIEP class (to the top of the scale for a
  proactive firm) times its *leverage*: its weight in IIP plus its weight in IEP, so a joint
  activity, which raises both indices, counts twice. Ties go to the higher leverage, then to the
  framework's order.
* **Next-class plan** (one firm). The smallest set of one-level answer improvements that lifts
  the firm to the next class on both IIP and IEP: greedy on the gain towards both targets, then
  pruned so that no step can be dropped. Each index is linear in the answers for a fixed set of
  answered questions, so each step's gain is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from innexport.core.classes import classify, profiles, thresholds
from innexport.core.parallel import over_row_blocks
from innexport.core.scoring import Scores, ScoringModel

TOLERANCE = 1e-9
"""Two scores closer than this are equal (a gap below it is no gap)."""
TOP_PRIORITIES = 5
"""How many priorities a firm is told to work on first: the report's priority cards, the web
app's summary and the portfolio's "activities most often in the top priorities"."""
BLOCK_ROWS = 16_384
"""Rows ranked at once by one thread."""


@dataclass(frozen=True, eq=False)
class Priorities:
    """Ranked priorities of n assessments over the framework's A activities."""

    target_class: np.ndarray  # (n,) class whose profile is the target (0 = best); -1 if IIEP is missing
    target: np.ndarray  # (n,) target score of every activity (the target class's profile)
    gap: np.ndarray  # (n, A) max(0, target - activity score); NaN when the activity was not assessed
    leverage: np.ndarray  # (A,) weight in IIP + weight in IEP (or an impact-based leverage)
    priority: np.ndarray  # (n, A) gap × leverage
    order: np.ndarray  # (n, A) activity positions, first priority first; unassessed activities last


def prioritise(model: ScoringModel, scores: Scores, leverage: np.ndarray | None = None) -> Priorities:
    """Rank every firm's activities by gap to the next class profile × leverage."""
    lev = model.leverage if leverage is None else np.asarray(leverage, dtype=float)
    if lev.shape != (len(model.activity_ids),) or np.any(lev < 0):
        raise ValueError(f"leverage must be {len(model.activity_ids)} non-negative numbers, one per activity")
    fw = model.framework
    current = classify(scores.iiep, thresholds(fw))
    target_class = np.where(current < 0, -1, np.maximum(current - 1, 0))
    profile_values = profiles(fw)
    # A proactive firm aims at the top of the scale: consolidating its weakest activities.
    target = np.where(current == 0, 1.0, profile_values[np.clip(target_class, 0, None)])
    target = np.where(current < 0, np.nan, target)
    by_leverage = np.argsort(-lev, kind="stable")
    shape = scores.activities.shape
    gap, priority, order = np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.intp)

    def rank(rows: slice) -> None:
        gap[rows] = np.maximum(target[rows, None] - scores.activities[rows], 0.0)  # NaN stays NaN
        np.multiply(gap[rows], lev, out=priority[rows])
        # Stable sort on the columns pre-ordered by leverage: ties keep leverage order, then framework order.
        key = np.where(np.isnan(priority[rows]), np.inf, -priority[rows])[:, by_leverage]
        order[rows] = by_leverage[np.argsort(key, axis=1, kind="stable")]

    over_row_blocks(shape[0], BLOCK_ROWS, rank)
    return Priorities(target_class, target, gap, lev, priority, order)


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
    current: tuple[int, int]  # class index on (IIP, IEP); 0 = best
    target: tuple[int, int]  # class to reach on (IIP, IEP)
    needed: tuple[float, float]  # index points missing on (IIP, IEP)
    reachable: bool
    steps: list[Step] = field(default_factory=list)
    after: tuple[float, float] = (np.nan, np.nan)  # (IIP, IEP) after the steps

    @property
    def by_activity(self) -> dict[str, int]:
        """Number of one-level steps per activity, in the order they were first chosen."""
        out: dict[str, int] = {}
        for s in self.steps:
            out[s.activity] = out.get(s.activity, 0) + 1
        return out


def next_class_plan(model: ScoringModel, scores: Scores, row: int = 0) -> NextClassPlan:
    """The smallest set of one-level improvements lifting IIP and IEP each to their next class."""
    fw = model.framework
    lower = thresholds(fw)
    x = scores.observables[row]
    answered = ~np.isnan(x)
    index_now = scores.indices[row, :2]
    current = classify(index_now, lower)
    if np.any(current < 0):
        return NextClassPlan((int(current[0]), int(current[1])), (-1, -1), (np.nan, np.nan), False)
    target = np.maximum(current - 1, 0)
    goal = np.where(current > 0, lower[target], -np.inf)  # a proactive index has nothing to reach
    coef = model.effective_observable_weights(answered[None])[0, :2]  # (2, O)
    scales = [fw.scale_by_id[fw.observable_by_id[o].scale].values for o in model.observable_ids]
    level = np.array([_level_of(v, s) if ok else -1 for v, s, ok in zip(x, scales, answered, strict=True)])
    act_of = {o.id: a.id for a in fw.activities for o in a.observables}
    lev = model.leverage
    act_pos = {a: i for i, a in enumerate(model.activity_ids)}

    def step_gain(o: int, lvl: int) -> np.ndarray:
        s = scales[o]
        gain: np.ndarray = coef[:, o] * (s[lvl + 1] - s[lvl])
        return gain

    steps: list[Step] = []
    reached = index_now.copy()
    lvl = level.copy()
    while np.any(goal - reached > TOLERANCE):
        need = np.maximum(goal - reached, 0.0)
        best, best_key = -1, (0.0, 0.0, 0.0)
        for o in map(int, np.flatnonzero(answered & (lvl >= 0))):
            if lvl[o] >= len(scales[o]) - 1:
                continue
            g = step_gain(o, int(lvl[o]))
            tie_break = float(lev[act_pos[act_of[model.observable_ids[o]]]])
            key = (float(np.minimum(g, need).sum()), float(g.sum()), tie_break)
            if key > best_key:
                best, best_key = o, key
        if best < 0 or best_key[0] <= TOLERANCE:
            break
        g = step_gain(best, int(lvl[best]))
        oid = model.observable_ids[best]
        steps.append(Step(oid, act_of[oid], int(lvl[best]), int(lvl[best]) + 1, (float(g[0]), float(g[1]))))
        reached = reached + g
        lvl[best] += 1
    reachable = not np.any(goal - reached > TOLERANCE)
    needed = np.maximum(goal - index_now, 0.0)
    if reachable:
        steps, reached = _prune(steps, reached, goal)
    return NextClassPlan(
        current=(int(current[0]), int(current[1])),
        target=(int(target[0]), int(target[1])),
        needed=(float(needed[0]), float(needed[1])),
        reachable=reachable,
        steps=steps,
        after=(float(reached[0]), float(reached[1])),
    )


def _level_of(value: float, scale_values: np.ndarray) -> int:
    return int(np.argmin(np.abs(scale_values - value)))


def _prune(steps: list[Step], reached: np.ndarray, goal: np.ndarray) -> tuple[list[Step], np.ndarray]:
    """Drop steps (last level first on each question) that the targets do not need."""
    kept = list(steps)
    for s in reversed(steps):
        later = [k for k in kept if k.observable == s.observable and k.to_level > s.to_level]
        if later or s not in kept:
            continue
        without = reached - np.array(s.gain)
        if not np.any(goal - without > TOLERANCE):
            kept.remove(s)
            reached = without
    return kept, reached
