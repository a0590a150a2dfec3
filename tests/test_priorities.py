"""Priorities and next-class plans, worked out by hand on the mini framework (tests/fixtures/mini.yaml).

* ``prioritise``: the target of every IIEP class (the next class's central profile, 1.0 for a
  proactive firm, none for a firm without IIEP), gaps that never go negative, the leverage refused
  when it is not one non-negative number per activity, leverages equal to 9 decimals tying, and the
  row blocks giving the same ranking as one firm at a time;
* ``target_class_index`` and the rows of ``next_class_plans``: what is accepted and what is refused;
* the plan of a firm with one index missing, of a firm with nothing to reach, and the greedy plan's
  chain (progress, then total gain, then leverage, then the framework's order), its pruning, its
  use when a target is out of reach or the solver fails, and the solution that the solver returns
  short of a target being tightened.

Mini framework, every question answered (docs/method.md § 2): IIP = ½ a_joint + ½ a_inn and
IEP = ½ a_joint + ½ a_exp; a_joint = (q1 + q2)/2, a_inn = q3, a_exp = (q4 + 3 q5)/4. So the weights
of q1..q5 are (¼, ¼, ½, 0, 0) in IIP and (¼, ¼, 0, ⅛, ⅜) in IEP, and leverage is (1, ½, ½) on
(a_joint, a_inn, a_exp). q1, q3, q4 are yes/no; q2 and q5 have four levels (0, ⅓, ⅔, 1). Classes:
proactive ≥ 0.61, preactive ≥ 0.41, reactive ≥ 0.29, passive; profiles 0.805, 0.51, 0.35, 0.145.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.optimize

import innexport.core.priorities as priorities
from innexport.core.framework import Framework
from innexport.core.priorities import (
    NextClassPlan,
    index_dtype,
    next_class_plan,
    next_class_plans,
    prioritise,
    priority_targets,
    target_class_index,
    tie_order,
    top_priorities,
)
from innexport.core.scoring import Scores, ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
NAN = np.nan


@pytest.fixture(scope="module")
def mini() -> ScoringModel:
    return ScoringModel.from_framework(load_framework(MINI))


def _changed(model: ScoringModel, change: Callable[[dict], None]) -> ScoringModel:
    """The mini framework validated again after ``change(data)`` edited its dumped content."""
    data = model.framework.model_dump(mode="python", exclude_none=True)
    change(data)
    return ScoringModel.from_framework(Framework.model_validate(data))


def _scores(activities: list[list[float]], iiep: list[float]) -> Scores:
    """Scores with given activity scores and IIEP (prioritise reads only these two)."""
    act = np.array(activities, dtype=float)
    idx = np.repeat(np.array(iiep, dtype=float)[:, None], 3, axis=1)
    return Scores(observables=np.zeros((len(act), 0)), activities=act, dimensions=np.zeros((len(act), 0)),
                  indices=idx, completeness=np.ones(len(act)))


def _steps(plan: NextClassPlan) -> list[tuple[str, int, int]]:
    return [(s.observable, s.from_level, s.to_level) for s in plan.steps]


# --- prioritise ------------------------------------------------------------------------------


def test_target_of_every_class(mini: ScoringModel) -> None:
    # activity scores (0.3, 0.05, 0.9), leverage (1, ½, ½), one firm per IIEP:
    #   0.2 passive   -> reactive's profile 0.35:  gaps (0.05, 0.3, 0),   priorities (0.05, 0.15, 0)
    #   0.29 reactive -> preactive's 0.51:        gaps (0.21, 0.46, 0),   priorities (0.21, 0.23, 0)
    #   0.41 preactive-> proactive's 0.805:       gaps (0.505, 0.755, 0), priorities (0.505, 0.3775, 0)
    #   0.61 proactive-> the top of the scale 1:  gaps (0.7, 0.95, 0.1),  priorities (0.7, 0.475, 0.05)
    #   NaN           -> no target: no gap, no priority
    pr = prioritise(mini, _scores([[0.3, 0.05, 0.9]] * 5, [0.2, 0.29, 0.41, 0.61, NAN]))
    assert pr.target_class.tolist() == [2, 1, 0, 0, -1]
    np.testing.assert_allclose(pr.target, [0.35, 0.51, 0.805, 1.0, NAN])
    np.testing.assert_allclose(pr.gap, [[0.05, 0.3, 0.0], [0.21, 0.46, 0.0], [0.505, 0.755, 0.0],
                                        [0.7, 0.95, 0.1], [NAN, NAN, NAN]], atol=1e-12)
    np.testing.assert_allclose(pr.priority, [[0.05, 0.15, 0.0], [0.21, 0.23, 0.0], [0.505, 0.3775, 0.0],
                                             [0.7, 0.475, 0.05], [NAN, NAN, NAN]], atol=1e-12)
    # a score above the target is no gap, and a zero priority still ranks before an unassessed one
    assert pr.order.tolist() == [[1, 0, 2], [1, 0, 2], [0, 1, 2], [0, 1, 2], [0, 1, 2]]


def test_preactive_and_proactive_firms_aim_differently(mini: ScoringModel) -> None:
    # 0.6 is preactive (below 0.61): proactive's profile 0.805; 0.9 is proactive: the top, 1.0
    pr = prioritise(mini, _scores([[0.8, 0.8, 0.8]] * 2, [0.6, 0.9]))
    assert pr.target_class.tolist() == [0, 0]
    np.testing.assert_allclose(pr.target, [0.805, 1.0])
    np.testing.assert_allclose(pr.gap, [[0.005, 0.005, 0.005], [0.2, 0.2, 0.2]], atol=1e-12)


def test_firm_without_iiep_ranks_by_leverage(mini: ScoringModel) -> None:
    # nothing to aim at: every priority is NaN, so the order is leverage (desc), then framework order
    pr = prioritise(mini, _scores([[0.1, 0.2, 0.3]], [NAN]), leverage=np.array([0.25, 1.0, 0.5]))
    assert pr.target_class.tolist() == [-1] and np.isnan(pr.target[0])
    assert np.isnan(pr.priority).all() and np.isnan(pr.gap).all()
    assert pr.order.tolist() == [[1, 2, 0]]


@pytest.mark.parametrize("leverage", [[1.0, 0.5], [[1.0, 0.5, 0.5]], [1.0, -0.5, 0.5], [0.5, 0.5, 0.5, 0.5],
                                      [1.0, np.inf, 0.5], [np.nan, 0.5, 0.5]])
def test_bad_leverage_is_refused(mini: ScoringModel, leverage: list[object]) -> None:
    with pytest.raises(ValueError, match=r"^leverage must be 3 non-negative numbers, one per activity$"):
        prioritise(mini, _scores([[0.1, 0.2, 0.3]], [0.2]), leverage=np.array(leverage))


def test_zero_leverage_is_accepted(mini: ScoringModel) -> None:
    # passive firm, target 0.35: gaps (0.25, 0.15, 0.05); leverage (0, 1, 2) -> priorities (0, 0.15, 0.1)
    pr = prioritise(mini, _scores([[0.1, 0.2, 0.3]], [0.2]), leverage=[0, 1, 2])  # type: ignore[arg-type]
    assert pr.leverage.tolist() == [0.0, 1.0, 2.0] and pr.leverage.dtype == np.float64  # numbers, made real
    np.testing.assert_allclose(pr.priority, [[0.0, 0.15, 0.1]], atol=1e-12)
    assert pr.order.tolist() == [[1, 2, 0]]


def test_leverages_equal_to_nine_decimals_tie(mini: ScoringModel) -> None:
    # gaps (0.15, 0.15, 0.15) (target 0.35), leverages ½ + 1e-12, ½, ½ + 2e-12: the priorities and
    # the leverages are equal once rounded to 9 decimals, so the framework's order decides
    lev = np.array([0.5 + 1e-12, 0.5, 0.5 + 2e-12])
    pr = prioritise(mini, _scores([[0.2, 0.2, 0.2]], [0.2]), leverage=lev)
    assert pr.order.tolist() == [[0, 1, 2]]
    # unassessed activities too: by rounded leverage, then framework order (not 2, 0, 1)
    pr = prioritise(mini, _scores([[NAN, NAN, NAN]], [0.2]), leverage=lev)
    assert pr.order.tolist() == [[0, 1, 2]]
    # a real difference in leverage still counts among unassessed activities
    pr = prioritise(mini, _scores([[NAN, 0.1, NAN]], [0.2]), leverage=np.array([0.5, 1.0, 0.75]))
    assert pr.order.tolist() == [[1, 2, 0]]


def test_row_blocks_rank_like_one_firm_at_a_time(mini: ScoringModel, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    x = rng.choice([0.0, 1 / 3, 2 / 3, 1.0, NAN], size=(7, 5))
    s = score(mini, x)
    monkeypatch.setattr(priorities, "BLOCK_ROWS", 2)  # four blocks, the last one of one row
    pr = prioritise(mini, s)
    for i in range(len(x)):
        one = prioritise(mini, score(mini, x[i]))
        np.testing.assert_array_equal(pr.order[i], one.order[0])
        np.testing.assert_array_equal(pr.priority[i], one.priority[0])
        np.testing.assert_array_equal(pr.gap[i], one.gap[0])
        np.testing.assert_array_equal(pr.target[i], one.target[0])


def test_targets_from_a_known_class(mini: ScoringModel) -> None:
    # IIEP (0.2, 0.29, 0.61, NaN): passive, reactive, proactive, none -> the next class up and its
    # profile (reactive 0.35, preactive 0.51), the top of the scale 1.0 for a proactive firm
    cls, target = priority_targets(mini, np.array([0.2, 0.29, 0.61, NAN]))
    assert cls.tolist() == [2, 1, 0, -1]
    np.testing.assert_allclose(target, [0.35, 0.51, 1.0, NAN])
    # a class already known (a block pipeline classified IIEP once) is taken as it is, not recomputed
    cls, target = priority_targets(mini, np.array([0.2, 0.2, 0.2, 0.2]), np.array([0, 1, 3, -1]))
    assert cls.tolist() == [0, 0, 2, -1]
    np.testing.assert_allclose(target, [1.0, 0.805, 0.35, NAN])


def test_tie_order_is_leverage_to_nine_decimals_then_the_framework(mini: ScoringModel) -> None:
    assert tie_order(np.array([0.5 + 1e-12, 0.5, 0.5 + 2e-12])).tolist() == [0, 1, 2]  # equal to 9 decimals
    assert tie_order(np.array([0.5, 1.0, 0.75, 1.0 + 1e-10])).tolist() == [1, 3, 2, 0]
    assert tie_order(np.array([0.0, 0.0, 0.0])).tolist() == [0, 1, 2]


def test_top_priorities_by_hand(mini: ScoringModel) -> None:
    # target 0.35, leverage (1, ½, ½): scores (0.3, 0.05, NaN) -> priorities (0.05, 0.15, unassessed);
    # scores (0.1, 0.1, 0.1) -> (0.25, 0.125, 0.125): the tie between activities 1 and 2 keeps their order
    act = np.array([[0.3, 0.05, NAN], [0.1, 0.1, 0.1], [NAN, NAN, NAN]])
    lev = np.array([1.0, 0.5, 0.5])
    target = np.array([0.35, 0.35, NAN])
    got = top_priorities(act, target, lev, 3)
    assert got.dtype == np.uint8 and got.tolist() == [[1, 0, 2], [0, 1, 2], [0, 1, 2]]
    assert top_priorities(act, target, lev, 2).tolist() == [[1, 0], [0, 1], [0, 1]]
    assert top_priorities(act, target, lev, 9).shape == (3, 3)  # never more than the activities
    none = top_priorities(act, target, lev, 0)
    assert none.shape == (3, 0) and none.dtype == np.uint8
    # the tie order given or computed: the same; a given one is used as it is
    assert top_priorities(act, target, lev, 3, tie_order(lev)).tolist() == got.tolist()
    assert top_priorities(act[2:], target[2:], lev, 3, np.array([2, 0, 1])).tolist() == [[2, 0, 1]]
    # leverages too large for exact integer keys: the stable sort, the same order
    big = top_priorities(act, target, lev * 1e9, 3)
    assert big.tolist() == got.tolist() and big.dtype == np.uint8
    assert prioritise(mini, _scores(act.tolist(), [0.2, 0.2, NAN]), leverage=lev).order.tolist() == got.tolist()


def test_index_dtype_boundaries() -> None:
    assert [index_dtype(n) for n in (1, 256, 257, 65_536, 65_537, 2**32, 2**32 + 1)] == [
        np.uint8, np.uint8, np.uint16, np.uint16, np.uint32, np.uint32, np.uint64]


# --- the target class and the rows of a plan -------------------------------------------------


def test_target_class_by_id_or_index(mini: ScoringModel) -> None:
    assert target_class_index(mini, None) is None
    assert [target_class_index(mini, c) for c in ("proactive", "preactive", "reactive", "passive")] == [0, 1, 2, 3]
    assert [target_class_index(mini, i) for i in (0, 3, np.int64(2))] == [0, 3, 2]  # type: ignore[arg-type]
    classes = "['proactive', 'preactive', 'reactive', 'passive']"
    with pytest.raises(ValueError) as bad_id:
        target_class_index(mini, "Proactive")
    assert str(bad_id.value) == f"target class 'Proactive' is not one of the framework's classes {classes}"
    for bad in (-1, 4, 1.5):
        with pytest.raises(ValueError) as bad_index:
            target_class_index(mini, bad)  # type: ignore[arg-type]
        assert str(bad_index.value) == f"target class must be a class id {classes} or an index 0..3, got {bad!r}"


def test_rows_of_a_batch(mini: ScoringModel, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    x = rng.choice([0.0, 1 / 3, 2 / 3, 1.0], size=(5, 5))
    s = score(mini, x)
    one_by_one = [next_class_plan(mini, s, i) for i in range(5)]
    assert next_class_plans(mini, s) == one_by_one
    assert next_class_plans(mini, s, []) == []
    assert next_class_plans(mini, s, np.array([[4], [0]])) == [one_by_one[4], one_by_one[0]]
    assert next_class_plans(mini, s, [-1, -5]) == [one_by_one[4], one_by_one[0]]  # from the end, like a list
    for bad in ([5], [0, -6]):
        with pytest.raises(ValueError, match=r"^rows must lie in 0\.\.4$"):
            next_class_plans(mini, s, bad)
    monkeypatch.setattr(priorities, "PLAN_BLOCK_ROWS", 2)  # blocks of two firms: the same plans
    assert next_class_plans(mini, s) == one_by_one
    assert next_class_plans(mini, s, [3, 1, 4]) == [one_by_one[3], one_by_one[1], one_by_one[4]]


# --- plans with nothing to plan --------------------------------------------------------------


@pytest.mark.parametrize(("answers", "current"), [
    ([NAN, NAN, NAN, 1.0, 1 / 3], (-1, 1)),  # no IIP; IEP = a_exp alone = (1 + 3 · ⅓)/4 = ½: preactive
    ([NAN, NAN, 1.0, NAN, NAN], (0, -1)),  # only q3: IIP = 1 (proactive), no IEP
])
def test_a_firm_without_an_index_has_no_plan(mini: ScoringModel, answers: list[float],
                                             current: tuple[int, int]) -> None:
    s = score(mini, np.array(answers))
    for exact in (True, False):
        plan = next_class_plan(mini, s, exact=exact)
        assert plan.current == current and plan.target == (-1, -1)
        assert plan.reachable is False and plan.steps == [] and plan.method == "exact"
        assert np.isnan(plan.needed).all() and np.isnan(plan.after).all()


def test_nothing_to_reach(mini: ScoringModel) -> None:
    # every answer at the top: IIP = IEP = 1, proactive on both, nothing above
    s = score(mini, np.ones(5))
    plan = next_class_plan(mini, s)
    assert plan == NextClassPlan((0, 0), (0, 0), (0.0, 0.0), True, [], (1.0, 1.0), "exact")
    # q1 yes, q3 no, q4 yes, q2 = q5 = ⅔: a_joint = ⅚, a_inn = 0, a_exp = (1 + 2)/4 = ¾;
    # IIP = 5/12 (preactive), IEP = ½ · ⅚ + ½ · ¾ = 19/24 (proactive). Target "preactive": IIP is
    # there already and IEP is above: nothing to do; the plan keeps the firm's indices.
    s = score(mini, np.array([1.0, 2 / 3, 0.0, 1.0, 2 / 3]))
    plan = next_class_plan(mini, s, target="preactive")
    assert plan.current == (1, 0) and plan.target == (1, 0) and plan.needed == (0.0, 0.0)
    assert plan.steps == [] and plan.reachable and plan.method == "exact"
    assert plan.after == pytest.approx((5 / 12, 19 / 24))


# --- the greedy plan: its chain, its pruning, when it is used --------------------------------


def test_greedy_steps_are_pruned(mini: ScoringModel) -> None:
    # q1 no, q2 ⅔, q3 no, q4 no, q5 unanswered: a_exp = q4 alone, so the weights are (¼, ¼, ½, 0) in
    # IIP and (¼, ¼, 0, ½) in IEP; a_joint = ⅓, IIP = IEP = ⅙ (passive). To proactive both need
    # 0.61 - ⅙ = 0.44333. Greedy: q1 (+¼, +¼: progress ½) first; then q3 (+½, 0) and q4 (0, +½) each
    # progress 0.19333 (more than q2's ⅙), q3 first (equal gain and leverage, framework order), then
    # q4: IIP = IEP = 11/12. Without q1 both are still ⅔ >= 0.61: pruned. The plan is q3, q4.
    s = score(mini, np.array([0.0, 2 / 3, 0.0, 0.0, NAN]))
    greedy = next_class_plan(mini, s, target="proactive", exact=False)
    assert greedy.method == "greedy" and greedy.reachable
    assert greedy.current == (3, 3) and greedy.target == (0, 0)
    assert greedy.needed == pytest.approx((0.61 - 1 / 6, 0.61 - 1 / 6))
    assert _steps(greedy) == [("q3", 0, 1), ("q4", 0, 1)]
    assert [s.gain for s in greedy.steps] == [pytest.approx((0.5, 0.0)), pytest.approx((0.0, 0.5))]
    assert [s.activity for s in greedy.steps] == ["a_inn", "a_exp"]
    assert greedy.after == pytest.approx((2 / 3, 2 / 3))
    exact = next_class_plan(mini, s, target="proactive")
    assert exact.method == "exact" and _steps(exact) == _steps(greedy) and exact.after == pytest.approx(greedy.after)


def test_pruning_drops_an_early_step_that_later_steps_make_useless(mini: ScoringModel) -> None:
    # q1 unanswered, everything else "no"/"never": a_joint = q2 alone, so the weights are (½, ½, 0, 0)
    # in IIP and (½, 0, ⅛, ⅜) in IEP; IIP = IEP = 0, both need 0.41 to preactive. Greedy: q3
    # (+½, 0: progress 0.41) beats a level of q2 (+⅙, +⅙: progress ⅓); then IIP is there and q2's
    # levels (IEP +⅙, total gain ⅓) beat q4 and q5's (+⅛) three times: IEP ½. Pruned from the last
    # step back: q2's third level is needed (IEP ⅓ without it), its lower levels come before a kept
    # level, and q3 is not needed (IIP ½ without it). The plan: q2 three times, like the optimum.
    s = score(mini, np.array([NAN, 0.0, 0.0, 0.0, 0.0]))
    greedy = next_class_plan(mini, s, target="preactive", exact=False)
    assert greedy.reachable and greedy.method == "greedy" and greedy.needed == (0.41, 0.41)
    assert _steps(greedy) == [("q2", 0, 1), ("q2", 1, 2), ("q2", 2, 3)]
    assert greedy.after == pytest.approx((0.5, 0.5))
    assert _steps(next_class_plan(mini, s, target="preactive")) == _steps(greedy)


def test_greedy_prefers_the_larger_total_gain(mini: ScoringModel) -> None:
    # q1 no, q2 ⅓, q3 yes, q4 yes, q5 ⅓: a_joint = ⅙, a_exp = (1 + 1)/4 = ½; IIP = 1/12 + ½ = 7/12
    # (preactive, needs 0.61 - 7/12 = 0.02667), IEP = 1/12 + ¼ = ⅓ (reactive, needs 0.41 - ⅓ =
    # 0.07667). q1 (+¼, +¼) and q2 to ⅔ (+1/12, +1/12) both cover both needs (progress 0.10333);
    # the larger total gain, q1's ½, wins. One step is the fewest possible: that is the plan.
    s = score(mini, np.array([0.0, 1 / 3, 1.0, 1.0, 1 / 3]))
    for exact in (True, False):
        plan = next_class_plan(mini, s, exact=exact)
        assert plan.current == (1, 2) and plan.target == (0, 1)
        assert _steps(plan) == [("q1", 0, 1)] and plan.method == ("exact" if exact else "greedy")
        assert plan.after == pytest.approx((7 / 12 + 0.25, 1 / 3 + 0.25))


def test_greedy_prefers_the_higher_leverage(mini: ScoringModel) -> None:
    # a_inn moved before a_joint: questions q3, q1, q2, q4, q5. q1 no, q2 always, q3 no, q4 yes,
    # q5 always: IIP = ½ · ½ + ½ · 0 = ¼ (passive: needs 0.04 to reactive), IEP = ½ · ½ + ½ · 1 = ¾.
    # q3 (+½, 0) and q1 (+¼, +¼) both bring 0.04 with a total gain of ½; q1's activity has leverage
    # 1, q3's ½: q1, although q3 comes first in the framework.
    moved = _changed(mini, lambda d: d["dimensions"][0]["activities"].reverse())
    assert moved.observable_ids == ("q3", "q1", "q2", "q4", "q5")
    s = score(moved, np.array([0.0, 0.0, 1.0, 1.0, 1.0]))
    assert s.indices[0, :2] == pytest.approx([0.25, 0.75])
    for exact in (True, False):
        plan = next_class_plan(moved, s, exact=exact)
        assert plan.current == (3, 0) and plan.target == (2, 0) and plan.needed == pytest.approx((0.04, 0.0))
        assert _steps(plan) == [("q1", 0, 1)]


@pytest.fixture(scope="module")
def halved(mini: ScoringModel) -> ScoringModel:
    """The mini framework with every level's value halved: no index can pass ½."""

    def halve(data: dict) -> None:
        for scale in data["scales"]:
            for level in scale["levels"]:
                level["value"] /= 2

    return _changed(mini, halve)


