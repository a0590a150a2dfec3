"""Scoring, classes and priorities: cases computed by hand, and properties checked with hypothesis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from innexport.core import parallel, priorities, scoring
from innexport.core.assessment import assess
from innexport.core.classes import QUADRANTS, classify, quadrant
from innexport.core.framework import Framework
from innexport.core.priorities import next_class_plan, prioritise
from innexport.core.scoring import ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture(scope="module")
def mini() -> ScoringModel:
    return ScoringModel.from_framework(load_framework(MINI))


# Hand computation for the mini framework (tests/fixtures/mini.yaml), answers
# q1 = yes (1), q2 = often (2/3), q3 = no (0), q4 = yes (1), q5 = sometimes (1/3, weight 3):
#   a_joint = (1 + 2/3) / 2 = 5/6      a_inn = 0      a_exp = (1·1 + 3·1/3) / 4 = 1/2
#   d1 = (5/6 + 0) / 2 = 5/12          d2 = 1/2
#   IIP  = d1 over innovation+joint activities only = 5/12 (d2 has none)
#   IEP  = (d1 over {a_joint} = 5/6, d2 = 1/2) / 2 = 2/3
#   IIEP = (5/12 + 1/2) / 2 = 11/24
HAND = np.array([1.0, 2 / 3, 0.0, 1.0, 1 / 3])


def test_scores_by_hand(mini: ScoringModel) -> None:
    s = score(mini, HAND)
    np.testing.assert_allclose(s.activities[0], [5 / 6, 0.0, 0.5])
    np.testing.assert_allclose(s.dimensions[0], [5 / 12, 0.5])
    np.testing.assert_allclose(s.indices[0], [5 / 12, 2 / 3, 11 / 24])
    assert s.completeness[0] == 1.0


def test_weights_renormalised_over_answered(mini: ScoringModel) -> None:
    x = HAND.copy()
    x[2] = np.nan  # a_inn unanswered: d1 = a_joint alone
    s = score(mini, x)
    assert np.isnan(s.activities[0, 1])
    np.testing.assert_allclose(s.dimensions[0], [5 / 6, 0.5])
    np.testing.assert_allclose(s.indices[0], [5 / 6, 2 / 3, (5 / 6 + 0.5) / 2])
    assert s.completeness[0] == pytest.approx(0.8)
    x[3] = np.nan  # q4 unanswered: a_exp = q5 alone
    assert score(mini, x).activities[0, 2] == pytest.approx(1 / 3)


def test_nothing_answered_gives_nan(mini: ScoringModel) -> None:
    s = score(mini, np.full(5, np.nan))
    assert np.isnan(s.indices).all() and s.completeness[0] == 0.0
    assert (classify(s.indices, np.array([0.61, 0.41, 0.29, 0.0])) == -1).all()


def test_effective_weights_and_leverage(mini: ScoringModel) -> None:
    # weights in IIP: a_joint 1/2, a_inn 1/2; in IEP: a_joint 1/2, a_exp 1/2; IIEP: 1/4, 1/4, 1/2
    np.testing.assert_allclose(mini.index_activity_weights, [[0.5, 0.5, 0], [0.5, 0, 0.5], [0.25, 0.25, 0.5]])
    np.testing.assert_allclose(mini.leverage, [1.0, 0.5, 0.5])  # the joint activity counts twice
    eff = mini.effective_observable_weights(np.ones((1, 5), bool))[0]
    np.testing.assert_allclose(eff.sum(axis=1), 1.0)
    # each index is exactly linear in the answers with these coefficients
    np.testing.assert_allclose(eff @ HAND, score(mini, HAND).indices[0])


def test_bad_input_shapes(mini: ScoringModel) -> None:
    with pytest.raises(ValueError, match="expected 5 observables"):
        score(mini, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        score(mini, np.full(5, 1.5))


def test_threshold_classes_on_boundaries() -> None:
    lower = np.array([0.61, 0.41, 0.29, 0.0])
    values = np.array([1.0, 0.61, 0.6099, 0.41, 0.40, 0.29, 0.2899, 0.0, np.nan])
    assert classify(values, lower).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, -1]
    # a value computed as 0.61 up to float noise is still proactive
    assert classify(np.array([0.1 + 0.2 + 0.31 - 1e-15]), lower)[0] == 0


def test_quadrants() -> None:
    q = quadrant(np.array([0.5, 0.2, 0.7, 0.1, np.nan]), np.array([0.5, 0.6, 0.3, 0.1, 0.5]), 0.41)
    assert [QUADRANTS[i] if i >= 0 else None for i in q] == [
        "innovative_exporter", "exporter_not_innovating", "innovator_not_exporting", "neither", None]


def test_priorities_by_hand(mini: ScoringModel) -> None:
    # IIEP 11/24 is preactive: the target is the proactive profile, 0.805 on every activity.
    # gaps: a_joint max(0, 0.805 - 5/6) = 0, a_inn 0.805, a_exp 0.305
    # priority = gap × leverage: 0, 0.4025, 0.1525 → order a_inn, a_exp, a_joint
    pr = prioritise(mini, score(mini, HAND))
    assert pr.target_class[0] == 0 and pr.target[0] == pytest.approx(0.805)
    np.testing.assert_allclose(pr.priority[0], [0.0, 0.4025, 0.1525])
    assert pr.order[0].tolist() == [1, 2, 0]


def test_equal_gaps_rank_by_priority_then_framework_order(mini: ScoringModel) -> None:
    # all answers 0: passive, target reactive profile 0.35 everywhere, gaps equal (0.35);
    # priorities 0.35, 0.175, 0.175: the joint activity first, then framework order (equal priority and
    # leverage). Ties that leverage decides: tests/test_method_rules.py.
    pr = prioritise(mini, score(mini, np.zeros(5)))
    assert pr.target[0] == pytest.approx(0.35)
    assert pr.order[0].tolist() == [0, 1, 2]


def test_proactive_firm_aims_at_the_top(mini: ScoringModel) -> None:
    x = np.array([1.0, 1.0, 1.0, 1.0, 2 / 3])  # everything high
    pr = prioritise(mini, score(mini, x))
    assert pr.target[0] == 1.0
    assert pr.order[0, 0] == 2  # only a_exp is below 1


def test_custom_leverage_is_checked(mini: ScoringModel) -> None:
    s = score(mini, HAND)
    pr = prioritise(mini, s, leverage=np.array([0.0, 0.0, 1.0]))
    assert pr.order[0, 0] == 2
    with pytest.raises(ValueError, match="leverage"):
        prioritise(mini, s, leverage=np.array([1.0, -1.0, 0.0]))


def test_next_class_plan_by_hand(mini: ScoringModel) -> None:
    # IIP 5/12 is preactive, needs 0.61 - 5/12 = 0.19333; IEP 2/3 is already proactive.
    # q3 (no → yes) carries weight 1/2 in IIP: one step gives +0.5 and is enough.
    plan = next_class_plan(mini, score(mini, HAND))
    assert plan.current == (1, 0) and plan.target == (0, 0)
    assert plan.needed[0] == pytest.approx(0.61 - 5 / 12) and plan.needed[1] == 0.0
    assert plan.reachable
    assert [(s.observable, s.from_level, s.to_level) for s in plan.steps] == [("q3", 0, 1)]
    assert plan.after == pytest.approx((5 / 12 + 0.5, 2 / 3))


def test_next_class_plan_needs_both_indices(mini: ScoringModel) -> None:
    # everything at 0 (passive on both): reactive (0.29) needed on IIP and IEP.
    # q1 (yes_no, in a_joint) gives +0.25 to both IIP and IEP at once: the greedy takes it first,
    # then the cheapest steps that close the remaining 0.04 on each.
    plan = next_class_plan(mini, score(mini, np.zeros(5)))
    assert plan.target == (2, 2) and plan.reachable
    assert plan.steps[0].observable == "q1"
    iip, iep = plan.after
    assert iip >= 0.29 and iep >= 0.29
    # minimal: dropping any final step breaks a target
    for s in plan.steps:
        assert iip - s.gain[0] < 0.29 - 1e-9 or iep - s.gain[1] < 0.29 - 1e-9


def test_next_class_plan_only_raises_answered_questions(mini: ScoringModel) -> None:
    # only q1 answered ("no"): both indices are 0; raising q1 to "yes" lifts both to 1.
    plan = next_class_plan(mini, score(mini, np.array([0.0, np.nan, np.nan, np.nan, np.nan])))
    assert [s.observable for s in plan.steps] == ["q1"] and plan.after == (1.0, 1.0)
    # proactive on both: nothing to do
    plan = next_class_plan(mini, score(mini, np.array([1.0, 1.0, np.nan, np.nan, np.nan])))
    assert plan.current == (0, 0) and plan.steps == [] and plan.reachable
    # nothing answered: no class, no plan
    plan = next_class_plan(mini, score(mini, np.full(5, np.nan)))
    assert not plan.reachable and plan.current == (-1, -1)


def test_assess_flows_and_classes(mini: ScoringModel) -> None:
    pop = assess(mini, np.vstack([HAND, np.zeros(5), np.ones(5)]))
    assert pop.classes.tolist() == [[1, 0, 1], [3, 3, 3], [0, 0, 0]]
    for fs in pop.flowsort:
        assert fs.classes[1] == 3 and fs.classes[2] == 0  # all-zero is passive, all-one proactive
    assert [QUADRANTS[q] for q in pop.quadrant] == ["innovative_exporter", "neither", "innovative_exporter"]


# --- properties ------------------------------------------------------------------------------

answers = arrays(np.float64, 5, elements=st.one_of(st.just(np.nan), st.floats(0, 1, allow_subnormal=False)))


@given(answers)
def test_indices_in_unit_interval(x: np.ndarray) -> None:
    s = score(_MINI_MODEL, x)
    finite = s.indices[np.isfinite(s.indices)]
    assert ((finite >= -1e-12) & (finite <= 1 + 1e-12)).all()
    assert np.isnan(s.indices).all() == np.isnan(x).all()


@given(answers, st.integers(0, 4), st.floats(0, 1, allow_subnormal=False))
def test_raising_an_answer_never_lowers_an_index(x: np.ndarray, j: int, up: float) -> None:
    if np.isnan(x[j]):
        return
    y = x.copy()
    y[j] = min(1.0, x[j] + up)
    before, after = score(_MINI_MODEL, x), score(_MINI_MODEL, y)
    for a, b in ((before.indices, after.indices), (before.activities, after.activities),
                 (before.dimensions, after.dimensions)):
        ok = np.isfinite(a)
        assert (b[ok] >= a[ok] - 1e-12).all()


@settings(max_examples=50)
@given(st.randoms(use_true_random=False), arrays(np.float64, (3, 5), elements=st.floats(0, 1, allow_subnormal=False)))
def test_permuting_questions_and_activities_changes_nothing(rnd, x: np.ndarray) -> None:
    fw = _MINI_MODEL.framework
    data = fw.model_dump(mode="python", exclude_none=True)
    for dim in data["dimensions"]:
        rnd.shuffle(dim["activities"])
        for act in dim["activities"]:
            rnd.shuffle(act["observables"])
    rnd.shuffle(data["dimensions"])
    shuffled = ScoringModel.from_framework(Framework.model_validate(data))
    cols = [_MINI_MODEL.observable_ids.index(o) for o in shuffled.observable_ids]
    a, b = score(_MINI_MODEL, x), score(shuffled, x[:, cols])
    np.testing.assert_allclose(a.indices, b.indices, rtol=1e-9, atol=1e-12)
    acts = [_MINI_MODEL.activity_ids.index(i) for i in shuffled.activity_ids]
    np.testing.assert_allclose(a.activities[:, acts], b.activities, rtol=1e-9, atol=1e-12)


@given(arrays(np.float64, (4, 5), elements=st.floats(0, 1, allow_subnormal=False)))
def test_equal_weights_give_plain_means(x: np.ndarray) -> None:
    data = _MINI_MODEL.framework.model_dump(mode="python", exclude_none=True)
    data["dimensions"][1]["activities"][0]["observables"][1].pop("weight")  # q5 had weight 3
    model = ScoringModel.from_framework(Framework.model_validate(data))
    s = score(model, x)
    close = {"rtol": 1e-9, "atol": 1e-12}
    np.testing.assert_allclose(s.activities, np.column_stack([x[:, :2].mean(1), x[:, 2], x[:, 3:].mean(1)]), **close)
    np.testing.assert_allclose(s.dimensions, np.column_stack([s.activities[:, :2].mean(1), s.activities[:, 2]]), **close)
    np.testing.assert_allclose(s.iiep, s.dimensions.mean(1), **close)


@given(arrays(np.float64, (6, 5), elements=st.one_of(st.just(np.nan), st.floats(0, 1, allow_subnormal=False))))
def test_batch_equals_one_by_one(x: np.ndarray) -> None:
    batch = assess(_MINI_MODEL, x)
    for i in range(len(x)):
        one = assess(_MINI_MODEL, x[i : i + 1])
        # BLAS may sum in another order for another shape: equal up to rounding
        np.testing.assert_allclose(one.scores.indices[0], batch.scores.indices[i], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(one.classes[0], batch.classes[i])
        np.testing.assert_array_equal(one.priorities.order[0], batch.priorities.order[i])


def test_blocks_on_threads_give_the_row_by_row_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    x = rng.random((37, 5))
    x[rng.random(x.shape) < 0.2] = np.nan
    one_by_one = [assess(_MINI_MODEL, row[None]) for row in x]
    monkeypatch.setattr(scoring, "CHUNK_ROWS", 4)
    monkeypatch.setattr(priorities, "BLOCK_ROWS", 3)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    batch = assess(_MINI_MODEL, x)
    np.testing.assert_allclose(batch.scores.indices, np.vstack([o.scores.indices for o in one_by_one]), atol=1e-12)
    np.testing.assert_allclose(batch.scores.completeness, [o.scores.completeness[0] for o in one_by_one])
    np.testing.assert_array_equal(batch.priorities.order, np.vstack([o.priorities.order for o in one_by_one]))


@given(arrays(np.float64, 5, elements=st.floats(0, 1, allow_subnormal=False)), st.floats(0.1, 10))
def test_scaling_all_weights_changes_nothing(x: np.ndarray, c: float) -> None:
    data = _MINI_MODEL.framework.model_dump(mode="python", exclude_none=True)
    for dim in data["dimensions"]:
        dim["weight"] = c * dim.get("weight", 1.0)
        for act in dim["activities"]:
            for obs in act["observables"]:
                obs["weight"] = c * obs.get("weight", 1.0)
    scaled = ScoringModel.from_framework(Framework.model_validate(data))
    np.testing.assert_allclose(score(scaled, x).indices, score(_MINI_MODEL, x).indices, rtol=1e-9, atol=1e-12)


_MINI_MODEL = ScoringModel.from_framework(load_framework(MINI))


# --- the block kernels (core.pipeline): check_values, Scratch, activity_scores, indices_and_weights ------------


def test_check_values_names_the_first_bad_value_from_first_row(mini: ScoringModel) -> None:
    x = np.array([[1.0, np.nan, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0, 0.0], [0.0, 1.0, -0.25, 1.5, 0.0]])
    scoring.check_values(mini, x[:2], first_row=5)  # NaN, 0 and 1 are fine
    scoring.check_values(mini, np.empty((0, 5)))  # nothing to check
    with pytest.raises(ValueError) as refused:
        scoring.check_values(mini, x, first_row=5)
    assert str(refused.value) == ("answer values must lie in [0, 1] (NaN for unanswered): assessment 7, "
                                  f"observable {mini.observable_ids[2]} is -0.25")
    above = np.zeros((1, 5))
    above[0, 3] = 1.5  # above 1 only (nothing below 0)
    with pytest.raises(ValueError, match=rf"assessment 0, observable {mini.observable_ids[3]} is 1.5$"):
        scoring.check_values(mini, above)



def test_scratch_reuses_an_array_while_it_is_large_enough() -> None:
    work = scoring.Scratch()
    first = work.get("num", (6, 3))
    assert first.shape == (6, 3) and first.dtype == np.float64
    assert np.shares_memory(work.get("num", (6, 3)), first)  # the same size: the same memory
    assert np.shares_memory(work.get("num", (2, 3)), first)  # fewer rows: a view of it
    bigger = work.get("num", (7, 3))
    assert bigger.shape == (7, 3) and not np.shares_memory(bigger, first)  # more rows: allocated anew
    assert not np.shares_memory(work.get("num", (7, 4)), bigger)  # other columns
    narrow = work.get("num", (7, 4), np.float32)
    assert narrow.dtype == np.float32 and narrow.shape == (7, 4)  # another type
    assert not np.shares_memory(work.get("den", (7, 4), np.float32), narrow)  # another name


def test_activity_scores_by_hand(mini: ScoringModel) -> None:
    # HAND: a_joint 5/6, a_inn 0, a_exp 1/2, every question answered; the second firm answers only
    # q1 and q5 (1/3): a_joint 1, a_inn unassessed, a_exp 1/3; completeness 1 and 2/5
    x = np.array([HAND, [1.0, np.nan, np.nan, np.nan, 1 / 3]])
    for exact in (True, False):
        act, done = scoring.activity_scores(mini, x, exact=exact)
        np.testing.assert_allclose(act, [[5 / 6, 0.0, 0.5], [1.0, np.nan, 1 / 3]], rtol=0, atol=1e-15)
        np.testing.assert_allclose(done, [1.0, 0.4], rtol=0, atol=1e-15)
    work = scoring.Scratch()
    act, _ = scoring.activity_scores(mini, x, work=work)
    assert np.shares_memory(act, work.get("num", (2, 4)))  # the results are views into the scratch arrays
    with pytest.raises(ValueError, match=r"assessment 11, observable "):
        scoring.activity_scores(mini, np.array([[2.0, 0, 0, 0, 0]]), first_row=11)


def test_indices_and_weights_by_hand(mini: ScoringModel) -> None:
    # activities (5/6, 0, 1/2): IIP 5/12, IEP 2/3, IIEP 11/24 (HAND); (1, NaN, 1/3): a_inn unassessed,
    # so IIP is a_joint's 1 alone, IEP ½·1 + ½·1/3 = 2/3, IIEP (1 + 1/3)/2 = 2/3 as score() gives;
    # nothing assessed: NaN everywhere
    act = np.array([[5 / 6, 0.0, 0.5], [1.0, np.nan, 1 / 3], [np.nan, np.nan, np.nan]])
    indices, partial, weights = mini.indices_and_weights(act)
    want = score(mini, np.array([HAND, [1.0, np.nan, np.nan, np.nan, 1 / 3], [np.nan] * 5])).indices
    np.testing.assert_allclose(indices, want, rtol=0, atol=1e-15)
    np.testing.assert_allclose(indices[0], [5 / 12, 2 / 3, 11 / 24], rtol=0, atol=1e-15)
    assert partial.tolist() == [False, True, True] and weights.shape == (2, 3, 3)
    np.testing.assert_allclose(weights[1], 0.0)
    np.testing.assert_allclose(mini.normalised_index_weights.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    full, none, empty = mini.indices_and_weights(act[:1])
    np.testing.assert_array_equal(full, indices[:1])  # every activity assessed: no per-firm weights
    assert none.tolist() == [False] and empty.shape == (0, 3, 3)
