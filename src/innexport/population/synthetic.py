"""A synthetic population table, with the shape of a real one, for tests and timings.

Nothing here is survey data: the firms are drawn at random (see :func:`synthetic_frame`) so that
the analytics can be exercised and timed at any size (``bench/bench_benchmark.py`` times the
peer benchmark on a million of them) without copying real data into the repository.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.frame import ACT, DIM, FIRM_ID, WEIGHT

__all__ = ["synthetic_frame"]


def synthetic_frame(n: int, seed: int = 0, activities: int = 24, dimensions: int = 9, countries: int = 10,
                    sectors: int = 20, sizes: int = 3, missing: float = 0.05) -> pd.DataFrame:
    """A population table of ``n`` random firms with the shape of a real one (for timings and tests).

    Firms have their own capability level (beta distributed), activity scores around it, 5%
    missing; dimensions are means of consecutive activities, indices means of dimensions;
    ``country``, ``sector``, ``size`` are drawn with unequal frequencies; weights are log-normal.
    The same ``seed`` gives the same table.

    >>> frame = synthetic_frame(4, seed=1, activities=3, dimensions=3)
    >>> list(frame.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['firm_id', 'weight', 'country', 'sector', 'size', 'act.a00', 'act.a01', 'act.a02', 'dim.d0', 'dim.d1',
     'dim.d2', 'iip', 'iep', 'iiep']
    >>> frame.equals(synthetic_frame(4, seed=1, activities=3, dimensions=3))
    True
    """
    rng = np.random.default_rng(seed)
    level = rng.beta(2, 2, size=n)
    acts = np.clip(level[:, None] + rng.normal(0, 0.15, size=(n, activities)), 0, 1).round(4)
    acts[rng.random(acts.shape) < missing] = np.nan
    groups = np.array_split(np.arange(activities), dimensions)
    with warnings.catch_warnings():  # a firm may miss every activity of a dimension: NaN, as the core gives
        warnings.simplefilter("ignore", RuntimeWarning)
        dims = np.column_stack([np.nanmean(acts[:, g], axis=1) for g in groups]) if n else np.empty((0, dimensions))
        third = max(dimensions // 3, 1)
        iip, iep, iiep = INDICES
        indices = {iip: np.nanmean(dims[:, : 2 * third], axis=1), iep: np.nanmean(dims[:, third:], axis=1),
                   iiep: np.nanmean(dims, axis=1)}

    def draw(k: int, prefix: str) -> pd.Categorical:
        p = 1.0 / np.arange(1, k + 1)
        return pd.Categorical.from_codes(rng.choice(k, size=n, p=p / p.sum()), [f"{prefix}{i}" for i in range(k)])

    data: dict[str, object] = {
        FIRM_ID: [f"F{i:07d}" for i in range(n)],
        WEIGHT: np.exp(rng.normal(0, 0.5, size=n)),
        "country": draw(countries, "C"), "sector": draw(sectors, "S"), "size": draw(sizes, "Z"),
    }
    data.update({f"{ACT}a{j:02d}": acts[:, j] for j in range(activities)})
    data.update({f"{DIM}d{j}": dims[:, j] for j in range(dimensions)})
    data.update(indices)
    return pd.DataFrame(data)