def test_out_of_reach_the_greedy_goes_as_far_as_it_helps(halved: ScoringModel) -> None:
    # Every answer "no"/"never": IIP = IEP = 0. Proactive (0.61) is out of reach: at the top of
    # every scale both indices are ½. The greedy raises everything (most progress first: q1, q3,
    # q2's three levels, q4, q5's levels); the plan lists them in the framework's order.
    s = score(halved, np.zeros(5))
    for exact in (True, False):
        plan = next_class_plan(halved, s, target="proactive", exact=exact)
        assert plan.reachable is False and plan.method == "greedy"
        assert plan.current == (3, 3) and plan.target == (0, 0) and plan.needed == (0.61, 0.61)
        assert _steps(plan) == [("q1", 0, 1), ("q2", 0, 1), ("q2", 1, 2), ("q2", 2, 3), ("q3", 0, 1),
                                ("q4", 0, 1), ("q5", 0, 1), ("q5", 1, 2), ("q5", 2, 3)]
        assert plan.after == pytest.approx((0.5, 0.5))
    # reactive (0.29) is within reach: an exact plan. IIP needs q1 and q3 (⅛ + ¼; q2's levels are
    # 1/24); IEP then needs 0.165 more in steps of 1/16 (q4, q5) or 1/24 (q2): three of 1/16.
    plan = next_class_plan(halved, s)
    assert plan.reachable and plan.method == "exact" and plan.target == (2, 2)
    assert _steps(plan) == [("q1", 0, 1), ("q3", 0, 1), ("q4", 0, 1), ("q5", 0, 1), ("q5", 1, 2)]
    assert plan.after == pytest.approx((0.375, 0.3125))


