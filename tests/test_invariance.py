"""Measurement invariance (issue 15): multi-group CFA by maximum likelihood, against lavaan's published example.

* Holzinger & Swineford (1939), 301 children by school (``tests/data/holzinger_swineford_1939.csv``:
  lavaan's ``HolzingerSwineford1939`` data set, from its repository's ``data/`` folder, written out
  as CSV), the model ``visual =~ x1+x2+x3; textual =~ x4+x5+x6; speed =~ x7+x8+x9``:
  - configural: chi-square 115.851, df 48, per group 64.309 (Pasteur) and 51.542 (Grant-White), as
    printed by lavaan's tutorial "Multiple groups" (https://lavaan.ugent.be/tutorial/groups.html);
  - metric 124.044 (df 54) and scalar 164.103 (df 60), the chi-square differences 8.192 (6 df,
    p = 0.224) and 40.059 (6 df, p = 4.435e-07), CFI 0.923 / 0.921 / 0.882 and RMSEA 0.097 / 0.093 /
    0.107, as semTools' ``measurementInvariance`` and lavaan's ``lavTestLRT`` print them;
  - the one-group model (lavaan's CFA tutorial, ``fitMeasures``): chi-square 85.306 (df 24), CFI
    0.931, TLI 0.896, RMSEA 0.092 with its interval from 0.071, SRMR 0.065 (without a mean structure).
* properties: ML's scale invariance (an item rescaled gives the same chi-squares), the configural
  chi-square is the sum of the groups' own fits; data drawn from an invariant model pass scalar
  invariance; one intercept (or loading) shifted in one group is the first constraint the
  partial-invariance search frees;
* the command end to end (``--json``, tables, refusals with exit code 2), on a population table its
  framework's dimensions as factors, and the World Management Survey by country (shared data).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import REPO_ROOT, WMS, requires_shared
from innexport.cli import _register, app
from innexport.population import invariance as inv
from innexport.population.invariance import (
    InvarianceError,
    confirmatory_fit,
    dimension_factors,
    measurement_invariance,
)

HS = REPO_ROOT / "tests" / "data" / "holzinger_swineford_1939.csv"
HS_FACTORS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
runner = CliRunner()


def run(*args: str):
    _register()
    return runner.invoke(app, ["population", "invariance", *args])


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(HS)


@pytest.fixture(scope="module")
def hs_result(hs: pd.DataFrame) -> inv.InvarianceResult:
    # lavaan's order (of first appearance): Pasteur is the reference group
    return measurement_invariance(hs, HS_ITEMS, "school", groups=["Pasteur", "Grant-White"], factors=HS_FACTORS)


# --------------------------------------------------------------------------------------------
# lavaan's published values
# --------------------------------------------------------------------------------------------


def test_the_data_is_lavaans(hs: pd.DataFrame) -> None:
    assert len(hs) == 301
    assert hs["school"].value_counts().to_dict() == {"Pasteur": 156, "Grant-White": 145}


def test_holzinger_swineford_by_school_as_lavaan(hs_result: inv.InvarianceResult) -> None:
    fits = hs_result.fits
    assert hs_result.groups == {"Pasteur": 156, "Grant-White": 145}
    expected = {"configural": (115.851, 48, 0.923, 0.097), "metric": (124.044, 54, 0.921, 0.093),
                "scalar": (164.103, 60, 0.882, 0.107)}
    for name, (chi2, df, cfi, rmsea) in expected.items():
        assert round(fits[name].chi2, 3) == chi2, name
        assert fits[name].df == df
        assert round(fits[name].cfi, 3) == cfi
        assert round(fits[name].rmsea, 3) == rmsea
    by_group = fits["configural"].chi2_by_group
    assert round(by_group["Pasteur"], 3) == 64.309 and round(by_group["Grant-White"], 3) == 51.542
    configural = fits["configural"]
    assert (round(configural.tli, 3), round(configural.srmr, 3)) == (0.885, 0.068)
    assert tuple(round(x, 3) for x in configural.rmsea_ci) == (0.075, 0.120)
    metric, scalar = hs_result.comparisons[:2]
    assert (round(metric.d_chi2, 3), metric.d_df, round(metric.p, 4)) == (8.192, 6, 0.2244)
    assert (round(scalar.d_chi2, 3), scalar.d_df) == (40.059, 6)
    assert scalar.p == pytest.approx(4.435e-07, rel=1e-3)


def test_holzinger_swineford_verdicts_and_partial_invariance(hs_result: inv.InvarianceResult) -> None:
    metric, scalar = hs_result.comparisons[:2]
    assert metric.holds == {"chen": True, "cfi": True, "chi2": True}
    # ΔCFI -0.038 with ΔSRMR 0.011 ≥ 0.010: the intercepts are not invariant by every rule
    assert scalar.holds == {"chen": False, "cfi": False, "chi2": False}
    assert round(scalar.d_cfi, 3) == -0.038 and round(scalar.d_srmr, 3) == 0.011
    # x3 (lozenges) is the intercept that differs most between the schools (lavaan's largest score test)
    assert [(f.item, f.parameter) for f in hs_result.partial["scalar"]] == [("x3", "intercept")]
    partial = hs_result.fits["partial_scalar"]
    assert partial.df == 59 and partial.free_intercepts == ("x3",)
    assert hs_result.comparisons[-1].holds["chen"]
    assert hs_result.conclusion == "partial scalar"
    # the intercept freed really differs: x3's intercepts differ between the schools, the others are equal
    icp = partial.intercepts
    assert icp["Pasteur"]["x3"] != pytest.approx(icp["Grant-White"]["x3"], abs=0.05)
    assert icp["Pasteur"]["x2"] == icp["Grant-White"]["x2"]
    # the reference group's factor means are 0, the other's free
    assert set(partial.factor_means["Pasteur"].values()) == {0.0}
    assert all(v != 0 for v in partial.factor_means["Grant-White"].values())


def test_the_chi_square_rule_frees_more_than_chens(hs: pd.DataFrame, hs_result: inv.InvarianceResult) -> None:
    strict = measurement_invariance(hs, HS_ITEMS, "school", factors=HS_FACTORS, criterion="chi2")
    freed = [f.item for f in strict.partial["scalar"]]
    assert freed[0] == "x3" and len(freed) > 1
    drops = [f.chi2_drop for f in strict.partial["scalar"]]
    assert all(d > 0 for d in drops)
    assert strict.comparisons[-1].holds["chi2"] or strict.conclusion == "metric"


def test_one_group_cfa_as_lavaan(hs: pd.DataFrame) -> None:
    fit = confirmatory_fit(hs, HS_FACTORS)
    assert (round(fit.chi2, 3), fit.df) == (85.306, 24)
    assert (round(fit.cfi, 3), round(fit.tli, 3), round(fit.rmsea, 3)) == (0.931, 0.896, 0.092)
    assert round(fit.rmsea_ci[0], 3) == 0.071
    # lavaan's 0.065 has no mean structure: the means fit exactly, so SRMR scales by √(p*/(p*+p)) = √(45/54)
    assert round(fit.srmr * math.sqrt(54 / 45), 3) == 0.065


def test_the_configural_model_is_the_groups_fitted_apart(hs: pd.DataFrame, hs_result: inv.InvarianceResult) -> None:
    apart = [confirmatory_fit(hs[hs["school"] == school], HS_FACTORS) for school in ("Pasteur", "Grant-White")]
    assert hs_result.fits["configural"].chi2 == pytest.approx(sum(f.chi2 for f in apart), abs=1e-4)
    assert hs_result.fits["configural"].df == sum(f.df for f in apart)


@settings(max_examples=6, deadline=None)
@given(item=st.sampled_from(HS_ITEMS), scale=st.floats(0.2, 20.0), shift=st.floats(-50.0, 50.0))
def test_ml_is_scale_invariant(hs: pd.DataFrame, hs_result: inv.InvarianceResult, item: str, scale: float,
                               shift: float) -> None:
    moved = hs.copy()
    moved[item] = moved[item] * scale + shift
    again = measurement_invariance(moved, HS_ITEMS, "school", groups=["Pasteur", "Grant-White"], factors=HS_FACTORS)
    for name in ("configural", "metric", "scalar"):
        assert again.fits[name].chi2 == pytest.approx(hs_result.fits[name].chi2, abs=2e-3), name
    # the estimates come back in the item's new unit
    before, after = hs_result.fits["scalar"].intercepts["Pasteur"][item], again.fits["scalar"].intercepts["Pasteur"][item]
    assert after == pytest.approx(before * scale + shift, rel=1e-4, abs=1e-4)


def test_the_json_is_strict(hs_result: inv.InvarianceResult) -> None:
    doc = json.loads(json.dumps(hs_result.to_dict(), allow_nan=False))
    assert doc["fits"]["configural"]["chi2"] == pytest.approx(115.851, abs=5e-4)
    assert doc["fits"]["configural"]["loadings"]["Pasteur"]["visual"]["x1"] == 1.0
    assert doc["partial"] == {"scalar": [{"item": "x3", "parameter": "intercept",
                                          "chi2_drop": pytest.approx(19.524, abs=1e-3)}]}


# --------------------------------------------------------------------------------------------
# Simulated data: invariant, and with one non-invariant item
# --------------------------------------------------------------------------------------------

LOADINGS = np.array([1.0, 0.8, 0.9, 1.1, 0.7])
INTERCEPTS = np.array([3.0, 2.5, 3.2, 2.8, 3.1])
ITEMS = [f"i{j}" for j in range(5)]


def simulate(seed: int, n: int = 400, intercept_item: int | None = None, shift: float = 0.8,
             loading_item: int | None = None, factor: float = 1.0) -> pd.DataFrame:
    """Two groups of ``n`` from a one-factor model; the second group's factor has another mean and variance."""
    rng = np.random.default_rng(seed)
    frames = []
    for g, (mean, sd) in enumerate(((0.0, 1.0), (0.4, 1.2))):
        lam, nu = LOADINGS.copy(), INTERCEPTS.copy()
        if g == 1 and intercept_item is not None:
            nu[intercept_item] += shift
        if g == 1 and loading_item is not None:
            lam[loading_item] *= factor
        eta = rng.normal(mean, sd, size=n)
        frame = pd.DataFrame(nu + np.outer(eta, lam) + rng.normal(0, 0.6, size=(n, 5)), columns=ITEMS)
        frame["group"] = f"g{g}"
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_an_invariant_model_passes_scalar_invariance(seed: int) -> None:
    # 3,000 firms a group: the latent mean's sampling sd is about 0.035 (0.09 at 400), so 0.2 is over 5 sd
    result = measurement_invariance(simulate(seed, n=3000), ITEMS, "group")
    assert result.conclusion == "scalar"
    assert result.partial == {}
    # with the factor's mean and variance free in the second group, the estimates find them back
    scalar = result.fits["scalar"]
    assert scalar.factor_means["g1"]["F"] == pytest.approx(0.4, abs=0.2)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), item=st.integers(0, 4))
