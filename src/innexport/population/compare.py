"""Cross-country and cross-sector comparison: group means with confidence intervals and effect sizes.

One call, :func:`compare_groups`, answers questions such as "do French, Chilean and Argentine
firms differ in management practices, and by how much?" (World Management Survey) or "are the wine
firms of ENDEI II more innovative than the rest of manufacturing?". For every group and every
compared column it gives the (weighted) mean with its confidence interval, the difference to a
reference group with its confidence interval, an effect size and a test. Pure numpy: the Student
*t* distribution is computed here (regularised incomplete beta function), so the module needs
neither scipy nor statsmodels.

How each figure is computed (``x`` the non-missing values of a group, ``w`` their survey weights,
``p = w / Σw``, ``n`` their count):

* **mean**: ``Σ p·x`` (the weighted mean; with ``weights=False`` every weight is 1);
* **sd**: ``sqrt(n/(n-1) · Σ p·(x - mean)²)``, the weighted standard deviation with the usual
  small-sample correction (the ordinary sample SD when weights are equal);
* **se** of the mean by *linearization* (Taylor series) of the ratio ``Σwx / Σw``, for a
  single-stage sample drawn with replacement, no strata nor clusters:
  ``se² = n/(n-1) · Σ p²·(x - mean)²``. With equal weights this is exactly ``s²/n``;
* **n_eff**, Kish's effective sample size ``(Σw)² / Σw²`` (= n with equal weights), and the
  confidence interval ``mean ± t(df) · se`` with ``df = n_eff - 1``: the classical Student
  interval with equal weights, more conservative when unequal weights make the sample less
  informative than its count;
* the **difference** to the reference, ``mean - mean_ref``, with ``se_diff = sqrt(se² + se_ref²)``
  (independent groups) and Welch–Satterthwaite degrees of freedom from the two groups' ``df``;
  ``p_diff`` is the two-sided *p*-value of that (weighted) statistic. With equal weights the
  interval is Welch's and ``p_diff`` equals ``p_welch``;
* **Cohen's d**: the difference over the pooled SD
  ``sqrt(((n-1)·sd² + (n_ref-1)·sd_ref²) / (n + n_ref - 2))`` (weighted means and SDs);
  **Hedges' g** = ``J·d`` with the exact small-sample correction
  ``J(m) = Γ(m/2) / (sqrt(m/2)·Γ((m-1)/2))``, ``m = n + n_ref - 2`` (Hedges 1981; the common
  approximation ``1 - 3/(4m - 1)`` agrees to 1e-4 from m = 10);
* **Welch's t-test** (``t_welch``, ``df_welch``, ``p_welch``): the classical unequal-variance test
  on the *unweighted* values, as most published comparisons report it.

The reference is a group (``reference="France"``) or, by default, **the rest of the population**:
each group against all the other firms of the frame with a known group (wine against the rest of
manufacturing).

**Survey design** (``design=``, a :class:`~innexport.population.design.SurveyDesign` with strata,
primary sampling units or finite-population corrections): the means, their standard errors and
the differences are then design-based, as R's ``svyby(~x, ~group, design, svymean)`` and
``svycontrast`` compute them. Each group is a *domain* of the whole design (its influence values
are zero outside it, never a separate sample), so a group and its reference are not independent:
the difference's variance is that of the total of ``z_group - z_reference``, i.e.
``var + var_ref - 2 cov``, the covariance coming from the strata and PSUs they share. Intervals and
``p_diff`` use Student's t with the design's degrees of freedom (PSUs minus strata) for every
group; ``sd``, ``n_eff``, ``d``, ``g`` and Welch's test stay as above (descriptive, weighted). A
design with weights only (:attr:`~innexport.population.design.SurveyDesign.simple`) gives exactly
the results above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from innexport.population.design import Estimates, SurveyDesign
from innexport.population.frame import survey_weights

__all__ = ["compare_groups", "hedges_correction", "t_ppf", "t_sf", "weighted_mean_ci"]

REST = "rest"
"""Name of the reference when each group is compared with all the others."""

OUTPUT_COLUMNS = [
    "column", "group", "n", "weight", "n_eff", "mean", "sd", "se", "ci_low", "ci_high", "reference",
    "diff", "diff_low", "diff_high", "p_diff", "d", "g", "t_welch", "df_welch", "p_welch",
]


# --- Student's t distribution -------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz, Numerical Recipes 6.4)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` (> 0, not necessarily whole) degrees of freedom."""
    if t != t or df != df or df <= 0:
        return math.nan
    if math.isinf(df) or df > 1e7:
        return 1.0 - NormalDist().cdf(t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))  # P(T > |t|)
    return tail if t >= 0 else 1.0 - tail


