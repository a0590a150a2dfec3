"""Scoring's rules one at a time (:mod:`innexport.core.scoring`), on tests/fixtures/mini.yaml by hand.

What tests/test_scoring.py and tests/test_method_rules.py leave implicit:

* the refusal of an answer outside [0, 1] names the first bad value (row-major order), in whichever block of
  rows it is, and a 0 or a 1 elsewhere is never taken for it (the bounds are valid answers);
* the effective observable weights of a firm that left questions unanswered (an unassessed activity's weight
  passes to its siblings; an unanswered question's weight to the other questions of its activity);
* ``Scores.iip``, ``iep`` and ``iiep`` are the indices' three columns, in that order;
* nothing answered gives NaN scores and zero weights without any floating-point warning.

mini.yaml: d1 = {a_joint (joint: q1, q2), a_inn (innovation: q3)}, d2 = {a_exp (export: q4, q5 weighing 3)},
the two dimensions weighing 1/2 each.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from innexport.core import parallel, scoring
from innexport.core.scoring import ScoringModel, score
from innexport.files.frameworks import load_framework

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture(scope="module")
def mini() -> ScoringModel:
    return ScoringModel.from_framework(load_framework(MINI))


@pytest.mark.parametrize(("bad", "shown"), [(1.5, "1.5"), (-0.25, "-0.25")])
def test_the_first_answer_outside_zero_one_is_named(mini: ScoringModel, monkeypatch: pytest.MonkeyPatch, bad: float,
                                                    shown: str) -> None:
    # Blocks of 2 rows on two threads. Rows 0-2 hold only the bounds 0 and 1 (valid) and NaN; row 3, in the
    # second block, has its first bad value at q4 and a second one at q5.
    monkeypatch.setattr(scoring, "CHUNK_ROWS", 2)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    values = np.array([
        [0.0, 1.0, 0.0, 1.0, 0.0],
        [1.0, 0.0, np.nan, 0.0, 1.0],
        [0.0, 0.0, 1.0, 1.0, 0.0],
        [1.0, np.nan, 0.0, bad, 2.0],
        [0.5, 0.5, 0.5, 0.5, 0.5],
    ])
    message = rf"^answer values must lie in \[0, 1\] \(NaN for unanswered\): assessment 3, observable q4 is {shown}$"
    with pytest.raises(ValueError, match=message):
        score(mini, values)
    # the same rows without row 3 are scored: the bounds are answers like any other
    ok = score(mini, np.delete(values, 3, axis=0))
    # row 0: a_joint = (0 + 1)/2, a_inn = 0, a_exp = (1 + 3·0)/4 → IIEP = ½·(½ + 0)/2 + ½·¼ = 1/4
    assert ok.iiep[0] == pytest.approx(0.25)


def test_the_index_properties_are_the_three_columns(mini: ScoringModel) -> None:
    # tests/test_scoring.py's HAND answers: IIP 5/12, IEP 2/3, IIEP 11/24
    s = score(mini, np.array([1.0, 2 / 3, 0.0, 1.0, 1 / 3]))
    assert (s.iip[0], s.iep[0], s.iiep[0]) == pytest.approx((5 / 12, 2 / 3, 11 / 24))
    assert s.iip.shape == s.iep.shape == s.iiep.shape == (1,)


def test_effective_observable_weights_of_a_partial_firm(mini: ScoringModel) -> None:
    # Row 0 answered q1, q4, q5 (q2 and q3 unanswered, so a_inn is unassessed); row 1 answered nothing.
    # Within activities: a_joint = q1 alone (1); a_exp: q4 1/4, q5 3/4.
    # Activities in the indices (a_inn's weight passes to a_joint, tests/test_method_rules.py):
    #   IIP (1, 0, 0), IEP (½, 0, ½), IIEP (½, 0, ½)
    # so IIP: q1 1; IEP and IIEP: q1 ½, q4 ½·¼ = 1/8, q5 ½·¾ = 3/8.
    answered = np.array([[True, False, False, True, True], [False] * 5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weights = mini.effective_observable_weights(answered)
    np.testing.assert_allclose(weights[0], [[1, 0, 0, 0, 0], [0.5, 0, 0, 0.125, 0.375], [0.5, 0, 0, 0.125, 0.375]])
    np.testing.assert_array_equal(weights[1], np.zeros((3, 5)))
    # the indices are linear in the answers with these coefficients: q1 yes, q4 yes, q5 sometimes (1/3):
    # IIP = 1, IEP = IIEP = ½ + 1/8 + 3/8·1/3 = 3/4
    x = np.array([1.0, np.nan, np.nan, 1.0, 1 / 3])
    s = score(mini, x)
    np.testing.assert_allclose(s.indices[0], [1.0, 0.75, 0.75])
    np.testing.assert_allclose(weights[0] @ np.nan_to_num(x), s.indices[0])


def test_nothing_answered_warns_nothing(mini: ScoringModel) -> None:
    values = np.array([[np.nan] * 5, [1.0, np.nan, np.nan, np.nan, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = score(mini, values)
        activity_weights = mini.effective_activity_weights(~np.isnan(s.activities))
    assert np.isnan(s.activities[0]).all() and np.isnan(s.dimensions[0]).all() and np.isnan(s.indices[0]).all()
    assert s.completeness.tolist() == [0.0, 0.2]
    # row 1: q1 only: a_joint = 1 is every index (d2 has nothing answered: its weight passes to d1)
    np.testing.assert_allclose(s.indices[1], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(activity_weights[0], np.zeros((3, 3)))
    np.testing.assert_allclose(activity_weights[1], [[1, 0, 0], [1, 0, 0], [1, 0, 0]])


def test_integer_answers_are_scored_as_floats(mini: ScoringModel) -> None:
    # yes/no answers read as integers: the same scores as the floats, and Scores.observables is a float array
    # (it holds NaN for the unanswered questions of other firms scored with these)
    # q1 yes, q2 no, q3 yes, q4 no, q5 (weight 3) 1: a_joint = 1/2, a_inn = 1, a_exp = 3/4
    # d1 = 3/4, d2 = 3/4; IIP = d1 = 3/4; IEP = (a_joint 1/2 + a_exp 3/4)/2 = 5/8; IIEP = 3/4
    ints = score(mini, np.array([[1, 0, 1, 0, 1]]))
    assert ints.observables.dtype == np.float64
    np.testing.assert_allclose(ints.indices[0], [0.75, 0.625, 0.75])
    floats = score(mini, np.array([[1.0, 0.0, 1.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(ints.observables, floats.observables)
