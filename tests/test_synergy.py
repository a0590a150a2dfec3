"""The synergy model (issue 15): a weighted bivariate probit of an innovation and an export outcome.

* the bivariate normal CDF against scipy's and its closed forms;
* the analytic gradient against central differences of the log-likelihood;
* a published example: gretl's bivariate probit on Greene's credit-card data (tests/data/
  biprobit_greene25_1.csv, see tests/data/biprobit_README.md), whose likelihood-ratio test of
  rho = 0 the Gretl User's Guide prints as 204.066;
* rho = 0 is the two univariate probits (statsmodels' Probit); a simulated rho is recovered within
  its interval; survey weights: their total does not matter, integer weights are duplicated firms;
* capability x group interactions find the group where an effect differs;
* the bivariate ordered probit: with two levels it is the bivariate probit, its gradient, simulated
  bands recovered;
* refusals, the command line end to end, and a run on ENDEI II (../shared/data; skipped when absent).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, multivariate_normal
from typer.testing import CliRunner

from conftest import ENDEI, requires_shared
from innexport.cli import _register, app
from innexport.population.impact import ImpactError
from innexport.population.synergy import (
    MIN_CELL,
    SynergyError,
    _hessian,
    _ordered_pieces,
    _pieces,
    biprobit,
    biprobit_ordered,
    bvn_cdf,
    synergy,
)

DATA = Path(__file__).parent / "data" / "biprobit_greene25_1.csv"


def population(n: int, rho: float, seed: int = 0, *, shift: float = 0.0) -> pd.DataFrame:
    """Firms whose outcomes follow a bivariate probit: act.a raises both, act.b innovation only, act.c lowers export.

    ``shift`` adds to the effect of act.b on export in country FR only (a context effect).
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"act.a": rng.random(n), "act.b": rng.random(n), "act.c": rng.random(n),
                          "weight": rng.lognormal(0, 0.5, n), "country": rng.choice(["AR", "CL", "FR"], n),
                          "size": rng.choice(["small", "medium", "large"], n)})
    e = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    b_export = np.where(frame["country"] == "FR", shift, 0.0)
    frame["innovates"] = (-1 + 1.5 * frame["act.a"] + 1.0 * frame["act.b"] + e[:, 0] > 0).astype(int)
    frame["exports"] = (-0.8 + 1.2 * frame["act.a"] + b_export * frame["act.b"] - 0.8 * frame["act.c"]
                        + e[:, 1] > 0).astype(int)
    return frame


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return population(3000, 0.5, seed=3)


# --------------------------------------------------------------------------------------------
# The bivariate normal CDF
# --------------------------------------------------------------------------------------------
@settings(max_examples=60)
@given(st.floats(-6, 6), st.floats(-6, 6), st.floats(-0.995, 0.995))
def test_bvn_cdf_matches_scipy(h: float, k: float, r: float) -> None:
    ref = multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([h, k])
    assert float(bvn_cdf(h, k, r)) == pytest.approx(ref, abs=1e-9)


def test_bvn_cdf_closed_forms() -> None:
    r = np.array([-0.99, -0.5, 0.0, 0.3, 0.93, 0.999])
    # the orthant probability: 1/4 + asin(r) / (2 pi)
    np.testing.assert_allclose(bvn_cdf(0.0, 0.0, r), 0.25 + np.arcsin(r) / (2 * math.pi), atol=1e-15)
    h, k = np.array([-2.0, 0.3, 1.7]), np.array([0.5, -1.1, 2.2])
    from scipy.stats import norm

    np.testing.assert_allclose(bvn_cdf(h, k, 0.0), norm.cdf(h) * norm.cdf(k), atol=1e-15)
    # symmetric in (h, k), and P(X <= h, Y <= k) + P(X <= h, Y > k) = Phi(h)
    np.testing.assert_allclose(bvn_cdf(h, k, 0.6), bvn_cdf(k, h, 0.6), atol=1e-15)
    np.testing.assert_allclose(bvn_cdf(h, k, 0.95) + bvn_cdf(h, -k, -0.95), norm.cdf(h), atol=1e-14)


