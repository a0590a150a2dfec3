"""Survey designs (population.design): published values of R's survey package, properties, refusals.

The published values are those printed by the survey package (Lumley; CRAN 4.5, mirrored on GitHub
as cran/survey) for its California Academic Performance Index samples (tests/data/api_*.csv, see
tests/data/api_README.md):

* ``tests/testoutput/api.Rout.saved`` (the ``example(api)`` run): ``svymean(~api00, dstrat)`` =
  662.29 (SE 9.4089), ``svytotal(~enroll, dstrat)`` = 3687178 (114642); ``dclus1``: 644.17 (23.542)
  and 3404940 (932235); ``dclus2wr``: 670.81 (30.712) and 2639273 (820261);
* ``tests/testoutput/fpc.Rout.save`` (the ``fpc`` data): 5.4481, SE 0.7413 without fpc and 0.616
  with it, however the fpc is given; ``tests/domain.Rout.save``: the domains x > 4 and x <= 4,
  6.195 (0.7555129) and 3.314286 (0.3117042);
* ``tests/lonely.psu.Rout.save``: apiclus1 stratified by district (district 413 has one school):
  "Stratum (413) has only one PSU", and SE 5.8058 (remove, certainty), 5.8281 (adjust), 6.0096
  (average), 5.7344 when the fpc makes 413 a certainty stratum;
* the survey package's regression page (r-survey.r-forge.r-project.org/survey/example-regression.html):
  ``svyglm(api00 ~ ell + meals + mobility, dclus2)``: SEs 30.8795, 1.4075, 1.1053, 0.5305, and the
  domain means ``svyglm(api00 ~ stype - 1, dclus2)``: 692.81 (30.28), 598.34 (16.96), 642.35 (45.34).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import ENDEI, requires_shared
from innexport.population.compare import compare_groups, t_ppf, weighted_mean_ci
from innexport.population.describe import describe
from innexport.population.design import DesignError, SurveyDesign
from innexport.population.impact import ImpactError, impact

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "api_strat.csv")


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(DATA / "api_clus1.csv")


@pytest.fixture(scope="module")
def apiclus2() -> pd.DataFrame:
    return pd.read_csv(DATA / "api_clus2.csv")


def fpc_data() -> pd.DataFrame:
    """The survey package's ``fpc`` data set (8 rows, two strata)."""
    return pd.DataFrame({"stratid": [1] * 5 + [2] * 3, "psuid": [1, 2, 3, 4, 5, 1, 2, 3],
                         "weight": [3.0] * 5 + [4.0] * 3, "nh": [5] * 5 + [3] * 3, "Nh": [15] * 5 + [12] * 3,
                         "x": [2.8, 4.1, 6.8, 6.8, 9.2, 3.7, 6.6, 4.2]})


def one(estimates) -> tuple[float, float]:
    return float(estimates.estimate[0]), float(estimates.se[0])


# --- published values ---------------------------------------------------------------------------
def test_stratified_sample_with_fpc(apistrat: pd.DataFrame) -> None:
    d = SurveyDesign.from_frame(apistrat, weights="pw", strata="stype", fpc="fpc")
    mean, se = one(d.mean(apistrat["api00"]))
    assert round(mean, 2) == 662.29 and round(se, 4) == 9.4089
    total, se = one(d.total(apistrat["enroll"]))
    assert round(total) == 3687178 and round(se) == 114642
    assert d.df == 200 - 3 and d.n_strata == 3 and d.n_psus == 200 and not d.simple


def test_one_stage_cluster_sample(apiclus1: pd.DataFrame) -> None:
    d = SurveyDesign.from_frame(apiclus1, weights="pw", psu="dnum", fpc="fpc")
    mean, se = one(d.mean(apiclus1["api00"]))
    assert round(mean, 2) == 644.17 and round(se, 3) == 23.542
    total, se = one(d.total(apiclus1["enroll"]))
    assert round(total) == 3404940 and round(se) == 932235
    assert d.df == 15 - 1


