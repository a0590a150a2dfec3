"""Tests of :mod:`innexport.population.reliability` (alpha, items), :mod:`innexport.population.efa`
(KMO, Bartlett, EFA) and of ``innexport population reliability``.

Three kinds: small cases computed by hand (numpy formulas written out in the test), published
values of the ``bfi`` reference dataset (psych package; skipped when the shared copy is absent),
and properties checked with hypothesis.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from typer.testing import CliRunner

import innexport.cli.population_reliability  # noqa: F401 - registers ``innexport population reliability``
from conftest import SHARED_DATA, requires_shared
from innexport.cli import app
from innexport.population.efa import bartlett_sphericity, efa, kmo
from innexport.population.items import ReliabilityError, correlation_matrix, reverse_items
from innexport.population.reliability import AlphaResult, cronbach_alpha, item_statistics, reliability_report

# The shared data folder sits next to the repository; the dataset is never copied into it.
BFI = SHARED_DATA / "psych-bfi" / "bfi.csv"
needs_bfi = requires_shared(BFI)

runner = CliRunner()

# A tiny table: 6 respondents, 3 items on a 1..5 scale.
TINY = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 4, 5, 4, 3], "c": [1, 3, 3, 5, 5, 2]}, dtype=float)


def alpha_by_formula(x: np.ndarray) -> float:
    """k / (k - 1) · (1 - Σ var(item) / var(total)), sample variances."""
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


# --------------------------------------------------------------------------------------------
# Cases computed by hand
# --------------------------------------------------------------------------------------------


def test_alpha_matches_the_formula_on_a_tiny_table() -> None:
    res = cronbach_alpha(TINY)
    assert isinstance(res, AlphaResult)
    assert res.alpha == pytest.approx(alpha_by_formula(TINY.to_numpy()), abs=1e-12)
    r = np.corrcoef(TINY.to_numpy(), rowvar=False)
    mean_r = r[np.triu_indices(3, 1)].mean()
    assert res.std_alpha == pytest.approx(3 * mean_r / (1 + 2 * mean_r), abs=1e-12)
    assert res.average_r == pytest.approx(mean_r, abs=1e-12)
    assert (res.n_items, res.n_cases, res.missing) == (3, 6, "listwise")
    assert res.mean == pytest.approx(TINY.mean(axis=1).mean())
    assert res.sd == pytest.approx(TINY.mean(axis=1).std(ddof=1))


def test_perfectly_parallel_scale() -> None:
    # Parallel items: one true score plus errors of equal variance, uncorrelated, so that every
    # item has the same variance and every pair the same covariance.
    true = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0, -2.0, -1.0, 0.0, 1.0, 2.0])
    # Three orthogonal error patterns with equal norms and zero means, orthogonal to the true score.
    basis = np.linalg.qr(np.column_stack([np.ones(15), true, np.random.default_rng(1).normal(size=(15, 3))]))[0]
    errors = basis[:, 2:5] * 2.0
    items = pd.DataFrame(true[:, None] + errors, columns=["x", "y", "z"])
    x = items.to_numpy()
    res = cronbach_alpha(items)
    assert res.alpha == pytest.approx(alpha_by_formula(x), abs=1e-12)
    # Parallel items: alpha = k ρ / (1 + (k - 1) ρ) with ρ the common inter-item correlation.
    rho = np.var(true, ddof=1) / (np.var(true, ddof=1) + np.var(errors[:, 0], ddof=1))
    assert res.alpha == pytest.approx(3 * rho / (1 + 2 * rho), abs=1e-12)
    assert res.std_alpha == pytest.approx(res.alpha, abs=1e-12)
    # Identical items (no error at all) are perfectly reliable.
    same = pd.DataFrame({"p": true, "q": true + 1, "r": true - 3})
    assert cronbach_alpha(same).alpha == pytest.approx(1.0, abs=1e-12)


def test_item_statistics_by_hand() -> None:
    table = item_statistics(TINY)
    x = TINY.to_numpy()
    for j, item in enumerate(TINY.columns):
        rest = np.delete(x, j, axis=1)
        assert table.loc[item, "r_rest"] == pytest.approx(np.corrcoef(x[:, j], rest.sum(axis=1))[0, 1], abs=1e-12)
        assert table.loc[item, "r_total"] == pytest.approx(np.corrcoef(x[:, j], x.mean(axis=1))[0, 1], abs=1e-12)
        assert table.loc[item, "alpha_if_dropped"] == pytest.approx(alpha_by_formula(rest), abs=1e-12)
        r = np.corrcoef(rest, rowvar=False)[0, 1]
        assert table.loc[item, "std_alpha_if_dropped"] == pytest.approx(2 * r / (1 + r), abs=1e-12)
        assert table.loc[item, "mean"] == pytest.approx(x[:, j].mean())
        assert table.loc[item, "sd"] == pytest.approx(x[:, j].std(ddof=1))
    assert table["n"].tolist() == [6, 6, 6]
    assert not table["reversed"].any()
    assert list(table.columns) == ["n", "mean", "sd", "r_total", "r_total_std", "r_rest", "alpha_if_dropped",
                                   "std_alpha_if_dropped", "reversed"]


def test_two_item_scale_has_no_alpha_if_dropped() -> None:
    table = item_statistics(TINY[["a", "b"]])
    assert table["alpha_if_dropped"].isna().all()
    # With two items, the item-rest correlation is the correlation of the two items.
    assert table["r_rest"].tolist() == pytest.approx([np.corrcoef(TINY["a"], TINY["b"])[0, 1]] * 2)


def test_reversal_uses_the_observed_range_of_all_items_or_the_scale_range() -> None:
    flipped = reverse_items(TINY, ["b"])
    assert flipped["b"].tolist() == (1 + 5 - TINY["b"]).tolist()  # all items span 1..5
    assert reverse_items(TINY, ["b"], scale_range=(1, 7))["b"].tolist() == (8 - TINY["b"]).tolist()
    table = item_statistics(TINY, reverse=["b"], scale_range=(1, 7))
    assert table.loc["b", "mean"] == pytest.approx(8 - TINY["b"].mean())
    assert table["reversed"].tolist() == [False, True, False]
    # Reversal flips the sign of the item's covariances: alpha as if the column had been negated.
    negated = TINY.assign(b=-TINY["b"])
    assert cronbach_alpha(TINY, ["b"]).alpha == pytest.approx(alpha_by_formula(negated.to_numpy()), abs=1e-12)
    with pytest.raises(ReliabilityError, match="outside scale_range"):
        reverse_items(TINY, ["b"], scale_range=(2, 4))
    with pytest.raises(ReliabilityError, match="not among the items: z"):
        cronbach_alpha(TINY, ["z"])


def test_feldt_interval() -> None:
    res = cronbach_alpha(TINY, confidence=0.90)
    n, k = 6, 3
    # Feldt (1965): (1 - alpha) / (1 - alpha_pop) ~ F(n - 1, (n - 1)(k - 1)).
    f_low, f_high = stats.f.ppf([0.95, 0.05], n - 1, (n - 1) * (k - 1))
    assert res.ci_low == pytest.approx(1 - (1 - res.alpha) * f_low)
    assert res.ci_high == pytest.approx(1 - (1 - res.alpha) * f_high)
    assert res.ci_low < res.alpha < res.ci_high and res.confidence == 0.90
    wider = cronbach_alpha(TINY, confidence=0.99)
    assert wider.ci_low < res.ci_low and wider.ci_high > res.ci_high
    more = cronbach_alpha(pd.concat([TINY] * 10, ignore_index=True))
    assert more.ci_high - more.ci_low < res.ci_high - res.ci_low
    assert res.duhachek_low < res.alpha < res.duhachek_high and res.ase > 0


def test_listwise_and_pairwise_deletion() -> None:
    gappy = TINY.copy()
    gappy.loc[0, "a"] = np.nan
    gappy.loc[3, "c"] = np.nan
    listwise = cronbach_alpha(gappy)
    assert listwise.n_cases == 4
    assert listwise.alpha == pytest.approx(alpha_by_formula(gappy.dropna().to_numpy()), abs=1e-12)
    pairwise = cronbach_alpha(gappy, missing="pairwise")
    assert pairwise.n_cases == 6
    cov = gappy.cov().to_numpy()  # pandas: pairwise complete observations, as R's cov(use="pairwise")
    assert pairwise.alpha == pytest.approx(3 / 2 * (1 - np.trace(cov) / cov.sum()), abs=1e-12)
    assert item_statistics(gappy, missing="pairwise")["n"].tolist() == [5, 6, 5]
    # Pairwise correlations are R's (and pandas'): each from its own pair of columns' rows.
    assert correlation_matrix(gappy, missing="pairwise").to_numpy() == pytest.approx(gappy.corr().to_numpy())
    assert correlation_matrix(gappy).to_numpy() == pytest.approx(gappy.dropna().corr().to_numpy())
    # Without missing answers the two modes agree.
    assert cronbach_alpha(TINY, missing="pairwise").alpha == pytest.approx(cronbach_alpha(TINY).alpha)
    # A row with no answer at all is ignored by both.
    empty_row = pd.concat([TINY, pd.DataFrame([[np.nan] * 3], columns=TINY.columns)], ignore_index=True)
    assert cronbach_alpha(empty_row, missing="pairwise").n_cases == 6


def test_weights_behave_as_frequencies_for_alpha() -> None:
    weights = np.array([2.0, 1, 1, 3, 1, 1])
    duplicated = TINY.loc[TINY.index.repeat(weights.astype(int))]
    weighted = cronbach_alpha(TINY, weights=weights)
    assert weighted.alpha == pytest.approx(cronbach_alpha(duplicated).alpha, abs=1e-12)
    assert weighted.std_alpha == pytest.approx(cronbach_alpha(duplicated).std_alpha, abs=1e-12)
    assert weighted.n_effective == pytest.approx(weights.sum() ** 2 / (weights**2).sum())
    table, dup_table = item_statistics(TINY, weights=weights), item_statistics(duplicated)
    for col in ("mean", "r_total", "r_rest", "alpha_if_dropped"):
        assert table[col].to_numpy() == pytest.approx(dup_table[col].to_numpy(), abs=1e-12)
    # A Series of weights is aligned on the index; unit weights change nothing.
    assert cronbach_alpha(TINY, weights=pd.Series(weights[::-1], index=TINY.index[::-1])).alpha == weighted.alpha
    assert cronbach_alpha(TINY, weights=np.ones(6)).alpha == pytest.approx(cronbach_alpha(TINY).alpha)
    with pytest.raises(ReliabilityError, match="weights"):
        cronbach_alpha(TINY, weights=[1, 2, 3])
    with pytest.raises(ReliabilityError, match="weights"):
        cronbach_alpha(TINY, weights=[1, 1, 1, 1, 1, -1])


def test_kmo_and_bartlett_by_hand() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 4))
    x[:, 1] += x[:, 0]
    x[:, 2] += x[:, 0] - x[:, 1] / 2
    items = pd.DataFrame(x, columns=list("wxyz"))
    r = np.corrcoef(x, rowvar=False)
    inv = np.linalg.inv(r)
    partial = -inv / np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    off = ~np.eye(4, dtype=bool)
    r2, q2 = np.where(off, r**2, 0), np.where(off, partial**2, 0)
    overall, per_item = kmo(items)
    assert overall == pytest.approx(r2.sum() / (r2.sum() + q2.sum()))
    assert per_item.to_numpy() == pytest.approx(r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0)))
    assert per_item.index.tolist() == list("wxyz")
    chi2, df, p = bartlett_sphericity(items)
    assert chi2 == pytest.approx(-np.log(np.linalg.det(r)) * (40 - 1 - (2 * 4 + 5) / 6))
    assert df == 6 and p == pytest.approx(stats.chi2.sf(chi2, 6))
    # Independent items: no evidence against sphericity, in most samples.
    noise = pd.DataFrame(np.random.default_rng(3).normal(size=(200, 5)))
    noise.columns = [f"n{i}" for i in range(5)]
    assert bartlett_sphericity(noise)[2] > 0.01


def test_singular_correlation_matrix() -> None:
    items = TINY.assign(d=TINY["a"] + TINY["b"])
    chi2, df, p = bartlett_sphericity(items)
    assert chi2 == math.inf and df == 6 and p == 0.0
    overall, per_item = kmo(items)  # pseudo-inverse, as psych
    assert 0 <= overall <= 1 and per_item.notna().all()


# --------------------------------------------------------------------------------------------
# Exploratory factor analysis on data simulated from known loadings
# --------------------------------------------------------------------------------------------

TRUE_LOADINGS = np.array([[0.8, 0], [0.7, 0], [0.6, 0], [0.7, 0], [0, 0.8], [0, 0.7], [0, 0.6], [0, 0.5]])


def simulate(phi: float, n: int = 20_000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.multivariate_normal([0, 0], [[1, phi], [phi, 1]], size=n)
    unique = np.sqrt(1 - np.sum(TRUE_LOADINGS**2, axis=1))
    x = factors @ TRUE_LOADINGS.T + rng.normal(size=(n, 8)) * unique
    return pd.DataFrame(x, columns=[f"v{i}" for i in range(8)])


def aligned(loadings: pd.DataFrame) -> np.ndarray:
    """The loadings with the factors put in the order and sign of TRUE_LOADINGS."""
    lam = loadings.to_numpy()
    order = [int(np.argmax(np.abs(lam[:4]).sum(axis=0))), int(np.argmax(np.abs(lam[4:]).sum(axis=0)))]
    lam = lam[:, order]
    return lam * np.sign(lam.sum(axis=0))


@pytest.mark.parametrize("method", ["minres", "ml", "principal"])
def test_efa_recovers_orthogonal_loadings(method: str) -> None:
    items = simulate(phi=0.0)
    res = efa(items, 2, rotation="varimax", method=method)
    assert res.converged and res.factor_correlations is None
    assert np.abs(aligned(res.loadings) - TRUE_LOADINGS).max() < 0.04
    assert (res.communalities + res.uniquenesses).to_numpy() == pytest.approx(1.0)
    assert res.communalities.to_numpy() == pytest.approx((res.loadings**2).sum(axis=1).to_numpy())
    var = res.variance
    assert var.loc["cumulative"].iloc[-1] == pytest.approx(res.communalities.sum() / 8)
    assert var.loc["ss_loadings"].is_monotonic_decreasing
    assert list(res.loadings.columns) == ["F1", "F2"]


@pytest.mark.parametrize("rotation", ["oblimin", "promax"])
def test_efa_recovers_correlated_factors(rotation: str) -> None:
    items = simulate(phi=0.4)
    res = efa(items, 2, rotation=rotation)
    assert res.factor_correlations is not None
    assert np.abs(aligned(res.loadings) - TRUE_LOADINGS).max() < 0.06
    # Oblimin reaches the simple structure; promax's target (loadings to the 4th power) leaves
    # small cross-loadings and so underestimates the correlation a little (0.34 here).
    tolerance = 0.03 if rotation == "oblimin" else 0.1
    assert abs(res.factor_correlations.iloc[0, 1]) == pytest.approx(0.4, abs=tolerance)
    assert np.diag(res.factor_correlations) == pytest.approx([1.0, 1.0])
    # Rotation leaves the communalities of the unrotated solution.
    unrotated = efa(items, 2, rotation=None)
    assert res.communalities.to_numpy() == pytest.approx(unrotated.communalities.to_numpy(), abs=1e-6)


def test_efa_one_factor_and_errors() -> None:
    res = efa(TINY, 1)
    assert res.loadings.shape == (3, 1) and res.rotation is None and res.factor_correlations is None
    assert (res.loadings["F1"] > 0).all()
    with pytest.raises(ReliabilityError, match="n_factors"):
        efa(TINY, 3)
    with pytest.raises(ReliabilityError, match="rotation"):
        efa(TINY, 1, rotation="quartimax")  # type: ignore[arg-type]
    with pytest.raises(ReliabilityError, match="method"):
        efa(TINY, 1, method="pca")  # type: ignore[arg-type]


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ReliabilityError, match="at least 2 items"):
        cronbach_alpha(TINY[["a"]])
    with pytest.raises(ReliabilityError, match="not numeric: name"):
        cronbach_alpha(TINY.assign(name=list("uvwxyz")))
    with pytest.raises(ReliabilityError, match="without variance: flat"):
        cronbach_alpha(TINY.assign(flat=3.0))
    with pytest.raises(ReliabilityError, match="at least 3 complete cases"):
        cronbach_alpha(TINY.head(2))
    with pytest.raises(ReliabilityError, match="missing must be"):
        cronbach_alpha(TINY, missing="everything")  # type: ignore[arg-type]
    with pytest.raises(ReliabilityError, match="unknown items: x, y"):
        reliability_report(TINY, ["a", "x", "b", "y"])
    with pytest.raises(ReliabilityError, match="unknown weight column"):
        reliability_report(TINY, ["a", "b"], weights="w")


def test_report_is_json() -> None:
    report = reliability_report(TINY.assign(w=[1, 2, 1, 1, 2, 1]), ["a", "b", "c"], ["b"], weights="w", n_factors=1)
    again = json.loads(json.dumps(report, allow_nan=False))
    assert again == report
    assert set(report) == {"items", "alpha", "item_statistics", "correlation", "kmo", "bartlett", "efa",
                           "undefined", "notes"}
    assert report["correlation"]["definiteness"] == "positive definite"
    assert report["undefined"] == [] and report["notes"] == []
    assert report["alpha"]["reversed"] == ["b"] and report["item_statistics"]["b"]["reversed"] is True
    assert report["alpha"]["alpha"] == pytest.approx(cronbach_alpha(TINY, ["b"], weights=[1, 2, 1, 1, 2, 1]).alpha)
    two = reliability_report(TINY, ["a", "b"])
    assert two["kmo"] is None and two["bartlett"] is None
    assert two["item_statistics"]["a"]["alpha_if_dropped"] is None  # NaN becomes null


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

likert = st.integers(min_value=1, max_value=5)


@st.composite
def scales(draw: st.DrawFn) -> pd.DataFrame:
    k = draw(st.integers(min_value=2, max_value=6))
    n = draw(st.integers(min_value=4, max_value=30))
    rows = draw(st.lists(st.lists(likert, min_size=k, max_size=k), min_size=n, max_size=n))
    frame = pd.DataFrame(rows, columns=[f"q{i}" for i in range(k)], dtype=float)
    assume((frame.var() > 0).all() and frame.sum(axis=1).var() > 0)
    return frame


prop = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@prop
@given(scales())
def test_alpha_is_at_most_one(items: pd.DataFrame) -> None:
    res = cronbach_alpha(items)
    assert res.alpha <= 1 + 1e-9
    assert not res.std_alpha > 1 + 1e-9  # NaN when the standardized items sum to a constant
    assert res.ci_low <= res.alpha <= res.ci_high


@prop
@given(scales(), st.floats(min_value=-100, max_value=100), st.floats(min_value=0.01, max_value=100))
def test_alpha_is_unchanged_by_shifting_an_item_or_scaling_all(items: pd.DataFrame, shift: float, scale: float) -> None:
    base = cronbach_alpha(items)
    shifted = cronbach_alpha(items.assign(q0=items["q0"] + shift))
    scaled = cronbach_alpha(items * scale)
    for other in (shifted, scaled):
        assert other.alpha == pytest.approx(base.alpha, abs=1e-9)
        assert other.std_alpha == pytest.approx(base.std_alpha, abs=1e-9, nan_ok=True)
    assert item_statistics(items * scale)["r_rest"].to_numpy() == pytest.approx(
        item_statistics(items)["r_rest"].to_numpy(), abs=1e-9, nan_ok=True)


@prop
@given(scales())
def test_reversing_twice_changes_nothing(items: pd.DataFrame) -> None:
    twice = reverse_items(reverse_items(items, ["q0"], scale_range=(1, 5)), ["q0"], scale_range=(1, 5))
    pd.testing.assert_frame_equal(twice, items)
    # Reversing data already reversed gives the original scale's alpha and item statistics.
    once = reverse_items(items, ["q1"])
    assert cronbach_alpha(once, ["q1"]).alpha == pytest.approx(cronbach_alpha(items).alpha, abs=1e-9)
    keyed = reverse_items(items, ["q1"], scale_range=(1, 5))
    assert cronbach_alpha(keyed, ["q1"], scale_range=(1, 5)).mean == pytest.approx(cronbach_alpha(items).mean)
    assert item_statistics(once, ["q1"])["r_rest"].to_numpy() == pytest.approx(
        item_statistics(items)["r_rest"].to_numpy(), abs=1e-9, nan_ok=True)


# --------------------------------------------------------------------------------------------
# Published values of the bfi dataset (psych package, Revelle)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(BFI, index_col=0)


AGREE, CONSC = ["A1", "A2", "A3", "A4", "A5"], ["C1", "C2", "C3", "C4", "C5"]


@needs_bfi
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_bfi_agreeableness_alpha(bfi: pd.DataFrame, missing: str) -> None:
    # psych::alpha(bfi[1:5], keys = "A1"): raw_alpha 0.70, std.alpha 0.71; Feldt 0.69 .. 0.72.
    # psych uses pairwise covariances on its 2800 rows; listwise keeps the 2709 complete rows
    # and moves only the third decimal (0.7030 -> 0.7038, 0.7130 -> 0.7135).
    res = cronbach_alpha(bfi[AGREE], reverse=["A1"], missing=missing)
    assert round(res.alpha, 2) == 0.70 and round(res.std_alpha, 2) == 0.71
    assert round(res.ci_low, 2) == 0.69 and round(res.ci_high, 2) == 0.72
    assert res.n_cases == (2800 if missing == "pairwise" else 2709)
    table = item_statistics(bfi[AGREE], reverse=["A1"], missing=missing).round(2)
    # psych's item statistics: r.drop, and raw_alpha if an item is dropped.
    assert table["r_rest"].tolist() == [0.31, 0.56, 0.59, 0.39, 0.49]
    assert table["alpha_if_dropped"].tolist() == [0.72, 0.62, 0.60, 0.69, 0.64]
    if missing == "pairwise":
        assert table["n"].tolist() == [2784, 2773, 2774, 2781, 2784]
        assert table["r_total"].tolist() == [0.58, 0.73, 0.76, 0.65, 0.69]


@needs_bfi
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_bfi_conscientiousness_alpha(bfi: pd.DataFrame, missing: str) -> None:
    # psych::alpha(bfi[6:10], keys = c("C4", "C5")): raw_alpha 0.73, std.alpha 0.73.
    res = cronbach_alpha(bfi[CONSC], reverse=["C4", "C5"], missing=missing)
    assert round(res.alpha, 2) == 0.73 and round(res.std_alpha, 2) == 0.73


@needs_bfi
def test_bfi_kmo_and_bartlett(bfi: pd.DataFrame) -> None:
    items = bfi.iloc[:, :25]
    overall, per_item = kmo(items, missing="pairwise")
    assert round(overall, 2) == 0.85  # psych::KMO(bfi[1:25]): Overall MSA = 0.85
    assert per_item.round(2).to_dict() == {
        "A1": 0.74, "A2": 0.84, "A3": 0.87, "A4": 0.87, "A5": 0.90, "C1": 0.83, "C2": 0.79, "C3": 0.85,
        "C4": 0.82, "C5": 0.86, "E1": 0.83, "E2": 0.88, "E3": 0.89, "E4": 0.87, "E5": 0.89, "N1": 0.78,
        "N2": 0.78, "N3": 0.86, "N4": 0.88, "N5": 0.86, "O1": 0.85, "O2": 0.78, "O3": 0.84, "O4": 0.76,
        "O5": 0.76}
    assert round(kmo(items)[0], 2) == 0.85  # listwise: 0.849
    # cortest.bartlett(bfi[1:25]), n = 2800 (also fa's null model: objective 7.23, chi square 20163.79)
    chi2, df, p = bartlett_sphericity(items, missing="pairwise")
    assert chi2 == pytest.approx(20163.79, abs=0.01) and df == 300 and p == 0.0
    assert chi2 / (2800 - 1 - 55 / 6) == pytest.approx(7.23, abs=0.005)


# psych::fa(bfi[1:25], 5) (minres, oblimin), its printed pattern matrix (MR2 MR1 MR3 MR5 MR4).
PSYCH_FA5 = """
A1  0.21  0.17  0.07 -0.41 -0.06
A2 -0.02  0.00  0.08  0.64  0.03
A3 -0.03  0.12  0.02  0.66  0.03
A4 -0.06  0.06  0.19  0.43 -0.15
A5 -0.11  0.23  0.01  0.53  0.04
C1  0.07 -0.03  0.55 -0.02  0.15
C2  0.15 -0.09  0.67  0.08  0.04
C3  0.03 -0.06  0.57  0.09 -0.07
C4  0.17  0.00 -0.61  0.04 -0.05
C5  0.19 -0.14 -0.55  0.02  0.09
E1 -0.06 -0.56  0.11 -0.08 -0.10
E2  0.10 -0.68 -0.02 -0.05 -0.06
E3  0.08  0.42  0.00  0.25  0.28
E4  0.01  0.59  0.02  0.29 -0.08
E5  0.15  0.42  0.27  0.05  0.21
N1  0.81  0.10  0.00 -0.11 -0.05
N2  0.78  0.04  0.01 -0.09  0.01
N3  0.71 -0.10 -0.04  0.08  0.02
N4  0.47 -0.39 -0.14  0.09  0.08
N5  0.49 -0.20  0.00  0.21 -0.15
O1  0.02  0.10  0.07  0.02  0.51
O2  0.19  0.06 -0.08  0.16 -0.46
O3  0.03  0.15  0.02  0.08  0.61
O4  0.13 -0.32 -0.02  0.17  0.37
O5  0.13  0.10 -0.03  0.04 -0.54
"""


def published_loadings() -> pd.DataFrame:
    rows = [line.split() for line in PSYCH_FA5.strip().splitlines()]
    return pd.DataFrame([[float(v) for v in r[1:]] for r in rows], index=[r[0] for r in rows])


def own_trait_items(loadings: pd.DataFrame) -> int:
    """Items whose largest absolute loading is on the factor where most of their trait's items load."""
    top = loadings.abs().to_numpy().argmax(axis=1)
    traits = pd.Series(top, index=loadings.index).groupby(lambda item: item[0])
    home = traits.agg(lambda s: s.mode().iloc[0])
    assert home.nunique() == 5  # five traits, five different factors
    return int(sum(top[i] == home[item[0]] for i, item in enumerate(loadings.index)))