# --------------------------------------------------------------------------------------------
# Log-likelihood and gradient
# --------------------------------------------------------------------------------------------
def test_analytic_gradient_matches_central_differences() -> None:
    rng = np.random.default_rng(7)
    n = 200
    x1 = np.column_stack([np.ones(n), rng.normal(size=n)])
    x2 = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n)])
    q1, q2 = rng.choice([-1.0, 1.0], n), rng.choice([-1.0, 1.0], n)
    # rho = 0.38 (Drezner-Wesolowsky's branch), 0.95 and -0.98 (Genz's series); the parameters keep every
    # firm's probability far above the CDF's absolute error (1e-15), where log P has its relative accuracy
    thetas = ([0.2, -0.7, 0.1, 0.5, -1.0, 0.4], [0.1, 0.3, 0.2, -0.2, 0.3, 1.8], [0.1, 0.3, 0.2, -0.2, 0.3, -2.2])
    for theta in map(np.array, thetas):
        _, scores = _pieces(theta, q1, q2, x1, x2)
        grad = scores.sum(axis=0)
        for i in range(len(theta)):
            up, down = theta.copy(), theta.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            numeric = (_pieces(up, q1, q2, x1, x2)[0].sum() - _pieces(down, q1, q2, x1, x2)[0].sum()) / 2e-6
            assert grad[i] == pytest.approx(numeric, rel=1e-7)


def test_analytic_hessian_matches_central_differences_of_the_gradient() -> None:
    rng = np.random.default_rng(9)
    n = 150
    x1 = np.column_stack([np.ones(n), rng.normal(size=n)])
    x2 = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n)])
    q1, q2 = rng.choice([-1.0, 1.0], n), rng.choice([-1.0, 1.0], n)
    w = rng.random(n) + 0.5
    for theta in map(np.array, ([0.2, -0.7, 0.1, 0.5, -1.0, 0.4], [0.1, 0.3, 0.2, -0.2, 0.3, -2.2])):
        h = _hessian(theta, q1, q2, x1, x2, w)
        numeric = np.empty_like(h)
        for i in range(len(theta)):
            up, down = theta.copy(), theta.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            numeric[:, i] = (w @ _pieces(up, q1, q2, x1, x2)[1] - w @ _pieces(down, q1, q2, x1, x2)[1]) / 2e-6
        np.testing.assert_allclose(h, numeric, rtol=0, atol=1e-6 * np.abs(numeric).max())
        np.testing.assert_array_equal(h, h.T)


# --------------------------------------------------------------------------------------------
# A published example
# --------------------------------------------------------------------------------------------
def test_gretl_published_example() -> None:
    """gretl's biprobit.inp (anydrg: const age avgexp; cardhldr: const age income ownrent selfempl) on
    Greene's Table F25.1; the Gretl User's Guide, chapter "Discrete and censored dependent variables",
    section "Bivariate probit", prints its LR test of rho = 0 as ``test = 204.066``."""
    d = pd.read_csv(DATA)
    assert len(d) == 1319
    x1 = np.column_stack([np.ones(len(d)), d["age"], d["avgexp"]])
    x2 = np.column_stack([np.ones(len(d)), d["age"], d["income"], d["ownrent"], d["selfempl"]])
    fit = biprobit(d["anydrg"], d["cardhldr"], x1, x2, cov_type="model")
    assert fit.converged
    lr = 2 * (fit.llf - fit.llf_independent)
    assert round(lr, 3) == 204.066
    assert f"{chi2.sf(lr, 1):.5e}" == "2.70739e-46"  # the guide's pvalue
    assert fit.rho < -0.5  # the script's comment: a strong negative correlation
    # the two separate probits are statsmodels' (the LR test's restricted model)
    llf_probits = (sm.Probit(d["anydrg"], x1).fit(disp=False).llf + sm.Probit(d["cardhldr"], x2).fit(disp=False).llf)
    assert fit.llf_independent == pytest.approx(llf_probits, abs=1e-7)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------
