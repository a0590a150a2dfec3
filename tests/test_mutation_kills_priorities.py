"""Tests that kill surviving mutants of :mod:`innexport.core.priorities` (scripts/mutation.py, issue 14).

Each test pins a behaviour that a mutant of the priorities changed without the other tests noticing;
the expected values are worked out by hand from the rule in docs/method.md (priority = gap to the
next class profile × leverage, ties by leverage then the framework's order).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from innexport.core.priorities import prioritise, tie_order, top_priorities
from innexport.core.scoring import Scores, ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = ScoringModel.from_framework(load_framework(Path(__file__).parent / "fixtures" / "mini.yaml"))


def test_tie_order_rounds_leverage_before_comparing() -> None:
    # 0.3 and 0.1 + 0.2 differ in the 17th digit: rounded they tie, so the framework's order stays
    assert tie_order(np.array([0.3, 0.1 + 0.2, 0.5])).tolist() == [2, 0, 1]
    assert tie_order(np.array([0.1 + 0.2, 0.3, 0.5])).tolist() == [2, 0, 1]


def test_tie_order_keeps_the_framework_order_within_many_ties() -> None:
    # 900 activities, three leverages repeated: every tie must keep the framework's order, which only
    # a stable sort guarantees past numpy's small-array insertion sort (about 16 elements)
    leverage = np.tile([0.1, 0.3, 0.2], 300)
    expected = [*range(1, 900, 3), *range(2, 900, 3), *range(0, 900, 3)]
    assert tie_order(leverage).tolist() == expected


def test_an_activity_above_its_target_has_no_gap_and_ties_in_the_tie_order() -> None:
    # target 0.5; scores 0.9, 0.5, 0.7 all reach it: every gap is max(0, 0.5 - s) = 0, so every priority is
    # 0 and the tie order (equal leverages: the framework's order) decides; a negative "gap" would rank
    # the activity furthest above the target last
    act = np.array([[0.9, 0.5, 0.7], [0.9, 0.2, 0.7]])
    lev = np.full(3, 0.1)
    assert top_priorities(act, np.array([0.5, 0.5]), lev, 3).tolist() == [[0, 1, 2], [1, 0, 2]]


def test_priority_is_the_gap_times_the_leverage() -> None:
    # target 0.5, scores 0.1 and 0.3: gaps 0.4 and 0.2; leverages 0.1 and 1.0: priorities 0.04 and 0.2,
    # so the smaller gap comes first (by gap alone it would be second)
    got = top_priorities(np.array([[0.1, 0.3]]), np.array([0.5]), np.array([0.1, 1.0]), 2)
    assert got.tolist() == [[1, 0]]


def test_huge_leverages_still_compare_priorities_to_nine_decimals() -> None:
    # leverage 1e8 (an impact-based leverage in currency units, say): the integer keys would not be exact, so
    # the stable sort of -round(priority, 9) ranks. Gaps 0.3 and 0.300000001 give priorities 3e7 and
    # 30000000.1: unequal to 9 decimals (rounded to whole numbers they would tie and keep the framework order)
    got = top_priorities(np.array([[0.7, 0.699999999]]), np.array([1.0]), np.full(2, 1e8), 2)
    assert got.tolist() == [[1, 0]]


def test_prioritise_order_is_activity_positions_usable_as_an_index() -> None:
    # mini framework, answers q1..q5 = (1, 2/3, 0, 1, 1/3): activities (5/6, 0, 1/2), IIEP 11/24 (preactive:
    # target 0.805); gaps (0, 0.805, 0.305) × leverage (1, 1/2, 1/2) = (0, 0.4025, 0.1525): a_inn, a_exp, a_joint
    ranked = prioritise(MINI, score(MINI, np.array([1.0, 2 / 3, 0.0, 1.0, 1 / 3])))
    assert np.issubdtype(ranked.order.dtype, np.integer)
    assert np.asarray(MINI.activity_ids)[ranked.order[0]].tolist() == ["a_inn", "a_exp", "a_joint"]


def test_prioritise_keeps_the_framework_order_among_many_equal_priorities() -> None:
    # the shipped iiep framework with one leverage for every activity (so the tie order is the framework's
    # order) and activity scores alternating 0 and 0.5 under a target above both: the priorities alternate
    # between two values, and within each the framework's order must stay (which, past about 16 activities,
    # only a stable sort keeps): the even positions first (larger gap), then the odd ones
    model = ScoringModel.from_framework(load_framework("iiep"))
    a = len(model.activity_ids)
    assert a > 16
    activities = np.tile([0.0, 0.5], a)[None, :a]
    scores = Scores(np.zeros((1, len(model.observable_ids))), activities, np.zeros((1, len(model.dimension_ids))),
                    np.array([[0.2, 0.2, 0.2]]), np.ones(1))  # IIEP 0.2: passive, so the target is reactive's 0.35
    ranked = prioritise(model, scores, leverage=np.full(a, 0.1))
    assert ranked.target[0] == 0.35
    assert ranked.order[0].tolist() == [*range(0, a, 2), *range(1, a, 2)]