def test_a_shifted_intercept_is_found(seed: int, item: int) -> None:
    result = measurement_invariance(simulate(seed, intercept_item=item), ITEMS, "group")
    assert result.comparisons[0].holds["chen"]  # the loadings are still equal
    assert not result.comparisons[1].holds["chen"]
    assert result.partial["scalar"][0].item == f"i{item}"
    assert result.partial["scalar"][0].parameter == "intercept"
    assert result.conclusion == "partial scalar"
    partial = result.fits["partial_scalar"]
    icp = partial.intercepts
    assert icp["g1"][f"i{item}"] - icp["g0"][f"i{item}"] == pytest.approx(0.8, abs=0.3)


def test_a_changed_loading_is_found() -> None:
    result = measurement_invariance(simulate(7, loading_item=2, factor=1.8), ITEMS, "group")
    assert not result.comparisons[0].holds["chen"]
    assert [(f.item, f.parameter) for f in result.partial["metric"]][:1] == [("i2", "loading")]
    assert result.fits["partial_metric"].free_loadings[:1] == ("i2",)
    assert result.conclusion.startswith("partial")


def test_three_groups_and_the_order_of_groups() -> None:
    frame = pd.concat([simulate(1), simulate(2).assign(group=lambda f: f["group"].str.replace("g", "h"))],
                      ignore_index=True)
    result = measurement_invariance(frame, ITEMS, "group", groups=["h1", "g0", "g1"])
    assert list(result.groups) == ["h1", "g0", "g1"]
    assert result.fits["configural"].df == 3 * 5  # 5 df per group for 5 items and one factor
    assert result.fits["metric"].df == 15 + 2 * 4 and result.fits["scalar"].df == 23 + 2 * 4
    assert set(result.fits["scalar"].factor_means["h1"].values()) == {0.0}


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def test_refusals_name_the_item_group_or_model(hs: pd.DataFrame) -> None:
    with pytest.raises(InvarianceError, match="unknown items: zz"):
        measurement_invariance(hs, ["x1", "x2", "zz"], "school")
    with pytest.raises(InvarianceError, match="no row has school = Nowhere; the groups are Grant-White, Pasteur"):
        measurement_invariance(hs, HS_ITEMS, "school", groups=["Pasteur", "Nowhere"], factors=HS_FACTORS)
    with pytest.raises(InvarianceError, match="no such column"):
        measurement_invariance(hs, HS_ITEMS, "class", factors=HS_FACTORS)
    constant = hs.assign(x4=np.where(hs["school"] == "Pasteur", 5.0, hs["x4"]))
    with pytest.raises(InvarianceError, match=r"group Pasteur: item.*x4.*single value"):
        measurement_invariance(constant, HS_ITEMS, "school", factors=HS_FACTORS)
    few = pd.concat([hs[hs["school"] == "Pasteur"], hs[hs["school"] == "Grant-White"].head(12)])
    with pytest.raises(InvarianceError, match=r"Grant-White \(12\).*fewer complete cases than the 30"):
        measurement_invariance(few, HS_ITEMS, "school", factors=HS_FACTORS)
    with pytest.raises(InvarianceError, match="at least two groups"):
        measurement_invariance(hs, HS_ITEMS, "school", groups=["Pasteur"], factors=HS_FACTORS)
    with pytest.raises(InvarianceError, match="not identified"):
        measurement_invariance(hs, ["x1", "x2"], "school")
    with pytest.raises(InvarianceError, match="x3 is in factors"):
        measurement_invariance(hs, [], "school", factors={"a": ["x1", "x2", "x3"], "b": ["x3", "x4", "x5"]})
    with pytest.raises(InvarianceError, match=r"x9.*in no factor"):
        measurement_invariance(hs, HS_ITEMS, "school", factors={"a": HS_ITEMS[:4], "b": HS_ITEMS[4:8]})
    with pytest.raises(InvarianceError, match=r"x5.*infinite"):
        measurement_invariance(hs.assign(x5=hs["x5"].replace(hs["x5"].iloc[3], np.inf)), HS_ITEMS, "school",
                               factors=HS_FACTORS)
    text = hs.astype({"x2": object})
    text.loc[5, "x2"] = "n/a?"
    with pytest.raises(InvarianceError, match="items must be numeric; not numeric: x2"):
        measurement_invariance(text, HS_ITEMS, "school", factors=HS_FACTORS)