def test_rho_zero_is_the_two_probits() -> None:
    """At rho = 0 the likelihood is the product of the two probits: statsmodels' estimates zero its score."""
    frame = population(1500, 0.0, seed=11)
    x = sm.add_constant(frame[["act.a", "act.b", "act.c"]].to_numpy())
    p1 = sm.Probit(frame["innovates"], x).fit(disp=False)
    p2 = sm.Probit(frame["exports"], x).fit(disp=False)
    theta = np.concatenate([p1.params, p2.params, [0.0]])
    q1, q2 = 2.0 * frame["innovates"].to_numpy() - 1, 2.0 * frame["exports"].to_numpy() - 1
    ll, scores = _pieces(theta, q1, q2, x, x)
    assert ll.sum() == pytest.approx(p1.llf + p2.llf, abs=1e-8)
    np.testing.assert_allclose(scores.sum(axis=0)[:-1], 0, atol=1e-5)
    # and with true rho = 0 the joint estimates stay within a fraction of a standard error of them
    fit = biprobit(frame["innovates"], frame["exports"], x, x, cov_type="model")
    se = np.sqrt(np.diag(fit.cov.to_numpy()))[:-1]
    assert np.all(np.abs(fit.params.to_numpy()[:-1] - theta[:-1]) < 0.25 * se)
    assert abs(fit.rho) < 2 * np.sqrt(fit.cov.to_numpy()[-1, -1])


@pytest.mark.parametrize(("rho", "seed"), [(0.5, 3), (-0.4, 5), (0.0, 8)])
def test_true_rho_is_within_its_interval(rho: float, seed: int) -> None:
    result = synergy(population(3000, rho, seed=seed), "innovates", "exports", weights=False)
    assert result.rho_low < rho < result.rho_high
    assert result.test == "LR" and result.lr_chi2 == result.chi2
    if rho != 0.0:
        assert result.p < 0.001
    # the capabilities' true signs: a raises both, b innovation only, c lowers export
    t = result.table
    assert t.loc["act.a", "raises_both"] and not t.loc["act.b", "raises_both"] and not t.loc["act.c", "raises_both"]
    assert t.loc["act.c", "coef_export"] < 0 and t.loc["act.c", "ci_high_export"] < 0


def test_effects_and_raises_both(sim: pd.DataFrame) -> None:
    result = synergy(sim, "innovates", "exports")
    t = result.table
    assert result.weighted and result.test == "Wald" and result.lr_chi2 is None
    assert result.counts == {"11": int(((sim.innovates == 1) & (sim.exports == 1)).sum()),
                             "10": int(((sim.innovates == 1) & (sim.exports == 0)).sum()),
                             "01": int(((sim.innovates == 0) & (sim.exports == 1)).sum()),
                             "00": int(((sim.innovates == 0) & (sim.exports == 0)).sum())}
    assert sum(result.counts.values()) == result.n == len(sim)
    # true coefficients inside their intervals
    for cap, b1, b2 in (("act.a", 1.5, 1.2), ("act.b", 1.0, 0.0), ("act.c", 0.0, -0.8)):
        assert t.loc[cap, "ci_low_innovation"] < b1 < t.loc[cap, "ci_high_innovation"]
        assert t.loc[cap, "ci_low_export"] < b2 < t.loc[cap, "ci_high_export"]
    # "raises both" is exactly impact.raising_both's criterion: positive and p < 0.05 on both
    crit = (t.coef_innovation > 0) & (t.p_innovation < 0.05) & (t.coef_export > 0) & (t.p_export < 0.05)
    assert (t["raises_both"] == crit).all()
    assert list(result.raising_both().index) == ["act.a"]
    # the average effect on P(both) of +0.1, worked out directly from the fitted model
    theta = result.fit.params.to_numpy()
    k = result.fit.k1
    x = np.column_stack([np.ones(len(sim)), sim[["act.a", "act.b", "act.c"]].to_numpy()])
    x1 = x.copy()
    x1[:, 1] += 0.1
    w = sim["weight"].to_numpy() / sim["weight"].sum()
    rho = math.tanh(theta[-1])
    direct = w @ (bvn_cdf(x1 @ theta[:k], x1 @ theta[k:2 * k], rho) - bvn_cdf(x @ theta[:k], x @ theta[k:2 * k], rho))
    assert t.loc["act.a", "ame_both"] == pytest.approx(direct, rel=1e-10)
    assert t.loc["act.a", "ame_both_low"] > 0