def test_two_stage_sample_with_replacement_is_its_first_stage(apiclus2: pd.DataFrame) -> None:
    """R's dclus2wr (ids=~dnum+snum, no fpc): with replacement, only the PSUs (districts) count."""
    d = SurveyDesign.from_frame(apiclus2, weights="pw", psu="dnum")
    mean, se = one(d.mean(apiclus2["api00"]))
    assert round(mean, 2) == 670.81 and round(se, 3) == 30.712
    total, se = one(d.total(apiclus2["enroll"]))  # 6 schools without enroll: na.rm=TRUE, a domain
    assert apiclus2["enroll"].isna().sum() == 6
    assert round(total) == 2639273 and round(se) == 820261


def test_domain_means_are_svyby(apiclus2: pd.DataFrame) -> None:
    d = SurveyDesign.from_frame(apiclus2, weights="pw", psu="dnum")
    out = compare_groups(apiclus2, "stype", "api00", design=d).set_index("group")
    published = {"E": (692.81, 30.28), "H": (598.34, 16.96), "M": (642.35, 45.34)}
    for g, (mean, se) in published.items():
        assert round(out.loc[g, "mean"], 2) == mean and round(out.loc[g, "se"], 2) == se
    # the intervals use the design's degrees of freedom (40 PSUs - 1 stratum), for every domain
    half = t_ppf(0.975, 39) * out.loc["H", "se"]
    assert out.loc["H", "ci_high"] - out.loc["H", "mean"] == pytest.approx(half)
    assert out.attrs["df"] == 39 and "40 PSUs (dnum)" in out.attrs["design"]
    # describe gives the same domain estimates
    frame = apiclus2.assign(iiep=apiclus2["api00"])
    table = describe(frame, by="stype", design=d).set_index(["group", "variable"])
    assert table.loc[("H", "iiep"), "weighted_mean"] == pytest.approx(out.loc["H", "mean"])
    assert table.loc[("H", "iiep"), "se"] == pytest.approx(out.loc["H", "se"])
    assert round(table.loc[("all", "iiep"), "se"], 3) == 30.712


def test_linear_svyglm_sandwich(apiclus2: pd.DataFrame) -> None:
    """The design covariance of the weighted scores' total gives svyglm's standard errors."""
    d = SurveyDesign.from_frame(apiclus2, weights="pw", psu="dnum")
    x = np.column_stack([np.ones(len(apiclus2)), apiclus2[["ell", "meals", "mobility"]].to_numpy(dtype=float)])
    y, w = apiclus2["api00"].to_numpy(dtype=float), d.weights
    bread = x.T @ (x * w[:, None])
    beta = np.linalg.solve(bread, x.T @ (w * y))
    inv = np.linalg.inv(bread)
    cov = inv @ d.total_cov(x * (w * (y - x @ beta))[:, None]) @ inv
    np.testing.assert_allclose(beta, [811.4907, -2.0592, -1.7772, 0.3253], atol=5e-5)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), [30.8795, 1.4075, 1.1053, 0.5305], atol=5e-5)


def test_fpc_given_as_population_sizes_fractions_or_alone() -> None:
    frame = fpc_data()
    without = SurveyDesign.from_frame(frame, weights="weight", strata="stratid", psu="psuid")
    mean, se = one(without.mean(frame["x"]))
    assert round(mean, 4) == 5.4481 and round(se, 4) == 0.7413
    fractions = frame.assign(f=frame["nh"] / frame["Nh"])
    for design in (SurveyDesign.from_frame(frame, weights="weight", strata="stratid", psu="psuid", fpc="Nh"),
                   SurveyDesign.from_frame(fractions, weights="weight", strata="stratid", psu="psuid", fpc="f"),
                   SurveyDesign.from_frame(frame, weights=False, strata="stratid", psu="psuid", fpc="Nh")):
        mean, se = one(design.mean(frame["x"]))
        assert round(mean, 4) == 5.4481 and round(se, 3) == 0.616
    # the weights R derives from the fpc alone: N_h / n_h
    np.testing.assert_allclose(SurveyDesign.from_frame(frame, strata="stratid", fpc="Nh").weights, frame["weight"])


