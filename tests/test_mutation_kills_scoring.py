"""Tests that kill surviving mutants of :mod:`innexport.core.scoring` (scripts/mutation.py, issue 14).

Each test pins a behaviour that a mutant of the scoring changed without the other tests noticing;
the expected values are weighted means worked out by hand (the method: docs/method.md, the
observable → activity → dimension → index aggregation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from innexport.core.scoring import ScoringModel, _weighted_mean, activity_scores
from innexport.files.frameworks import load_framework

MINI = ScoringModel.from_framework(load_framework(Path(__file__).parent / "fixtures" / "mini.yaml"))


def test_weighted_mean_of_answered_entries_by_hand() -> None:
    # two firms, three observables; firm 2 answered only the first; weights 1, 2, 1 on one column
    x = np.array([[1.0, 0.5, 0.0], [0.8, 0.0, 0.0]])
    answered = np.array([[True, True, True], [True, False, False]])
    weights = np.array([[1.0], [2.0], [1.0]])
    got = _weighted_mean(x, answered, weights)
    # firm 1: (1 + 2 * 0.5 + 0) / 4 = 0.5; firm 2: 0.8 / 1
    np.testing.assert_allclose(got, [[0.5], [0.8]])
    nothing = _weighted_mean(np.zeros((1, 3)), np.zeros((1, 3), dtype=bool), weights)
    assert np.isnan(nothing).all()


def test_activity_scores_count_the_assessments_from_zero_by_default() -> None:
    # the mini framework's five questions; the first assessment's first answer is 2, outside [0, 1]
    x = np.array([[2.0, 0.0, 0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=rf"assessment 0, observable {MINI.observable_ids[0]} is 2.0$"):
        activity_scores(MINI, x)


def test_effective_activity_weights_refuse_a_wrong_number_of_activities_naming_both() -> None:
    # the mini framework has three activities (a_joint, a_inn, a_exp)
    with pytest.raises(ValueError, match=r"^expected 3 activities per firm, got 2$"):
        MINI.effective_activity_weights(np.ones((4, 2), dtype=bool))
