"""Impact of each capability on innovation and on export outcomes, and an impact-based leverage.

Which capabilities go with a firm that innovates, and with a firm that exports more? For an
outcome of the population table (see :mod:`innexport.population.frame`) — *innovates or not*,
*export share band* … — :func:`impact` fits

* a **logit** when the outcome is binary (``P(y = 1) = Λ(a + x'b)``), and
* an **ordered logit** (proportional odds, ``P(y <= j) = Λ(c_j - x'b)``) when it has more than two
  ordered levels (an ordered pandas Categorical, or integer bands),

either one capability at a time with the controls (``mode="each"``: the association of that
capability alone) or all capabilities together (``mode="joint"``, the default: the effect of a
capability the others being held fixed, which is what "develop this one first" asks, at the price
of wider intervals when capabilities are correlated). Per capability it reports the coefficient,
its robust standard error, z, p, the confidence interval, the odds ratio with its interval, the
number of firms used, and the average effect on the probability of a rise of 0.1 of the score
(a tenth of the scale).

Survey weights: pseudo-maximum likelihood
-----------------------------------------
Survey weights are *sampling* weights, not frequencies nor precisions. The estimates maximise the
weighted pseudo log-likelihood ``sum_i w_i l_i(theta)`` (Binder 1983; Skinner, Holt & Smith 1989;
Stata's ``[pweight]``), and their covariance is the sandwich

    V = H^-1 (sum_i w_i^2 s_i s_i') H^-1 * n / (n - k)        (HC1; HC0 without the factor)

with ``H = sum_i w_i (-d2 l_i)`` the weighted information, ``s_i`` the score of firm i, n the
number of firms used and k the number of parameters. This is why the binary fit uses statsmodels'
``GLM(Binomial, var_weights=w)`` (whose score contributions are ``w_i s_i``) and not
``freq_weights`` (which would count firm i as ``w_i`` independent firms, so that its
model-based standard errors shrink when the weights grow and depend on the weights' total).
The sandwich is computed here, the same way for both models: statsmodels applies no small-sample
factor to GLM's ``HC1`` (it equals its ``HC0``); ours is ``n / (n - k)``, as R's ``sandwich::vcovHC``
and statsmodels' cluster-robust covariance with one firm per cluster.

*Invariance*: multiplying all the weights by a constant changes neither the estimates (the
pseudo log-likelihood is multiplied by it) nor the sandwich (``H`` scales by c, the meat by c²),
so survey weights need not be normalised. The weights' *shape* matters; their total does not.
Without a design, strata and primary sampling units are not modelled: the sandwich treats firms as
independently drawn with unequal probabilities, usually conservative for stratified samples.

Survey design: strata, primary sampling units, finite-population corrections
------------------------------------------------------------------------------
With ``design=`` (a :class:`~innexport.population.design.SurveyDesign` with strata, PSUs or an
fpc) the meat of the sandwich is the *design-based* variance of the total of the weighted scores
``u_i = w_i s_i``, as R's ``svyglm`` computes it (Binder 1983; Lumley 2010, §5.2)::

    V = H^-1 [ Σ_h (1 - f_h) n_h/(n_h - 1) Σ_j (U_hj - Ū_h)(U_hj - Ū_h)' ] H^-1

with ``U_hj`` the total of ``u`` over PSU j of stratum h and ``Ū_h`` their mean in the stratum
(:meth:`~innexport.population.design.SurveyDesign.total_cov`); no ``n/(n-k)`` factor. Firms left
out of a fit by missing values are a domain of the design: their scores are zero, the strata and
PSUs stay whole (R's ``svyglm`` on a design with missing data). Intervals and p-values then use
Student's t with ``PSUs - strata + 1 - parameters`` degrees of freedom (``summary.svyglm``'s
residual degrees of freedom); ``cov_type`` is ``"design"``. With one PSU per firm, no strata and
no fpc the meat is ``n/(n-1)`` times HC0's. A design with weights only
(:attr:`~innexport.population.design.SurveyDesign.simple`) keeps the HC0/HC1 sandwich above.

``statsmodels``' ``OrderedModel`` has no weights: :class:`WeightedOrderedModel` subclasses it with
the weighted log-likelihood, its analytic score and its analytic Hessian.

Missing values are dropped listwise on the columns a fit uses (outcome, capabilities, controls,
weight), so in ``mode="each"`` each capability has its own n.

Impact-based leverage
---------------------
:func:`impact_leverage` turns an innovation and an export result into a leverage vector for
:func:`innexport.core.priorities.prioritise`. It is an **option**: by default priorities use the
framework's leverage, an activity's weight in IIP plus its weight in IEP (total 2). See the
function for the construction.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning, PerfectSeparationWarning

from innexport.population.design import SurveyDesign
from innexport.population.frame import ACT, WEIGHT, columns

__all__ = [
    "MIN_ROWS",
    "Fit",
    "ImpactError",
    "ImpactResult",
    "WeightedOrderedModel",
    "impact",
    "impact_leverage",
    "raising_both",
]

MIN_ROWS = 30
"""A fit needs at least this many usable firms."""
MAX_ORDERED_LEVELS = 15
"""A numeric outcome with more distinct values than this is taken as continuous (band it first)."""
STEP = 0.1
"""The rise of a capability score whose average effect on the probability is reported."""

TABLE_COLUMNS = ("coef", "se", "z", "p", "ci_low", "ci_high", "odds_ratio", "or_low", "or_high", "n",
                 "sd", "std_coef", "ame", "ame_se", "ame_low", "ame_high", "ame_top", "converged")


class ImpactError(ValueError):
    """The data cannot support the requested fit (unknown column, constant outcome, too few rows…)."""


@dataclass(frozen=True, eq=False)
class Fit:
    """One fitted model: parameter estimates and their robust covariance."""

    params: pd.Series
    """Logit: ``const``, then the regressors. Ordered: the regressors, then the thresholds, named
    ``"<level>|<next level>"`` (``P(y <= level) = Λ(threshold - x'b)``)."""
    cov: pd.DataFrame
    """Robust (sandwich) covariance of ``params``."""
    n: int
    converged: bool
    llf: float
    """Weighted pseudo log-likelihood at the estimates."""
    n_thresholds: int = 0
    """Ordered model: the last ``n_thresholds`` parameters are the cut points."""


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """The effect of each capability on one outcome.

    ``table`` has one row per capability (the column names of the frame) and the columns:

    * ``coef``, ``se`` (robust), ``z``, ``p`` (two-sided, normal), ``ci_low``, ``ci_high``: the
      coefficient on the log-odds (of ``y = 1``; of ``y > j`` for every j in the ordered model);
    * ``odds_ratio``, ``or_low``, ``or_high``: ``exp`` of the above, per unit of the score (from
      0 to 1: the whole scale);
    * ``n``: firms used; ``sd``: the (weighted) standard deviation of the capability among them;
      ``std_coef = coef * sd``, the log-odds effect of one standard deviation;
    * ``ame`` (with delta-method ``ame_se``, ``ame_low``, ``ame_high``): the average, over the firms
      used (survey-weighted), of the change in the probability of ``y = 1`` — in the ordered model,
      of ``y`` above its lowest level (e.g. exporting at all) — when the capability rises by 0.1,
      everything else unchanged (the model's scale is linear: no clipping at 1);
      ``ame_top``: the same for the top level (equal to ``ame`` for a logit);
    * ``converged``: the optimiser converged and no separation was detected.
    """

    outcome: str
    kind: str  # "logit" | "ordered"
    mode: str  # "each" | "joint"
    table: pd.DataFrame
    categories: tuple
    """Outcome levels, lowest first (for a logit: the level coded 0, then the level coded 1)."""
    controls: tuple[str, ...]
    weighted: bool
    confidence: float
    cov_type: str
    fits: dict[str, Fit] = field(repr=False)
    """The fitted models: one per capability (``mode="each"``) or ``{"joint": …}``."""
    design: str | None = None
    """The survey design the covariance is based on (:meth:`SurveyDesign.describe`), or None."""

    @property
    def capabilities(self) -> list[str]:
        return list(self.table.index)

    @property
    def thresholds(self) -> pd.DataFrame | None:
        """Ordered model: the cut points ``c_j`` per fit (rows: capability, or ``joint``)."""
        if self.kind != "ordered":
            return None
        rows = {key: fit.params.iloc[len(fit.params) - fit.n_thresholds :] for key, fit in self.fits.items()}
        return pd.DataFrame(rows).T


# --------------------------------------------------------------------------------------------
# Weighted ordered logit
# --------------------------------------------------------------------------------------------
class WeightedOrderedModel(OrderedModel):
    """statsmodels' ``OrderedModel`` (logit link) with survey weights.

    The log-likelihood of firm i is multiplied by ``w_i``. The score and the Hessian are analytic in
    the model's parameterisation (regressor coefficients, then the first threshold and the logs of
    the increments between thresholds): Newton's steps and the sandwich's bread use the exact
    Hessian. With all weights 1 it is ``OrderedModel(..., distr="logit")``.
    """

    def __init__(self, endog: np.ndarray, exog: np.ndarray, weights: np.ndarray | None = None,
                 **kwds: object) -> None:
        super().__init__(endog, exog, distr="logit", **kwds)
        w = np.ones(self.nobs) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (self.nobs,):
            raise ValueError(f"{self.nobs} observations but {w.shape} weights")
        self.survey_weights = w

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        return self.survey_weights * super().loglikeobs(params)

    def loglike(self, params: np.ndarray) -> float:
        return float(self.loglikeobs(params).sum())

    def _pieces(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per firm: the interval's bounds ``u`` (upper) and ``l`` (lower), ``P = F(u) - F(l)``, and the
        rows ``du/dparams`` and ``dl/dparams`` (zero where a bound is infinite).

        With ``c_j = theta_0 + sum_{1 <= q <= j} exp(theta_q)`` the thresholds, ``u = c_y - x'b`` and
        ``l = c_{y-1} - x'b``: ``du/db = -x``, ``du/dtheta_0 = 1``, ``du/dtheta_q = exp(theta_q)`` for
        ``1 <= q <= y`` (the same for ``l`` with ``y - 1``).
        """
        k, m = self.k_vars, self.k_levels - 1  # regressors, thresholds
        low, upp = self._bounds(params)
        prob = np.maximum(expit(upp) - expit(low), 1e-300)
        y = np.asarray(self.endog, dtype=int)
        # dc_j/dtheta, one row per threshold j: 1 for theta_0, exp(theta_q) for 1 <= q <= j
        d_cut = np.tril(np.ones((m, m))) * np.concatenate([[1.0], np.exp(params[k + 1 :])])
        jac_u = np.zeros((self.nobs, k + m))
        jac_l = np.zeros((self.nobs, k + m))
        up, lo = y < m, y > 0
        if k:
            jac_u[up, :k] = -self.exog[up]
            jac_l[lo, :k] = -self.exog[lo]
        jac_u[up, k:] = d_cut[y[up]]
        jac_l[lo, k:] = d_cut[y[lo] - 1]
        return upp, low, prob, jac_u, jac_l, y

    def score_obs(self, params: np.ndarray, **kwds: object) -> np.ndarray:
        """Each firm's weighted score ``w_i d l_i / d params``: ``(f(u) du - f(l) dl) / P``."""
        upp, low, prob, jac_u, jac_l, _ = self._pieces(np.asarray(params, dtype=float))
        return self.survey_weights[:, None] * ((_logistic_pdf(upp) / prob)[:, None] * jac_u
                                               - (_logistic_pdf(low) / prob)[:, None] * jac_l)

    def score(self, params: np.ndarray, **kwds: object) -> np.ndarray:
        return self.score_obs(params).sum(axis=0)

    def hessian(self, params: np.ndarray, **kwds: object) -> np.ndarray:
        """The analytic Hessian of the weighted log-likelihood.

        ``l_i = log P`` with ``P = F(u) - F(l)``, F the logistic CDF, f its density, ``f' = f (1 - 2F)``:
        ``l_uu = f'(u)/P - f(u)²/P²``, ``l_ll = -f'(l)/P - f(l)²/P²``, ``l_ul = f(u) f(l)/P²``; then
        ``H_i = l_uu du du' + l_ll dl dl' + l_ul (du dl' + dl du') + l_u d²u + l_l d²l``, where the
        only second derivatives of the bounds are ``d²c_j/dtheta_q² = exp(theta_q)`` (``1 <= q <= j``).
        Checked against central differences of the score in tests/test_ordered_logit_grad.py.
        """
        params = np.asarray(params, dtype=float)
        k, m = self.k_vars, self.k_levels - 1
        upp, low, prob, jac_u, jac_l, y = self._pieces(params)
        w = self.survey_weights
        f_u, f_l = _logistic_pdf(upp), _logistic_pdf(low)
        fp_u, fp_l = f_u * (1 - 2 * expit(upp)), f_l * (1 - 2 * expit(low))
        g_u, g_l = f_u / prob, -f_l / prob
        g_uu = fp_u / prob - g_u**2
        g_ll = -fp_l / prob - g_l**2
        g_ul = f_u * f_l / prob**2
        h = (jac_u * (w * g_uu)[:, None]).T @ jac_u + (jac_l * (w * g_ll)[:, None]).T @ jac_l
        cross = (jac_u * (w * g_ul)[:, None]).T @ jac_l
        h += cross + cross.T
        if m > 1:  # d²c_j/dtheta_q² = exp(theta_q) for 1 <= q <= j, on the diagonal
            q = np.arange(1, m)
            reach_u = np.where(y < m, y, -1)[:, None] >= q  # theta_q enters u when q <= y
            reach_l = np.where(y > 0, y - 1, -1)[:, None] >= q
            diag = ((w * g_u) @ reach_u + (w * g_l) @ reach_l) * np.exp(params[k + 1 :])
            h[k + 1 :, k + 1 :] += np.diag(diag)
        return (h + h.T) / 2


def _logistic_pdf(z: np.ndarray) -> np.ndarray:
    p = expit(z)
    return p * (1 - p)  # 0 at ±inf


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------
def check_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    """Refuse (:class:`ImpactError`) the names that are not columns of ``frame``, all of them in one message.

    >>> check_columns(pd.DataFrame({"a": [1]}), ["a", "b"])
    Traceback (most recent call last):
    ...
    innexport.population.impact.ImpactError: unknown column: 'b'
    """
    unknown = [c for c in names if c not in frame.columns]
    if unknown:
        raise ImpactError("unknown column" + ("s" if len(unknown) > 1 else "") + ": "
                          + ", ".join(repr(c) for c in unknown))


def outcome_levels(y: pd.Series, kind: str, outcome: str) -> tuple[np.ndarray, tuple, str]:
    """Integer codes 0..K-1 of the (non-missing) outcome, its levels and the model kind."""
    if isinstance(y.dtype, pd.CategoricalDtype):
        cat = y.cat.remove_unused_categories()
        levels = tuple(cat.cat.categories)
        if not y.cat.ordered and len(levels) > 2:
            raise ImpactError(f"outcome {outcome!r} is an unordered categorical with {len(levels)} levels; "
                              "make it an ordered Categorical (lowest level first)")
        codes = cat.cat.codes.to_numpy()
    elif pd.api.types.is_bool_dtype(y):
        levels = tuple(v for v in (False, True) if (y == v).any())
        codes = y.to_numpy(dtype=int) if len(levels) == 2 else np.zeros(len(y), dtype=int)
    elif pd.api.types.is_numeric_dtype(y):
        values = y.to_numpy(dtype=float)
        levels_arr = np.unique(values)
        if len(levels_arr) > 2 and (len(levels_arr) > MAX_ORDERED_LEVELS
                                    or not np.all(levels_arr == np.round(levels_arr))):
            raise ImpactError(f"outcome {outcome!r} looks continuous ({len(levels_arr)} distinct values); "
                              "band it first, e.g. pd.cut(..., ordered=True), or code it 0/1")
        integral = bool(np.all(levels_arr == np.round(levels_arr)))
        levels = tuple(int(v) if integral else v.item() for v in levels_arr)
        codes = np.searchsorted(levels_arr, values)
    else:
        raise ImpactError(f"outcome {outcome!r} must be boolean, numeric (0/1 or integer bands) "
                          f"or a pandas Categorical, not {y.dtype}")
    if len(levels) < 2:
        shown = levels[0] if levels else "nothing"
        raise ImpactError(f"outcome {outcome!r} is constant ({shown!r}) among the {len(y)} usable rows")
    if kind == "auto":
        kind = "logit" if len(levels) == 2 else "ordered"
    elif kind == "logit" and len(levels) != 2:
        raise ImpactError(f"a logit needs a binary outcome; {outcome!r} has {len(levels)} levels "
                          "(use kind='ordered')")
    return codes.astype(int), levels, kind


def _controls_matrix(data: pd.DataFrame, controls: Sequence[str]) -> pd.DataFrame:
    """Numeric controls as they are; other controls as dummies (first level dropped)."""
    parts = []
    for c in controls:
        col = data[c]
        if pd.api.types.is_bool_dtype(col):
            parts.append(col.astype(float).rename(c).to_frame())
        elif pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            parts.append(col.astype(float).to_frame())
        else:
            dummies = pd.get_dummies(col.astype("category").cat.remove_unused_categories(),
                                     prefix=c, prefix_sep="=", drop_first=True, dtype=float)
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=data.index)
    return pd.concat(parts, axis=1)


def weight_column(frame: pd.DataFrame, weights: bool | str) -> pd.Series | None:
    """The survey weights of a model: the ``weight`` column (True), another column (its name) or none (False);
    missing values stay missing (the row is then left out of the fit), others must be positive and finite.

    >>> weight_column(pd.DataFrame({"weight": [2.0, None]}), True).tolist(), weight_column(pd.DataFrame(), False)
    ([2.0, nan], None)
    """
    if weights is False:
        return None
    name = WEIGHT if weights is True else str(weights)
    check_columns(frame, [name])
    w = pd.to_numeric(frame[name], errors="coerce")
    bad = w.notna() & ~(np.isfinite(w) & (w > 0))
    if bad.any():
        raise ImpactError(f"survey weights {name!r} must be positive and finite; "
                          f"{int(bad.sum())} rows are not (first: {w[bad].iloc[0]!r})")
    return w


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------
@dataclass
class ModelData:
    """A model's rows complete on every variable it uses (:func:`model_data`), with their survey design."""

    y: np.ndarray  # integer codes
    x: pd.DataFrame  # regressors: capabilities then controls (no constant)
    w: np.ndarray  # survey weights (ones when unweighted)
    levels: tuple
    kind: str
    rows: np.ndarray | None = None  # positions in the frame of the rows used
    survey: SurveyDesign | None = None  # a design with strata, PSUs or fpc (None: HC0/HC1)


def model_data(frame: pd.DataFrame, outcome: str, caps: Sequence[str], controls: Sequence[str],
               w: pd.Series | None, kind: str, what: str) -> ModelData:
    """The rows complete on the outcome, capabilities, controls (and weight) as a model's data; ``what``
    names the model in the refusals (too few rows, a capability that is not numeric…)."""
    used = [outcome, *caps, *controls]
    data = frame[used].copy()
    if w is not None:
        data["__w__"] = w
    data["__row__"] = np.arange(len(frame))
    data = data.dropna()
    n = len(data)
    if n < MIN_ROWS:
        raise ImpactError(f"{what}: only {n} usable rows (complete on {', '.join(map(repr, used))}"
                          f"{' and the weight' if w is not None else ''}); at least {MIN_ROWS} are needed")
    y, levels, kind = outcome_levels(data[outcome], kind, outcome)
    for c in caps:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ImpactError(f"capability {c!r} must be numeric, not {data[c].dtype}")
    x = pd.concat([data[list(caps)].astype(float), _controls_matrix(data, controls)], axis=1)
    constant = [c for c in x.columns if np.ptp(x[c].to_numpy()) == 0]
    if constant:
        raise ImpactError(f"{what}: no variation among the {n} usable rows in " + ", ".join(map(repr, constant)))
    check = x.to_numpy() if kind == "ordered" else np.column_stack([np.ones(n), x.to_numpy()])
    if np.linalg.matrix_rank(check) < check.shape[1]:
        raise ImpactError(f"{what}: the regressors are collinear (a capability or control is a combination "
                          "of the others" + (" or of the constant" if kind == "logit" else "") + ")")
    weights = np.ones(n) if w is None else data["__w__"].to_numpy(dtype=float)
    return ModelData(y, x, weights, levels, kind, data["__row__"].to_numpy(dtype=np.int64))


def sandwich(bread: np.ndarray, scores: np.ndarray, cov_type: str, d: ModelData | None = None) -> np.ndarray:
    """``H^-1 (S'S) H^-1``, times ``n / (n - k)`` for HC1; ``scores`` already weighted (n × k).

    With a survey design (``d.survey``) the meat is the design covariance of the scores' total,
    the rows left out of the fit contributing zero (see the module).
    """
    n, k = scores.shape
    inv = np.linalg.inv(bread)
    if d is not None and d.survey is not None and d.rows is not None:
        full = np.zeros((len(d.survey), k))
        full[d.rows] = scores
        return _symmetric(inv @ d.survey.total_cov(full) @ inv)
    cov = inv @ (scores.T @ scores) @ inv
    if cov_type == "HC1":
        cov *= n / (n - k)
    return _symmetric(cov)


def _symmetric(cov: np.ndarray) -> np.ndarray:
    return (cov + cov.T) / 2


def _fit_logit(d: ModelData, cov_type: str) -> tuple[Fit, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    names = ["const", *d.x.columns]
    x = np.column_stack([np.ones(len(d.y)), d.x.to_numpy()])
    y = d.y.astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = GLM(y, x, family=Binomial(), var_weights=d.w).fit(maxiter=100)
    troubled = any(issubclass(c.category, (PerfectSeparationWarning, ConvergenceWarning)) for c in caught)
    beta = np.asarray(res.params)
    p = expit(x @ beta)
    bread = (x * (d.w * p * (1 - p))[:, None]).T @ x
    scores = x * (d.w * (y - p))[:, None]
    cov = sandwich(bread, scores, cov_type, d)
    llf = float(np.sum(d.w * (y * np.log(np.maximum(p, 1e-300)) + (1 - y) * np.log(np.maximum(1 - p, 1e-300)))))
    fit = Fit(pd.Series(beta, index=names), pd.DataFrame(cov, index=names, columns=names), len(y),
              bool(res.converged) and not troubled and bool(np.all(np.isfinite(beta))), llf)

    def prob(params: np.ndarray, xr: np.ndarray) -> np.ndarray:  # P(y = 1), and the same for "top"
        pr = expit(params[0] + xr @ params[1:])
        return np.stack([pr, pr])

    return fit, prob


def _fit_ordered(d: ModelData, cov_type: str) -> tuple[Fit, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    model = WeightedOrderedModel(d.y, d.x.to_numpy(), weights=d.w)
    k, m = d.x.shape[1], len(d.levels) - 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(method="newton", maxiter=200, disp=False)
        params = np.asarray(res.params)
        converged = bool(res.mle_retvals.get("converged", False))
        if not converged or not np.all(np.isfinite(params)):
            res = model.fit(start_params=model.start_params, method="bfgs", maxiter=2000, disp=False, gtol=1e-8)
            params = np.asarray(res.params)
            converged = bool(res.mle_retvals.get("converged", False))
    troubled = any(issubclass(c.category, (ConvergenceWarning, HessianInversionWarning)) for c in caught)
    raw_cov = sandwich(-model.hessian(params), model.score_obs(params), cov_type, d)
    # Report the thresholds themselves (delta method from theta_0 and the log increments).
    cuts = model.transform_threshold_params(params)[1:-1]
    jac = np.eye(k + m)
    theta = params[k:]
    for j in range(m):
        jac[k + j, k:] = 0.0
        jac[k + j, k] = 1.0
        jac[k + j, k + 1 : k + 1 + j] = np.exp(theta[1 : 1 + j])
    cov = jac @ raw_cov @ jac.T
    levels = [str(v) for v in d.levels]
    names = [*d.x.columns, *(f"{levels[j]}|{levels[j + 1]}" for j in range(m))]
    est = np.concatenate([params[:k], cuts])
    fit = Fit(pd.Series(est, index=names), pd.DataFrame(cov, index=names, columns=names), len(d.y),
              converged and not troubled and bool(np.all(np.isfinite(est))), float(model.loglike(params)), m)

    def prob(p: np.ndarray, xr: np.ndarray) -> np.ndarray:  # P(y > lowest), P(y = top); p in threshold form
        eta = xr @ p[:k]
        return np.stack([1 - expit(p[k] - eta), 1 - expit(p[k + m - 1] - eta)])

    return fit, prob


def _ame(fit: Fit, prob: Callable[[np.ndarray, np.ndarray], np.ndarray], d: ModelData, j: int) -> tuple[float, float, float]:
    """Average change of the two probabilities for +STEP on regressor j, and the first one's delta-method SE."""
    x = d.x.to_numpy()
    x1 = x.copy()
    x1[:, j] += STEP
    share = d.w / d.w.sum()

    def effect(params: np.ndarray) -> np.ndarray:
        return (prob(params, x1) - prob(params, x)) @ share

    theta = fit.params.to_numpy()
    value = effect(theta)
    grad = np.empty(len(theta))
    for i in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (effect(up)[0] - effect(down)[0]) / (2 * h)
    se = float(np.sqrt(max(grad @ fit.cov.to_numpy() @ grad, 0.0)))
    return float(value[0]), se, float(value[1])


def _row(fit: Fit, prob: Callable, d: ModelData, cap: str, confidence: float, df: float | None) -> dict[str, float]:
    """One capability's line: normal intervals and p, or Student's t with ``df`` under a design."""
    dist = stats.norm if df is None else stats.t(df)
    z_crit = float(dist.ppf(0.5 + confidence / 2))
    j = list(d.x.columns).index(cap)
    coef = float(fit.params[cap])
    se = float(np.sqrt(fit.cov.loc[cap, cap]))
    z = coef / se if se > 0 else np.nan
    lo, hi = coef - z_crit * se, coef + z_crit * se
    xj = d.x[cap].to_numpy()
    mean = np.average(xj, weights=d.w)
    sd = float(np.sqrt(np.average((xj - mean) ** 2, weights=d.w)))
    ame, ame_se, ame_top = _ame(fit, prob, d, j)
    return {
        "coef": coef, "se": se, "z": z, "p": float(2 * dist.sf(abs(z))) if np.isfinite(z) else np.nan,
        "ci_low": lo, "ci_high": hi, "odds_ratio": float(np.exp(coef)), "or_low": float(np.exp(lo)),
        "or_high": float(np.exp(hi)), "n": fit.n, "sd": sd, "std_coef": coef * sd,
        "ame": ame, "ame_se": ame_se, "ame_low": ame - z_crit * ame_se, "ame_high": ame + z_crit * ame_se,
        "ame_top": ame_top, "converged": fit.converged,
    }


def impact(frame: pd.DataFrame, outcome: str, capabilities: Sequence[str] | None = None, *,
           kind: str = "auto", mode: str = "joint", weights: bool | str = True,
           controls: Sequence[str] = (), confidence: float = 0.95, cov_type: str = "HC1",
           design: SurveyDesign | None = None) -> ImpactResult:
    """The effect of each capability on ``outcome``: weighted (ordered) logit with robust errors.

    Args:
        frame: the population table (one row per firm).
        outcome: its column: boolean, 0/1, two-valued numeric (the larger value is "1"), a
            two-level Categorical (the second level is "1"), an ordered Categorical, or integer
            bands (at most :data:`MAX_ORDERED_LEVELS` values; lowest first).
        capabilities: the regressors of interest (default: every ``act.*`` column).
        kind: ``"auto"`` (logit for two levels, ordered logit for more), ``"logit"`` or ``"ordered"``.
        mode: ``"joint"`` (all capabilities in one model) or ``"each"`` (one model per capability,
            with the controls).
        weights: ``True`` for the ``weight`` column (pseudo-likelihood, see the module), ``False``
            for none, or the name of another weight column.
        controls: further regressors, e.g. ``size`` or ``sector``; non-numeric ones become dummies.
        confidence: level of the intervals.
        cov_type: ``"HC1"`` (default, sandwich × n/(n-k)) or ``"HC0"``.
        design: the survey design of the frame's rows (its weights replace ``weights``); with
            strata, PSUs or an fpc the covariance is design-based, as ``svyglm``'s (see the module),
            and ``cov_type`` does not apply.

    Raises:
        ImpactError: an unknown column (named), a constant outcome, fewer than :data:`MIN_ROWS`
            usable rows (with the count), a capability without variation, collinear regressors.
    """
    if mode not in ("each", "joint"):
        raise ImpactError(f"mode must be 'each' or 'joint', not {mode!r}")
    if kind not in ("auto", "logit", "ordered"):
        raise ImpactError(f"kind must be 'auto', 'logit' or 'ordered', not {kind!r}")
    if cov_type not in ("HC0", "HC1"):
        raise ImpactError(f"cov_type must be 'HC0' or 'HC1', not {cov_type!r}")
    if not 0 < confidence < 1:
        raise ImpactError(f"confidence must lie in (0, 1), not {confidence!r}")
    # by default the activities the population informs (a survey mapping may leave some unobserved)
    caps = [c for c in columns(frame, ACT) if frame[c].notna().any()] if capabilities is None else list(capabilities)
    if not caps:
        raise ImpactError("no capability to estimate (no act.* column and none given)")
    controls = list(controls)
    check_columns(frame, [outcome, *caps, *controls])
    overlap = set(caps) & set(controls) | ({outcome} & set(caps + controls))
    if overlap:
        raise ImpactError("a column cannot be both outcome, capability and control: " + ", ".join(map(repr, overlap)))
    survey: SurveyDesign | None = None
    if design is not None:
        if len(design) != len(frame):
            raise ImpactError(f"the design has {len(design)} rows, the population {len(frame)}")
        w: pd.Series | None = pd.Series(design.weights, index=frame.index)
        survey = None if design.simple else design
    else:
        w = weight_column(frame, weights)
    groups = [[c] for c in caps] if mode == "each" else [caps]
    rows, fits, levels, fitted_kind = {}, {}, None, None
    for group in groups:
        what = f"capability {group[0]!r}" if mode == "each" else "the joint model"
        d = model_data(frame, outcome, group, controls, w, kind, what)
        d.survey = survey
        if levels is None:
            levels, fitted_kind = d.levels, d.kind
        fit, prob = (_fit_logit if d.kind == "logit" else _fit_ordered)(d, cov_type)
        fits[group[0] if mode == "each" else "joint"] = fit
        df: float | None = None
        if survey is not None:
            df = survey.df + 1 - len(fit.params)
            if df <= 0:
                raise ImpactError(f"{what}: the design has {survey.n_psus} primary sampling units in "
                                  f"{survey.n_strata} strata ({survey.df} degrees of freedom), too few for the "
                                  f"model's {len(fit.params)} parameters")
        for cap in group:
            rows[cap] = _row(fit, prob, d, cap, confidence, df)
    stuck = [key for key, fit in fits.items() if not fit.converged]
    if stuck:
        warnings.warn(f"{outcome!r}: the fit of {', '.join(stuck)} did not converge or separates the outcome "
                      "perfectly (see the 'converged' column); its estimates are not reliable",
                      RuntimeWarning, stacklevel=2)
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(TABLE_COLUMNS))
    table.index.name = "capability"
    table["n"] = table["n"].astype(int)
    table["converged"] = table["converged"].astype(bool)
    return ImpactResult(outcome, str(fitted_kind), mode, table, tuple(levels or ()), tuple(controls),
                        w is not None, confidence, "design" if survey is not None else cov_type, fits,
                        None if design is None else design.describe())


# --------------------------------------------------------------------------------------------
# Capabilities that raise both; leverage for the priorities
# --------------------------------------------------------------------------------------------
def raising_both(innovation: ImpactResult, export: ImpactResult, alpha: float = 0.05) -> pd.DataFrame:
    """Capabilities whose effect is positive and significant (p < ``alpha``) on both outcomes.

    One row per such capability, strongest first (by the smaller of the two standardised effects),
    with coefficient, p, odds ratio, average effect of +0.1 and standardised effect on each side
    (suffixes ``_innovation`` and ``_export``).
    """
    keep = ["coef", "p", "odds_ratio", "ame", "std_coef"]
    both = pd.concat([innovation.table[keep].add_suffix("_innovation"), export.table[keep].add_suffix("_export")],
                     axis=1, join="inner")
    ok = ((both["coef_innovation"] > 0) & (both["p_innovation"] < alpha)
          & (both["coef_export"] > 0) & (both["p_export"] < alpha))
    out = both[ok].copy()
    order = np.minimum(out["std_coef_innovation"], out["std_coef_export"]).sort_values(ascending=False, kind="stable")
    return out.loc[order.index]


def _positive_effect(result: ImpactResult, names: list[str], alpha: float, method: str, scale: str) -> np.ndarray:
    t = result.table.reindex(names)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if method == "significant":
        effect = np.where((t["coef"] > 0) & (t["p"] < alpha), t["coef"], 0.0)
    else:  # lower confidence bound
        effect = np.maximum(t["coef"] - z * t["se"], 0.0)
    effect = np.nan_to_num(np.asarray(effect, dtype=float))
    if scale == "sd":
        effect = effect * np.nan_to_num(t["sd"].to_numpy(dtype=float))
    total = effect.sum()
    return effect / total if total > 0 else np.zeros(len(names))


def impact_leverage(innovation: ImpactResult, export: ImpactResult, activity_ids: Sequence[str], *,
                    alpha: float = 0.05, method: str = "significant", scale: str = "unit",
                    total: float = 2.0, missing: str = "error") -> np.ndarray:
    """A leverage vector for :func:`innexport.core.priorities.prioritise` from estimated impacts.

    An **option**: the default leverage of the priorities stays the framework's (an activity's
    weight in IIP plus its weight in IEP). This one replaces "weight in the index" by "estimated
    effect on the outcome":

    1. for each outcome, each activity's *positive effect*: with ``method="significant"``
       (default) its coefficient when positive and significant at ``alpha``, else 0 (a
       non-significant or negative effect gives no leverage); with ``method="lower"`` the positive
       part of the lower bound of its two-sided ``1 - alpha`` interval (significant effects shrunk
       by their uncertainty, others 0);
    2. ``scale="unit"`` (default) keeps the coefficient per unit of score, the scale of the gaps
       that the leverage multiplies (so gap × leverage ranks by the log-odds gained by closing
       the gap); ``scale="sd"`` uses the effect of one standard deviation;
    3. each outcome's effects are normalised to sum to 1 (innovation and export count equally,
       as IIP's and IEP's weights each sum to 1), added, and the sum rescaled to ``total``
       (2, the total of the default leverage). An outcome where no activity qualifies adds
       nothing; if none qualifies on either outcome, an :class:`ImpactError` says to keep the
       default leverage.

    ``activity_ids`` are the model's (``ScoringModel.activity_ids``); a result row is matched by
    ``act.<id>`` or by the id itself. An activity estimated on neither outcome is an error unless
    ``missing="zero"`` (it then gets no leverage).
    """
    if method not in ("significant", "lower"):
        raise ImpactError(f"method must be 'significant' or 'lower', not {method!r}")
    if scale not in ("unit", "sd"):
        raise ImpactError(f"scale must be 'unit' or 'sd', not {scale!r}")
    if missing not in ("error", "zero"):
        raise ImpactError(f"missing must be 'error' or 'zero', not {missing!r}")
    ids = list(activity_ids)

    def row_names(result: ImpactResult) -> list[str]:
        index = set(result.table.index)
        return [ACT + a if ACT + a in index else a for a in ids]

    absent = [a for a in ids if not ({ACT + a, a} & (set(innovation.table.index) | set(export.table.index)))]
    if absent and missing == "error":
        raise ImpactError("activities estimated on neither outcome: " + ", ".join(absent)
                          + " (pass missing='zero' to give them no leverage)")
    lev = (_positive_effect(innovation, row_names(innovation), alpha, method, scale)
           + _positive_effect(export, row_names(export), alpha, method, scale))
    if lev.sum() <= 0:
        raise ImpactError("no activity has a positive significant effect on either outcome; "
                          "keep the default leverage")
    return lev * (total / lev.sum())