def test_domains_keep_the_whole_design() -> None:
    frame = fpc_data()
    d = SurveyDesign.from_frame(frame, weights="weight", strata="stratid", psu="psuid")
    high, low = frame["x"] > 4, frame["x"] <= 4
    assert one(d.mean(frame["x"], high)) == pytest.approx((6.195, 0.7555129), abs=5e-8)
    assert one(d.mean(frame["x"], low)) == pytest.approx((3.314286, 0.3117042), abs=5e-7)
    # svyratio(~I(x * (x > 4)), ~as.numeric(x > 4), dfpc): the same domain mean as a ratio of totals
    ratio = d.ratio(frame["x"] * high, high.astype(float))
    assert one(ratio) == pytest.approx((6.195, 0.7555129), abs=5e-8)
    np.testing.assert_allclose(d.ratio(frame["x"], np.ones(8), low).se, d.mean(frame["x"], low).se, rtol=1e-12)
    # dropping the other rows instead (a design of the domain alone) gives another, wrong, answer
    alone = SurveyDesign.from_frame(frame[high].reset_index(drop=True), weights="weight", strata="stratid",
                                    psu="psuid", lonely_psu="remove")
    assert one(alone.mean(frame["x"][high].reset_index(drop=True)))[1] != pytest.approx(0.7555129, abs=1e-3)


@pytest.mark.parametrize(("option", "se"), [("remove", 5.8058), ("certainty", 5.8058), ("adjust", 5.8281),
                                            ("average", 6.0096)])
def test_lonely_psu_options(apiclus1: pd.DataFrame, option: str, se: float) -> None:
    d = SurveyDesign.from_frame(apiclus1, weights="pw", strata="dnum", lonely_psu=option)
    mean, got = one(d.mean(apiclus1["api00"]))
    assert round(mean, 2) == 644.17 and round(got, 4) == se


def test_lonely_psu_fails_by_default_naming_the_stratum(apiclus1: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match=r"stratum 413 of dnum has only one primary sampling unit"):
        SurveyDesign.from_frame(apiclus1, weights="pw", strata="dnum")
    # a stratum sampled whole (its fpc says one PSU in the population) is not lonely
    certain = apiclus1.assign(f=np.where(apiclus1["dnum"] == 413, 1, 1000))
    d = SurveyDesign.from_frame(certain, weights="pw", strata="dnum", fpc="f")
    assert round(one(d.mean(certain["api00"]))[1], 4) == 5.7344


@requires_shared(ENDEI)
def test_endei_stratified(endei_survey) -> None:
    """ENDEI II's 381 sampling strata (the mapping's ``stratum``): 54 have one firm, refused by default;
    as certainty strata, the means are the weighted ones and stratification narrows their SEs."""
    from innexport.population.mapping import apply_mapping

    pop = apply_mapping(endei_survey, "endei2")
    with pytest.raises(DesignError, match=r"of stratum has only one primary sampling unit \(lonely PSU\) \(and 53 more\)"):
        SurveyDesign.from_frame(pop, strata="stratum")
    d = SurveyDesign.from_frame(pop, strata="stratum", lonely_psu="certainty")
    assert (d.n_strata, d.n_psus, d.df) == (381, 3944, 3944 - 381)
    indices = pop[["iip", "iep", "iiep"]]
    stratified, unstratified = d.mean(indices), SurveyDesign.from_frame(pop).mean(indices)
    np.testing.assert_allclose(stratified.estimate, np.average(indices, axis=0, weights=pop["weight"]), rtol=1e-12)
    assert np.all(stratified.se < unstratified.se) and np.all(stratified.se > 0.85 * unstratified.se)
    small = d.total((pop["size"] == "small").astype(float))
    assert round(float(small.estimate[0])) == 10538 and 0 < float(small.se[0]) < 200  # the official count
    out = compare_groups(pop, "size", "iiep", reference="small", design=d).set_index("group")
    assert out.loc["large", "diff_low"] > 0.15 and out.loc["medium", "p_diff"] < 1e-6


# --- properties --------------------------------------------------------------------------------------
@given(arrays(np.float64, st.integers(3, 40), elements=st.floats(-100, 100)),
       st.randoms(use_true_random=False))
