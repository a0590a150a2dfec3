"""The method's rules, exactly (issue 16): the priority tie chain, one rule for unassessed activities,
the method's settings and the worked example of docs/method.md.

* Priorities are compared on keys rounded like the indices (``classes.ROUNDING``), so that two
  mathematically equal priorities tie and the documented chain decides: priority (desc), then
  leverage (desc), then the framework's order; unassessed activities last.
* An unassessed activity's weight passes to its assessed siblings in the same dimension, in the
  indices, in FlowSort (each firm's effective activity weights) and nowhere else; leverage uses
  the full-framework weights (docs/method.md, sections 3 and 4).
* The settings: the IIEP's scope (``all`` or ``common_space``), dimensions weighed by their number
  of activities (and the shipped property "every activity counts the same in the IIEP", wine
  included), FlowSort's tie rule (``better`` or ``worse``).
* docs/method.md's worked example (section 5): every number of its block is recomputed here.

The flows below are worked out by hand on tests/fixtures/mini.yaml (profiles 0.805, 0.51, 0.35,
0.145; linear preference p = 0.25, q = 0; K = 4).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from innexport.core.assessment import assess
from innexport.core.classes import QUADRANTS, ROUNDING
from innexport.core.flowsort import PreferenceFunction, flowsort_many
from innexport.core.framework import Framework
from innexport.core.priorities import next_class_plan, prioritise
from innexport.core.scoring import Scores, ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture(scope="module")
def mini() -> ScoringModel:
    return ScoringModel.from_framework(load_framework(MINI))


@pytest.fixture(scope="module")
def iiep() -> ScoringModel:
    return ScoringModel.from_framework(load_framework("iiep", ["wine"]))


def _scores(activities: list[float], iiep_value: float) -> Scores:
    """Scores with given activity scores and IIEP (prioritise reads only these two)."""
    act = np.array([activities], dtype=float)
    return Scores(observables=np.zeros((1, 0)), activities=act, dimensions=np.zeros((1, 0)),
                  indices=np.array([[iiep_value, iiep_value, iiep_value]]), completeness=np.ones(1))


# --- 1. ties ---------------------------------------------------------------------------------


def test_equal_priorities_from_different_products_go_to_leverage(mini: ScoringModel) -> None:
    # Passive firm (IIEP 0.2): target 0.35. a_joint (leverage 1) scores 0.193: gap 0.157, priority
    # 0.157; a_inn (leverage 1/2) scores 0.036: gap 0.314, priority 0.157 too. In floating point
    # (0.35 - 0.193) * 1 = 0.15699999999999997 < (0.35 - 0.036) * 0.5 = 0.157: the raw products
    # would put a_inn first. Equal priorities: the higher leverage (a_joint) first.
    assert Fraction(35, 100) - Fraction(193, 1000) == (Fraction(35, 100) - Fraction(36, 1000)) / 2
    assert (0.35 - 0.193) * 1.0 < (0.35 - 0.036) * 0.5  # the floating-point trap is real
    pr = prioritise(mini, _scores([0.193, 0.036, 0.35], 0.2))
    assert pr.target[0] == pytest.approx(0.35)
    assert pr.order[0].tolist() == [0, 1, 2]


def test_leverage_decides_against_the_framework_order(mini: ScoringModel) -> None:
    # Reactive firm (IIEP 0.3): target 0.51. Gaps 0.2, 0.1, 0.4 and leverages 0.5, 1, 0.25: all
    # three priorities are 0.1, so the order is by leverage (a_inn, a_joint, a_exp), which is not
    # the framework order.
    pr = prioritise(mini, _scores([0.31, 0.41, 0.11], 0.3), leverage=np.array([0.5, 1.0, 0.25]))
    assert pr.target[0] == pytest.approx(0.51)
    np.testing.assert_allclose(pr.priority[0], [0.1, 0.1, 0.1])
    assert pr.order[0].tolist() == [1, 0, 2]


def test_equal_priority_and_leverage_keep_the_framework_order(mini: ScoringModel) -> None:
    # a_inn and a_exp have leverage 1/2 each and equal gaps (0.35 - 0.05 = 0.3): framework order,
    # after a_joint, whose gap is 0.35 - 0.3 = 0.05 (priority 0.05 < 0.15).
    pr = prioritise(mini, _scores([0.3, 0.05, 0.05], 0.2))
    assert pr.order[0].tolist() == [1, 2, 0]
    # unassessed activities last, whatever their leverage
    pr = prioritise(mini, _scores([np.nan, 0.05, 0.3], 0.2))
    assert pr.order[0].tolist() == [1, 2, 0]


GRID = st.sampled_from([i / 20 for i in range(21)] + [0.193, 0.036, 0.314, 0.157, np.nan])
LEVERAGES = st.sampled_from([0.0, 0.25, 0.5, 1 / 3, 2 / 3, 0.1, 0.3, 0.7, 1.0])


@settings(max_examples=200, deadline=None)
@given(acts=st.lists(GRID, min_size=3, max_size=3), lev=st.lists(LEVERAGES, min_size=3, max_size=3),
       iiep=st.floats(0.0, 1.0))
def test_consecutive_priorities_follow_the_chain(mini: ScoringModel, acts: list[float], lev: list[float],
                                                 iiep: float) -> None:
    pr = prioritise(mini, _scores(acts, iiep), leverage=np.array(lev))
    order = pr.order[0].tolist()
    assert sorted(order) == [0, 1, 2]
    p = np.round(pr.priority[0], ROUNDING)
    lv = np.round(pr.leverage, ROUNDING)
    for a, b in pairwise(order):
        if np.isnan(p[a]):
            assert np.isnan(p[b])  # unassessed last, among themselves by leverage then framework order
            assert (-lv[a], a) < (-lv[b], b)
        elif not np.isnan(p[b]):
            assert (-p[a], -lv[a], a) < (-p[b], -lv[b], b)


def test_real_framework_chain_on_random_firms(iiep: ScoringModel) -> None:
    rng = np.random.default_rng(16)
    x = rng.choice([0.0, 1 / 3, 0.5, 2 / 3, 1.0, np.nan], size=(2000, len(iiep.observable_ids)),
                   p=[0.25, 0.2, 0.15, 0.2, 0.15, 0.05])
    pr = prioritise(iiep, score(iiep, x))
    p = np.round(pr.priority, ROUNDING)
    lv = np.round(pr.leverage, ROUNDING)
    rows = np.arange(len(x))[:, None]
    po = p[rows, pr.order]
    first, then = po[:, :-1], po[:, 1:]
    a, b = pr.order[:, :-1], pr.order[:, 1:]
    both = ~np.isnan(first) & ~np.isnan(then)
    ok = (first > then) | ((first == then) & ((lv[a] > lv[b]) | ((lv[a] == lv[b]) & (a < b))))
    assert np.all(ok | ~both)
    assert not np.any(np.isnan(first) & ~np.isnan(then))  # unassessed last


# --- 2. one rule for unassessed activities ---------------------------------------------------

# HAND answers of tests/test_scoring.py with q3 (a_inn's only question) unanswered:
#   a_joint = 5/6, a_inn unassessed, a_exp = 1/2; IIEP = (5/6 + 1/2) / 2 = 2/3.
NO_INN = np.array([1.0, 2 / 3, np.nan, 1.0, 1 / 3])


def test_effective_weights_pass_to_siblings(mini: ScoringModel) -> None:
    w = mini.effective_activity_weights(np.array([[True, False, True], [True, True, True]]))
    # a_inn unassessed: in IIP a_joint takes d1 alone (1); in IIEP a_joint takes d1's 1/2
    np.testing.assert_allclose(w[0], [[1.0, 0.0, 0.0], [0.5, 0.0, 0.5], [0.5, 0.0, 0.5]])
    np.testing.assert_allclose(w[1], mini.index_activity_weights)
    np.testing.assert_allclose(mini.index_activity_weights, [[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.25, 0.25, 0.5]])
    # they are the indices' coefficients: index = Σ weight × activity score
    s = score(mini, NO_INN)
    np.testing.assert_allclose(w[0] @ np.nan_to_num(s.activities[0]), s.indices[0])
    # nothing assessed: all zero, no warning
    assert not mini.effective_activity_weights(np.zeros(3, dtype=bool)).any()
    with pytest.raises(ValueError, match="3 activities"):
        mini.effective_activity_weights(np.ones(4, dtype=bool))


def test_flows_by_hand_with_an_unassessed_activity(mini: ScoringModel) -> None:
    # IIEP criteria weights with a_inn unassessed: a_joint 1/2, a_exp 1/2 (the indices' rule; the
    # old renormalisation over all remaining activities gave 1/3, 2/3). a = (5/6, 1/2).
    # π(a, r):  0.805: ½·P(0.02833)=½·0.11333 = 0.05667; 0.51: ½; 0.35: ½ + ½·0.6 = 0.8; 0.145: 1
    # π(r, a):  0.805: ½·P(0.305) = 0.5; 0.51: ½·P(0.01) = 0.02; 0.35, 0.145: 0
    # φ+(a) = 2.35667/4 = 0.589167, φ-(a) = 0.52/4 = 0.13, φ(a) = 0.459167.
    # Profiles: φ(0.805) = (3 + 0.5)/4 - 0.05667/4 = 0.860833; φ(0.51) = (1.64 + 0.02)/4 - (1 + 0.5)/4
    # = 0.04: φ(a) is closer to 0.860833 (0.4017) than to 0.04 (0.4192): proactive, class 0
    # (the old weights gave φ(a) = 0.352778, closer to φ(0.51) = 0.083333: class 1).
    result = assess(mini, NO_INN[None])
    fs = result.flowsort[2]
    assert fs.positive_flow[0] == pytest.approx(2.3566667 / 4, abs=1e-7)
    assert fs.negative_flow[0] == pytest.approx(0.13)
    assert fs.net_flow[0] == pytest.approx(0.4591667, abs=1e-7)
    np.testing.assert_allclose(fs.profile_net_flows[0, :2], [0.8608333, 0.04], atol=1e-7)
    assert fs.classes[0] == 0
    # the same flows as FlowSort fed explicitly with the per-firm effective weights
    prof = np.repeat(np.array([0.805, 0.51, 0.35, 0.145])[:, None], 3, axis=1)
    s = score(mini, NO_INN)
    w = mini.effective_activity_weights(~np.isnan(s.activities))[0]
    np.testing.assert_allclose(w[2], [0.5, 0.0, 0.5])
    direct = flowsort_many(s.activities, prof, w, PreferenceFunction("linear", 0.0, 0.25))[2]
    assert direct.net_flow[0] == pytest.approx(fs.net_flow[0])
    # and NOT the old rule (full weights renormalised over the answered activities)
    old = flowsort_many(s.activities, prof, mini.index_activity_weights, PreferenceFunction("linear", 0.0, 0.25))[2]
    assert old.net_flow[0] == pytest.approx(0.3527778, abs=1e-7) and old.classes[0] == 1


def test_fully_assessed_firms_are_unchanged(iiep: ScoringModel) -> None:
    rng = np.random.default_rng(7)
    x = rng.choice([0.0, 1 / 3, 2 / 3, 1.0], size=(300, len(iiep.observable_ids)))
    s = score(iiep, x)
    assert not np.isnan(s.activities).any()
    new = assess(iiep, x).flowsort
    prof = np.repeat(np.array([0.805, 0.51, 0.35, 0.145])[:, None], len(iiep.activity_ids), axis=1)
    st_ = iiep.framework.flowsort
    old = flowsort_many(s.activities, prof, iiep.index_activity_weights,
                        PreferenceFunction(st_.preference, st_.q, st_.p))
    for k in range(3):
        np.testing.assert_allclose(new[k].net_flow, old[k].net_flow, atol=1e-12)
        assert np.array_equal(new[k].classes, old[k].classes)


def test_per_firm_weights_are_checked() -> None:
    prof = np.array([[0.8, 0.8], [0.2, 0.2]])
    x = np.array([[0.5, 0.5], [0.9, np.nan]])
    ones = np.ones((1, 2))
    bad = np.array([[[1.0, 1.0], [-1.0, 0.0]]])
    with pytest.raises(ValueError, match="alternative 1, criterion 0"):
        flowsort_many(x, prof, ones, weights_for=lambda answered: bad)
    with pytest.raises(ValueError, match="shape"):
        flowsort_many(x, prof, ones, weights_for=lambda answered: np.ones((1, 3, 2)))
    # a firm whose answered criteria all weigh 0 gets class -1, not a refusal
    zero = np.array([[[1.0, 1.0], [0.0, 1.0]]])
    r = flowsort_many(x, prof, ones, weights_for=lambda answered: zero)[0]
    assert r.classes[1] == -1 and np.isnan(r.net_flow[1])
    # firm 0: (0.5, 0.5), K = 2, P(0.3) = 1: φ+(a) = π(a, r2)/2 = 1/2, φ-(a) = π(r1, a)/2 = 1/2,
    # φ(a) = 0; φ(r1) = (1 + 1)/2 = 1, φ(r2) = -1: equally far, the tie goes to the better class
    assert r.net_flow[0] == pytest.approx(0.0) and r.classes[0] == 0


def test_leverage_is_the_full_framework_weight(mini: ScoringModel) -> None:
    # documented choice: the same leverage for every firm, assessed or not
    pr = prioritise(mini, score(mini, NO_INN))
    np.testing.assert_allclose(pr.leverage, [1.0, 0.5, 0.5])
    w = mini.effective_activity_weights(np.ones(3, dtype=bool))[0]
    np.testing.assert_allclose(pr.leverage, w[0] + w[1])


# --- 3. settings: the IIEP's scope, dimension weights, FlowSort's tie rule ---------------------

# q1 yes, q2 sometimes, q3 no, q4 yes, q5 often (weight 3):
#   a_joint = (1 + 1/3)/2 = 2/3, a_inn = 0, a_exp = (1 + 3·2/3)/4 = 3/4
SETTINGS_FIRM = np.array([1.0, 1 / 3, 0.0, 1.0, 2 / 3])


def _with(model: ScoringModel, **changes: dict[str, object]) -> ScoringModel:
    """The mini framework validated again with some settings changed (``scoring=``, ``flowsort=``)."""
    data = model.framework.model_dump(mode="python", exclude_none=True)
    for key, value in changes.items():
        data[key] = data.get(key, {}) | value
    return ScoringModel.from_framework(Framework.model_validate(data))


def test_iiep_scope_common_space_keeps_the_joint_activities_only(mini: ScoringModel) -> None:
    everything = score(mini, SETTINGS_FIRM).indices[0]
    # all (default): IIEP = ½·(2/3 + 0)/2 + ½·3/4 = 13/24; IIP = d1's (2/3 + 0)/2 = 1/3 (d2 has no
    # innovation activity: its weight passes to d1); IEP = ½·2/3 + ½·3/4 = 17/24
    np.testing.assert_allclose(everything, [1 / 3, 17 / 24, 13 / 24])
    common = _with(mini, scoring={"iiep_scope": "common_space"})
    assert common.framework.index_tags["iiep"] == {"joint"}
    np.testing.assert_allclose(common.index_activities[2], [True, False, False])
    # common space: only a_joint feeds the IIEP (d2 has no joint activity: its weight passes to d1)
    np.testing.assert_allclose(score(common, SETTINGS_FIRM).indices[0], [1 / 3, 17 / 24, 2 / 3])
    # FlowSort on the IIEP uses the same criteria: the one joint activity, weight 1
    np.testing.assert_allclose(common.index_activity_weights[2], [1.0, 0.0, 0.0])
    fs = assess(common, SETTINGS_FIRM[None]).flowsort[2]
    prof = np.array([[0.805], [0.51], [0.35], [0.145]])
    alone = flowsort_many(np.array([[2 / 3]]), prof, np.ones((1, 1)), PreferenceFunction("linear", 0.0, 0.25))[0]
    assert fs.net_flow[0] == pytest.approx(alone.net_flow[0]) and fs.classes[0] == alone.classes[0]


def test_a_framework_whose_iiep_scope_has_no_activity_is_refused(mini: ScoringModel) -> None:
    data = mini.framework.model_dump(mode="python", exclude_none=True)
    data["scoring"] = {"iiep_scope": "common_space"}
    data["dimensions"][0]["activities"][0]["tag"] = "innovation"  # no joint activity left
    with pytest.raises(ValidationError, match="no activity feeds the IIEP index"):
        Framework.model_validate(data)


def test_dimensions_weighted_by_their_number_of_activities(mini: ScoringModel) -> None:
    counted = _with(mini, scoring={"dimension_weights": "activity_count"})
    # d1 has 2 activities, d2 one: weights 2/3 and 1/3, so every activity weighs 1/3 in the IIEP
    np.testing.assert_allclose(counted.dimension_weights, [2 / 3, 1 / 3])
    np.testing.assert_allclose(counted.index_activity_weights[2], [1 / 3, 1 / 3, 1 / 3])
    # IIEP = 2/3·(2/3 + 0)/2 + 1/3·3/4 = 2/9 + 1/4 = 17/36
    assert score(counted, SETTINGS_FIRM).iiep[0] == pytest.approx(17 / 36)
    data = mini.framework.model_dump(mode="python", exclude_none=True)
    data["scoring"] = {"dimension_weights": "activity_count"}
    data["dimensions"][1]["weight"] = 2
    with pytest.raises(ValidationError, match="dimension_weights is activity_count: remove `weight` from d2"):
        Framework.model_validate(data)


@pytest.mark.parametrize("modules", [[], ["wine"]])
def test_every_activity_counts_the_same_in_the_shipped_iiep(modules: list[str]) -> None:
    # the property iiep.yaml states, kept when the wine module adds wine_tourism to `customer`
    model = ScoringModel.from_framework(load_framework("iiep", modules))
    n = len(model.activity_ids)
    assert n == 24 + len(modules)
    np.testing.assert_allclose(model.index_activity_weights[2], np.full(n, 1 / n))


def test_flowsort_tie_rule_is_a_setting(mini: ScoringModel) -> None:
    # Usual preference, every activity at 0.6, between the profiles 0.805 and 0.51: a beats
    # 0.51, 0.35, 0.145 and loses to 0.805 on every criterion, so φ(a) = (3 - 1)/4 = 1/2,
    # φ(0.805) = 4/4 = 1 and φ(0.51) = (2 - 2)/4 = 0: exactly as far from both profiles.
    firm = np.array([[0.6, 0.6, 0.6, 0.6, 0.6]])
    for ties, expected in (("better", 0), ("worse", 1)):
        model = _with(mini, flowsort={"preference": "usual", "ties": ties})
        fs = assess(model, firm).flowsort
        assert [f.net_flow[0] for f in fs] == pytest.approx([0.5] * 3)
        assert [int(f.classes[0]) for f in fs] == [expected] * 3
    with pytest.raises(ValidationError, match="ties"):
        _with(mini, flowsort={"ties": "random"})
    with pytest.raises(ValueError, match="unknown tie rule 'random'"):
        flowsort_many(firm, np.array([[0.8] * 5, [0.2] * 5]), np.ones((1, 5)), ties="random")  # type: ignore[arg-type]


# --- 4. the worked example of docs/method.md -------------------------------------------------------

METHOD_DOC = Path(__file__).resolve().parents[1] / "docs" / "method.md"


def _worked_example() -> dict[str, str]:
    """The ``name = value`` lines of the worked example's block in docs/method.md."""
    text = METHOD_DOC.read_text(encoding="utf-8")
    block = text.split("<!-- worked-example:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    return dict(line.split(" = ", 1) for line in block.strip().splitlines())


def test_the_worked_example_of_the_method_is_what_the_code_computes(mini: ScoringModel) -> None:
    doc = _worked_example()
    fw = mini.framework
    classes = [c.id for c in fw.classes]
    acts, dims = mini.activity_ids, mini.dimension_ids
    result = assess(mini, SETTINGS_FIRM[None])
    s = result.scores
    got: dict[str, object] = {}
    got |= {f"activity {a}": s.activities[0, j] for j, a in enumerate(acts)}
    got |= {f"dimension {d}": s.dimensions[0, j] for j, d in enumerate(dims)}
    for k, index in enumerate(("iip", "iep", "iiep")):
        fs = result.flowsort[k]
        got |= {f"index {index}": s.indices[0, k], f"class {index}": classes[result.classes[0, k]],
                f"flowsort {index} phi+": fs.positive_flow[0], f"flowsort {index} phi-": fs.negative_flow[0],
                f"flowsort {index} phi": fs.net_flow[0], f"flowsort {index} profiles": fs.profile_net_flows[0],
                f"flowsort {index} class": classes[fs.classes[0]]}
    pr = result.priorities
    plan = next_class_plan(mini, s, 0)
    got |= {"quadrant": QUADRANTS[result.quadrant[0]], "target": pr.target[0], "gap": pr.gap[0],
            "leverage": pr.leverage, "priority": pr.priority[0], "order": " ".join(acts[j] for j in pr.order[0]),
            "plan": " ".join(f"{st_.observable} {st_.from_level} {st_.to_level}" for st_ in plan.steps),
            "plan after": np.array(plan.after)}
    assert set(doc) == set(got), "the worked example lists other quantities than the test checks"
    for name, value in got.items():
        if isinstance(value, str):
            assert doc[name] == value, name
        else:
            expected = [float(v) for v in doc[name].split()]
            np.testing.assert_allclose(np.atleast_1d(value), expected, atol=1e-6, err_msg=name)