def test_non_convergence_is_an_error_not_a_traceback(hs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    def stuck(*_args: object) -> None:
        raise inv._NotConverged("the optimiser stopped without converging (test)")

    monkeypatch.setattr(inv, "_minimise", stuck)
    with pytest.raises(InvarianceError, match="configural model did not converge"):
        measurement_invariance(hs, HS_ITEMS, "school", factors=HS_FACTORS)
    res = run(str(HS), "--by", "school", "--items", "x1,x2,x3")
    assert res.exit_code == 2 and "did not converge" in res.stderr and "Traceback" not in res.output


def test_a_marker_unrelated_to_its_factor_is_named() -> None:
    rng = np.random.default_rng(5)
    frames = []
    for group in ("a", "b"):
        eta = rng.normal(size=300)
        x = np.column_stack([eta + rng.normal(0, 0.5, 300) for _ in range(4)])
        if group == "b":
            x[:, 0] = rng.normal(size=300)  # the marker measures nothing in group b
        frames.append(pd.DataFrame(x, columns=["q0", "q1", "q2", "q3"]).assign(g=group))
    with pytest.raises(InvarianceError, match=r"did not converge.*variance of factor F goes to 0.*marker q0"):
        measurement_invariance(pd.concat(frames), ["q0", "q1", "q2", "q3"], "g")


def test_a_residual_variance_at_zero_is_a_note() -> None:
    rng = np.random.default_rng(6)
    frames = []
    for group in ("a", "b"):
        eta = rng.normal(size=300)
        x = np.column_stack([eta] + [eta + rng.normal(0, 0.5, 300) for _ in range(3)])  # q0 is the factor itself
        frames.append(pd.DataFrame(x, columns=["q0", "q1", "q2", "q3"]).assign(g=group))
    result = measurement_invariance(pd.concat(frames), ["q0", "q1", "q2", "q3"], "g")
    at_zero = result.fits["configural"].zero_residuals  # q0's estimate is 0 or (lavaan) slightly negative
    assert at_zero and all(entry.startswith("q0 (") for entry in at_zero)
    assert any("Heywood" in note and at_zero[0] in note for note in result.notes)
    assert result.conclusion == "scalar"


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def test_cli_json_end_to_end() -> None:
    res = run(str(HS), "--by", "school", "--factor", "visual=x1,x2,x3", "--factor", "textual=x4,x5,x6",
              "--factor", "speed=x7,x8,x9", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["groups"] == {"Pasteur": 156, "Grant-White": 145} and doc["n"] == 301
    assert [round(doc["fits"][k]["chi2"], 3) for k in ("configural", "metric", "scalar")] == [115.851, 124.044, 164.103]
    assert doc["factors"] == HS_FACTORS
    assert doc["conclusion"] == "partial scalar" and doc["partial"]["scalar"][0]["item"] == "x3"
    assert doc["cutoffs"] == {"cfi_drop": -0.01, "rmsea_rise": 0.015, "srmr_rise": {"metric": 0.03, "scalar": 0.01},
                              "alpha": 0.05}


def test_cli_table_and_criterion() -> None:
    res = run(str(HS), "--by", "school", "--groups", "Grant-White,Pasteur", "--items", "x4,x5,x6",
              "--criterion", "cfi")
    assert res.exit_code == 0, res.output
    assert "Grant-White (145), Pasteur (156); the first is the reference" in res.stdout
    assert "Configural" in res.stdout and "Conclusion (cfi criterion)" in res.stdout
    assert "F =~ x4 + x5 + x6" in res.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--items", "x1,x2,nope"], "nope"),
    (["--items", "x1,x2,x3", "--groups", "Pasteur,Elsewhere"], "Elsewhere"),
    (["--factor", "visual"], "NAME=ITEM"),
    (["--factor", "a=x1,x2,x3", "--factor", "a=x4,x5,x6"], "given twice"),
    ([], "give the scale's items"),
    (["--items", "x1,x2,x3", "--criterion", "vibes"], "vibes"),
])
def test_cli_refusals_exit_2(args: list[str], message: str) -> None:
    res = run(str(HS), "--by", "school", *args)
    assert res.exit_code == 2 and message in res.output + res.stderr


