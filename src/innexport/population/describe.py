"""Describing a population: weighted and unweighted counts, means and shares, overall or by group.

With a survey design (``design=``, :class:`~innexport.population.design.SurveyDesign`) each weighted
mean and each weighted total comes with its design-based standard error (Taylor linearisation over
strata, primary sampling units and finite-population corrections, as R's ``svymean``/``svytotal``
with ``na.rm=TRUE``) and the mean with its confidence interval on the design's degrees of freedom
(PSUs minus strata). Groups are *domains* of the whole design (R's ``svyby``): a group's firms are
never taken as a sample of their own. The method is :mod:`innexport.population.design`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.compare import t_ppf
from innexport.population.design import SurveyDesign
from innexport.population.frame import ACT, CLASS, DIM, OBS, WEIGHT, columns, survey_weights

DESIGN_COLUMNS = ("se", "ci_low", "ci_high", "total", "total_se")
"""The columns :func:`describe` adds when it is given a survey design."""


def describe(frame: pd.DataFrame, by: str | None = None, *, groups: Sequence[object] | None = None,
             weights: bool | str = True, design: SurveyDesign | None = None,
             confidence: float = 0.95) -> pd.DataFrame:
    """One row per variable (observables, activities, dimensions, indices) and group.

    Columns: ``group``, ``variable``, ``n`` (firms with a value), ``weighted_n`` (their summed
    weights), ``mean`` (unweighted), ``weighted_mean``. For a yes/no observable the mean is the
    share of "yes". Missing values are left out of each variable's figures only.

    ``groups`` restricts and orders the groups of ``by`` (default: every group, in order of
    appearance), after the ``all`` row. ``weights``: the ``weight`` column (True, 1 when absent), a
    column's name, or none (False). With a ``design`` (its weights are used) the table also has
    :data:`DESIGN_COLUMNS`: the weighted mean's standard error and ``confidence`` interval, the
    weighted total and its standard error, all design-based (see the module).

    >>> frame = pd.DataFrame({"iiep": [0.2, 0.4, 0.6, 0.8], "weight": [1.0, 1, 2, 2], "size": ["S", "S", "L", "L"]})
    >>> table = describe(frame, by="size", groups=["L"]).round(4)
    >>> for row in table[["group", "n", "weighted_n", "weighted_mean"]].to_dict("records"):
    ...     print(row)
    {'group': 'all', 'n': 4, 'weighted_n': 6.0, 'weighted_mean': 0.5667}
    {'group': 'L', 'n': 2, 'weighted_n': 4.0, 'weighted_mean': 0.7}
    """
    if by is not None and by not in frame:
        raise KeyError(f"no column '{by}' in the population (columns: {', '.join(frame.columns[:12])}…)")
    if groups is not None and by is None:
        raise ValueError("groups need a group column (by)")
    if design is not None and len(design) != len(frame):
        raise ValueError(f"the design has {len(design)} rows, the population {len(frame)}")
    variables = columns(frame, OBS) + columns(frame, ACT) + columns(frame, DIM) + [i for i in INDICES if i in frame]
    if design is not None:
        weights_ = design.weights
    elif isinstance(weights, str) or weights is False:
        weights_ = survey_weights(frame, weights)
    else:
        weights_ = frame[WEIGHT].to_numpy(dtype=float) if WEIGHT in frame else np.ones(len(frame))
    domains = [("all", np.ones(len(frame), dtype=bool))]
    if by is not None:
        present = list(frame[by].dropna().unique())
        if groups is not None:
            absent = [g for g in groups if g not in set(present)]
            if absent:
                raise ValueError(f"no firm in group(s) {', '.join(map(repr, absent))} of '{by}' "
                                 f"(groups: {', '.join(map(str, present[:20]))})")
            present = list(groups)
        domains += [(str(g), (frame[by] == g).to_numpy()) for g in present]
    rows = []
    values = frame[variables].to_numpy(dtype=float, na_value=np.nan)
    t_crit = t_ppf(0.5 + confidence / 2, design.df) if design is not None and design.df > 0 else np.nan
    for name, mask in domains:
        x, w = values[mask], weights_[mask]
        present_ = ~np.isnan(x)
        n = present_.sum(axis=0)
        wn = (present_ * w[:, None]).sum(axis=0)
        x0 = np.where(present_, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = x0.sum(axis=0) / n
            wmean = (x0 * w[:, None]).sum(axis=0) / wn
        part = pd.DataFrame({"group": name, "variable": variables, "n": n, "weighted_n": wn,
                             "mean": mean, "weighted_mean": wmean})
        if design is not None:
            m, t = design.mean(values, mask), design.total(values, mask)
            part["se"] = m.se
            part["ci_low"], part["ci_high"] = wmean - t_crit * m.se, wmean + t_crit * m.se
            part["total"], part["total_se"] = t.estimate, t.se
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    if design is not None:
        out.attrs.update(design=design.describe(), df=design.df, confidence=confidence)
    return out


def counts(frame: pd.DataFrame, by: str | None = None, *, groups: Sequence[object] | None = None,
           weights: bool | str = True, design: SurveyDesign | None = None) -> pd.DataFrame:
    """Firms per group: unweighted and weighted counts, and the weighted distribution of IIEP classes.

    ``groups`` restricts and orders the groups; ``weights`` and ``design`` as in :func:`describe`.

    >>> frame = pd.DataFrame({"weight": [1.0, 1, 2, 2], "size": ["S", "S", "L", "L"]})
    >>> counts(frame, by="size").to_dict("index")
    {'L': {'firms': 2, 'weighted_firms': 4.0}, 'S': {'firms': 2, 'weighted_firms': 2.0}}
    """
    if design is not None:
        w = pd.Series(design.weights, index=frame.index)
    elif isinstance(weights, str) or weights is False:
        w = pd.Series(survey_weights(frame, weights), index=frame.index)
    else:
        w = frame[WEIGHT] if WEIGHT in frame else pd.Series(1.0, index=frame.index)
    key = frame[by].astype("object") if by is not None else pd.Series("all", index=frame.index)
    out = pd.DataFrame({"firms": key.groupby(key).size(), "weighted_firms": w.groupby(key).sum()})
    if CLASS + "iiep" in frame:
        shares = pd.crosstab(key, frame[CLASS + "iiep"], values=w, aggfunc="sum", normalize="index")
        out = out.join(shares.add_prefix("share_"))
    if groups is not None:
        absent = [g for g in groups if g not in out.index]
        if absent:
            raise ValueError(f"no firm in group(s) {', '.join(map(repr, absent))} of '{by}'")
        out = out.loc[list(groups)]
    return out