@needs_bfi
def test_bfi_five_factors_minres_oblimin(bfi: pd.DataFrame) -> None:
    res = efa(bfi.iloc[:, :25], 5, rotation="oblimin", method="minres", missing="pairwise")
    assert res.converged
    published = published_loadings()
    # Every loading as printed by psych (2 decimals), the factors in psych's order and signs.
    assert np.abs(res.loadings.to_numpy() - published.to_numpy()).max() <= 0.0051
    assert res.loadings.loc["N1", "F1"] == pytest.approx(0.81, abs=0.005)
    assert res.loadings.loc["N2", "F1"] == pytest.approx(0.78, abs=0.005)
    assert res.loadings.loc["E2", "F2"] == pytest.approx(-0.68, abs=0.005)
    assert own_trait_items(res.loadings) >= 22
    assert res.variance.loc["ss_loadings"].round(2).tolist() == [2.57, 2.20, 2.03, 1.99, 1.59]
    assert res.variance.loc["cumulative"].round(2).tolist() == [0.10, 0.19, 0.27, 0.35, 0.41]
    phi = res.factor_correlations.round(2)
    assert phi.loc["F1", "F2"] == -0.21 and phi.loc["F2", "F4"] == 0.33 and phi.loc["F3", "F5"] == 0.19
    assert res.communalities.round(2)[["A1", "N1", "O4"]].tolist() == [0.19, 0.65, 0.25]
    assert res.objective == pytest.approx(0.504, abs=0.001)