def test_out_of_reach_with_nothing_left_to_raise_on_one_index(halved: ScoringModel) -> None:
    # q1, q2, q3 at their top (½), q4 and q5 at 0: IIP = ½ (preactive), IEP = ¼ · ½ + ¼ · ½ = ¼
    # (passive). To proactive: IIP has no step left, IEP at most ½: out of reach; the greedy raises
    # q4 and q5 (+1/16 each level) as far as they go.
    s = score(halved, np.array([0.5, 0.5, 0.5, 0.0, 0.0]))
    plan = next_class_plan(halved, s, target="proactive")
    assert plan.current == (1, 3) and plan.needed == pytest.approx((0.11, 0.36))
    assert plan.reachable is False and plan.method == "greedy"
    assert _steps(plan) == [("q4", 0, 1), ("q5", 0, 1), ("q5", 1, 2), ("q5", 2, 3)]
    assert plan.after == pytest.approx((0.5, 0.5))
    # to preactive IIP is there already, IEP needs 0.16: three steps of 1/16 (two give only ⅛)
    plan = next_class_plan(halved, s, target="preactive")
    assert plan.reachable and plan.method == "exact" and plan.needed == pytest.approx((0.0, 0.16))
    assert _steps(plan) == [("q4", 0, 1), ("q5", 0, 1), ("q5", 1, 2)]
    assert plan.after == pytest.approx((0.5, 0.4375))


