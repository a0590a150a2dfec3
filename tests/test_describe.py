"""Population description: counts and means, weighted and not, computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innexport.files.frameworks import load_framework
from innexport.population.describe import counts, describe
from innexport.population.frame import score_population

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


@pytest.fixture
def frame() -> pd.DataFrame:
    values = np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, np.nan, 0, 1, 1 / 3]])
    meta = pd.DataFrame({"firm_id": ["a", "b", "c"], "country": ["FR", "FR", "CL"]})
    return score_population(load_framework(MINI), values, meta, weights=[1.0, 3.0, 2.0])


def test_weighted_and_unweighted_means(frame: pd.DataFrame) -> None:
    d = describe(frame).set_index("variable")
    # q1: values 1, 0, 1 with weights 1, 3, 2 → mean 2/3, weighted (1 + 2) / 6 = 0.5
    assert d.loc["obs.q1", "n"] == 3 and d.loc["obs.q1", "weighted_n"] == 6
    assert d.loc["obs.q1", "mean"] == pytest.approx(2 / 3) and d.loc["obs.q1", "weighted_mean"] == pytest.approx(0.5)
    # q2 missing for c: values 1, 0 with weights 1, 3 → weighted mean 0.25 over weighted n 4
    assert d.loc["obs.q2", "n"] == 2 and d.loc["obs.q2", "weighted_mean"] == pytest.approx(0.25)
    assert set(d.index) >= {"act.a_joint", "dim.d1", "iip", "iep", "iiep"}


def test_by_group(frame: pd.DataFrame) -> None:
    d = describe(frame, by="country")
    fr = d[(d.group == "FR") & (d.variable == "iiep")].iloc[0]
    assert fr["n"] == 2 and fr["weighted_mean"] == pytest.approx((1 * 1.0 + 3 * 0.0) / 4)
    assert set(d.group) == {"all", "FR", "CL"}
    with pytest.raises(KeyError, match="no column 'region'"):
        describe(frame, by="region")


def test_counts(frame: pd.DataFrame) -> None:
    c = counts(frame, by="country")
    assert c.loc["FR", "firms"] == 2 and c.loc["FR", "weighted_firms"] == 4.0
    # FR: a is proactive (weight 1), b passive (weight 3)
    assert c.loc["FR", "share_proactive"] == pytest.approx(0.25) and c.loc["FR", "share_passive"] == pytest.approx(0.75)