def test_one_psu_per_row_is_the_with_replacement_linearisation(x: np.ndarray, rnd) -> None:
    """No strata, one PSU per firm: the design SE is compare's with-replacement SE (n/(n-1) Σ p² d²)."""
    w = np.array([rnd.uniform(0.2, 5.0) for _ in x])
    ids = np.array(rnd.sample(range(10 * len(x)), len(x)))  # PSU ids in any order
    est = SurveyDesign.from_arrays(w, psu=ids).mean(x)
    p = w / w.sum()
    mean = float(p @ x)
    expected = math.sqrt(len(x) / (len(x) - 1) * float((p * p) @ (x - mean) ** 2))
    assert float(est.estimate[0]) == pytest.approx(mean, rel=1e-12, abs=1e-9)
    assert float(est.se[0]) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    frame = pd.DataFrame({"g": "all", "x": x, "weight": w})
    assert compare_groups(frame, "g", "x")["se"].iloc[0] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert weighted_mean_ci(x, w)[0] == pytest.approx(mean, rel=1e-12, abs=1e-9)


@given(st.integers(0, 10_000))
def test_variance_does_not_depend_on_the_order_of_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({"h": rng.integers(0, 3, n), "psu": rng.integers(0, 4, n), "w": rng.uniform(1, 3, n),
                          "x": rng.normal(size=n), "y": rng.normal(size=n)})
    d = SurveyDesign.from_frame(frame, weights="w", strata="h", psu="psu", lonely_psu="remove")
    order = rng.permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    e = SurveyDesign.from_frame(shuffled, weights="w", strata="h", psu="psu", lonely_psu="remove")
    np.testing.assert_allclose(d.total_cov(frame[["x", "y"]].to_numpy()), e.total_cov(shuffled[["x", "y"]].to_numpy()),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.total_var(frame[["x", "y"]].to_numpy()),
                               np.diag(d.total_cov(frame[["x", "y"]].to_numpy())), rtol=1e-12)


def test_difference_of_domains_counts_their_covariance() -> None:
    """compare's design SE of a difference is the linearised one: var + var_ref - 2 cov, and svyglm's."""
    rng = np.random.default_rng(4)
    n = 300
    frame = pd.DataFrame({"stratum": rng.integers(0, 4, n), "psu": rng.integers(0, 6, n), "w": rng.uniform(1, 4, n),
                          "g": rng.choice(["A", "B", "C"], n)})
    effect = rng.normal(size=(4, 6))[frame["stratum"], frame["psu"]]  # PSUs alike: correlated groups
    frame["x"] = effect + (frame["g"] == "A") * 0.5 + rng.normal(size=n)
    d = SurveyDesign.from_frame(frame, weights="w", strata="stratum", psu="psu")
    out = compare_groups(frame, "g", "x", reference="B", design=d).set_index("group")
    a, b = d.mean(frame["x"], frame["g"] == "A"), d.mean(frame["x"], frame["g"] == "B")
    cov = d.total_cov(np.column_stack([a.influence[:, 0], b.influence[:, 0]]))
    se = math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert abs(cov[0, 1]) > 1e-6  # the two domains are correlated through their PSUs
    assert out.loc["A", "diff"] == pytest.approx(float(a.estimate[0] - b.estimate[0]))
    half = t_ppf(0.975, d.df) * se
    assert (out.loc["A", "diff_low"], out.loc["A", "diff_high"]) == pytest.approx(
        (out.loc["A", "diff"] - half, out.loc["A", "diff"] + half))
    # the same SE as the coefficient of a weighted linear model x ~ 1 + [A] + [C] (svyglm) on A and B
    xx = np.column_stack([np.ones(n), frame["g"] == "A", frame["g"] == "C"]).astype(float)
    y, w = frame["x"].to_numpy(), d.weights
    bread = xx.T @ (xx * w[:, None])
    beta = np.linalg.solve(bread, xx.T @ (w * y))
    inv = np.linalg.inv(bread)
    v = inv @ d.total_cov(xx * (w * (y - xx @ beta))[:, None]) @ inv
    assert beta[1] == pytest.approx(out.loc["A", "diff"]) and math.sqrt(v[1, 1]) == pytest.approx(se)