def test_cli_missing_file(tmp_path: Path) -> None:
    res = run(str(tmp_path / "none.csv"), "--by", "school", "--items", "x1,x2,x3")
    assert res.exit_code == 2 and "none.csv" in res.stderr


def test_a_population_tables_dimensions_are_the_default_factors(tmp_path: Path) -> None:
    from innexport.files.frameworks import load_framework
    from innexport.population.io import write_table

    framework = load_framework("iiep")
    rng = np.random.default_rng(3)
    columns = {"networks": ["net_weak_ties", "net_strong_ties", "net_distribution_partners"],
               "skills": ["skills_management", "skills_creativity", "skills_languages"]}
    frames = []
    for country, mean in (("France", 0.0), ("Chile", 0.3)):
        eta = rng.normal(mean, 1.0, size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
        data = {}
        for k, acts in enumerate(columns.values()):
            for j, act in enumerate(acts):
                data[f"act.{act}"] = 0.5 + 0.1 * (0.8 + 0.1 * j) * eta[:, k] + rng.normal(0, 0.05, 300)
        frames.append(pd.DataFrame(data).assign(country=country))
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "firm_id", [f"f{i}" for i in range(len(table))])
    table.attrs.update(framework=framework.label, content_hash=framework.content_hash)
    factors = dimension_factors(table)
    assert factors == {f"dim.{d}": [f"act.{a}" for a in acts] for d, acts in columns.items()}
    path = tmp_path / "population.parquet"
    write_table(table, path)
    res = run(str(path), "--by", "country", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["factors"] == factors and doc["groups"] == {"France": 300, "Chile": 300}
    assert "the framework's dimensions" in res.stderr
    assert doc["fits"]["configural"]["df"] == 2 * (27 - 19)


def test_dimension_factors_of_a_plain_table() -> None:
    assert dimension_factors(pd.DataFrame({"x": [1.0, 2.0]})) is None


@requires_shared(WMS)
def test_world_management_survey_people_scale_by_country() -> None:
    frame = pd.read_csv(WMS, encoding="utf-8-sig")
    talent = [f"talent{i}" for i in range(1, 7)]
    result = measurement_invariance(frame, talent, "country", groups=["France", "Argentina", "Chile"])
    complete = frame.dropna(subset=talent)["country"].value_counts()
    assert result.groups == {c: int(complete[c]) for c in ("France", "Argentina", "Chile")}
    assert result.dropped["France"] == int((frame["country"] == "France").sum() - complete["France"])
    # 6 items, one factor: 27 moments, 18 parameters per group; metric: 15 loadings become 5;
    # scalar: 18 intercepts become 6 and 2 factor means are free
    assert [result.fits[k].df for k in ("configural", "metric", "scalar")] == [27, 37, 47]
    chi2 = [result.fits[k].chi2 for k in ("configural", "metric", "scalar")]
    assert chi2 == sorted(chi2)
    assert result.conclusion in ("scalar", "partial scalar", "metric", "partial metric", "configural")
    if "scalar" in result.partial:
        assert all(f.parameter == "intercept" and f.item in talent for f in result.partial["scalar"])
