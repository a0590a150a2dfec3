"""PROMETHEE II (sort-and-prefix-sum) and GAIA: a hand-worked case, the pairwise definition, the
`mcda` and `pymcdm` packages on random cases, a direct SVD, and the portfolio's choice of firms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from innexport.core.promethee import Preference, gaia, net_flows, rank_alternatives, unicriterion_flows
from innexport.files.frameworks import load_framework
from innexport.population.gaia import population_gaia
from innexport.portfolio.compute import PortfolioError, portfolio
from innexport.portfolio.gaia import latest_scores, portfolio_gaia, table_gaia

FW = load_framework("iiep")
pytestmark = pytest.mark.filterwarnings("ignore:Alternatives with indices:UserWarning")  # pymcdm warns on dominated rows


def pairwise(x: np.ndarray, prefs: list[Preference]) -> np.ndarray:
    """The definition, pair by pair: φ_j(a) = Σ_b [P(x_a − x_b) − P(x_b − x_a)] / (n − 1)."""
    n = len(x)
    out = np.empty(x.shape)
    for j, pref in enumerate(prefs):
        p = pref(x[:, j][:, None] - x[:, j][None, :])
        out[:, j] = (p.sum(axis=1) - p.sum(axis=0)) / (n - 1)
    return out


# --- strategies ------------------------------------------------------------------------------------------

@st.composite
def preferences(draw: st.DrawFn) -> Preference:
    kind = draw(st.sampled_from(["usual", "vshape", "linear"]))
    if kind == "usual":
        return Preference()
    if kind == "vshape":
        return Preference("vshape", p=draw(st.floats(0.5, 50)))
    q = draw(st.floats(0, 20))
    return Preference("linear", q=q, p=q + draw(st.floats(0.5, 30)))


@st.composite
def cases(draw: st.DrawFn, max_n: int = 9, max_k: int = 4) -> tuple[np.ndarray, list[Preference], np.ndarray]:
    n = draw(st.integers(2, max_n))
    k = draw(st.integers(1, max_k))
    # a few distinct values, so that ties (and values on a threshold) are frequent, or any floats
    pool = st.sampled_from([0.0, 1.0, 2.5, 3.0, 10.0]) if draw(st.booleans()) else st.floats(-100, 100)
    x = np.array(draw(st.lists(st.lists(pool, min_size=k, max_size=k), min_size=n, max_size=n)), dtype=float)
    prefs = [draw(preferences()) for _ in range(k)]
    w = np.array(draw(st.lists(st.floats(0.1, 10), min_size=k, max_size=k)))
    return x, prefs, w


# --- hand-worked -------------------------------------------------------------------------------------------

def test_hand_worked_three_firms_two_criteria() -> None:
    # criterion 1, linear q=1 p=5: P(a1,a2) = (4−1)/4 = .75, P(a1,a3) = (2−1)/4 = .25, P(a3,a2) = .25
    #   φ1 = (.75+.25)/2, (−.75−.25)/2, (.25−.25)/2 = .5, −.5, 0
    # criterion 2, usual: a3 > a2 > a1, so φ2 = −1, 0, 1
    # weights 3:1 → .75, .25: φ = .375 − .25, −.375, .25
    x = [[10, 2], [6, 4], [8, 9]]
    prefs = [Preference("linear", q=1, p=5), Preference("usual")]
    assert unicriterion_flows(x, prefs).tolist() == [[0.5, -1.0], [-0.5, 0.0], [0.0, 1.0]]
    assert net_flows(x, [3, 1], prefs).tolist() == [0.125, -0.375, 0.25]


@settings(max_examples=200, deadline=None)
@given(cases(max_n=40, max_k=5))
def test_sorted_prefix_sums_equal_the_pairwise_definition(case) -> None:
    x, prefs, w = case
    flows = unicriterion_flows(x, prefs)
    np.testing.assert_allclose(flows, pairwise(x, prefs), rtol=0, atol=1e-9)
    assert np.abs(flows.sum(axis=0)).max() < 1e-9  # every unicriterion flow sums to 0
    phi = net_flows(x, w, prefs)
    np.testing.assert_allclose(phi, flows @ (w / w.sum()), rtol=0, atol=1e-12)
    assert (np.abs(phi) <= 1 + 1e-12).all()


# --- the peers ---------------------------------------------------------------------------------------------

def _mcda(x: np.ndarray, prefs: list[Preference], w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mcda.functions import UShapeFunction, VShapeFunction
        from mcda.matrices import PerformanceTable
        from mcda.outranking.promethee import PrometheeGaia
        from mcda.scales import PreferenceDirection, QuantitativeScale
    cols = [f"c{j}" for j in range(x.shape[1])]
    table = PerformanceTable(pd.DataFrame(x, columns=cols), scales={
        c: QuantitativeScale(-1e3, 1e3, preference_direction=PreferenceDirection.MAX) for c in cols})
    funcs = {c: UShapeFunction(p=0) if pref.kind == "usual" else VShapeFunction(p=pref.p, q=pref.q)
             for c, pref in zip(cols, prefs, strict=True)}
    method = PrometheeGaia(table, dict(zip(cols, w.tolist(), strict=True)), funcs)
    return method.rank().data.to_numpy(dtype=float), method.unicriterion_net_flows_matrix().to_numpy(dtype=float)


@settings(max_examples=40, deadline=None)
@given(cases(max_n=7, max_k=3))
def test_identical_to_the_mcda_package(case) -> None:
    x, prefs, w = case
    n = len(x)
    theirs, their_criteria = _mcda(x, prefs, w)
    # mcda's net flows are sums over the n−1 others (not divided) and its criteria flows are means
    # over all n (itself included, with 0): the same flows on other scales
    np.testing.assert_allclose(net_flows(x, w, prefs) * (n - 1), theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(unicriterion_flows(x, prefs) * (n - 1) / n, their_criteria, rtol=0, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(cases(max_n=30, max_k=4), st.sampled_from(["usual", "vshape", "linear"]))
def test_identical_to_pymcdm(case, kind: str) -> None:
    from pymcdm.methods import PROMETHEE_II

    x, prefs, w = case
    k = x.shape[1]
    # pymcdm takes one kind for every criterion: use the kind drawn, with the thresholds drawn
    if kind == "usual":
        prefs, method = [Preference()] * k, PROMETHEE_II("usual")
    elif kind == "vshape":
        prefs = [Preference("vshape", p=pr.p if pr.p > 0 else 1.0) for pr in prefs]
        method = PROMETHEE_II("vshape", p=[pr.p for pr in prefs])
    else:
        prefs = [pr if pr.kind == "linear" else Preference("linear", q=0.5, p=2.0) for pr in prefs]
        method = PROMETHEE_II("vshape_2", p=[pr.p for pr in prefs], q=[pr.q for pr in prefs])
    theirs = method(x, w / w.sum(), np.ones(k))
    np.testing.assert_allclose(net_flows(x, w, prefs), theirs, rtol=0, atol=1e-9)


# --- GAIA --------------------------------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(cases(max_n=30, max_k=5))
def test_gaia_is_the_pca_of_the_flow_matrix(case) -> None:
    x, prefs, w = case
    if x.shape[1] < 2:
        x, prefs, w = np.column_stack([x, x[:, ::-1] * 2]), [*prefs, Preference()], np.append(w, 1.0)
    flows = unicriterion_flows(x, prefs)
    plane = gaia(flows, w)
    wn = w / w.sum()
    # the published property: the net flow is the weighted sum of the unicriterion flows
    np.testing.assert_allclose(net_flows(x, w, prefs), flows @ wn, atol=1e-12)
    # a direct SVD of the centred flow matrix: eigenvalues = s² / n, components = right singular vectors
    centred = flows - flows.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    eig = np.zeros(flows.shape[1])
    eig[: len(s)] = s**2 / len(flows)
    np.testing.assert_allclose(plane.eigenvalues, eig, atol=1e-10)
    total = eig.sum()
    if total > 1e-12:
        assert plane.delta == pytest.approx(eig[:2].sum() / total, abs=1e-9)
    # coordinates are the flows projected on the plane's axes; the stick is the weights projected
    np.testing.assert_allclose(plane.firms, centred @ plane.criteria, atol=1e-10)
    np.testing.assert_allclose(plane.stick, wn @ plane.criteria, atol=1e-12)
    assert (plane.stick >= -1e-12).all()
    for i in range(2):
        above = eig[i - 1] - eig[i] if i > 0 else np.inf
        below = eig[i] - (eig[i + 1] if i + 1 < len(eig) else 0)
        if min(above, below) > 1e-6:  # a simple eigenvalue (apart from both neighbours): its axis is the SVD's
            assert abs(abs(float(plane.criteria[:, i] @ vt[i])) - 1) < 1e-6


def test_gaia_of_three_criteria_on_two_firms_by_hand() -> None:
    # two firms: the flows are ±1 on each criterion; a3 better on c1 and c2, worse on c3
    flows = unicriterion_flows([[2, 2, 1], [1, 1, 2]])
    plane = gaia(flows, [1, 1, 2])
    assert plane.delta == pytest.approx(1.0)
    assert plane.eigenvalues[0] == pytest.approx(3.0)  # variance 1 on each criterion, all on one axis
    np.testing.assert_allclose(np.abs(plane.criteria[:, 0]), [3**-0.5] * 3, atol=1e-12)
    assert plane.stick[0] >= 0


# --- refusals ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda: net_flows([[1.0, np.nan], [2.0, 3.0]], [1, 1]), "criterion 1 has no finite value for alternative 0"),
    (lambda: net_flows([[1.0, 2.0]], [1, 1]), "at least 2 alternatives"),
    (lambda: net_flows([[1, 2], [2, 3]], [1]), "1 weights for 2 criteria"),
    (lambda: net_flows([[1, 2], [2, 3]], [1, -1]), "≥ 0"),
    (lambda: unicriterion_flows([[1, 2], [2, 3]], [Preference(), Preference("linear", q=2, p=1)]),
     "criterion 1: linear needs 0 ≤ q < p"),
    (lambda: unicriterion_flows([[1], [2]], Preference("usual", p=1)), "criterion 0: usual takes no threshold"),
    (lambda: unicriterion_flows([[1], [2]], Preference("gauss")), "criterion 0: preference function 'gauss'"),  # type: ignore[arg-type]
    (lambda: gaia([[1.0], [-1.0]], [1]), "≥ 2 criteria"),
])
def test_bad_input_is_refused_naming_the_place(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- portfolio and tables ----------------------------------------------------------------------------------

def _frame() -> pd.DataFrame:
    dims = [d.id for d in FW.dimensions]
    rows = []
    for firm in range(6):
        for day, base in (("2025-01-01", 0.0), ("2025-06-01", 0.1 * firm)):
            rows.append({"firm": f"f{firm}", "assessed_on": day, "iip": 0.5, "iep": 0.5, "iiep": 0.5,
                         "class_iip": "", "class_iep": "", "class_iiep": "", "top_activities": [],
                         "dimension_scores": {d: base + 0.01 * i * (firm % 3) for i, d in enumerate(dims)},
                         "sector": "s", "region": "r", "size": "small", "advisor": 1, "supported": False,
                         "programmes_proposed": [], "programmes_used": []})
    rows[-1]["dimension_scores"] = {dims[0]: 1.0}  # f5's latest lacks all but one dimension
    return pd.DataFrame(rows)


def test_portfolio_gaia_uses_the_latest_diagnostics_and_the_framework_weights() -> None:
    frame = _frame()
    result = portfolio_gaia(frame, FW)
    assert result.left_out == ("f5",)
    assert set(result.firms.index) == {"f0", "f1", "f2", "f3", "f4"}
    # same latest diagnostics as the portfolio itself
    assert set(latest_scores(frame).index) == set(portfolio(frame, FW).points.index)
    np.testing.assert_allclose(result.criteria["weight"], FW.dimension_weights())
    # the latest scores rise with the firm number: f4 is best everywhere, f0 worst
    assert result.firms["rank"].to_dict() == {"f0": 5, "f1": 4, "f2": 3, "f3": 2, "f4": 1}
    assert result.firms.loc["f4", "net_flow"] == pytest.approx(1.0)
    assert 0 <= result.delta <= 1 + 1e-12


def test_table_gaia_refuses_missing_columns_and_too_few_firms() -> None:
    t = pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]})
    with pytest.raises(PortfolioError, match="no column c"):
        table_gaia(t, ["a", "c"])
    with pytest.raises(PortfolioError, match="at least 2 alternatives with every value, not 1"):
        table_gaia(t, ["a", "b"])
    with pytest.raises(PortfolioError, match="at least 2 criteria"):
        table_gaia(t, ["b"])


def test_population_gaia_ranks_within_each_group() -> None:
    dims = [f"dim.{d.id}" for d in FW.dimensions]
    # region A: firms 1 < 2 on every dimension; region B: 3 > 4 > 5, and 6 lacks a score
    level = {1: 0.2, 2: 0.4, 3: 0.9, 4: 0.5, 5: 0.1, 6: 0.7}
    frame = pd.DataFrame({"firm_id": list(level), "region": ["A", "A", "B", "B", "B", "B"],
                          **{d: list(level.values()) for d in dims}})
    frame.loc[5, dims[3]] = np.nan
    a, b = population_gaia(frame, FW, by=["region"])
    assert (a.group, b.group) == (("A",), ("B",))
    assert a.firms["rank"].to_dict() == {1: 2, 2: 1}
    assert b.firms["rank"].to_dict() == {3: 1, 4: 2, 5: 3}
    assert b.left_out == (6,)
    # dominance on every criterion: the best of 3 beats both others everywhere, φ = 1
    assert b.firms.loc[3, "net_flow"] == pytest.approx(1.0)
    assert b.firms.loc[4, "net_flow"] == pytest.approx(0.0)
    [whole] = population_gaia(frame, FW)
    assert whole.firms["rank"].to_dict() == {3: 1, 4: 2, 2: 3, 1: 4, 5: 5}
    with pytest.raises(ValueError, match=r"population gaia \(region=A\): .*at least 2 alternatives"):
        population_gaia(frame.drop(index=0), FW, by=["region"])
    with pytest.raises(ValueError, match="no column sector"):
        population_gaia(frame, FW, by=["sector"])


@settings(max_examples=100, deadline=None)
@given(cases(max_n=25, max_k=4))
def test_ranks_follow_the_net_flows(case) -> None:
    x, prefs, w = case
    assume(x.shape[1] >= 2)
    r = rank_alternatives(x, w, prefs)
    flow = np.round(r.net_flow, 12)
    # rank = 1 + the number of alternatives with a strictly larger net flow
    assert r.rank.tolist() == [1 + int((flow > f).sum()) for f in flow]
    assert r.kept.all()