def test_the_greedy_when_the_solver_reports_no_solution(mini: ScoringModel, monkeypatch: pytest.MonkeyPatch) -> None:
    # the firm of test_greedy_steps_are_pruned, where the greedy plan is longer than the lower bound
    # (one step of ½ could cover a need of 0.443): the solver is asked, and fails
    s = score(mini, np.array([0.0, 2 / 3, 0.0, 0.0, NAN]))
    calls: list[object] = []

    def no_solution(*args: object, **kwargs: object) -> SimpleNamespace:
        calls.append(kwargs["options"])
        return SimpleNamespace(status=1, x=None)  # 1: iteration or time limit reached

    monkeypatch.setattr(scipy.optimize, "milp", no_solution)
    plan = next_class_plan(mini, s, target="proactive", time_limit=0.5)
    assert plan.method == "greedy" and plan.reachable and _steps(plan) == [("q3", 0, 1), ("q4", 0, 1)]
    assert calls == [{"time_limit": 0.5}]
    # a negative time limit is no time at all
    calls.clear()
    next_class_plan(mini, s, target="proactive", time_limit=-1)
    assert calls == [{"time_limit": 0.0}]

    def status_ok_no_x(*args: object, **kwargs: object) -> SimpleNamespace:
        return SimpleNamespace(status=0, x=None)

    monkeypatch.setattr(scipy.optimize, "milp", status_ok_no_x)
    assert next_class_plan(mini, s, target="proactive").method == "greedy"

    def refuses(*args: object, **kwargs: object) -> None:
        raise ValueError("bad problem")

    monkeypatch.setattr(scipy.optimize, "milp", refuses)
    assert next_class_plan(mini, s, target="proactive").method == "greedy"


