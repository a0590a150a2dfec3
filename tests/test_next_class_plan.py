"""The next-class plan: the fewest one-level steps, checked against brute force and the greedy.

* on the mini framework (tests/fixtures/mini.yaml) every answer sheet, with and without unanswered
  questions, is planned and compared with a brute force that tries every set of raised answers and
  rescores it with :func:`score` (not with the plan's linear gains);
* on the shipped framework (iiep + wine), random firms: the exact plan is never longer than the
  greedy one, reaches both targets when rescored, and is minimal; a firm where the greedy needs one
  step more is found by a seeded search;
* the target class chosen by the caller, and the greedy fallback when the solver fails or has no time.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize

from innexport.core.assessment import _plan_out
from innexport.core.classes import thresholds
from innexport.core.priorities import TOLERANCE, NextClassPlan, next_class_plan, next_class_plans
from innexport.core.scoring import Scores, ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture(scope="module")
def mini() -> ScoringModel:
    return ScoringModel.from_framework(load_framework(MINI))


@pytest.fixture(scope="module")
def wine() -> ScoringModel:
    return ScoringModel.from_framework(load_framework("iiep", ["wine"]))


def scale_values(model: ScoringModel) -> list[np.ndarray]:
    fw = model.framework
    return [fw.scale_by_id[fw.observable_by_id[o].scale].values for o in model.observable_ids]


def levels_of(model: ScoringModel, x: np.ndarray) -> list[int]:
    return [-1 if np.isnan(v) else int(np.argmin(np.abs(s - v))) for v, s in zip(x, scale_values(model), strict=True)]


def raised(model: ScoringModel, x: np.ndarray, plan: NextClassPlan) -> np.ndarray:
    """The answers after the plan's steps (checking that each step starts where the last one ended)."""
    scales = scale_values(model)
    pos = {o: i for i, o in enumerate(model.observable_ids)}
    lvl = levels_of(model, x)
    y = x.copy()
    for s in plan.steps:
        q = pos[s.observable]
        assert s.from_level == lvl[q] and s.to_level == lvl[q] + 1, "steps go one level at a time, in order"
        lvl[q] += 1
        y[q] = scales[q][lvl[q]]
    return y


def goals(model: ScoringModel, plan: NextClassPlan) -> np.ndarray:
    lower = thresholds(model.framework)
    return np.array([lower[t] if t < c else -np.inf for c, t in zip(plan.current, plan.target, strict=True)])


