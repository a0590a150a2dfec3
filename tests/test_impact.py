"""Impact of capabilities on innovation and export outcomes: weighted (ordered) logit, robust errors.

The checks compare with statsmodels' own estimators where they exist (unweighted Logit, GLM
robust covariances, unweighted OrderedModel), with frequency expansion for integer weights, and
with simulated data of known coefficients.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.miscmodels.ordinal_model import OrderedModel

from conftest import SHARED_DATA, requires_shared
from innexport.core.priorities import prioritise
from innexport.core.scoring import ScoringModel, score
from innexport.files.frameworks import load_framework
from innexport.population.impact import (
    MIN_ROWS,
    ImpactError,
    WeightedOrderedModel,
    impact,
    impact_leverage,
    raising_both,
)

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"
DATA = SHARED_DATA
MIP = DATA / "mip-2021" / "extmidp21.dta"


def simulated_binary(n: int = 3000, seed: int = 11, beta=(-1.0, 2.0, 1.0, 0.0), weights: bool = True) -> pd.DataFrame:
    """Three capabilities on [0, 1] and a binary outcome with logit P = Λ(b0 + b1 a + b2 b + b3 c)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    p = expit(beta[0] + x @ np.asarray(beta[1:]))
    y = (rng.random(n) < p).astype(int)
    w = rng.uniform(0.5, 3.0, n) if weights else np.ones(n)
    return pd.DataFrame({"act.a": x[:, 0], "act.b": x[:, 1], "act.c": x[:, 2], "weight": w, "innovates": y})