def t_ppf(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_sf`)."""
    if not 0.0 < q < 1.0 or df != df or df <= 0:
        return math.nan
    if q == 0.5:
        return 0.0
    if q < 0.5:
        return -t_ppf(1.0 - q, df)
    tail = 1.0 - q
    lo, hi = 0.0, max(2.0, NormalDist().inv_cdf(q))
    while t_sf(hi, df) > tail:
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_sf(mid, df) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def hedges_correction(m: float) -> float:
    """Hedges' exact small-sample factor J(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2)), m = n1 + n2 - 2."""
    if m != m or m <= 1:
        return math.nan
    return math.exp(math.lgamma(m / 2) - 0.5 * math.log(m / 2) - math.lgamma((m - 1) / 2))


# --- one group --------------------------------------------------------------------------------------


def _summary(x: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """n, weight, n_eff, mean, sd, se, df of the values ``x`` (no NaN) with weights ``w``."""
    n = len(x)
    if n == 0:
        return dict(n=0, weight=0.0, n_eff=0.0, mean=math.nan, sd=math.nan, se=math.nan, df=math.nan)
    total = float(w.sum())
    p = w / total
    mean = float(p @ x)
    dev = x - mean
    if n > 1:
        var = n / (n - 1) * float(p @ (dev * dev))
        se2 = n / (n - 1) * float((p * p) @ (dev * dev))
    else:
        var = se2 = math.nan
    n_eff = total * total / float(w @ w)
    return dict(n=n, weight=total, n_eff=n_eff, mean=mean, sd=math.sqrt(var), se=math.sqrt(se2),
                df=n_eff - 1.0 if n > 1 else math.nan)


def weighted_mean_ci(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray | None = None,
                     confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the values (NaN ignored) as :func:`compare_groups` computes them."""
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = ~np.isnan(x)
    s = _summary(x[keep], w[keep])
    half = t_ppf(0.5 + confidence / 2, s["df"]) * s["se"]
    return s["mean"], s["mean"] - half, s["mean"] + half


def _welch(x1: np.ndarray, x2: np.ndarray) -> tuple[float, float, float]:
    """Welch's unequal-variance t-test on unweighted values: (t, df, two-sided p)."""
    n1, n2 = len(x1), len(x2)
    if n1 < 2 or n2 < 2:
        return math.nan, math.nan, math.nan
    v1, v2 = x1.var(ddof=1) / n1, x2.var(ddof=1) / n2
    se2 = v1 + v2
    if se2 == 0:
        return math.nan, math.nan, math.nan
    t = (x1.mean() - x2.mean()) / math.sqrt(se2)
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return float(t), float(df), 2.0 * t_sf(abs(t), df)




# --- the comparison -----------------------------------------------------------------------------------


def compare_groups(frame: pd.DataFrame, by: str, columns: str | Sequence[str], weights: bool | str = True,
                   confidence: float = 0.95, reference: object | None = None,
                   groups: Sequence[object] | None = None, design: SurveyDesign | None = None) -> pd.DataFrame:
    """Group means of ``columns`` by ``by``, with confidence intervals, differences and effect sizes.

    ``weights``: True uses the frame's ``weight`` column (1 when absent), False weighs every firm
    the same, a string names the weight column. ``reference`` is the group every other group is
    compared with (its own row has no difference); ``None`` compares each group with the rest of
    the frame. ``groups`` selects and orders the groups reported (default: every group, sorted).
    Rows whose ``by`` value is missing are ignored; missing values of a column are left out of
    that column's figures.

    ``design``: the survey design of the frame's rows (its weights replace ``weights``); with
    strata, PSUs or an fpc the means and differences are design-based (see the module).

    Returns one row per (column, group), with the columns of :data:`OUTPUT_COLUMNS`; the method is
    described in the module's docstring. ``result.attrs`` records the settings (and the design
    and its degrees of freedom when one is given).

    >>> frame = pd.DataFrame({"country": ["FR", "FR", "FR", "CL", "CL", "CL"], "x": [1.0, 2, 3, 2, 4, 6]})
    >>> out = compare_groups(frame, "country", "x", reference="CL")
    >>> out[["group", "n", "mean", "diff"]].to_dict("records")
    [{'group': 'CL', 'n': 3, 'mean': 4.0, 'diff': nan}, {'group': 'FR', 'n': 3, 'mean': 2.0, 'diff': -2.0}]
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in [by, *cols] if c not in frame]
    if missing:
        raise KeyError(f"no column {', '.join(map(repr, missing))} in the frame")
    if design is not None and len(design) != len(frame):
        raise ValueError(f"the design has {len(design)} rows, the frame {len(frame)}")
    w_all = survey_weights(frame, weights) if design is None else design.weights
    keys = frame[by]
    known = keys.notna().to_numpy()
    present = list(pd.unique(keys[known]))
    if groups is None:
        try:
            order = sorted(present)
        except TypeError:
            order = present
    else:
        order = list(groups)
        absent = [g for g in order if g not in set(present)]
        if absent:
            raise ValueError(f"no firm in group(s) {absent} of {by!r}")
    if reference is not None and reference not in set(present):
        raise ValueError(f"the reference group {reference!r} has no firm in {by!r}")
    member = {g: (keys == g).to_numpy() & known for g in order}
    if reference is not None and reference not in member:
        member[reference] = (keys == reference).to_numpy() & known
    q = 0.5 + confidence / 2
    if design is not None and not design.simple:
        out = _compare_by_design(frame, design, cols, order, member, known, reference, q)
        out.attrs.update(by=by, confidence=confidence, weighted=True,
                         reference=REST if reference is None else reference, design=design.describe(), df=design.df)
        return out
    rows: list[dict[str, object]] = []
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(values)
        for g in order:
            sel = member[g] & ok
            x, w = values[sel], w_all[sel]
            s = _summary(x, w)
            half = t_ppf(q, s["df"]) * s["se"] if s["n"] > 1 else math.nan
            row: dict[str, object] = dict(column=col, group=g, n=s["n"], weight=s["weight"], n_eff=s["n_eff"],
                                          mean=s["mean"], sd=s["sd"], se=s["se"], ci_low=s["mean"] - half,
                                          ci_high=s["mean"] + half)
            if reference is None:
                ref_sel, row["reference"] = known & ~member[g] & ok, REST
            else:
                ref_sel, row["reference"] = member[reference] & ok, reference
            diff = dict(diff=math.nan, diff_low=math.nan, diff_high=math.nan, p_diff=math.nan, d=math.nan,
                        g=math.nan, t_welch=math.nan, df_welch=math.nan, p_welch=math.nan)
            if reference is None or g != reference:
                xr, wr = values[ref_sel], w_all[ref_sel]
                r = _summary(xr, wr)
                diff.update(_difference(s, r, q))
                diff["t_welch"], diff["df_welch"], diff["p_welch"] = _welch(x, xr)
            row.update(diff)
            rows.append(row)
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    out["n"] = out["n"].astype(int)
    out.attrs.update(by=by, confidence=confidence, weighted=bool(weights) if design is None else True,
                     reference=REST if reference is None else reference)
    if design is not None:
        out.attrs.update(design=design.describe(), df=design.df)
    return out


def _compare_by_design(frame: pd.DataFrame, design: SurveyDesign, cols: list[str], order: list[object],
                       member: dict[object, np.ndarray], known: np.ndarray, reference: object | None,
                       q: float) -> pd.DataFrame:
    """The rows of :func:`compare_groups` with design-based means and differences (groups are domains)."""
    values = np.column_stack([pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                              for c in cols])
    w_all = design.weights
    df = float(design.df)
    t_crit = t_ppf(q, df) if df > 0 else math.nan
    nan = math.nan
    estimates = {g: design.mean(values, member[g]) for g in order}
    if reference is not None and reference not in estimates:
        estimates[reference] = design.mean(values, member[reference])
    against: dict[object, tuple[np.ndarray, object, Estimates, bool, np.ndarray | None]] = {}
    for g in order:
        ref_name: object
        if reference is None:
            ref_mask, ref_name = known & ~member[g], REST
            ref = design.mean(values, ref_mask)
        else:
            ref_mask, ref_name, ref = member[reference], reference, estimates[reference]
        compared = reference is None or g != reference
        diff_se = np.sqrt(np.maximum(design.total_var(estimates[g].influence - ref.influence), 0.0)) if compared else None
        against[g] = (ref_mask, ref_name, ref, compared, diff_se)
    rows: list[dict[str, object]] = []
    for j, col in enumerate(cols):
        for g in order:
            est = estimates[g]
            ref_mask, ref_name, ref, compared, diff_se = against[g]
            ok = ~np.isnan(values[:, j])
            sel = member[g] & ok
            s = _summary(values[sel, j], w_all[sel])
            mean, se = float(est.estimate[j]), float(est.se[j])
            half = t_crit * se if s["n"] > 0 else nan
            row: dict[str, object] = dict(column=col, group=g, n=s["n"], weight=s["weight"], n_eff=s["n_eff"],
                                          mean=mean if s["n"] > 0 else nan, sd=s["sd"], se=se if s["n"] > 0 else nan,
                                          ci_low=mean - half, ci_high=mean + half, reference=ref_name)
            diff = dict(diff=nan, diff_low=nan, diff_high=nan, p_diff=nan, d=nan, g=nan, t_welch=nan,
                        df_welch=nan, p_welch=nan)
            if compared and diff_se is not None:
                rsel = ref_mask & ok
                r = _summary(values[rsel, j], w_all[rsel])
                value = mean - float(ref.estimate[j])
                sd_ = float(diff_se[j])
                diff["diff"] = value
                if s["n"] > 0 and r["n"] > 0 and sd_ > 0 and df > 0:
                    diff.update(diff_low=value - t_crit * sd_, diff_high=value + t_crit * sd_,
                                p_diff=2.0 * t_sf(abs(value) / sd_, df))
                diff.update(_effect_sizes(s, r, value))
                diff["t_welch"], diff["df_welch"], diff["p_welch"] = _welch(values[sel, j], values[rsel, j])
            row.update(diff)
            rows.append(row)
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS)
    out["n"] = out["n"].astype(int)
    return out


def _effect_sizes(s: dict[str, float], r: dict[str, float], diff: float) -> dict[str, float]:
    """Cohen's d and Hedges' g of a difference between two groups' weighted summaries."""
    if s["n"] < 2 or r["n"] < 2:
        return dict(d=math.nan, g=math.nan)
    m = s["n"] + r["n"] - 2
    pooled = math.sqrt(((s["n"] - 1) * s["sd"] ** 2 + (r["n"] - 1) * r["sd"] ** 2) / m)
    d = diff / pooled if pooled > 0 else math.nan
    return dict(d=d, g=d * hedges_correction(m))


def _difference(s: dict[str, float], r: dict[str, float], q: float) -> dict[str, float]:
    """Difference of group ``s`` to reference ``r``: CI, weighted p, Cohen's d, Hedges' g."""
    out = dict(diff=s["mean"] - r["mean"])
    if s["n"] < 2 or r["n"] < 2:
        out.update(diff_low=math.nan, diff_high=math.nan, p_diff=math.nan, d=math.nan, g=math.nan)
        return out
    v1, v2 = s["se"] ** 2, r["se"] ** 2
    se = math.sqrt(v1 + v2)
    if se > 0:
        df = (v1 + v2) ** 2 / (v1 * v1 / s["df"] + v2 * v2 / r["df"]) if v1 + v2 > 0 else math.nan
        half = t_ppf(q, df) * se
        p = 2.0 * t_sf(abs(out["diff"]) / se, df)
    else:
        half, p = 0.0, math.nan
    out.update(diff_low=out["diff"] - half, diff_high=out["diff"] + half, p_diff=p)
    out.update(_effect_sizes(s, r, out["diff"]))
    return out