# --- with weights only, nothing changes ----------------------------------------------------------------
def test_weights_only_design_keeps_todays_results(apistrat: pd.DataFrame) -> None:
    frame = apistrat.assign(weight=apistrat["pw"])
    d = SurveyDesign.from_frame(frame)
    assert d.simple and d.df == len(frame) - 1
    pd.testing.assert_frame_equal(compare_groups(frame, "stype", ["api00", "meals"], design=d),
                                  compare_groups(frame, "stype", ["api00", "meals"]))
    pop = frame.assign(**{"act.ell": frame["ell"] / 100, "act.meals": frame["meals"] / 100,
                          "yes": (frame["sch.wide"] == "Yes").astype(int)})
    today = impact(pop, "yes")
    with_design = impact(pop, "yes", design=SurveyDesign.from_frame(pop))
    pd.testing.assert_frame_equal(today.table, with_design.table)
    assert with_design.cov_type == "HC1"
    table = describe(pop.assign(iiep=pop["api00"]), by="stype")
    designed = describe(pop.assign(iiep=pop["api00"]), by="stype", design=d)
    pd.testing.assert_frame_equal(designed[table.columns], table)


# --- impact under a design -------------------------------------------------------------------------------
def _schools(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{"act.ell": frame["ell"] / 100, "act.meals": frame["meals"] / 100,
                           "act.mobility": frame["mobility"] / 100,
                           "yes": (frame["sch.wide"] == "Yes").astype(int)})


@pytest.mark.filterwarnings("ignore:cov_type not fully supported")
def test_logit_with_clusters_is_the_cluster_sandwich(apiclus1: pd.DataFrame) -> None:
    """PSUs without strata nor fpc: svyglm's covariance is the cluster-robust sandwich times G/(G-1)."""
    pop = _schools(apiclus1)
    d = SurveyDesign.from_frame(pop, weights="pw", psu="dnum")
    res = impact(pop, "yes", design=d)
    caps = ["act.ell", "act.meals", "act.mobility"]
    ref = sm.GLM(pop["yes"], sm.add_constant(pop[caps]), family=sm.families.Binomial(), var_weights=pop["pw"]).fit(
        cov_type="cluster", cov_kwds={"groups": pop["dnum"].to_numpy(), "use_correction": False})
    np.testing.assert_allclose(res.table["coef"], ref.params[caps], rtol=1e-7)
    np.testing.assert_allclose(res.table["se"], ref.bse[caps] * math.sqrt(15 / 14), rtol=1e-7)
    assert res.cov_type == "design" and "15 PSUs (dnum)" in (res.design or "")
    # p-values and intervals on Student's t with PSUs - strata + 1 - parameters = 11 df
    from scipy import stats

    row = res.table.loc["act.ell"]
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(row["z"]), 11))
    assert row["ci_high"] - row["coef"] == pytest.approx(stats.t.ppf(0.975, 11) * row["se"])


def test_ordered_logit_with_one_psu_per_firm_is_hc0_times_n_over_n_minus_1(apistrat: pd.DataFrame) -> None:
    pop = _schools(apistrat)
    pop["band"] = pd.Categorical(pd.cut(pop["api00"], [0, 600, 700, 800, 1000], labels=["a", "b", "c", "d"]),
                                 ordered=True)
    n = len(pop)
    # a negligible sampling fraction per firm: a design with the with-replacement formula, not "simple"
    tiny = SurveyDesign.from_frame(pop.assign(f=1e-12), weights="pw", psu="cds", fpc="f")
    assert not tiny.simple
    designed = impact(pop, "band", ["act.ell", "act.meals"], design=tiny)
    hc0 = impact(pop.assign(weight=pop["pw"]), "band", ["act.ell", "act.meals"], cov_type="HC0")
    np.testing.assert_allclose(designed.table["coef"], hc0.table["coef"], rtol=1e-10)
    np.testing.assert_allclose(designed.table["se"], hc0.table["se"] * math.sqrt(n / (n - 1)), rtol=1e-6)
    assert designed.kind == "ordered"