def simulated_ordered(n: int = 4000, seed: int = 5, slopes=(2.0, -1.0), cuts=(-0.5, 0.5, 1.5)) -> pd.DataFrame:
    """Latent y* = x'b + logistic noise, banded at ``cuts`` into 4 ordered export-share bands."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 2))
    latent = x @ np.asarray(slopes) + rng.logistic(size=n)
    bands = pd.Categorical.from_codes(np.searchsorted(np.asarray(cuts), latent),
                                      categories=["none", "<10%", "10-50%", ">50%"], ordered=True)
    return pd.DataFrame({"act.a": x[:, 0], "act.b": x[:, 1], "weight": rng.uniform(0.5, 3.0, n), "export": bands})


# --- binary: agreement with statsmodels -------------------------------------------------------
def test_unit_weights_reproduce_statsmodels_logit() -> None:
    frame = simulated_binary(weights=False)
    res = impact(frame, "innovates", cov_type="HC0")  # weight column all 1
    caps = ["act.a", "act.b", "act.c"]
    ref = sm.Logit(frame["innovates"], sm.add_constant(frame[caps])).fit(disp=0, cov_type="HC0")
    np.testing.assert_allclose(res.table["coef"], ref.params[caps], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.fits["joint"].params["const"], ref.params["const"], rtol=1e-8)
    np.testing.assert_allclose(res.table["se"], ref.bse[caps], rtol=1e-7)
    # weights=False is the same fit
    unweighted = impact(frame, "innovates", weights=False, cov_type="HC0")
    np.testing.assert_allclose(unweighted.table["coef"], res.table["coef"], rtol=1e-12)
    assert res.kind == "logit" and res.categories == (0, 1) and res.table["converged"].all()


# statsmodels warns that robust covariances are "not fully supported with var_weights"; for the
# binomial family they are the pseudo-likelihood sandwich, as the next test writes out.
@pytest.mark.filterwarnings("ignore:cov_type not fully supported")
def test_robust_se_match_statsmodels_glm_hc0_and_hc1() -> None:
    frame = simulated_binary()
    caps = ["act.a", "act.b", "act.c"]
    x, y, w = sm.add_constant(frame[caps]), frame["innovates"], frame["weight"]
    n, k = len(frame), 4
    hc0 = impact(frame, "innovates", cov_type="HC0")
    hc1 = impact(frame, "innovates", cov_type="HC1")
    glm0 = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit(cov_type="HC0")
    np.testing.assert_allclose(hc0.table["coef"], glm0.params[caps], rtol=1e-8)
    np.testing.assert_allclose(hc0.table["se"], glm0.bse[caps], rtol=1e-7)
    # statsmodels' GLM "HC1" applies no small-sample factor (it equals its HC0) …
    glm1 = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit(cov_type="HC1")
    np.testing.assert_allclose(glm1.bse, glm0.bse, rtol=1e-12)
    # … ours is HC0 × n/(n-k), which is statsmodels' cluster-robust covariance with one firm per cluster:
    # G/(G-1) · (N-1)/(N-K) = n/(n-k) when G = N = n.
    np.testing.assert_allclose(hc1.table["se"], hc0.table["se"] * np.sqrt(n / (n - k)), rtol=1e-12)
    glmc = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": np.arange(n)})
    np.testing.assert_allclose(hc1.table["se"], glmc.bse[caps], rtol=1e-7)


def test_robust_covariance_is_the_pseudo_likelihood_sandwich() -> None:
    """H^-1 (sum w_i^2 s_i s_i') H^-1, written out."""
    frame = simulated_binary(n=500, seed=2)
    res = impact(frame, "innovates", cov_type="HC0")
    x = np.column_stack([np.ones(len(frame)), frame[["act.a", "act.b", "act.c"]].to_numpy()])
    y, w = frame["innovates"].to_numpy(float), frame["weight"].to_numpy()
    beta = res.fits["joint"].params.to_numpy()
    p = expit(x @ beta)
    bread = x.T @ (x * (w * p * (1 - p))[:, None])
    meat = (x * (w * (y - p))[:, None]).T @ (x * (w * (y - p))[:, None])
    cov = np.linalg.inv(bread) @ meat @ np.linalg.inv(bread)
    np.testing.assert_allclose(res.fits["joint"].cov.to_numpy(), cov, rtol=1e-9)


def test_simulated_logit_recovers_true_coefficients() -> None:
    beta = (-1.0, 2.0, 1.0, 0.0)
    res = impact(simulated_binary(n=5000, seed=3, beta=beta), "innovates")
    t = res.table
    true = np.asarray(beta[1:])
    assert ((t["ci_low"] <= true) & (true <= t["ci_high"])).all(), t[["coef", "ci_low", "ci_high"]]
    np.testing.assert_allclose(t["odds_ratio"], np.exp(t["coef"]))
    np.testing.assert_allclose(t["or_low"], np.exp(t["ci_low"]))
    np.testing.assert_allclose(t["z"], t["coef"] / t["se"])
    assert t.loc["act.a", "p"] < 1e-6 and t.loc["act.c", "p"] > 0.05
    assert (t["n"] == 5000).all()


def test_average_effect_of_a_tenth_by_hand() -> None:
    frame = simulated_binary(n=800, seed=4)
    res = impact(frame, "innovates")
    b = res.fits["joint"].params
    x = frame[["act.a", "act.b", "act.c"]].to_numpy()
    eta = b["const"] + x @ b[["act.a", "act.b", "act.c"]].to_numpy()
    w = frame["weight"].to_numpy()
    expected = np.average(expit(eta + 0.1 * b["act.b"]) - expit(eta), weights=w)
    assert res.table.loc["act.b", "ame"] == pytest.approx(expected, rel=1e-10)
    assert res.table.loc["act.b", "ame_low"] < expected < res.table.loc["act.b", "ame_high"]


def test_doubling_weights_changes_nothing() -> None:
    """Pseudo-likelihood: estimates and sandwich errors are invariant to the scale of the weights.

    Frequency weights are not: their model-based errors shrink by sqrt(2) when the weights double.
    """
    frame = simulated_binary(n=600, seed=6)
    doubled = frame.assign(weight=2 * frame["weight"])
    for mode in ("joint", "each"):
        a, b = impact(frame, "innovates", mode=mode), impact(doubled, "innovates", mode=mode)
        np.testing.assert_allclose(b.table["coef"], a.table["coef"], rtol=1e-9)
        np.testing.assert_allclose(b.table["se"], a.table["se"], rtol=1e-9)
        np.testing.assert_allclose(b.table["ame"], a.table["ame"], rtol=1e-9)
    ordered = simulated_ordered(n=800, seed=8)
    a = impact(ordered, "export")
    b = impact(ordered.assign(weight=2 * ordered["weight"]), "export")
    np.testing.assert_allclose(b.table["coef"], a.table["coef"], rtol=1e-6)
    np.testing.assert_allclose(b.table["se"], a.table["se"], rtol=1e-5)
    # the contrast: frequency weights treat w_i as a count of firms
    x = sm.add_constant(frame[["act.a", "act.b", "act.c"]])
    f1 = sm.GLM(frame["innovates"], x, family=sm.families.Binomial(), freq_weights=frame["weight"]).fit()
    f2 = sm.GLM(frame["innovates"], x, family=sm.families.Binomial(), freq_weights=2 * frame["weight"]).fit()
    np.testing.assert_allclose(f2.bse, f1.bse / np.sqrt(2), rtol=1e-6)


def test_integer_weights_give_the_estimates_of_replicated_firms() -> None:
    frame = simulated_binary(n=400, seed=9).assign(weight=lambda f: np.arange(len(f)) % 3 + 1.0)
    expanded = frame.loc[frame.index.repeat(frame["weight"].astype(int))].assign(weight=1.0)
    np.testing.assert_allclose(impact(frame, "innovates").table["coef"],
                               impact(expanded, "innovates").table["coef"], rtol=1e-8)
    ordered = simulated_ordered(n=400, seed=9).assign(weight=lambda f: np.arange(len(f)) % 3 + 1.0)
    expanded = ordered.loc[ordered.index.repeat(ordered["weight"].astype(int))].assign(weight=1.0)
    np.testing.assert_allclose(impact(ordered, "export").table["coef"],
                               impact(expanded, "export").table["coef"], rtol=1e-6)


# --- ordered logit ----------------------------------------------------------------------------
def test_ordered_logit_recovers_thresholds_and_slopes() -> None:
    slopes, cuts = (2.0, -1.0), (-0.5, 0.5, 1.5)
    res = impact(simulated_ordered(slopes=slopes, cuts=cuts), "export", confidence=0.99)
    assert res.kind == "ordered" and res.categories == ("none", "<10%", "10-50%", ">50%")
    t = res.table
    assert ((t["ci_low"] <= np.asarray(slopes)) & (np.asarray(slopes) <= t["ci_high"])).all(), t
    fit = res.fits["joint"]
    est = res.thresholds.loc["joint"].to_numpy()
    se = np.sqrt(np.diag(fit.cov.to_numpy()))[-3:]
    assert list(res.thresholds.columns) == ["none|<10%", "<10%|10-50%", "10-50%|>50%"]
    assert np.all(np.abs(est - cuts) <= 2.576 * se), (est, se)
    assert np.all(np.diff(est) > 0)
    # P(export at all) rises with a, falls with b
    assert t.loc["act.a", "ame"] > 0 > t.loc["act.b", "ame"]


def test_weighted_ordered_model_with_unit_weights_is_statsmodels_ordered_model() -> None:
    frame = simulated_ordered(n=1500, seed=12)
    y, x = frame["export"].cat.codes.to_numpy(), frame[["act.a", "act.b"]].to_numpy()
    ref = OrderedModel(y, x, distr="logit").fit(method="newton", disp=False, maxiter=200)
    ours = WeightedOrderedModel(y, x)
    np.testing.assert_allclose(ours.loglike(ref.params), ref.model.loglike(ref.params), rtol=1e-12)
    # the analytic score is the numerical one
    from statsmodels.tools.numdiff import approx_fprime
    theta = ref.params + 0.05
    np.testing.assert_allclose(ours.score(theta), approx_fprime(theta, ours.loglike, centered=True), rtol=1e-5)
    res = impact(frame.assign(weight=1.0), "export")
    np.testing.assert_allclose(res.table["coef"], ref.params[:2], rtol=1e-5)
    cuts = ref.model.transform_threshold_params(ref.params)[1:-1]
    np.testing.assert_allclose(res.thresholds.loc["joint"], cuts, rtol=1e-5)


def test_integer_bands_are_ordered_and_each_mode_fits_one_at_a_time() -> None:
    frame = simulated_ordered(n=1000, seed=13)
    frame["band"] = frame["export"].cat.codes  # integer bands 0..3
    frame.loc[:49, "act.b"] = np.nan  # listwise per fit: act.b has 50 firms fewer
    each = impact(frame, "band", mode="each")
    assert each.kind == "ordered" and each.categories == (0, 1, 2, 3)
    assert each.table.loc["act.a", "n"] == 1000 and each.table.loc["act.b", "n"] == 950
    assert set(each.fits) == {"act.a", "act.b"} and list(each.thresholds.index) == ["act.a", "act.b"]
    joint = impact(frame, "band", mode="joint")
    assert (joint.table["n"] == 950).all()


def test_controls_enter_as_dummies() -> None:
    frame = simulated_binary(n=900, seed=14)
    frame["size"] = np.array(["small", "medium", "large"])[np.arange(900) % 3]
    res = impact(frame, "innovates", controls=["size"])
    assert list(res.fits["joint"].params.index) == ["const", "act.a", "act.b", "act.c", "size=medium", "size=small"]
    assert list(res.table.index) == ["act.a", "act.b", "act.c"]


# --- errors -----------------------------------------------------------------------------------
def test_errors() -> None:
    frame = simulated_binary(n=100, seed=15)
    with pytest.raises(ImpactError, match=r"unknown column: 'act\.nope'"):
        impact(frame, "innovates", ["act.a", "act.nope"])
    with pytest.raises(ImpactError, match="unknown column: 'exports'"):
        impact(frame, "exports")
    with pytest.raises(ImpactError, match="constant"):
        impact(frame.assign(innovates=1), "innovates")
    small = frame.copy()
    small.loc[25:, "act.a"] = np.nan
    with pytest.raises(ImpactError, match=f"only 25 usable rows.*at least {MIN_ROWS}"):
        impact(small, "innovates")
    with pytest.raises(ImpactError, match="continuous"):
        impact(frame.assign(share=np.linspace(0, 1, 100)), "share")
    with pytest.raises(ImpactError, match="binary"):
        impact(simulated_ordered(n=200), "export", kind="logit")
    with pytest.raises(ImpactError, match="must be boolean, numeric"):
        impact(frame.assign(sector=["a", "b"] * 50), "sector")
    with pytest.raises(ImpactError, match=r"no variation.*'act\.c'"):
        impact(frame.assign(**{"act.c": 0.5}), "innovates")


# --- capabilities that raise both, leverage ----------------------------------------------------
def both_outcomes(n: int = 3000, seed: int = 21) -> pd.DataFrame:
    """act.a raises both outcomes; act.b only innovation; act.c lowers export."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    inn = (rng.random(n) < expit(-1 + 2.0 * x[:, 0] + 2.0 * x[:, 1])).astype(int)
    exp = (rng.random(n) < expit(-1 + 2.0 * x[:, 0] - 2.0 * x[:, 2])).astype(int)
    return pd.DataFrame({"act.a": x[:, 0], "act.b": x[:, 1], "act.c": x[:, 2], "weight": 1.0,
                         "innovates": inn, "exports": exp})


def test_raising_both() -> None:
    frame = both_outcomes()
    inn, exp = impact(frame, "innovates"), impact(frame, "exports")
    both = raising_both(inn, exp)
    assert list(both.index) == ["act.a"]
    assert both.loc["act.a", "coef_innovation"] == inn.table.loc["act.a", "coef"]
    assert both.loc["act.a", "p_export"] < 0.05
    assert raising_both(inn, exp, alpha=1e-300).empty


def test_impact_leverage_changes_the_priorities() -> None:
    model = ScoringModel.from_framework(load_framework(MINI))  # activities a_joint, a_inn, a_exp
    rng = np.random.default_rng(3)
    n = 2000
    x = rng.uniform(size=(n, 3))
    # Only a_exp matters, for both outcomes.
    frame = pd.DataFrame(x, columns=["act.a_joint", "act.a_inn", "act.a_exp"]).assign(
        weight=1.0,
        innovates=(rng.random(n) < expit(-1 + 3 * x[:, 2])).astype(int),
        exports=(rng.random(n) < expit(-2 + 3 * x[:, 2])).astype(int),
    )
    inn, exp = impact(frame, "innovates"), impact(frame, "exports")
    lev = impact_leverage(inn, exp, model.activity_ids)
    assert lev.sum() == pytest.approx(2.0) and lev.sum() == pytest.approx(model.leverage.sum())
    # non-significant (or negative) effects get no leverage
    expected = np.zeros(3)
    for res in (inn, exp):
        t = res.table
        keep = np.where((t["coef"] > 0) & (t["p"] < 0.05), t["coef"], 0.0)
        expected += keep / keep.sum()
    np.testing.assert_allclose(lev, expected * 2 / expected.sum())
    assert np.argmax(lev) == 2
    lower = impact_leverage(inn, exp, model.activity_ids, method="lower")
    assert lower.sum() == pytest.approx(2.0) and np.argmax(lower) == 2
    # One firm (answers of test_scoring's hand case): activities 5/6, 0, 1/2; target 0.805.
    scores = score(model, np.array([1.0, 2 / 3, 0.0, 1.0, 1 / 3]))
    default = prioritise(model, scores)
    assert model.activity_ids[default.order[0, 0]] == "a_inn"  # gap 0.805 × leverage 0.5
    by_impact = prioritise(model, scores, leverage=lev)
    assert model.activity_ids[by_impact.order[0, 0]] == "a_exp"
    np.testing.assert_allclose(by_impact.leverage, lev)


def test_impact_leverage_errors() -> None:
    frame = both_outcomes(n=500)
    inn, exp = impact(frame, "innovates", ["act.a", "act.b"]), impact(frame, "exports", ["act.a", "act.b"])
    with pytest.raises(ImpactError, match="neither outcome: c"):
        impact_leverage(inn, exp, ["a", "b", "c"])
    lev = impact_leverage(inn, exp, ["a", "b", "c"], missing="zero")
    assert lev[2] == 0 and lev.sum() == pytest.approx(2.0)
    with pytest.raises(ImpactError, match="keep the default leverage"):
        impact_leverage(inn, exp, ["a", "b"], alpha=1e-300)


# --- real data --------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UnicodeWarning")  # latin-1 labels in the .dta
@requires_shared(MIP)
def test_mannheim_innovation_panel_smoke() -> None:
    """MIP 2021: product innovation on competition strategies and climate (Likert 0-3, scaled to [0, 1])."""
    raw = pd.read_stata(MIP, convert_categoricals=False,
                        columns=["pd", "wettstr1", "wettstr2", "klima1", "gk3n", "exs"])
    frame = pd.DataFrame({
        "act.improve_products": raw["wettstr1"] / 3,
        "act.new_products": raw["wettstr2"] / 3,
        "act.climate": raw["klima1"] / 3,
        "size": raw["gk3n"].map({1: "small", 2: "medium", 3: "large"}),
        "weight": 1.0,
        "pd": raw["pd"],
        "export_band": pd.cut(raw["exs"], [-np.inf, 0, 0.1, 0.3, 1.0], labels=["0", "<10%", "10-30%", ">30%"]),
    })
    inn = impact(frame, "pd", controls=["size"])
    t = inn.table
    assert inn.kind == "logit" and t["converged"].all()
    assert np.isfinite(t[["coef", "se", "p", "ci_low", "ci_high", "ame"]].to_numpy()).all()
    assert t["n"].iloc[0] > 4000
    assert t.loc["act.new_products", "coef"] > 0 and t.loc["act.new_products", "p"] < 0.05
    exp = impact(frame, "export_band", controls=["size"])
    assert exp.kind == "ordered" and np.isfinite(exp.table["se"]).all()
    assert isinstance(raising_both(inn, exp), pd.DataFrame)
