"""Cross-group comparison: means, confidence intervals, differences and effect sizes, by hand and on real data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED_DATA, WMS, requires_shared
from innexport.population.compare import compare_groups, hedges_correction, t_ppf, t_sf, weighted_mean_ci

DATA = SHARED_DATA

T975_DF3 = 3.182446305284263  # Student t, 97.5% quantile, 3 degrees of freedom (printed tables: 3.182)


def test_t_distribution_known_values() -> None:
    assert t_ppf(0.975, 3) == pytest.approx(T975_DF3, abs=1e-9)
    assert t_ppf(0.975, 1) == pytest.approx(12.706204736174707, abs=1e-8)
    assert t_ppf(0.975, 1e9) == pytest.approx(1.959963984540054, abs=1e-8)
    assert t_sf(0.0, 5) == pytest.approx(0.5)
    assert t_sf(T975_DF3, 3) == pytest.approx(0.025, abs=1e-12)
    assert t_sf(-T975_DF3, 3) == pytest.approx(0.975, abs=1e-12)
    # Cauchy (df = 1): P(T > 1) = 1/4
    assert t_sf(1.0, 1) == pytest.approx(0.25, abs=1e-12)


def test_t_distribution_against_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 1.7, 4, 12.5, 60, 500, 1e4, 2e5):
        for t in (-6, -2.1, -0.3, 0.0, 0.8, 1.96, 3.5, 8):
            assert t_sf(t, df) == pytest.approx(stats.t.sf(t, df), rel=1e-7, abs=1e-13)
        for q in (0.6, 0.9, 0.975, 0.995):
            assert t_ppf(q, df) == pytest.approx(stats.t.ppf(q, df), rel=1e-8)


def _frame(groups: dict[str, list[float]], weights: dict[str, list[float]] | None = None) -> pd.DataFrame:
    rows = []
    for g, values in groups.items():
        ws = (weights or {}).get(g, [1.0] * len(values))
        rows += [{"country": g, "x": v, "weight": w} for v, w in zip(values, ws, strict=True)]
    return pd.DataFrame(rows)


def test_unweighted_mean_and_ci_by_hand() -> None:
    frame = _frame({"A": [1, 2, 3, 4], "B": [2, 4, 6, 8, 10]})
    out = compare_groups(frame, "country", "x", reference="B").set_index("group")
    a = out.loc["A"]
    sd = math.sqrt(((1 - 2.5) ** 2 + (2 - 2.5) ** 2 + (3 - 2.5) ** 2 + (4 - 2.5) ** 2) / 3)
    assert a["n"] == 4 and a["mean"] == pytest.approx(2.5) and a["sd"] == pytest.approx(sd)
    assert a["se"] == pytest.approx(sd / 2) and a["n_eff"] == pytest.approx(4)
    assert a["ci_low"] == pytest.approx(2.5 - T975_DF3 * sd / 2)
    assert a["ci_high"] == pytest.approx(2.5 + T975_DF3 * sd / 2)
    # the reference row has no difference; A's difference is to B
    assert math.isnan(out.loc["B", "diff"]) and out.loc["B", "reference"] == "B"
    assert a["diff"] == pytest.approx(2.5 - 6.0)


def test_weighted_mean_and_ci_by_hand() -> None:
    # values 1, 2, 4 with weights 1, 1, 2: p = 1/4, 1/4, 1/2
    frame = _frame({"A": [1, 2, 4], "B": [0, 1, 2, 3]}, {"A": [1, 1, 2]})
    out = compare_groups(frame, "country", "x").set_index("group")
    a = out.loc["A"]
    mean = 0.25 * 1 + 0.25 * 2 + 0.5 * 4  # 2.75
    dev = np.array([1, 2, 4]) - mean
    p = np.array([0.25, 0.25, 0.5])
    se = math.sqrt(3 / 2 * float((p**2) @ dev**2))  # linearization, n/(n-1) correction
    n_eff = 4**2 / (1 + 1 + 4)
    half = t_ppf(0.975, n_eff - 1) * se
    assert a["mean"] == pytest.approx(mean) and a["se"] == pytest.approx(se) and a["n_eff"] == pytest.approx(n_eff)
    assert a["weight"] == pytest.approx(4.0)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((mean - half, mean + half))
    assert weighted_mean_ci([1, 2, 4, np.nan], [1, 1, 2, 5]) == pytest.approx((mean, mean - half, mean + half))
    # unweighted, the same frame gives the classical interval
    plain = compare_groups(frame, "country", "x", weights=False).set_index("group").loc["A"]
    s = np.std([1, 2, 4], ddof=1)
    assert plain["mean"] == pytest.approx(7 / 3) and plain["se"] == pytest.approx(s / math.sqrt(3))


def test_hedges_g_and_welch_by_hand() -> None:
    x1, x2 = [1.0, 2, 3, 4, 5], [2.0, 4, 6, 8]
    frame = _frame({"A": x1, "B": x2})
    a = compare_groups(frame, "country", "x", reference="B").set_index("group").loc["A"]
    m1, m2, v1, v2 = 3.0, 5.0, 2.5, 20 / 3
    pooled = math.sqrt((4 * v1 + 3 * v2) / 7)
    d = (m1 - m2) / pooled
    j = math.gamma(3.5) / (math.sqrt(3.5) * math.gamma(3.0))
    assert a["d"] == pytest.approx(d) and a["g"] == pytest.approx(d * j)
    assert hedges_correction(7) == pytest.approx(j)
    assert j == pytest.approx(1 - 3 / (4 * 7 - 1), abs=2e-3)  # the usual approximation
    # Welch: t and Satterthwaite df by hand
    se2 = v1 / 5 + v2 / 4
    t = (m1 - m2) / math.sqrt(se2)
    df = se2**2 / ((v1 / 5) ** 2 / 4 + (v2 / 4) ** 2 / 3)
    assert a["t_welch"] == pytest.approx(t) and a["df_welch"] == pytest.approx(df)
    assert a["p_welch"] == pytest.approx(2 * t_sf(abs(t), df))
    # with equal weights the difference's CI is Welch's, and its p-value the same
    half = t_ppf(0.975, df) * math.sqrt(se2)
    assert (a["diff_low"], a["diff_high"]) == pytest.approx((m1 - m2 - half, m1 - m2 + half))
    assert a["p_diff"] == pytest.approx(a["p_welch"])


def test_welch_against_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    x1, x2 = rng.normal(0, 1, 23), rng.normal(0.6, 2, 31)
    frame = _frame({"A": list(x1), "B": list(x2)})
    a = compare_groups(frame, "country", "x", reference="B").set_index("group").loc["A"]
    res = stats.ttest_ind(x1, x2, equal_var=False)
    assert a["t_welch"] == pytest.approx(res.statistic) and a["p_welch"] == pytest.approx(res.pvalue, rel=1e-8)


def test_reference_defaults_to_the_rest() -> None:
    frame = _frame({"wine": [3, 4, 5], "dairy": [1, 2], "metal": [2, 3, 1]})
    out = compare_groups(frame, "country", ["x"]).set_index("group")
    assert set(out["reference"]) == {"rest"}
    assert out.loc["wine", "diff"] == pytest.approx(4 - np.mean([1, 2, 2, 3, 1]))
    assert list(out.index) == ["dairy", "metal", "wine"]  # sorted groups
    chosen = compare_groups(frame, "country", "x", groups=["wine", "metal"])
    assert list(chosen["group"]) == ["wine", "metal"]
    with pytest.raises(ValueError, match="reference"):
        compare_groups(frame, "country", "x", reference="textiles")
    with pytest.raises(KeyError):
        compare_groups(frame, "country", "nope")


def test_missing_values_and_groups_are_left_out() -> None:
    frame = _frame({"A": [1, 2, np.nan, 4], "B": [2, 4, 6]})
    frame.loc[len(frame)] = {"country": None, "x": 100.0, "weight": 1.0}
    out = compare_groups(frame, "country", "x").set_index("group")
    assert out.loc["A", "n"] == 3 and out.loc["A", "mean"] == pytest.approx(7 / 3)
    assert out.loc["A", "diff"] == pytest.approx(7 / 3 - 4)  # the row without a group is in no reference


@requires_shared(WMS)
def test_world_management_survey_france_chile_argentina() -> None:
    wms = pd.read_csv(WMS, encoding="utf-8-sig")
    out = compare_groups(wms, "country", "management", reference="France",
                         groups=["France", "Chile", "Argentina"]).set_index("group")
    assert out["n"].to_dict() == {"France": 490, "Chile": 410, "Argentina": 415}
    assert np.isfinite(out[["ci_low", "ci_high"]].to_numpy()).all()
    assert (out["ci_low"] < out["mean"]).all() and (out["mean"] < out["ci_high"]).all()
    # French firms are better managed than Chilean and Argentine ones (Bloom & Van Reenen's ranking)
    assert out.loc["France", "mean"] > out.loc["Chile", "mean"] > out.loc["Argentina", "mean"]
    for country in ("Chile", "Argentina"):
        row = out.loc[country]
        assert row["diff_high"] < 0 and row["p_welch"] < 1e-6 and -0.8 < row["g"] < -0.3
    # Chile against Argentina: close, the confidence interval of the difference contains 0
    ca = compare_groups(wms, "country", "management", reference="Argentina", groups=["Chile"]).iloc[0]
    assert ca["diff_low"] < 0 < ca["diff_high"]