def test_rows_left_out_of_a_fit_stay_in_the_design(apistrat: pd.DataFrame) -> None:
    """Missing values: the firm's scores are zero, its stratum and PSU stay (svyglm on a design with NAs)."""
    pop = _schools(apistrat)
    pop.loc[pop.index[::7], "act.ell"] = np.nan
    d = SurveyDesign.from_frame(pop, weights="pw", strata="stype", fpc="fpc")
    res = impact(pop, "yes", ["act.ell", "act.meals"], design=d)
    used = pop["act.ell"].notna().to_numpy()
    x = np.column_stack([np.ones(used.sum()), pop.loc[used, ["act.ell", "act.meals"]].to_numpy()])
    beta = res.fits["joint"].params.to_numpy()
    y, w = pop.loc[used, "yes"].to_numpy(dtype=float), d.weights[used]
    p = 1 / (1 + np.exp(-x @ beta))
    scores = np.zeros((len(pop), 3))
    scores[used] = x * (w * (y - p))[:, None]
    inv = np.linalg.inv((x * (w * p * (1 - p))[:, None]).T @ x)
    cov = inv @ d.total_cov(scores) @ inv
    np.testing.assert_allclose(res.table["se"], np.sqrt(np.diag(cov))[1:], rtol=1e-8)
    assert int(res.table["n"].iloc[0]) == used.sum()


def test_too_few_psus_for_the_model_are_refused(apiclus1: pd.DataFrame) -> None:
    pop = _schools(apiclus1).assign(region=lambda f: f["dnum"] % 3)
    d = SurveyDesign.from_frame(pop, weights="pw", psu="region")  # 3 PSUs: 2 df for 4 parameters
    with pytest.raises(ImpactError, match="3 primary sampling units in 1 strata"):
        impact(pop, "yes", design=d)
    with pytest.raises(ImpactError, match="the design has 183 rows, the population 10"):
        impact(pop.head(10), "yes", design=d)


# --- refusals ---------------------------------------------------------------------------------------------
def test_refusals_name_the_column_and_the_place(apistrat: pd.DataFrame) -> None:
    frame = apistrat.copy()
    with pytest.raises(DesignError, match=r"no column 'region' \(--strata\)"):
        SurveyDesign.from_frame(frame, strata="region")
    with pytest.raises(DesignError, match=r"no column 'w' \(--weight\)"):
        SurveyDesign.from_frame(frame, weights="w")
    negative = frame.assign(pw=np.where(frame.index == 4, -1.0, frame["pw"]))
    with pytest.raises(DesignError, match=r"pw: weights must be positive and finite; 1 row\(s\) are not \(first: row 5, -1\)"):
        SurveyDesign.from_frame(negative, weights="pw")
    small = frame.assign(fpc=np.where(frame["stype"] == "H", 40, frame["fpc"]))
    with pytest.raises(DesignError, match=r"fpc: stratum 'H' has 50 sampled rows but a population of 40"):
        SurveyDesign.from_frame(small, weights="pw", strata="stype", fpc="fpc")
    varying = frame.assign(fpc=np.where(frame.index == 0, 4000, frame["fpc"]))
    with pytest.raises(DesignError, match="not constant within stratum 'E'"):
        SurveyDesign.from_frame(varying, weights="pw", strata="stype", fpc="fpc")
    mixed = frame.assign(fpc=np.where(frame["stype"] == "E", 0.5, frame["fpc"]))
    with pytest.raises(DesignError, match="either population sizes"):
        SurveyDesign.from_frame(mixed, weights="pw", strata="stype", fpc="fpc")
    holes = frame.assign(stype=frame["stype"].where(frame.index != 2))
    with pytest.raises(DesignError, match=r"stype: 1 row\(s\) without a value \(first: row 3\)"):
        SurveyDesign.from_frame(holes, weights="pw", strata="stype")
    with pytest.raises(DesignError, match="lonely PSU option must be one of"):
        SurveyDesign.from_frame(frame, strata="stype", lonely_psu="drop")
    d = SurveyDesign.from_frame(frame, weights="pw", strata="stype")
    with pytest.raises(ValueError, match="the design has 200 rows, the frame 10"):
        compare_groups(frame.head(10), "stype", "api00", design=d)
    with pytest.raises(ValueError, match="the design has 200 rows, the population 10"):
        describe(frame.head(10), design=d)
