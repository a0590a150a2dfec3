"""Describing a population: weighted and unweighted counts, means and shares, overall or by group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.frame import ACT, CLASS, DIM, OBS, WEIGHT, columns


def describe(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """One row per variable (observables, activities, dimensions, indices) and group.

    Columns: ``group``, ``variable``, ``n`` (firms with a value), ``weighted_n`` (their summed
    weights), ``mean`` (unweighted), ``weighted_mean``. For a yes/no observable the mean is the
    share of "yes". Missing values are left out of each variable's figures only.
    """
    if by is not None and by not in frame:
        raise KeyError(f"no column '{by}' in the population (columns: {', '.join(frame.columns[:12])}…)")
    variables = columns(frame, OBS) + columns(frame, ACT) + columns(frame, DIM) + [i for i in INDICES if i in frame]
    weights = frame[WEIGHT].to_numpy(dtype=float) if WEIGHT in frame else np.ones(len(frame))
    groups = [("all", np.ones(len(frame), dtype=bool))]
    if by is not None:
        groups += [(str(g), (frame[by] == g).to_numpy()) for g in frame[by].dropna().unique()]
    rows = []
    values = frame[variables].to_numpy(dtype=float)
    for name, mask in groups:
        x, w = values[mask], weights[mask]
        present = ~np.isnan(x)
        n = present.sum(axis=0)
        wn = (present * w[:, None]).sum(axis=0)
        x0 = np.where(present, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = x0.sum(axis=0) / n
            wmean = (x0 * w[:, None]).sum(axis=0) / wn
        rows.append(pd.DataFrame({"group": name, "variable": variables, "n": n, "weighted_n": wn,
                                  "mean": mean, "weighted_mean": wmean}))
    return pd.concat(rows, ignore_index=True)


def counts(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Firms per group: unweighted and weighted counts, and the weighted distribution of IIEP classes."""
    weights = frame[WEIGHT] if WEIGHT in frame else pd.Series(1.0, index=frame.index)
    key = frame[by].astype("object") if by is not None else pd.Series("all", index=frame.index)
    out = pd.DataFrame({"firms": key.groupby(key).size(), "weighted_firms": weights.groupby(key).sum()})
    if CLASS + "iiep" in frame:
        shares = pd.crosstab(key, frame[CLASS + "iiep"], values=weights, aggfunc="sum", normalize="index")
        out = out.join(shares.add_prefix("share_"))
    return out