def test_weights_total_does_not_matter_and_integer_weights_are_duplicates() -> None:
    frame = population(800, 0.4, seed=21)
    base = synergy(frame, "innovates", "exports")
    scaled = synergy(frame.assign(weight=frame["weight"] * 37.0), "innovates", "exports")
    np.testing.assert_allclose(scaled.fit.params, base.fit.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(scaled.fit.cov, base.fit.cov, rtol=1e-5, atol=1e-10)
    counts = np.random.default_rng(2).integers(1, 4, len(frame))
    weighted = synergy(frame.assign(weight=counts), "innovates", "exports")
    duplicated = synergy(frame.loc[frame.index.repeat(counts)], "innovates", "exports", weights=False)
    np.testing.assert_allclose(weighted.fit.params, duplicated.fit.params, rtol=1e-5, atol=1e-7)


def test_context_interactions_find_the_group_that_differs() -> None:
    frame = population(3000, 0.3, seed=4, shift=2.5)
    result = synergy(frame, "innovates", "exports", by="country", controls=["size"], weights=False)
    assert result.groups == ("AR", "CL", "FR")
    eq = result.equality
    assert eq.loc["act.b", "p_export"] < 0.001 and eq.loc["act.b", "df_export"] == 2
    assert eq.loc["act.b", "df_both"] == 4
    g = result.by_group
    fr = g.loc[("act.b", "FR")]
    assert fr["ci_low_export"] < 2.5 < fr["ci_high_export"]
    assert g.loc[("act.b", "AR"), "ci_low_export"] < 0 < g.loc[("act.b", "AR"), "ci_high_export"]
    # the reference group's effect is the table's; every interaction term is in both equations
    assert g.loc[("act.a", "AR"), "coef_innovation"] == pytest.approx(result.table.loc["act.a", "coef_innovation"])
    assert "act.b:country=FR" in result.equations["export"].index
    assert "size=small" in result.equations["innovation"].index
    json.dumps(result.to_dict())


# --------------------------------------------------------------------------------------------
# Ordered outcomes
# --------------------------------------------------------------------------------------------
def test_ordered_model_with_two_levels_is_the_bivariate_probit() -> None:
    d = pd.read_csv(DATA)
    x = d[["age", "income", "ownrent"]].to_numpy()
    const = np.column_stack([np.ones(len(d)), x])
    binary = biprobit(d["anydrg"], d["cardhldr"], const, const, cov_type="model")
    ordered, cuts = biprobit_ordered(d["anydrg"], d["cardhldr"], x, cov_type="model")
    np.testing.assert_allclose(ordered.params.to_numpy(), binary.params.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(ordered.cov.to_numpy(), binary.cov.to_numpy(), atol=1e-8)
    assert ordered.llf == pytest.approx(binary.llf, abs=1e-8)
    assert ordered.llf_independent == pytest.approx(binary.llf_independent, abs=1e-8)
    assert cuts["y1"]["cut"].iloc[0] == pytest.approx(-binary.params.iloc[0], abs=1e-6)


def test_ordered_gradient_matches_central_differences() -> None:
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=(n, 2))
    y1, y2 = rng.integers(0, 3, n), rng.integers(0, 4, n)
    theta = np.array([0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.7, -0.1, 0.3, 0.6])
    _, grad = _ordered_pieces(theta, y1, y2, x, 2, 3)
    for i in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric = (_ordered_pieces(up, y1, y2, x, 2, 3)[0].sum() - _ordered_pieces(down, y1, y2, x, 2, 3)[0].sum()) / 2e-6
        assert grad.sum(axis=0)[i] == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_ordered_export_bands_recover_rho_and_cuts() -> None:
    rng = np.random.default_rng(12)
    n = 3000
    frame = pd.DataFrame({"act.a": rng.random(n), "act.b": rng.random(n)})
    e = rng.multivariate_normal([0, 0], [[1, 0.45], [0.45, 1]], size=n)
    frame["innovates"] = (-0.5 + 1.2 * frame["act.a"] + frame["act.b"] + e[:, 0] > 0).astype(int)
    latent = 1.0 * frame["act.a"] - 0.6 * frame["act.b"] + e[:, 1]
    bands = ["none", "up to 10%", "10-50%", "over 50%"]
    frame["band"] = pd.Categorical.from_codes(np.digitize(latent, [0.2, 0.9, 1.6]), bands, ordered=True)
    result = synergy(frame, "innovates", "band", weights=False)
    assert result.kind == "ordered" and result.levels["export"] == tuple(bands)
    assert result.rho_low < 0.45 < result.rho_high and result.test == "LR"
    cuts = result.cuts["export"]
    assert list(cuts.index) == ["none|up to 10%", "up to 10%|10-50%", "10-50%|over 50%"]
    for true, (est, se) in zip([0.2, 0.9, 1.6], cuts[["cut", "se"]].to_numpy(), strict=True):
        assert abs(est - true) < 3 * se
    t = result.table
    assert t.loc["act.a", "ci_low_export"] < 1.0 < t.loc["act.a", "ci_high_export"]
    assert t.loc["act.b", "ci_low_export"] < -0.6 < t.loc["act.b", "ci_high_export"]
    assert t.loc["act.a", "raises_both"] and not t.loc["act.b", "raises_both"]
    # the counts and P(both) are about being above the lowest level
    assert result.counts["11"] == int(((frame.innovates == 1) & (frame.band != "none")).sum())
    out = result.to_dict()
    assert out["model"] == "bivariate ordered probit" and len(out["cuts"]["export"]) == 3
    json.dumps(out)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------
def test_refusals_name_the_cause(sim: pd.DataFrame) -> None:
    band = sim.assign(band=sim["exports"] * 2 + (sim["act.c"] > 0.5))
    ok = synergy(band, "innovates", "band", export_threshold=2)
    assert ok.n == len(sim) and ok.counts["11"] == int(((sim.innovates == 1) & (sim.exports == 1)).sum())
    ordered = band.assign(band=pd.Categorical.from_codes(band["band"], ["none", "low", "mid", "high"], ordered=True))
    assert synergy(ordered, "innovates", "band", export_threshold="mid").counts == ok.counts
    with pytest.raises(SynergyError, match="not a level"):
        synergy(ordered, "innovates", "band", export_threshold="huge")
    with pytest.raises(ImpactError, match="unordered categorical with 4 levels"):
        synergy(band.assign(band=band["band"].astype(str).astype("category")), "innovates", "band")
    with pytest.raises(SynergyError, match=r"'band': too few firms at a level \(0: \d+, 1: \d+, 2: \d+, 3: 2\)"):
        synergy(pd.concat([band[band.band < 3], band[band.band == 3].head(2)]), "innovates", "band")
    with pytest.raises(ImpactError, match="unknown column: 'nope'"):
        synergy(sim, "innovates", "nope")
    with pytest.raises(ImpactError, match="only 20 usable rows"):
        synergy(sim.head(20), "innovates", "exports")
    with pytest.raises(SynergyError, match=r"no 'weight' column: .*--no-weights"):
        synergy(sim.drop(columns="weight"), "innovates", "exports")
    with pytest.raises(ImpactError, match=r"'exports' is constant \(1\)"):
        synergy(sim.assign(exports=1), "innovates", "exports")
    with pytest.raises(SynergyError, match="same column"):
        synergy(sim, "exports", "exports")
    with pytest.raises(SynergyError, match="two roles"):
        synergy(sim, "innovates", "exports", ["act.a"], controls=["act.a"])
    few = sim[~((sim.innovates == 0) & (sim.exports == 1))]
    few = pd.concat([few, sim[(sim.innovates == 0) & (sim.exports == 1)].head(MIN_CELL - 1)])
    with pytest.raises(SynergyError, match=r"too few firms .*\(0, 1\): 4"):
        synergy(few, "innovates", "exports")
    separated = sim.assign(**{"act.s": sim["innovates"] * 0.5 + 0.25})
    with pytest.raises(SynergyError, match=r"'innovates' is perfectly .*'act.s'"):
        synergy(separated, "innovates", "exports", ["act.a", "act.s"])
    # an ordered outcome: a group whose firms are all at the lowest band has no finite effect
    lowest = band.assign(band=np.where(band["size"] == "small", 0, band["band"]))
    with pytest.raises(SynergyError, match=r"'band' is perfectly .*'size=small'"):
        synergy(lowest, "innovates", "band", controls=["size"])
    assert synergy(band, "innovates", "band", controls=["size"]).kind == "ordered"
    blind = sim.assign(**{"act.asked": sim["act.b"].where(sim["innovates"] == 1)})
    with pytest.raises(SynergyError, match=r"'act.asked' is never observed where 'innovates' is 0"):
        synergy(blind, "innovates", "exports")
    tiny_group = sim.assign(country=np.where(np.arange(len(sim)) < 10, "XX", "AR"))
    with pytest.raises(SynergyError, match=r"too few usable firms in group\(s\) XX \(10\)"):
        synergy(tiny_group, "innovates", "exports", by="country")


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------
def test_cli_end_to_end(sim: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    sim.assign(band=sim["exports"] * 2 + (sim["act.c"] > 0.5)).to_csv(path, index=False)
    _register()
    runner = CliRunner()
    res = runner.invoke(app, ["population", "synergy", str(path), "--innovation", "innovates", "--export", "exports",
                              "--controls", "size"])
    assert res.exit_code == 0, res.output
    assert "rho = " in res.stdout and "Wald test of rho = 0" in res.stdout and "survey-weighted" in res.stdout
    res = runner.invoke(app, ["population", "synergy", str(path), "--innovation", "innovates", "--export", "exports",
                              "--by", "country", "--no-weights", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["model"] == "bivariate probit" and out["rho"]["test"] == "LR" and out["groups"] == ["AR", "CL", "FR"]
    assert "act.a" in out["raises_both"] and {r["capability"] for r in out["equality"]} == {"act.a", "act.b", "act.c"}
    direct = synergy(sim, "innovates", "exports", by="country", weights=False)
    rows = {r["capability"]: r for r in out["capabilities"]}
    assert rows["act.b"]["p_context"] == pytest.approx(direct.equality.loc["act.b", "p_both"])  # for the study report
    assert out["rho"]["estimate"] == pytest.approx(direct.rho, rel=1e-9)
    res = runner.invoke(app, ["population", "synergy", str(path), "--innovation", "innovates", "--export", "band"])
    assert res.exit_code == 0, res.output
    assert "bivariate ordered probit" in res.stdout and "P(both): innovates above 0 and band above 0" in res.stdout
    for args, message in (
        (["--export", "nope"], "unknown column"),
        (["--export", "exports", "--weight", "size"], "weight"),
        (["--export", "exports", "--weight", "weight", "--no-weights"], "exclude each other"),
    ):
        res = runner.invoke(app, ["population", "synergy", str(path), "--innovation", "innovates", *args])
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output
    res = runner.invoke(app, ["population", "synergy", str(path), "--innovation", "innovates", "--export", "band",
                              "--export-threshold", "2", "--capabilities", "act.a,act.c"])
    assert res.exit_code == 0, res.output
    assert "act.b" not in res.stdout


# --------------------------------------------------------------------------------------------
# Real data: ENDEI II (Argentina)
# --------------------------------------------------------------------------------------------
@requires_shared(ENDEI)
def test_endei_synergy(endei_survey) -> None:
    from innexport.files.frameworks import load_framework
    from innexport.population.mapping import apply_mapping, load_mapping

    fw = load_framework("iiep")
    pop = apply_mapping(endei_survey, load_mapping("endei2", framework=fw), fw)
    # the default (every act.* column) holds activities asked only of innovating firms: refused, named
    with pytest.raises(SynergyError, match="never observed where 'innovates' is 0"):
        synergy(pop, "innovates", "exports")
    caps = ["dim.networks", "dim.watch", "dim.skills", "dim.culture", "dim.knowledge", "dim.export_operations"]
    result = synergy(pop, "innovates", "exports", caps, by="size")
    assert result.converged and result.groups == ("large", "medium", "small")
    assert result.n > 3900 and sum(result.counts.values()) == result.n
    assert -1 < result.rho_low < result.rho < result.rho_high < 1
    assert set(result.equality.index) == set(caps)
    # knowledge (absorption) raises innovation in this survey
    assert result.table.loc["dim.knowledge", "coef_innovation"] > 0
    # the export share in bands: the bivariate ordered probit, its cut points in the bands' order
    bands = synergy(pop, "innovates", "export_share_band", caps)
    assert bands.kind == "ordered" and len(bands.levels["export"]) == 6
    assert bands.cuts["export"]["cut"].is_monotonic_increasing
    assert bands.counts == synergy(pop, "innovates", "exports", caps).counts  # "exports" = band above 0%
