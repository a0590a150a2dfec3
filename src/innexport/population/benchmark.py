"""Benchmark a firm against its peers: its percentile on every activity, dimension and index.

The peers are the firms of the population that share the firm's values of the grouping columns
``by`` (default country, sector and size class), the firm itself excluded when it belongs to the
population (matched by ``firm_id``). Every figure is weighted by the survey weights unless told
otherwise. When fewer than ``min_group`` peers remain, the benchmark is refused
(:class:`PeerGroupTooSmall`) with the group, its size and a broader group to try: a percentile
among a handful of firms says nothing.

Definitions (``v`` the peers' non-missing values of a column, ``w`` their weights):

* **percentile rank** of the firm's value ``x``:
  ``100 · (Σ w[v < x] + ½ · Σ w[v = x]) / Σ w`` — the weighted share of peers strictly below, plus
  half the weighted share of ties (the "mid-rank" definition: a firm equal to every peer is at 50,
  not at 0 or 100). Missing when the firm's value is missing.
* **mean**: weighted mean; **median, p25, p75**: weighted quantiles by the mid-point rule
  (Hazen): the sorted values sit at the plotting positions ``(C_i - w_i/2) / Σ w`` (``C_i`` the
  cumulative weight) and the quantile is interpolated linearly between them, clamped to the
  extreme values. With equal weights this is ``numpy.quantile(v, q, method="hazen")``, and it
  agrees with the mid-rank percentile above. Tied values are ordered by weight, so the result is
  deterministic.
* **n**: the number of peers with a value (unweighted); **weight**: their weighted size (the
  number of firms they represent in the population).

Two ways to call it: :func:`benchmark` (boolean masks over the frame, then the peers' columns
sorted: about 30 ms on a million firms for a peer group of a few hundred) and
:class:`BenchmarkIndex`, which groups the population once (0.1-0.2 s for a million firms) and then
benchmarks a firm by a dictionary lookup and binary searches in its group's sorted columns: about
1.5 ms once the group has been sorted, 10-20 ms the first time for a group of a few hundred firms.
The sort grows with the group (0.3 s the first time for a group of 40,000 firms, 2 s for 340,000,
5-7 s for a single group of a million): a server calls :meth:`BenchmarkIndex.prepare` once after
loading the population (about 6 s and 0.8 GB for a million firms × 36 columns), after which every
benchmark takes under 10 ms whatever the group. ``bench/bench_benchmark.py`` times all this on a
synthetic population (:func:`innexport.population.synthetic.synthetic_frame`), each figure with its
ratio to a plain numpy floor measured in the same run:
``python bench/bench_benchmark.py --firms 1000000 [--by country]``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import SupportsFloat, cast

import numpy as np
import pandas as pd

from innexport.core.assessment import FirmResult
from innexport.core.framework import INDICES
from innexport.population.frame import ACT, DIM, FIRM_ID, WEIGHT, survey_weights
from innexport.population.frame import columns as prefixed

__all__ = [
    "DEFAULT_BY", "BenchmarkIndex", "BenchmarkResult", "PeerGroupTooSmall", "benchmark", "benchmark_firm",
    "peer_group", "score_columns", "weighted_percentile_rank", "weighted_quantile",
]

DEFAULT_BY: tuple[str, ...] = ("country", "sector", "size")
TABLE_COLUMNS = ["value", "percentile", "mean", "median", "p25", "p75", "n", "weight"]
QUANTILES = (("median", 0.5), ("p25", 0.25), ("p75", 0.75))


def score_columns(frame: pd.DataFrame) -> list[str]:
    """The columns benchmarked by default: activities, dimensions, then the indices present."""
    return prefixed(frame, ACT) + prefixed(frame, DIM) + [c for c in INDICES if c in frame]


class PeerGroupTooSmall(ValueError):
    """The peer group has fewer firms than the minimum: the benchmark would not be meaningful."""

    def __init__(self, group: Mapping[str, object], n: int, weight: float, min_group: int) -> None:
        self.group = dict(group)
        self.by = tuple(self.group)
        self.n = int(n)
        self.weight = float(weight)
        self.min_group = int(min_group)
        self.suggestion: tuple[str, ...] | None = self.by[:-1] if self.by else None
        message = (f"the peer group {describe_group(self.group)} has {self.n} firm{'s' if self.n != 1 else ''}"
                   f" (weighted {self.weight:,.1f}), fewer than the {self.min_group} needed for a meaningful "
                   "benchmark")
        if self.suggestion is not None:
            dropped = self.by[-1]
            wider = ", ".join(self.suggestion) if self.suggestion else "the whole population"
            message += f"; drop '{dropped}' and compare by {wider} instead"
        super().__init__(message)


def describe_group(group: Mapping[str, object]) -> str:
    """``country = France, sector = wine`` (or ``the whole population``)."""
    return ", ".join(f"{k} = {v}" for k, v in group.items()) or "the whole population"


@dataclass(frozen=True)
class BenchmarkResult:
    """A firm's benchmark: one row per column in :attr:`table` (index = column name).

    ``table`` columns: ``value`` (the firm's), ``percentile`` (0-100, mid-rank), ``mean``,
    ``median``, ``p25``, ``p75`` of the peers, ``n`` (peers with a value) and ``weight`` (their
    weighted size). ``n`` and ``weight`` of the result itself are those of the whole peer group.
    """

    firm_id: object | None
    group: dict[str, object]
    n: int
    weight: float
    min_group: int
    weighted: bool
    table: pd.DataFrame = field(repr=False)

    @property
    def by(self) -> tuple[str, ...]:
        return tuple(self.group)

    def describe_group(self) -> str:
        """``country = France, sector = wine, size = small: 45 firms (weighted 312.4)``."""
        return f"{describe_group(self.group)}: {self.n} firms" + (f" (weighted {self.weight:,.1f})" if self.weighted else "")

    def percentiles(self) -> pd.Series:
        return self.table["percentile"]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form (NaN → None), for the API and the web app."""
        def clean(v: object) -> object:
            if isinstance(v, (float, np.floating)):
                return None if math.isnan(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v.item() if isinstance(v, np.generic) else v

        return {
            "firm_id": clean(self.firm_id),
            "group": {k: clean(v) for k, v in self.group.items()},
            "n": self.n, "weight": self.weight, "min_group": self.min_group, "weighted": self.weighted,
            "columns": {col: {k: clean(v) for k, v in row.items()} for col, row in self.table.iterrows()},
        }

    def to_text(self, digits: int = 2) -> str:
        """A plain-text table for the command line."""
        head = f"Peers: {self.describe_group()}"
        width = max([len(c) for c in self.table.index] + [6])
        lines = [head, f"{'':{width}}  {'firm':>6}  {'pctile':>6}  {'mean':>6}  {'p25':>6}  {'median':>6}  {'p75':>6}  {'n':>6}"]

        def f(v: float) -> str:
            return f"{v:6.{digits}f}" if v == v else f"{'–':>6}"

        for col, r in self.table.iterrows():
            pct = f"{r['percentile']:6.0f}" if r["percentile"] == r["percentile"] else f"{'–':>6}"
            lines.append(f"{col:{width}}  {f(r['value'])}  {pct}  {f(r['mean'])}  {f(r['p25'])}  {f(r['median'])}  "
                         f"{f(r['p75'])}  {int(r['n']):6d}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


# --- weighted ranks and quantiles on sorted arrays -------------------------------------------------


class _Sorted:
    """One column of one group: non-missing values sorted by (value, weight), weights, mid-point cumulative weights."""

    __slots__ = ("m", "total", "v", "w", "wx")

    def __init__(self, values: np.ndarray, weights: np.ndarray, weight_rank: np.ndarray | None = None) -> None:
        """``weight_rank``: the rank of each weight among ``weights`` (computed when not given; None and
        equal weights skip the ordering of ties, which then does not matter)."""
        keep = ~np.isnan(values)
        v, w = values[keep], weights[keep]
        order = np.argsort(v)
        if weight_rank is None and len(w) and not np.all(w == w[0]):
            weight_rank = np.argsort(np.argsort(weights))
        if weight_rank is not None and len(v) > 1:
            # inside each run of equal values, order by weight: equivalent to np.lexsort((w, v)), several
            # times faster (a float sort, then one sort of integer keys)
            vs = v[order]
            run = np.concatenate([[0], np.cumsum(vs[1:] != vs[:-1])])
            if run[-1] < len(v) - 1:  # some ties
                order = order[np.argsort(run * len(weights) + weight_rank[keep][order])]
        self.v, self.w = v[order], w[order]
        c = np.cumsum(self.w)
        self.m = c - self.w / 2  # mid-point cumulative weights (Hazen plotting positions × total)
        self.total = float(c[-1]) if len(c) else 0.0
        self.wx = float(self.w @ self.v)

    @property
    def nbytes(self) -> int:
        return self.v.nbytes + self.w.nbytes + self.m.nbytes

    def position(self, value: float, weight: float) -> int:
        """Index of one element equal to (value, weight): the firm's own row in its group."""
        lo = int(np.searchsorted(self.v, value, "left"))
        hi = int(np.searchsorted(self.v, value, "right"))
        r = lo + int(np.searchsorted(self.w[lo:hi], weight, "left"))
        if r >= hi or self.w[r] != weight:  # pragma: no cover - the caller only removes members
            raise ValueError("the firm's own value is not in its group")
        return r

    def cum_below(self, i: int) -> float:
        """Cumulative weight of the elements before index ``i``."""
        return float(self.m[i - 1] + self.w[i - 1] / 2) if i > 0 else 0.0

    def describe(self, x: float, r: int = -1, wr: float = 0.0, vr: float = math.nan) -> tuple[float, ...]:
        """(percentile of x, mean, median, p25, p75, n, weight), element ``r`` (value vr, weight wr) removed."""
        n = len(self.v) - (1 if r >= 0 else 0)
        if r < 0:
            wr, vr = 0.0, 0.0
        total = self.total - wr
        if n <= 0 or total <= 0:
            return (math.nan,) * 5 + (0, 0.0)
        if x == x:
            lo = int(np.searchsorted(self.v, x, "left"))
            hi = int(np.searchsorted(self.v, x, "right"))
            below = self.cum_below(lo)
            ties = self.cum_below(hi) - below
            if r >= 0:
                if vr < x:
                    below -= wr
                elif vr == x:
                    ties -= wr
            pct = 100.0 * (below + ties / 2) / total
            pct = min(max(pct, 0.0), 100.0)
        else:
            pct = math.nan
        mean = (self.wx - wr * vr) / total
        quantiles = tuple(self.quantile(q, r, wr) for _, q in QUANTILES)
        return (pct, mean, *quantiles, n, total)

    def quantile(self, q: float, r: int = -1, wr: float = 0.0) -> float:
        """Weighted mid-point (Hazen) quantile, element ``r`` of weight ``wr`` removed (r = -1: none)."""
        size = len(self.v)
        t = q * (self.total - (wr if r >= 0 else 0.0))
        m = self.m
        if r < 0:
            j = int(np.searchsorted(m, t, "right"))
        else:
            # positions after the removed element move down by its weight
            j = int(np.searchsorted(m[:r], t, "right"))
            if j == r:
                j = r + 1 + int(np.searchsorted(m[r + 1:], t + wr, "right"))
        i = j - 1
        if i == r:
            i -= 1
        if i < 0:
            return float(self.v[j]) if j < size else math.nan
        if j >= size:
            return float(self.v[i])

        def pos(k: int) -> float:
            return float(m[k]) - (wr if 0 <= r < k else 0.0)

        mi, mj = pos(i), pos(j)
        frac = (t - mi) / (mj - mi) if mj > mi else 0.0
        return float(self.v[i] + frac * (self.v[j] - self.v[i]))


def weighted_percentile_rank(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray | None,
                             x: float) -> float:
    """The mid-rank weighted percentile (0-100) of ``x`` among ``values`` (NaN ignored)."""
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    return _Sorted(v, w).describe(float(x))[0]


def weighted_quantile(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray | None,
                      q: float) -> float:
    """The weighted mid-point (Hazen) ``q`` quantile of ``values`` (NaN ignored)."""
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    s = _Sorted(v, w)
    return s.quantile(q) if len(s.v) else math.nan


# --- inputs ---------------------------------------------------------------------------------------




def _columns(frame: pd.DataFrame, columns: Sequence[str] | None) -> list[str]:
    cols = score_columns(frame) if columns is None else list(columns)
    if not cols:
        raise ValueError("nothing to benchmark: no act.*, dim.* or index column in the frame")
    missing = [c for c in cols if c not in frame]
    if missing:
        raise KeyError(f"no column {', '.join(map(repr, missing))} in the frame")
    return cols


def _firm_row(frame: pd.DataFrame, firm: object) -> pd.Series | Mapping[str, object]:
    """A firm given as a Series, a mapping, or a ``firm_id`` of the frame."""
    if isinstance(firm, (pd.Series, Mapping)):
        return firm
    if FIRM_ID not in frame:
        raise KeyError("the frame has no firm_id column: pass the firm as a Series or a dict")
    hits = np.flatnonzero((frame[FIRM_ID] == firm).to_numpy())
    if len(hits) == 0:
        raise KeyError(f"no firm {firm!r} in the population")
    return frame.iloc[hits[0]]


def _get(firm: pd.Series | Mapping[str, object], key: str) -> object:
    value = firm.get(key, None)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else value


def _group_of(firm: pd.Series | Mapping[str, object], by: Sequence[str]) -> dict[str, object]:
    group: dict[str, object] = {}
    for col in by:
        value = _get(firm, col)
        if value is None:
            rest = tuple(c for c in by if c != col)
            raise ValueError(f"the firm has no '{col}': its peers cannot be chosen by it (try by={rest})")
        group[col] = value.item() if isinstance(value, np.generic) else value
    return group


def _values(firm: pd.Series | Mapping[str, object], cols: Sequence[str]) -> np.ndarray:
    out = np.full(len(cols), np.nan)
    for j, col in enumerate(cols):
        value = _get(firm, col)
        if isinstance(value, (str, SupportsFloat)):
            out[j] = float(value)
        elif value is not None:
            raise TypeError(f"{col}: {value!r} is not a number")
    return out


# --- the simple way: boolean masks ----------------------------------------------------------------


def peer_group(frame: pd.DataFrame, firm: pd.Series | Mapping[str, object] | object,
               by: Sequence[str] = DEFAULT_BY) -> pd.Series:
    """Boolean mask (aligned with ``frame``) of the firm's peers: same values of ``by``, itself excluded.

    ``firm`` is a row (Series), a mapping of its values, or a ``firm_id`` of the frame. Rows with a
    missing ``by`` value are never peers.
    """
    row = _firm_row(frame, firm)
    group = _group_of(row, by)
    mask = np.ones(len(frame), dtype=bool)
    for col, value in group.items():
        if col not in frame:
            raise KeyError(f"no column {col!r} in the frame")
        mask &= frame[col].eq(value).fillna(False).to_numpy(dtype=bool)
    firm_id = _get(row, FIRM_ID)
    if firm_id is not None and FIRM_ID in frame:
        mask &= (frame[FIRM_ID] != firm_id).to_numpy(dtype=bool)
    return pd.Series(mask, index=frame.index, name="peer")


def benchmark_table(cols: Sequence[str], x: np.ndarray, stats: Sequence[tuple[float, ...]]) -> pd.DataFrame:
    """A firm's benchmark table (:data:`TABLE_COLUMNS`) from its values ``x`` and, per column, the seven
    peer statistics the in-memory and the DuckDB engines both compute (one table for both)."""
    data = np.array(stats, dtype=float).reshape(len(cols), 7)
    table = pd.DataFrame(np.column_stack([x, data]), index=pd.Index(list(cols), name="column"), columns=TABLE_COLUMNS)
    table["n"] = table["n"].astype(int)
    return table


def benchmark(frame: pd.DataFrame, firm: pd.Series | Mapping[str, object] | object,
              by: Sequence[str] = DEFAULT_BY, min_group: int = 30, columns: Sequence[str] | None = None,
              weights: bool | str = True) -> BenchmarkResult:
    """The firm's percentile on each column among its peers (see the module docstring).

    ``firm`` is a row of the frame (Series), a mapping (e.g. a new diagnostic, not in the
    population: nothing is excluded) or a ``firm_id``. ``columns`` defaults to every activity,
    dimension and index. Raises :class:`PeerGroupTooSmall` when fewer than ``min_group`` peers.
    For many firms on a large population, build a :class:`BenchmarkIndex` once instead.
    """
    by = tuple(by)
    row = _firm_row(frame, firm)
    cols = _columns(frame, columns)
    mask = peer_group(frame, row, by).to_numpy()
    group = _group_of(row, by)
    w = survey_weights(frame, weights)[mask]
    n, total = int(mask.sum()), float(w.sum())
    if n < min_group:
        raise PeerGroupTooSmall(group, n, total, min_group)
    block = frame.loc[mask, cols].to_numpy(dtype=float)
    x = _values(row, cols)
    rank = None if len(w) == 0 or np.all(w == w[0]) else np.argsort(np.argsort(w))
    stats = [_Sorted(block[:, j], w, rank).describe(x[j]) for j in range(len(cols))]
    return BenchmarkResult(firm_id=_get(row, FIRM_ID), group=group, n=n, weight=total, min_group=min_group,
                           weighted=bool(weights), table=benchmark_table(cols, x, stats))


# --- the fast way: group once, look up many times ---------------------------------------------------


class BenchmarkIndex:
    """The population grouped once by ``by``, to benchmark many firms quickly.

    Building it factorises the grouping columns into one integer code per firm and sorts the rows
    by group (a second or so for a million firms). A firm's benchmark is then a dictionary lookup
    of its group, and binary searches in the group's columns, sorted the first time the group is
    used, or by :meth:`prepare` for all groups at once. Sorted groups are cached up to
    ``cache_mb`` megabytes (24 bytes per firm and column; least recently used dropped first). The
    firm's own row is taken out of the group's figures arithmetically (no copy). Results are
    identical to :func:`benchmark`'s.
    """

    def __init__(self, frame: pd.DataFrame, by: Sequence[str] = DEFAULT_BY, columns: Sequence[str] | None = None,
                 weights: bool | str = True, min_group: int = 30, cache_mb: float = 1024) -> None:
        self.by = tuple(by)
        self.columns = _columns(frame, columns)
        self.min_group = min_group
        self.weighted = bool(weights)
        self.cache_mb = cache_mb
        self._w = survey_weights(frame, weights)
        self._equal_weights = bool(np.all(self._w == self._w[0])) if len(self._w) else True
        self._x = np.asfortranarray(frame[self.columns].to_numpy(dtype=float))  # one contiguous array per column
        self._frame = frame
        self._ids = pd.Index(frame[FIRM_ID]) if FIRM_ID in frame else None
        n = len(frame)
        code = np.zeros(n, dtype=np.int64)
        valid = np.ones(n, dtype=bool)
        self._lookup: list[dict[object, int]] = []
        self._radix: list[int] = []
        for col in self.by:
            if col not in frame:
                raise KeyError(f"no column {col!r} in the frame")
            codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
            size = max(len(uniques), 1)
            if code.max(initial=0) > (2**62) // size:
                raise ValueError("too many combinations of groups")
            valid &= codes >= 0
            code = code * size + np.maximum(codes, 0)
            self._lookup.append({(u.item() if isinstance(u, np.generic) else u): i for i, u in enumerate(uniques)})
            self._radix.append(size)
        code[~valid] = -1
        self._code = code
        rows = np.flatnonzero(valid)
        order = rows[np.argsort(code[rows], kind="stable")]
        sorted_codes = code[order]
        cuts = np.flatnonzero(np.diff(sorted_codes)) + 1
        starts = np.concatenate([[0], cuts]) if len(order) else np.array([], dtype=np.int64)
        ends = np.concatenate([cuts, [len(order)]]) if len(order) else np.array([], dtype=np.int64)
        self._order = order
        self._slices = {int(sorted_codes[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
        self._cache: OrderedDict[int | None, list[_Sorted]] = OrderedDict()  # None: the empty group
        self._cached_bytes = 0

    def __len__(self) -> int:
        return len(self._x)

    @property
    def groups(self) -> int:
        """The number of non-empty groups."""
        return len(self._slices)

    def group_sizes(self) -> pd.DataFrame:
        """Every group with its number of firms and weighted size (for choosing ``by`` and ``min_group``)."""
        rows = []
        for code, (s, e) in self._slices.items():
            members = self._order[s:e]
            rows.append((code, e - s, float(self._w[members].sum())))
        out = pd.DataFrame(rows, columns=["code", "n", "weight"])
        first = self._order[[s for s, _ in self._slices.values()]] if self._slices else np.array([], dtype=np.int64)
        for col in self.by:
            out[col] = self._frame[col].to_numpy()[first]
        return out[[*self.by, "n", "weight"]].sort_values("n", ascending=False, ignore_index=True)

    def _group_code(self, group: Mapping[str, object]) -> int | None:
        code = 0
        for lookup, size, value in zip(self._lookup, self._radix, group.values(), strict=True):
            k = lookup.get(value)
            if k is None:
                return None
            code = code * size + k
        return code

    def _members(self, code: int | None) -> np.ndarray:
        if code is None or code not in self._slices:
            return np.array([], dtype=np.int64)
        s, e = self._slices[code]
        return self._order[s:e]

    def _sorted(self, code: int | None) -> list[_Sorted]:
        hit = self._cache.get(code)
        if hit is not None:
            self._cache.move_to_end(code)
            return hit
        rows = self._members(code)
        w = self._w[rows]
        rank = None if self._equal_weights else np.argsort(np.argsort(w))
        columns = [_Sorted(self._x[:, j][rows], w, rank) for j in range(len(self.columns))]
        self._cache[code] = columns
        self._cached_bytes += sum(c.nbytes for c in columns)
        while self._cached_bytes > self.cache_mb * 1e6 and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= sum(c.nbytes for c in dropped)
        return columns

    def prepare(self, min_group: int | None = None) -> BenchmarkIndex:
        """Sort every group of at least ``min_group`` firms now (within the cache limit), so that no
        benchmark pays for it later; returns the index."""
        floor = self.min_group if min_group is None else min_group
        for code, (s, e) in sorted(self._slices.items(), key=lambda item: item[1][0] - item[1][1]):
            if e - s > floor and code not in self._cache:
                self._sorted(code)
        return self

    def clear_cache(self) -> None:
        self._cache.clear()
        self._cached_bytes = 0

    def _own_row(self, firm_id: object, code: int | None) -> int | None:
        """Position of the firm's own row if it is in the population and in this group."""
        if firm_id is None or self._ids is None or code is None:
            return None
        try:
            pos = self._ids.get_loc(firm_id)
        except KeyError:
            return None
        if not isinstance(pos, (int, np.integer)):
            raise ValueError(f"firm id {firm_id!r} is not unique in the population")
        return int(pos) if self._code[pos] == code else None

    def peers(self, firm: pd.Series | Mapping[str, object] | object) -> np.ndarray:
        """Positions (``iloc``) of the firm's peers, itself excluded."""
        row = self._firm(firm)
        code = self._group_code(_group_of(row, self.by))
        members = self._members(code)
        own = self._own_row(_get(row, FIRM_ID), code)
        return members if own is None else members[members != own]

    def _firm(self, firm: object) -> pd.Series | Mapping[str, object]:
        if isinstance(firm, (pd.Series, Mapping)):
            return firm
        if self._ids is None:
            raise KeyError("the population has no firm_id column: pass the firm as a Series or a dict")
        try:
            pos = self._ids.get_loc(firm)
        except KeyError:
            raise KeyError(f"no firm {firm!r} in the population") from None
        return self._frame.iloc[int(pos)]

    def benchmark(self, firm: pd.Series | Mapping[str, object] | object, min_group: int | None = None) -> BenchmarkResult:
        """As :func:`benchmark`, for a row, a mapping or a ``firm_id``."""
        min_group = self.min_group if min_group is None else min_group
        row = self._firm(firm)
        group = _group_of(row, self.by)
        code = self._group_code(group)
        members = self._members(code)
        firm_id = _get(row, FIRM_ID)
        own = self._own_row(firm_id, code)
        n = len(members) - (own is not None)
        total = float(self._w[members].sum()) - (self._w[own] if own is not None else 0.0)
        if n < min_group:
            raise PeerGroupTooSmall(group, n, total, min_group)
        x = _values(row, self.columns)
        columns = self._sorted(code)
        stats = []
        for j, col in enumerate(columns):
            if own is not None and not math.isnan(vr := self._x[own, j]):
                wr = float(self._w[own])
                stats.append(col.describe(x[j], col.position(vr, wr), wr, vr))
            else:
                stats.append(col.describe(x[j]))
        return BenchmarkResult(firm_id=firm_id, group=group, n=n, weight=total, min_group=min_group,
                               weighted=self.weighted, table=benchmark_table(self.columns, x, stats))


RESULT_DECIMALS = 6
"""Decimals of the scores in a :class:`~innexport.core.assessment.FirmResult`."""


def benchmark_firm(frame: pd.DataFrame, result: FirmResult, by: Sequence[str] = DEFAULT_BY,
                   min_group: int = 30) -> dict[str, object]:
    """A diagnosed firm (a :class:`~innexport.core.assessment.FirmResult`) among its peers of ``frame``.

    The firm's group values come from its record (``country``, ``sector``, ``size``…), its values
    from its activity, dimension and index scores. Returns :meth:`BenchmarkResult.to_dict`, or
    ``{"refused": message, "group": ...}`` when the peer group is too small.

    When the result carries an index's ``interval`` (:mod:`innexport.core.uncertainty`), that index's
    row also has ``percentile_interval``: the percentile ranks of the interval's two ends among the
    same peers (the percentile is monotone in the value, so this is the interval of the percentile
    over the same draws).
    """
    firm: dict[str, object] = {col: getattr(result.firm, col, None) for col in by}
    firm.update({ACT + a.id: a.score for a in result.activities})
    firm.update({DIM + d.id: d.score for d in result.dimensions})
    firm.update({name: index.value for name, index in result.indices.items()})
    wanted = [c for c in score_columns(frame) if c in firm]
    # a result's scores are rounded to 6 decimals: round the peers' the same way, so that equal
    # scores are ties and not "just above"
    keep = [c for c in (*by, *wanted, WEIGHT, FIRM_ID) if c in frame]
    peers = frame[keep].round({c: RESULT_DECIMALS for c in wanted})
    try:
        out = benchmark(peers, firm, by=by, min_group=min_group, columns=wanted).to_dict()
    except PeerGroupTooSmall as exc:
        return {"refused": str(exc), "group": {k: firm[k] for k in by}}
    columns = cast(dict[str, dict[str, object]], out["columns"])
    mask = peer_group(peers, firm, by).to_numpy()
    weights = survey_weights(peers, True)[mask]
    for name, index in result.indices.items():
        if index.interval is not None and name in columns:
            values = peers.loc[mask, name].to_numpy(dtype=float)
            columns[name]["percentile_interval"] = [
                weighted_percentile_rank(values, weights, round(end, RESULT_DECIMALS))
                for end in (index.interval.low, index.interval.high)]
    return out