def test_a_solution_short_of_a_target_is_tightened(mini: ScoringModel, monkeypatch: pytest.MonkeyPatch) -> None:
    # Same firm: needs 0.44333 on both; candidate steps q1 (¼, ¼), q2 ⅔ -> 1 (1/12, 1/12), q3 (½, 0),
    # q4 (0, ½). A solver whose first answer is short of a target (here q1, q2, q4: IIP gains only
    # ⅓) is asked again with a higher bound on that index only, and a short answer is never the plan.
    s = score(mini, np.array([0.0, 2 / 3, 0.0, 0.0, NAN]))
    real = scipy.optimize.milp
    seen: list[np.ndarray] = []

    def short_first(c: np.ndarray, **kwargs: object) -> object:
        seen.append(np.array(kwargs["constraints"][0].lb))  # type: ignore[index]
        if len(seen) == 1:
            return SimpleNamespace(status=0, x=np.array([1.0, 1.0, 0.0, 1.0]))
        return real(c, **kwargs)

    monkeypatch.setattr(scipy.optimize, "milp", short_first)
    plan = next_class_plan(mini, s, target="proactive")
    assert plan.method == "exact" and plan.reachable and len(seen) == 2
    need = 0.61 - 1 / 6 - 1e-9
    np.testing.assert_allclose(seen[0], [need, need])
    assert seen[1][0] > need and seen[1][1] == seen[0][1]
    assert min(plan.after) >= 0.61
    assert plan.after == pytest.approx(np.add(s.indices[0, :2], np.sum([st.gain for st in plan.steps], axis=0)))

    def always_short(c: np.ndarray, **kwargs: object) -> object:
        seen.append(kwargs["constraints"][0].lb)  # type: ignore[index]
        return SimpleNamespace(status=0, x=np.array([1.0, 1.0, 0.0, 1.0]))

    seen.clear()
    monkeypatch.setattr(scipy.optimize, "milp", always_short)
    plan = next_class_plan(mini, s, target="proactive")
    assert plan.method == "greedy" and _steps(plan) == [("q3", 0, 1), ("q4", 0, 1)]
    assert len(seen) == 2  # tightened once, then the greedy


