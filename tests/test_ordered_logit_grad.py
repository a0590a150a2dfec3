"""The weighted ordered logit's analytic derivatives (issue 14).

:class:`innexport.population.impact.WeightedOrderedModel` has an analytic score and, since issue 14,
an analytic Hessian (it was the central-difference Jacobian of the score). These tests check both
against numerical derivatives of the log-likelihood (scipy's ``check_grad`` and ``approx_fprime``)
on random designs, weights and parameters, the Hessian of integer weights against the same firms
repeated, and the estimates and robust standard errors against statsmodels' ``OrderedModel``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime, check_grad
from statsmodels.miscmodels.ordinal_model import OrderedModel

from innexport.population.impact import WeightedOrderedModel, impact


def design(seed: int, n: int, k: int, levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (n × k), ordered y with every one of ``levels`` levels present, survey weights."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    latent = x @ rng.normal(size=k) + rng.logistic(size=n)
    y = np.searchsorted(np.quantile(latent, np.linspace(0, 1, levels + 1)[1:-1]), latent)
    return x, y, rng.uniform(0.2, 4.0, n)


def random_params(seed: int, k: int, levels: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    return np.concatenate([rng.normal(0, 0.7, k), [rng.normal(-0.5, 0.5)], rng.normal(0, 0.4, levels - 2)])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(2, 6))
def test_score_is_the_gradient_of_the_log_likelihood(seed: int, k: int, levels: int) -> None:
    x, y, w = design(seed, 300, k, levels)
    model = WeightedOrderedModel(y, x, weights=w)
    params = random_params(seed, k, levels)
    # check_grad: the norm of (analytic - forward differences); forward differences err by O(h)
    error = check_grad(model.loglike, model.score, params, epsilon=1e-6)
    assert error <= 1e-4 * max(1.0, float(np.linalg.norm(model.score(params))))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(2, 6))
def test_hessian_is_the_jacobian_of_the_score(seed: int, k: int, levels: int) -> None:
    x, y, w = design(seed, 300, k, levels)
    model = WeightedOrderedModel(y, x, weights=w)
    params = random_params(seed, k, levels)
    h = model.hessian(params)
    step = 1e-6
    numeric = np.column_stack([
        (model.score(params + step * e) - model.score(params - step * e)) / (2 * step)
        for e in np.eye(len(params))
    ])
    np.testing.assert_allclose(h, numeric, atol=1e-5 * np.abs(h).max())
    # and the second derivatives of the log-likelihood itself (forward differences of its gradient)
    second = np.column_stack([approx_fprime(params, lambda p, j=j: model.score(p)[j], 1e-7)
                              for j in range(len(params))])
    np.testing.assert_allclose(h, second, atol=1e-4 * np.abs(h).max())
    np.testing.assert_array_equal(h, h.T)


def test_integer_weights_are_the_firms_repeated() -> None:
    x, y, _ = design(3, 200, 2, 4)
    w = np.arange(200) % 3 + 1.0
    params = random_params(3, 2, 4)
    weighted = WeightedOrderedModel(y, x, weights=w)
    repeated = WeightedOrderedModel(np.repeat(y, w.astype(int)), np.repeat(x, w.astype(int), axis=0))
    np.testing.assert_allclose(weighted.hessian(params), repeated.hessian(params), rtol=1e-10)
    np.testing.assert_allclose(weighted.score(params), repeated.score(params), rtol=1e-10, atol=1e-9)


def test_hessian_is_negative_definite_at_the_estimate() -> None:
    x, y, w = design(11, 1000, 3, 5)
    model = WeightedOrderedModel(y, x, weights=w)
    res = model.fit(method="newton", maxiter=100, disp=False)
    assert res.mle_retvals["converged"]
    assert np.abs(model.score(res.params)).max() < 1e-6
    assert np.linalg.eigvalsh(model.hessian(res.params)).max() < 0


def test_estimates_and_robust_errors_are_statsmodels_ordered_model() -> None:
    """Unit weights: the coefficients, thresholds and HC0 standard errors of statsmodels' own fit
    (its covariance from its numerical Hessian)."""
    x, y, _ = design(21, 1500, 2, 4)
    frame = pd.DataFrame({"act.a": x[:, 0], "act.b": x[:, 1], "weight": np.ones(len(y)), "export": y})
    res = impact(frame, "export", cov_type="HC0")
    assert res.kind == "ordered"
    ref = OrderedModel(y, x, distr="logit").fit(method="newton", disp=False, maxiter=200, cov_type="HC0")
    np.testing.assert_allclose(res.table["coef"], ref.params[:2], rtol=1e-6)
    np.testing.assert_allclose(res.table["se"], ref.bse[:2], rtol=1e-4)
    np.testing.assert_allclose(res.thresholds.loc["joint"], ref.model.transform_threshold_params(ref.params)[1:-1],
                               rtol=1e-6)