@needs_bfi
def test_bfi_five_factors_other_methods(bfi: pd.DataFrame) -> None:
    items = bfi.iloc[:, :25]
    ml = efa(items, 5, rotation="oblimin", method="ml", missing="pairwise")
    # psych::fa(..., 5, fm = "ml", rotate = "quartimin"): SS loadings 2.49 2.10 2.07 2.05 1.64,
    # objective 0.63 (oblimin with gamma 0 is quartimin).
    assert ml.variance.loc["ss_loadings"].round(2).tolist() == [2.49, 2.10, 2.07, 2.05, 1.64]
    assert round(ml.objective, 2) == 0.63
    for rotation in ("varimax", "promax"):
        for method in ("minres", "principal"):
            res = efa(items, 5, rotation=rotation, method=method)  # listwise
            assert own_trait_items(res.loadings) >= 22, (rotation, method)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def invoke(*args: str):
    return runner.invoke(app, ["population", "reliability", *args])


def test_cli_json_on_a_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    lines = ["id;a;b;c;group"] + [
        f"{i};{a};{str(b).replace('.', ',')};{c};g{i % 2}"
        for i, (a, b, c) in enumerate(zip(TINY["a"], TINY["b"] + 0.5, TINY["c"], strict=True))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = invoke(str(path), "--items", "a,b,c", "--reverse", "c", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    expected = cronbach_alpha(TINY.assign(b=TINY["b"] + 0.5), ["c"])
    assert report["alpha"]["alpha"] == pytest.approx(expected.alpha)
    assert report["items"] == ["a", "b", "c"] and report["alpha"]["reversed"] == ["c"]
    assert report["bartlett"]["df"] == 3


def test_cli_table_xlsx_and_parquet(tmp_path: Path) -> None:
    frame = simulate(phi=0.3, n=300).assign(weight=np.linspace(0.5, 2, 300))
    xlsx, parquet = tmp_path / "t.xlsx", tmp_path / "t.parquet"
    frame.to_excel(xlsx, index=False)
    frame.to_parquet(parquet)
    res = invoke(str(xlsx), "--items", "v0,v1,v2", "--items", "v3")
    assert res.exit_code == 0, res.output
    for text in ("Cronbach's alpha", "Feldt", "r rest", "alpha drop", "KMO", "Bartlett", "v3"):
        assert text in res.stdout
    res = invoke(str(parquet), "--items", "v0,v1,v2,v3,v4,v5", "--weight", "weight", "--factors", "2",
                 "--missing", "pairwise", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["efa"]["n_factors"] == 2 and report["alpha"]["missing"] == "pairwise"
    assert report["alpha"]["n_effective"] < 300
    res = invoke(str(parquet), "--items", "v0,v1,v2,v3", "--factors", "2", "--rotation", "none")
    assert res.exit_code == 0, res.output
    assert "Factor loadings" in res.stdout


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    TINY.assign(name=list("uvwxyz")).to_csv(path, index=False)
    res = invoke(str(path), "--items", "a,zz,b,yy")
    assert res.exit_code == 2
    assert "unknown items: zz, yy" in res.stderr
    res = invoke(str(path), "--items", "a,b,name")
    assert res.exit_code == 2 and "not numeric: name" in res.stderr
    res = invoke(str(path), "--items", "a,b", "--reverse", "c")
    assert res.exit_code == 2 and "not among the items: c" in res.stderr
    res = invoke(str(tmp_path / "missing.csv"), "--items", "a,b")
    assert res.exit_code == 2 and "missing.csv: file not found" in res.stderr
    other = tmp_path / "t.json"
    other.write_text("{}")
    res = invoke(str(other), "--items", "a,b")
    assert res.exit_code == 2 and "unknown file type '.json'" in res.stderr


@needs_bfi
def test_cli_on_bfi() -> None:
    res = invoke(str(BFI), "--items", "A1,A2,A3,A4,A5", "--reverse", "A1", "--missing", "pairwise", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert round(report["alpha"]["alpha"], 2) == 0.70 and round(report["alpha"]["std_alpha"], 2) == 0.71


# --------------------------------------------------------------------------------------------
# A pairwise correlation matrix that is not positive definite (issue 10)
# --------------------------------------------------------------------------------------------

# Three blocks of five rows, each answering two items: b = a, c = a, c = 6 - b. Each pair is
# perfectly correlated on its rows: r(a, b) = 1, r(a, c) = 1, r(b, c) = -1. The matrix
# [[1, 1, 1], [1, 1, -1], [1, -1, 1]] has eigenvalues -1, 2, 2: no complete answers could give it.
_X, _NA = [1.0, 2.0, 3.0, 4.0, 5.0], [math.nan] * 5
NOT_PD = pd.DataFrame({"a": _X + _X + _NA, "b": _X + _NA + _X, "c": _NA + _X + [6 - x for x in _X]})


def test_not_positive_definite_pairwise_matrix_in_the_library() -> None:
    assert correlation_matrix(NOT_PD, missing="pairwise").to_numpy() == pytest.approx(
        np.array([[1, 1, 1], [1, 1, -1], [1, -1, 1]]))
    chi2, df, p = bartlett_sphericity(NOT_PD, missing="pairwise")
    assert math.isnan(chi2) and df == 3 and math.isnan(p)  # undefined, not p = 0
    overall, per_item = kmo(NOT_PD, missing="pairwise")
    assert math.isnan(overall) and per_item.isna().all()
    with pytest.raises(ReliabilityError, match="not positive definite"):
        efa(NOT_PD, 1, missing="pairwise")

    report = reliability_report(NOT_PD, ["a", "b", "c"], missing="pairwise", n_factors=1)
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert report["correlation"]["definiteness"] == "indefinite"
    assert report["correlation"]["smallest_eigenvalue"] == pytest.approx(-1.0)
    assert report["undefined"] == ["kmo", "bartlett", "efa"]
    assert report["kmo"] == {"overall": None, "items": {"a": None, "b": None, "c": None}}
    assert report["bartlett"] == {"chi2": None, "df": 3, "p": None, "n": 15.0}
    assert report["efa"] is None
    (note,) = report["notes"]
    assert "not positive definite" in note and "KMO, Bartlett's test and the factor analysis" in note
    # What stays defined is given: alpha from the pairwise covariances (variances 20/9, covariances
    # 2.5, 2.5, -2.5 on the rows of each pair): 3/2 · (1 - 3 · 20/9 / (3 · 20/9 + 2 · 2.5)).
    var, cov = 20 / 9, 2.5
    assert report["alpha"]["alpha"] == pytest.approx(1.5 * (1 - 3 * var / (3 * var + 2 * cov)))
    assert report["alpha"]["n_cases"] == 15 and report["item_statistics"]["b"]["n"] == 10
    # Listwise there is no complete row: nothing can be computed, a clear refusal.
    with pytest.raises(ReliabilityError, match="at least 3 complete cases"):
        reliability_report(NOT_PD, ["a", "b", "c"])


def test_singular_but_not_indefinite_keeps_the_limit() -> None:
    report = reliability_report(TINY.assign(d=TINY["a"] + TINY["b"]), ["a", "b", "c", "d"])
    assert report["correlation"]["definiteness"] == "singular" and report["undefined"] == []
    assert report["bartlett"]["chi2"] is None and report["bartlett"]["p"] == 0.0  # chi2 = inf: null in JSON


def test_cli_on_a_not_positive_definite_matrix(tmp_path: Path) -> None:
    path = tmp_path / "gappy.csv"
    NOT_PD.to_csv(path, index=False)
    res = invoke(str(path), "--items", "a,b,c", "--missing", "pairwise", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["bartlett"]["p"] is None and report["kmo"]["overall"] is None
    assert "note:" in res.stderr and "not positive definite" in res.stderr
    res = invoke(str(path), "--items", "a,b,c", "--missing", "pairwise", "--factors", "1")
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "Cronbach's alpha = 0.643" in res.stdout
    for line in ("KMO (Kaiser-Meyer-Olkin): undefined", "Bartlett's test of sphericity: undefined",
                 "Factor analysis: undefined"):
        assert line in res.stdout
    assert "p = 0" not in res.stdout and "p < 0.001" not in res.stdout
    # Nothing computable (listwise: no complete row): exit 2, the file named, no traceback.
    res = invoke(str(path), "--items", "a,b,c")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{path}: at least 3 complete cases are needed" in " ".join(res.stderr.split())


def test_cli_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    TINY.to_csv(path, index=False)
    res = invoke(str(path), "--items", "a,zz")
    assert res.exit_code == 2 and f"{path}: unknown items: zz" in " ".join(res.stderr.split())