def test_levels_are_climbed_in_order_even_when_the_last_one_is_worth_most(mini: ScoringModel) -> None:
    # The four-level scale made (0, 0.1, 0.2, 1) and only q2 answered, "never": IIP = IEP = q2 = 0.
    # To preactive (0.41) the top level alone (+0.8) would do, but it comes after the two others
    # (+0.1 each): three steps, by the integer program (whose lower bound, 1, it cannot meet) and by
    # the greedy, whose pruning keeps the levels below a kept level.
    def steep(data: dict) -> None:
        four = next(s for s in data["scales"] if s["id"] == "frequency4")
        for level, value in zip(four["levels"], (0.0, 0.1, 0.2, 1.0), strict=True):
            level["value"] = value

    model = _changed(mini, steep)
    s = score(model, np.array([NAN, 0.0, NAN, NAN, NAN]))
    assert s.indices[0].tolist() == [0.0, 0.0, 0.0]
    for exact in (True, False):
        plan = next_class_plan(model, s, target="preactive", exact=exact)
        assert plan.method == ("exact" if exact else "greedy") and plan.reachable
        assert _steps(plan) == [("q2", 0, 1), ("q2", 1, 2), ("q2", 2, 3)]
        assert plan.after == pytest.approx((1.0, 1.0))
        assert [st.gain for st in plan.steps] == [pytest.approx((0.1, 0.1)), pytest.approx((0.1, 0.1)),
                                                  pytest.approx((0.8, 0.8))]