def reaches(model: ScoringModel, x: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """Whether each row of answers ``x`` reaches ``goal`` on IIP and IEP, rescored from scratch."""
    s = score(model, x)
    return np.all(s.indices[:, :2] >= goal - TOLERANCE, axis=1)


def brute_force(model: ScoringModel, x: np.ndarray, goal: np.ndarray) -> int | None:
    """Fewest one-level steps reaching ``goal``, by trying every combination of raised answers."""
    scales = scale_values(model)
    lvl = levels_of(model, x)
    choices = [range(k, len(s)) if k >= 0 else [-1] for k, s in zip(lvl, scales, strict=True)]
    combos = np.array(list(itertools.product(*choices)))
    values = np.array([[np.nan if k < 0 else scales[q][k] for q, k in enumerate(c)] for c in combos])
    cost = (combos - np.where(np.array(lvl) < 0, -1, lvl)).sum(axis=1)
    ok = reaches(model, values, goal)
    return int(cost[ok].min()) if ok.any() else None


def all_mini_sheets(model: ScoringModel) -> np.ndarray:
    scales = scale_values(model)
    full = np.array(list(itertools.product(*[list(s) for s in scales])))
    rng = np.random.default_rng(16)
    holes = full.copy()
    holes[rng.random(holes.shape) < 0.3] = np.nan  # unanswered and "don't know" questions
    return np.vstack([full, holes])


@pytest.mark.parametrize("target", [None, "proactive", "preactive", "reactive"])
def test_exact_plan_matches_brute_force_on_every_mini_sheet(mini: ScoringModel, target: str | None) -> None:
    x = all_mini_sheets(mini)
    s = score(mini, x)
    plans = next_class_plans(mini, s, target=target)
    checked = 0
    for row, plan in zip(x, plans, strict=True):
        if plan.current[0] < 0 or plan.current[1] < 0:
            assert not plan.reachable and plan.steps == []
            continue
        goal = goals(mini, plan)
        best = brute_force(mini, row, goal)
        assert plan.reachable == (best is not None)
        if best is None:
            continue
        assert plan.method == "exact"
        assert len(plan.steps) == best, (row, plan)
        y = raised(mini, row, plan)
        assert reaches(mini, y[None], goal)[0]
        np.testing.assert_allclose(plan.after, score(mini, y).indices[0, :2], atol=1e-12)
        checked += best > 0
    assert checked > 50  # many sheets needed a real plan


def test_plan_of_one_row_is_the_batch_row(mini: ScoringModel) -> None:
    x = all_mini_sheets(mini)[::7]
    s = score(mini, x)
    batch = next_class_plans(mini, s)
    assert [next_class_plan(mini, s, i) for i in range(len(x))] == batch
    assert next_class_plans(mini, s, [3, 1]) == [batch[3], batch[1]]


def synthetic(model: ScoringModel, n: int, seed: int) -> np.ndarray:
    """Random answers on each question's scale, each firm with its own propensity, 5 % unscored."""
    rng = np.random.default_rng(seed)
    scales = scale_values(model)
    p = rng.beta(2, 2, size=n)
    x = np.column_stack([s[rng.binomial(len(s) - 1, p)] for s in scales])
    x[rng.random(x.shape) < 0.05] = np.nan
    return x


@pytest.fixture(scope="module")
def wine_firms(wine: ScoringModel) -> tuple[np.ndarray, Scores, list[NextClassPlan], list[NextClassPlan]]:
    x = synthetic(wine, 300, seed=16)
    s = score(wine, x)
    return x, s, next_class_plans(wine, s), next_class_plans(wine, s, exact=False)


def test_exact_plan_is_never_longer_reaches_and_is_minimal(wine: ScoringModel, wine_firms) -> None:
    x, _, exact, greedy = wine_firms
    planned = 0
    for row, e, g in zip(x, exact, greedy, strict=True):
        assert e.reachable == g.reachable and e.current == g.current and e.target == g.target
        if not e.reachable or not e.steps:
            continue
        planned += 1
        assert e.method == "exact" and g.method == "greedy"
        assert len(e.steps) <= len(g.steps)
        goal = goals(wine, e)
        y = raised(wine, row, e)
        assert reaches(wine, y[None], goal)[0]
        # minimal: undoing the last step on any raised question misses a target
        pos = {o: i for i, o in enumerate(wine.observable_ids)}
        scales = scale_values(wine)
        for q in {s.observable for s in e.steps}:
            z = y.copy()
            k = max(s.to_level for s in e.steps if s.observable == q)
            z[pos[q]] = scales[pos[q]][k - 1]
            assert not reaches(wine, z[None], goal)[0], (q, e)
    assert planned > 100


def test_greedy_is_sometimes_one_step_longer(wine: ScoringModel, wine_firms) -> None:
    x, _, exact, greedy = wine_firms
    longer = [i for i, (e, g) in enumerate(zip(exact, greedy, strict=True)) if len(g.steps) > len(e.steps)]
    assert longer, "the seeded search finds a firm where the greedy needs more steps"
    i = longer[0]
    assert len(greedy[i].steps) == len(exact[i].steps) + 1
    # both reach, the exact one with a step less
    goal = goals(wine, exact[i])
    for plan in (exact[i], greedy[i]):
        assert reaches(wine, raised(wine, x[i], plan)[None], goal)[0]
    # the result says how the plan was made
    assert _plan_out(wine.framework, exact[i]).method == "exact"
    assert _plan_out(wine.framework, greedy[i]).method == "greedy"


def test_target_class(wine: ScoringModel, wine_firms) -> None:
    _, s, default, _ = wine_firms
    passive = next(i for i, p in enumerate(default) if p.current == (3, 3))
    to_top = next_class_plan(wine, s, passive, target="proactive")
    assert to_top.target == (0, 0) and to_top.method == "exact" and to_top.reachable
    assert min(to_top.after) >= 0.61 - TOLERANCE
    assert len(to_top.steps) > len(default[passive].steps)
    assert next_class_plan(wine, s, passive, target=0) == to_top
    # the default is the next class; naming it gives the same plan
    assert next_class_plan(wine, s, passive, target="reactive") == default[passive]
    # an index already in the target class or above has nothing to reach
    preactive_iip = next(i for i, p in enumerate(default) if p.current[0] <= 1 and p.current[1] >= 2)
    plan = next_class_plan(wine, s, preactive_iip, target="preactive")
    assert plan.target[0] == plan.current[0] and plan.needed[0] == 0.0 and plan.target[1] == 1
    assert plan.after[1] >= 0.41 - TOLERANCE
    # a firm in the target class on both: no step
    assert next_class_plan(wine, s, passive, target="passive").steps == []
    with pytest.raises(ValueError, match="proactive"):
        next_class_plan(wine, s, passive, target="heroic")
    with pytest.raises(ValueError, match=r"index 0\.\.3"):
        next_class_plan(wine, s, passive, target=4)


def test_fallback_to_the_greedy(wine: ScoringModel, wine_firms, monkeypatch: pytest.MonkeyPatch) -> None:
    _, s, exact, greedy = wine_firms
    i = next(i for i, (e, g) in enumerate(zip(exact, greedy, strict=True)) if len(g.steps) > len(e.steps))
    assert next_class_plan(wine, s, i, time_limit=0.0) == greedy[i]  # no time: the greedy, labelled so

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(scipy.optimize, "milp", broken)
    plan = next_class_plan(wine, s, i)
    assert plan == greedy[i] and plan.method == "greedy" and plan.reachable
