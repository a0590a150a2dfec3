"""A firm among the organisation's own firms, and the shared reference set of several organisations.

**Peers** (:func:`place`). The frame holds one row per completed diagnostic (:data:`FRAME_COLUMNS`);
each firm counts once, by its *latest* diagnostic (:func:`latest`: the largest ``assessed_on``, then
the largest ``assessment`` id — the rule of :func:`innexport.portfolio.compute.portfolio`). A firm's
peers are the *other* firms of its group; the first group of :data:`LEVELS` with at least
``min_group`` peers is used (:data:`~innexport.portfolio.compute.MIN_GROUP`, 5: the threshold rule of
the portfolio's disclosure control, :mod:`innexport.portfolio.disclosure`, is the same rule — a
figure about fewer than five firms says nothing and may single one out):

1. the same NACE sector code, size class and country;
2. the same sector and country (size dropped);
3. the same NACE division and country (sector widened: ``11.02`` → ``11``);
4. the same NACE section and country (``11`` → ``C``);
5. the same section, any country (country dropped).

The hierarchy is the shipped NACE Rev. 2 (:func:`innexport.files.classifications.nace_positions`).
A missing value (no sector, no size) is a value of its own: such firms are compared with each other.
When even the broadest group has fewer than ``min_group`` peers, :class:`PeerGroupTooSmall` is raised
with every group tried and its size.

For IIP, IEP, IIEP and each dimension score (peers without the value left out of that row):

* the **percentile rank** of the firm's value ``x`` among the ``n`` peers' values is the mid-rank
  ``100 · (below + ties / 2) / n`` (``below``: peers strictly below ``x``, ``ties``: peers equal to it):
  the definition of :mod:`innexport.population.benchmark`, unweighted (the organisation's firms are
  not a survey sample); a firm equal to every peer is at 50;
* its **90 % interval**: the peers are read as a sample of the firms like them, and the share of such
  firms below the firm's value is bounded by the exact binomial (Clopper–Pearson) interval, taken
  from ``below`` for the lower bound and from ``below + ties`` for the upper one (so that ties widen
  it): ``low = B⁻¹(0.05; below, n − below + 1)``, ``high = B⁻¹(0.95; below + ties + 1, n − below − ties)``
  (``B⁻¹`` the inverse regularised incomplete beta function; ``low = 0`` when ``below = 0`` and
  ``high = 1`` when ``below + ties = n``). Clopper & Pearson, "The use of confidence or fiducial
  limits illustrated in the case of the binomial", *Biometrika* 26 (4), 1934, pp. 404–413. It always
  contains the percentile and narrows as the group grows (about as ``1/√n``);
* the group's **median**: the mid-point (Hazen) quantile, as :mod:`innexport.population.benchmark`
  (with equal weights, ``numpy.quantile(v, 0.5, method="hazen")``: the usual median).

**Shared reference** (:func:`shared_reference`). Organisations that opt in pool their firms (latest
diagnostic each) by NACE *section* × size class × country; what is returned — the only thing that
ever leaves an organisation — is, per group, the number of firms and the nine deciles of IIP, IEP and
IIEP. No figure may be one firm's value, nor let an organisation that knows its own firms work
another's out, so (threshold rule and microaggregation, Hundepool et al., *Statistical Disclosure
Control*, Wiley 2012, §3.4 (microaggregation) and ch. 4–5 (the threshold rule); Defays & Anwar,
"Masking microdata using micro-aggregation", *Journal of Official Statistics* 14 (4), 1998):

* the firms of a group, sorted by value, are cut into consecutive *blocks*; a block is closed once,
  for **every** organisation, it holds at least ``min_group`` firms of *other* organisations (the last
  firms join the last block); each value is replaced by its block's mean (*microaggregation*);
* a group that cannot form even one such block — fewer than ``min_group`` firms, or fewer than
  ``min_group`` beyond its largest contributor — is left out entirely (suppressed, not listed);
* the deciles are the mid-point (Hazen) quantiles of the microaggregated values: each one lies
  between two block means, and a block mean mixes, for any organisation, at least ``min_group``
  firms it does not know. Rows without a section (no or unknown sector) are left out.

What this does not cover, as in :mod:`innexport.portfolio.disclosure`: differences between two
versions of the reference (a firm added or removed between them), and bounds (every decile lies
between the group's smallest and largest values).

A firm is placed against the shared reference (:func:`place_in_reference`) by linear interpolation
between the deciles of its group: an *approximate* percentile, with the decile band it lies in as
its interval (below the first decile: 0–10, shown as 5; above the last: 90–100, shown as 95).

>>> import pandas as pd
>>> rows = [{"firm": i, "assessed_on": "2025-01-01", "sector": "11.02", "size": "small", "country": "FR",
...          "iip": v, "iep": v, "iiep": v, "dimension_scores": {}} for i, v in enumerate([.1, .2, .3, .4, .5, .6])]
>>> p = place(latest(pd.DataFrame(rows)), 5)
>>> p.level.id, p.n, p.row("iiep").percentile, p.row("iiep").median
('sector_size_country', 5, 100.0, 0.3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.files.classifications import nace_positions
from innexport.portfolio.compute import MIN_GROUP, json_values

__all__ = [
    "CONFIDENCE", "DECILES", "FRAME_COLUMNS", "LEVELS", "MIN_GROUP", "Level", "PeerGroupTooSmall", "Placement",
    "ReferenceGroup", "ReferencePlacement", "Row", "Tried", "dimension_columns", "latest", "microaggregated_deciles",
    "percentile_interval", "place", "place_in_reference", "reference_percentile", "sector_hierarchy",
    "shared_reference",
]

CONFIDENCE = 0.90
"""The level of the percentile intervals (the issue's 90 %, as the intervals of the results)."""
DECILES: tuple[float, ...] = tuple(k / 10 for k in range(1, 10))
"""The quantiles the shared reference publishes (its nine deciles)."""

FRAME_COLUMNS: tuple[str, ...] = ("firm", "assessed_on", "sector", "size", "country", "iip", "iep", "iiep",
                                  "dimension_scores")
"""The columns :func:`latest` needs; optional: ``assessment`` (orders diagnostics of the same day) and
``organisation`` (needed by :func:`shared_reference`). ``dimension_scores``: a dict (dimension id →
score), its JSON text as a database gives it, or None."""


@dataclass(frozen=True)
class Level:
    """One way of choosing a firm's peers: the columns their values must share."""

    id: str
    keys: tuple[str, ...]


LEVELS: tuple[Level, ...] = (
    Level("sector_size_country", ("sector", "size", "country")),
    Level("sector_country", ("sector", "country")),
    Level("division_country", ("division", "country")),
    Level("section_country", ("section", "country")),
    Level("section", ("section",)),
)
"""The peer groups tried in turn, narrowest first (see the module docstring)."""


@dataclass(frozen=True)
class Tried:
    """A group tried: its level, the firm's values of its keys, and its number of peers."""

    level: Level
    group: dict[str, str]
    n: int


class PeerGroupTooSmall(ValueError):
    """Even the broadest group has fewer than ``min_group`` peers; ``tried`` lists every group and its size."""

    def __init__(self, firm: object, tried: Sequence[Tried], min_group: int) -> None:
        self.firm = firm
        self.tried = tuple(tried)
        self.min_group = min_group
        sizes = "; ".join(f"{t.level.id} {_describe(t.group)}: {t.n}" for t in self.tried)
        super().__init__(f"firm {firm}: no peer group has {min_group} other firms ({sizes})")


@dataclass(frozen=True)
class Row:
    """One benchmarked value: the firm's, its percentile among ``n`` peers and its interval, the peers' median."""

    column: str
    value: float | None
    n: int
    percentile: float | None
    low: float | None
    high: float | None
    median: float | None


@dataclass(frozen=True)
class Placement:
    """A firm among its peers: the group used, the groups tried before it (too small), one row per value."""

    firm: object
    level: Level
    group: dict[str, str]
    n: int
    min_group: int
    tried: tuple[Tried, ...]
    rows: tuple[Row, ...] = field(repr=False)

    def row(self, column: str) -> Row:
        return next(r for r in self.rows if r.column == column)

    @property
    def fallback(self) -> bool:
        """Whether a broader group than the first was used."""
        return self.level != LEVELS[0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for the API)."""
        return {
            "level": self.level.id, "group": dict(self.group), "n": self.n, "min_group": self.min_group,
            "confidence": CONFIDENCE,
            "tried": [{"level": t.level.id, "group": dict(t.group), "n": t.n} for t in self.tried],
            "rows": [{"column": r.column, "value": r.value, "n": r.n, "percentile": r.percentile,
                      "interval": None if r.low is None else {"low": r.low, "high": r.high}, "median": r.median}
                     for r in self.rows],
        }


def _describe(group: Mapping[str, str]) -> str:
    return "(" + ", ".join(f"{k}={v or '-'}" for k, v in group.items()) + ")"


# --- the frame ----------------------------------------------------------------------------------------


@cache
def sector_hierarchy(code: str) -> tuple[str, str]:
    """The NACE division and section of a sector code; ``("", "")`` for an empty or unknown code.
    A section is its own section and has no division (``""``).

    >>> sector_hierarchy("11.02"), sector_hierarchy("11"), sector_hierarchy("C"), sector_hierarchy("zz")
    (('11', 'C'), ('11', 'C'), ('', 'C'), ('', ''))
    """
    positions = nace_positions()
    if code not in positions:
        return "", ""
    division = ""
    while positions[code].parent:
        if positions[code].level == 2:
            division = code
        code = positions[code].parent
    return division, code


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """Each firm's latest diagnostic in ``frame`` (one row per firm, index ``firm``), with the keys of the
    groups (``division``, ``section``), the indices as floats and one ``dim:<id>`` column per dimension.

    Raises :class:`ValueError` naming the missing column.
    """
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"peers: the frame has no column {', '.join(missing)}")
    assessed_on = pd.to_datetime(frame["assessed_on"]).to_numpy()
    firm_codes, _u = pd.factorize(frame["firm"], sort=True)
    same_day = [pd.factorize(frame["assessment"], sort=True)[0]] if "assessment" in frame.columns else []
    order = np.lexsort([*same_day, assessed_on, firm_codes])
    codes = firm_codes[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = codes[:-1] != codes[1:]
    df = frame.take(order[last]).set_index("firm")
    for key in ("sector", "size", "country"):
        df[key] = df[key].where(df[key].notna(), "").astype(str)
    hierarchy = {code: sector_hierarchy(code) for code in df["sector"].unique()}
    df["division"] = df["sector"].map(lambda c: hierarchy[c][0])
    df["section"] = df["sector"].map(lambda c: hierarchy[c][1])
    for name in INDICES:
        df[name] = pd.to_numeric(df[name], errors="coerce").astype(float)
    scores = [d if isinstance(d, dict) else {} for d in json_values(df["dimension_scores"].tolist(), "dimension_scores")]
    dims = pd.DataFrame.from_records(scores, nrows=len(scores)) if scores else pd.DataFrame()
    dims = dims.apply(pd.to_numeric, errors="coerce").astype(float)
    dims.columns = [f"dim:{c}" for c in dims.columns]
    return pd.concat([df.drop(columns=["dimension_scores"]), dims.set_axis(df.index)], axis=1)


def dimension_columns(frame: pd.DataFrame) -> list[str]:
    """The ``dim:<id>`` columns of a frame made by :func:`latest`, in order.

    >>> dimension_columns(pd.DataFrame(columns=["iip", "dim:ip", "section", "dim:networks"]))
    ['dim:ip', 'dim:networks']
    """
    return [c for c in frame.columns if isinstance(c, str) and c.startswith("dim:")]


# --- percentiles --------------------------------------------------------------------------------------


def percentile_interval(below: Any, ties: Any, n: Any, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The Clopper–Pearson bounds (0–100) of the share of firms below a value, ``below`` of ``n`` peers
    strictly below it and ``ties`` equal to it (arrays or numbers; see the module docstring).

    >>> low, high = percentile_interval(5, 0, 10)
    >>> round(float(low[0]), 1), round(float(high[0]), 1)
    (22.2, 77.8)
    >>> [float(x) for x in percentile_interval(0, 0, 10)[0]], [float(x) for x in percentile_interval(10, 0, 10)[1]]
    ([0.0], [100.0])
    """
    from scipy.special import betaincinv  # here: scipy.special is slow to import

    b = np.atleast_1d(np.asarray(below, dtype=float))
    t = np.atleast_1d(np.asarray(ties, dtype=float))
    m = np.atleast_1d(np.asarray(n, dtype=float))
    alpha = (1.0 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(b > 0, betaincinv(np.maximum(b, 1e-12), m - b + 1, alpha), 0.0)
        up = b + t
        high = np.where(up < m, betaincinv(up + 1, np.maximum(m - up, 1e-12), 1 - alpha), 1.0)
    return 100.0 * low, 100.0 * high


def _rank(values: np.ndarray, x: float) -> tuple[int, int, int]:
    """(below, ties, n) of ``x`` among the non-missing ``values``."""
    v = values[~np.isnan(values)]
    return int((v < x).sum()), int((v == x).sum()), len(v)


def _row(column: str, values: np.ndarray, x: float) -> Row:
    below, ties, n = _rank(values, x)
    median = float(np.quantile(values[~np.isnan(values)], 0.5, method="hazen")) if n else None
    if x != x or n == 0:
        return Row(column, None if x != x else float(x), n, None, None, None, median)
    pct = 100.0 * (below + ties / 2) / n
    low, high = percentile_interval(below, ties, n)
    return Row(column, float(x), n, pct, float(low[0]), float(high[0]), median)


def _group_of(row: pd.Series, level: Level) -> dict[str, str]:
    return {key: str(row[key]) for key in level.keys}


def place(frame: pd.DataFrame, firm: object, *, values: Mapping[str, float | None] | None = None,
          min_group: int = MIN_GROUP) -> Placement:
    """Firm ``firm`` of ``frame`` (made by :func:`latest`) among the other firms of its group.

    ``values`` (IIP, IEP, IIEP and ``dim:<id>``) replace the firm's own row when given (e.g. an older
    diagnostic of the firm, placed among the others' latest). Raises :class:`KeyError` for a firm not in
    the frame and :class:`PeerGroupTooSmall` when no group is large enough.

    >>> import pandas as pd
    >>> rows = [{"firm": i, "assessed_on": "2025-01-01", "sector": "11.02", "size": "small" if i < 3 else "micro",
    ...          "country": "FR", "iip": .5, "iep": .5, "iiep": i / 10, "dimension_scores": {"ip": i / 10}}
    ...         for i in range(7)]
    >>> p = place(latest(pd.DataFrame(rows)), 0)
    >>> p.level.id, [(t.level.id, t.n) for t in p.tried], p.row("iip").percentile, p.row("dim:ip").percentile
    ('sector_country', [('sector_size_country', 2)], 50.0, 0.0)
    """
    if firm not in frame.index:
        raise KeyError(f"firm {firm} has no completed diagnostic in the frame")
    own = frame.loc[firm]
    others = frame.index != firm
    tried: list[Tried] = []
    for level in LEVELS:
        group = _group_of(own, level)
        mask = others.copy()
        for key, value in group.items():
            mask &= frame[key].to_numpy(dtype=object) == value
        n = int(mask.sum())
        if n >= min_group:
            break
        tried.append(Tried(level, group, n))
    else:
        raise PeerGroupTooSmall(firm, tried, min_group)
    peers = frame[mask]
    columns = [*INDICES, *dimension_columns(frame)]
    rows = []
    for column in columns:
        given = own[column] if values is None else values.get(column)
        x = math.nan if given is None else float(given)
        if column.startswith("dim:") and x != x:  # a dimension the firm has no score on (another framework)
            continue
        rows.append(_row(column, peers[column].to_numpy(dtype=float), x))
    return Placement(firm, level, group, n, min_group, tuple(tried), tuple(rows))


# --- the shared reference -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceGroup:
    """One published group of the shared reference: its keys, its number of firms, the deciles of each index."""

    section: str
    size: str
    country: str
    n: int
    deciles: dict[str, tuple[float, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "size": self.size, "country": self.country, "n": self.n,
                "deciles": {k: list(v) for k, v in self.deciles.items()}}


def _blocks(orgs: np.ndarray, min_group: int) -> np.ndarray | None:
    """Block number of each firm (sorted by value; ``orgs`` their organisations' codes) so that each block
    holds, for every organisation, at least ``min_group`` firms of the others; None if no block can."""
    n = len(orgs)
    out = np.empty(n, dtype=np.int64)
    block, start = 0, 0
    counts: dict[int, int] = {}
    closed_at = -1
    for i, org in enumerate(orgs.tolist()):
        counts[org] = counts.get(org, 0) + 1
        out[i] = block
        size = i - start + 1
        if size - max(counts.values()) >= min_group:
            closed_at = i
            block, start, counts = block + 1, i + 1, {}
    if closed_at < 0:
        return None
    out[closed_at + 1:] = out[closed_at]  # the last firms join the last block
    return out


def microaggregated_deciles(values: Sequence[float] | np.ndarray, organisations: Sequence[object] | np.ndarray,
                            min_group: int = MIN_GROUP) -> tuple[float, ...] | None:
    """The nine deciles of ``values`` after microaggregation by blocks (see the module docstring), or None
    when the values cannot be published (missing values are left out).

    >>> microaggregated_deciles([.1, .2, .3, .4, .5, .6, .7, .8, .9], ["a"] * 5 + ["b"] * 4) is None
    True
    >>> microaggregated_deciles([.1, .2, .3, .4, .5, .6, .7, .8, .9, 1.0], ["a"] * 5 + ["b"] * 5)[0]
    0.55
    >>> [round(d, 2) for d in microaggregated_deciles(list(range(10)), ["a", "b"] * 5, min_group=2)]
    [1.5, 1.5, 1.5, 4.0, 6.5, 6.5, 6.5, 6.5, 6.5]
    """
    v = np.asarray(values, dtype=float)
    o = np.asarray(organisations, dtype=object)
    keep = ~np.isnan(v)
    v, o = v[keep], o[keep]
    if len(v) < min_group:
        return None
    order = np.argsort(v, kind="stable")
    v = v[order]
    codes, _u = pd.factorize(o[order])
    blocks = _blocks(codes, min_group)
    if blocks is None:
        return None
    means = np.bincount(blocks, weights=v) / np.bincount(blocks)
    return tuple(float(q) for q in np.quantile(means[blocks], DECILES, method="hazen"))


def shared_reference(frame: pd.DataFrame, *, min_group: int = MIN_GROUP) -> list[ReferenceGroup]:
    """The shared reference of the organisations in ``frame`` (made by :func:`latest`, with an
    ``organisation`` column): per section × size × country, the number of firms and the deciles of each
    index — masked aggregates only; groups that cannot be published are left out.

    >>> import pandas as pd
    >>> rows = [{"firm": i, "organisation": i % 2, "assessed_on": "2025-01-01", "sector": "11.02", "size": "small",
    ...          "country": "FR", "iip": i / 20, "iep": i / 20, "iiep": i / 20, "dimension_scores": None}
    ...         for i in range(12)]
    >>> [(g.section, g.n) for g in shared_reference(latest(pd.DataFrame(rows)))]
    [('C', 12)]
    >>> shared_reference(latest(pd.DataFrame(rows[:9])))
    []
    """
    if "organisation" not in frame.columns:
        raise ValueError("peers: the frame has no column organisation")
    usable = frame[frame["section"] != ""]
    out = []
    for (section, size, country), group in usable.groupby(["section", "size", "country"], sort=True):
        if len(group) < min_group:
            continue
        orgs = group["organisation"].to_numpy(dtype=object)
        deciles = {}
        for name in INDICES:
            d = microaggregated_deciles(group[name].to_numpy(dtype=float), orgs, min_group)
            if d is None:
                break
            deciles[name] = d
        else:
            out.append(ReferenceGroup(str(section), str(size), str(country), len(group), deciles))
    return out


# --- a firm against the shared reference --------------------------------------------------------------


@dataclass(frozen=True)
class ReferencePlacement:
    """A value placed among the deciles of a shared group: an approximate percentile and its decile band."""

    column: str
    value: float
    percentile: float
    low: float
    high: float


def reference_percentile(deciles: Sequence[float], x: float) -> tuple[float, float, float]:
    """(approximate percentile, band low, band high) of ``x`` among the nine ``deciles``.

    >>> reference_percentile([1, 2, 3, 4, 5, 6, 7, 8, 9], 2.5), reference_percentile([1, 2, 3, 4, 5, 6, 7, 8, 9], 0)
    ((25.0, 20.0, 30.0), (5.0, 0.0, 10.0))
    >>> reference_percentile([1, 2, 2, 2, 5, 6, 7, 8, 9], 2)
    (30.0, 10.0, 50.0)
    """
    d = np.asarray(deciles, dtype=float)
    i = int(np.searchsorted(d, x, "left"))  # deciles below x
    j = int(np.searchsorted(d, x, "right"))  # deciles at or below x
    if i < j:  # x is one or several deciles: the middle of those
        return 5.0 * (i + 1 + j), 10.0 * i, 10.0 * (j + 1)
    if i == 0:
        return 5.0, 0.0, 10.0
    if i == len(d):
        return 95.0, 90.0, 100.0
    frac = (x - d[i - 1]) / (d[i] - d[i - 1])
    return 10.0 * i + 10.0 * float(frac), 10.0 * i, 10.0 * (i + 1)


def place_in_reference(reference: Sequence[ReferenceGroup], section: str, size: str, country: str,
                       values: Mapping[str, float | None]) -> tuple[ReferenceGroup, list[ReferencePlacement]] | None:
    """The firm's group of the shared reference and its values placed in it; None when the group is not
    published.

    >>> g = ReferenceGroup("C", "small", "FR", 12, {"iiep": tuple(k / 10 for k in range(1, 10))})
    >>> place_in_reference([g], "C", "small", "FR", {"iiep": 0.35})[1][0].percentile
    35.0
    """
    group = next((g for g in reference if (g.section, g.size, g.country) == (section, size, country)), None)
    if group is None:
        return None
    placed = []
    for name, deciles in group.deciles.items():
        x = values.get(name)
        if x is None or x != x:
            continue
        pct, low, high = reference_percentile(deciles, float(x))
        placed.append(ReferencePlacement(name, float(x), pct, low, high))
    return group, placed