def test_a_plan_landing_exactly_on_the_threshold_is_enough(mini: ScoringModel) -> None:
    # Preactive from 0.5 (profile 0.55). q1 and q5 unanswered, the others "no"/"never": a_joint = q2,
    # a_exp = q4, so the weights are (½, ½, 0) on (q2, q3, q4) in IIP and (½, 0, ½) in IEP; IIP =
    # IEP = 0. q3 (+½, 0) and q4 (0, +½) land exactly on 0.5: two steps (the target's bound is met
    # within 1e-9, not passed by it). The greedy takes q3 then q4 too, above its lower bound (1:
    # one gain of ½ covers a need of ½), so the integer program is solved and confirms.
    def preactive_from_half(data: dict) -> None:
        data["classes"][1] |= {"threshold": 0.5, "profile": 0.55}

    model = _changed(mini, preactive_from_half)
    s = score(model, np.array([NAN, 0.0, 0.0, 0.0, NAN]))
    plan = next_class_plan(model, s, target="preactive")
    assert plan.method == "exact" and plan.reachable and plan.needed == (0.5, 0.5)
    assert _steps(plan) == [("q3", 0, 1), ("q4", 0, 1)]
    assert plan.after == (0.5, 0.5)
    # q1 no, q3 no, q4 yes, q2 and q5 unanswered: a_joint = q1, a_exp = q4; IIP = ½ q1 + ½ q3 = 0,
    # IEP = ½ q1 + ½ q4 = ½, preactive already. IIP needs ½: q1 (+½, +½) and q3 (+½, 0) each land
    # exactly on it; q1 has the larger total gain, and one step is as few as can be: q1.
    s = score(model, np.array([0.0, NAN, 0.0, 1.0, NAN]))
    for exact in (True, False):
        plan = next_class_plan(model, s, target="preactive", exact=exact)
        assert plan.current == (3, 1) and plan.target == (1, 1) and plan.needed == (0.5, 0.0)
        assert _steps(plan) == [("q1", 0, 1)] and plan.after == (0.5, 1.0)


def test_the_greedy_plan_at_the_lower_bound_is_the_plan(mini: ScoringModel) -> None:
    # q3 yes, everything else "no"/"never": IIP = ½ (preactive, needs 0.11 to proactive), IEP = 0
    # (passive, needs 0.29 to reactive). Greedy: q1 (+¼, +¼: progress 0.11 + ¼) first; then IEP
    # needs 0.04, which q2's first level (+1/12, +1/12), q4 (0, +⅛) and q5's first level (0, +⅛)
    # all bring: q2, the largest total gain. IEP's largest gains, ¼ then ⅛, need two steps: the
    # greedy's two steps are as few as can be, and they are the plan (another two-step plan, such
    # as q1 and q5, is not chosen).
    s = score(mini, np.array([0.0, 0.0, 1.0, 0.0, 0.0]))
    plan = next_class_plan(mini, s)
    assert plan.method == "exact" and plan.target == (0, 2) and plan.needed == pytest.approx((0.11, 0.29))
    assert _steps(plan) == [("q1", 0, 1), ("q2", 0, 1)]
    # To proactive IEP needs 0.61: after q1, ⅛ at a time (q4 first: the framework's order, q5's
    # first level bringing no more), then q5 to "sometimes" and "often": ¼ + 3 · ⅛ = 0.625. Its
    # largest gains, ¼ and ⅛ three times, need four steps: again the greedy's four are the plan.
    plan = next_class_plan(mini, s, target="proactive")
    assert plan.method == "exact" and plan.target == (0, 0)
    assert _steps(plan) == [("q1", 0, 1), ("q4", 0, 1), ("q5", 0, 1), ("q5", 1, 2)]
    assert plan.after == pytest.approx((0.75, 0.625))


def test_progress_counts_only_what_an_index_still_needs(mini: ScoringModel) -> None:
    # q1 yes, q2 never, q3 yes, q4 no, q5 often: IIP = ¼ + ½ = ¾ (proactive: nothing to reach),
    # IEP = ¼ + ⅜ · ⅔ = ½ (preactive, needs 0.11). q2's first level gains 1/12 on each index, ⅙ in
    # all, but only its 1/12 on IEP is progress; q4 (0, +⅛) brings 0.11: q4, one step.
    s = score(mini, np.array([1.0, 0.0, 1.0, 0.0, 2 / 3]))
    for exact in (True, False):
        plan = next_class_plan(mini, s, exact=exact)
        assert plan.current == (0, 1) and plan.target == (0, 0) and plan.needed == pytest.approx((0.0, 0.11))
        assert _steps(plan) == [("q4", 0, 1)]
        assert plan.after == pytest.approx((0.75, 0.625))


def test_out_of_reach_the_greedy_takes_no_step_that_does_not_help(mini: ScoringModel) -> None:
    # q3 on a scale whose top is 0.2: IIP = ½ a_joint + ½ q3 is at most 0.6, proactive is out of
    # reach. q1, q2, q4 at the top, q3 and q5 at 0: IIP = ½, IEP = ½ + ½ · ¼ = 0.625 (proactive).
    # The greedy raises q3 (+0.1 IIP) and stops there: raising q5 would only add to IEP, which has
    # nothing to reach.
    def low_innovation(data: dict) -> None:
        label = {"fr": "Un peu", "es": "Un poco", "en": "A little"}
        data["scales"].append({"id": "low", "levels": [{"code": "no", "value": 0.0, "label": label},
                                                       {"code": "some", "value": 0.2, "label": label}]})
        data["dimensions"][0]["activities"][1]["observables"][0]["scale"] = "low"

    model = _changed(mini, low_innovation)
    s = score(model, np.array([1.0, 1.0, 0.0, 1.0, 0.0]))
    for exact in (True, False):
        plan = next_class_plan(model, s, target="proactive", exact=exact)
        assert plan.current == (1, 0) and plan.target == (0, 0) and plan.needed == pytest.approx((0.11, 0.0))
        assert plan.reachable is False and plan.method == "greedy"
        assert _steps(plan) == [("q3", 0, 1)] and plan.after == pytest.approx((0.6, 0.625))


def test_a_plan_lists_its_steps_in_the_framework_order(mini: ScoringModel) -> None:
    # docs/method.md: "The plan lists its steps question by question in the framework's order",
    # also when the greedy plan is already as short as can be (it is found q3 first, then q1)
    plan = next_class_plan(mini, score(mini, np.array([0.0, 0.0, 0.0, 0.0, 1.0])), target="proactive")
    assert plan.method == "exact"
    assert [s.observable for s in plan.steps] == sorted((s.observable for s in plan.steps),
                                                        key=mini.observable_ids.index)


@pytest.mark.parametrize("a", [3, 10])
@pytest.mark.parametrize("lev", [5e6, 2.5e7, 1e8, 1e12])
def test_top_priorities_with_leverages_too_large_for_exact_keys(a: int, lev: float) -> None:
    """Priorities of millions: the integer keys (priority·1e9·A + place) would pass 2**53 and lose
    the place that breaks ties, so the stable sort takes over, and equal priorities keep the
    framework's order; unequal ones still rank by size."""
    act = np.zeros((2, a))
    act[1, a - 1] = 0.5  # the last activity's gap halved: last
    got = top_priorities(act, np.array([1.0, 1.0]), np.full(a, lev), a)
    assert got.tolist() == [list(range(a)), [*range(a - 1), a - 1]]
    act[1, 0] = 0.25  # the first one's gap ¾: after the others, before the last
    got = top_priorities(act, np.array([1.0, 1.0]), np.full(a, lev), a)
    assert got[1].tolist() == [*range(1, a - 1), 0, a - 1]
