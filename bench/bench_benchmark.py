"""Timing of the peer benchmark (:mod:`innexport.population.benchmark`) on a synthetic population.

    .venv/bin/python bench/bench_benchmark.py [--firms 1000000] [--samples 200] [--by country,sector,size]

Every time is printed with its ratio to a *floor* measured in the same run, on the same firms and
the same rows, so that the figure says something on any machine: the cheapest numpy work that
reads the same data. BLAS and OpenMP pools are limited to one thread (threadpoolctl) for the code
and the floors alike.

* ``benchmark()`` (boolean masks over the whole frame, then the peers' columns sorted) against the
  *mask floor*: numpy equality masks over the grouping columns' integer codes and a weighted mean
  of the benchmarked columns over the masked rows (missing values skipped);
* ``BenchmarkIndex.benchmark`` in a group seen for the first time (*cold*: the group's columns get
  sorted) and again (*warm*) against the *rows floor*: the same weighted mean over the peers' rows,
  their positions known in advance.

A ratio of 1 would mean the benchmark costs no more than reading its peers' values once; it also
sorts them and interpolates quantiles, so expect more. Nothing here asserts: the figures are for
people to read (tests never time anything).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from innexport.population.benchmark import DEFAULT_BY, BenchmarkIndex, PeerGroupTooSmall, benchmark, score_columns
from innexport.population.frame import WEIGHT
from innexport.population.synthetic import synthetic_frame


def _masked_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean of each column over the rows of ``x``, missing values skipped (the floor's work)."""
    seen = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w @ np.where(seen, x, 0.0)) / (w @ seen)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def measure(n: int = 1_000_000, firms: int = 200, seed: int = 0, by: Sequence[str] = DEFAULT_BY,
            min_group: int = 30, frame: pd.DataFrame | None = None) -> dict[str, float]:
    """Times (seconds and milliseconds) of the benchmark on a synthetic population of ``n`` firms, and their floors.

    Returns: ``frame_s`` (making the population), ``index_s`` (building the :class:`BenchmarkIndex`),
    ``cold_ms`` (median first benchmark in a group: the group's columns get sorted), ``warm_ms`` and
    ``warm_p95_ms`` (benchmarks in groups already seen), ``plain_ms`` (median :func:`benchmark`
    call, masks over the whole frame), ``prepare_s`` and ``cache_mb`` (sorting every group up front,
    and the memory it takes), ``groups`` and ``median_group`` (firms per group), ``refused`` (firms
    skipped because their group is too small); and the floors ``mask_floor_ms`` (masks and masked
    mean, for ``plain_ms``) and ``rows_floor_ms`` (mean over known rows, for ``cold_ms`` and
    ``warm_ms``), medians over the same firms.
    """
    t0 = time.perf_counter()
    pop = synthetic_frame(n, seed) if frame is None else frame
    frame_s = time.perf_counter() - t0
    by = tuple(by)
    cols = score_columns(pop)
    x = pop[cols].to_numpy(dtype=float)
    w = pop[WEIGHT].to_numpy(dtype=float) if WEIGHT in pop else np.ones(len(pop))
    codes = [pd.factorize(pop[c])[0] for c in by]
    t0 = time.perf_counter()
    index = BenchmarkIndex(pop, by, min_group=min_group)
    index_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed + 1)
    picks = rng.choice(len(pop), size=min(firms, len(pop)), replace=False)
    cold: list[float] = []
    warm: list[float] = []
    plain: list[float] = []
    mask_floor: list[float] = []
    rows_floor: list[float] = []
    refused = 0
    for k, pos in enumerate(int(p) for p in picks):
        firm = pop.iloc[pos]
        index.clear_cache()  # cold: the group's columns get sorted; warm: the same firm again, group cached
        try:
            t0 = time.perf_counter()
            index.benchmark(firm)
            cold.append(_ms(t0))
            t0 = time.perf_counter()
            index.benchmark(firm)
            warm.append(_ms(t0))
        except PeerGroupTooSmall:
            refused += 1
            continue
        # the floors, on the same peers: the group's rows, the firm itself left out
        t0 = time.perf_counter()
        mask = np.ones(len(pop), dtype=bool)
        for code in codes:
            mask &= code == code[pos]
        mask[pos] = False
        _masked_mean(x[mask], w[mask])
        mask_floor.append(_ms(t0))
        rows = np.flatnonzero(mask)
        t0 = time.perf_counter()
        _masked_mean(x[rows], w[rows])
        rows_floor.append(_ms(t0))
        if k < max(5, min(20, len(picks))):
            t0 = time.perf_counter()
            benchmark(pop, firm, by, min_group)
            plain.append(_ms(t0))
    sizes = index.group_sizes()["n"]
    index.clear_cache()
    t0 = time.perf_counter()
    index.prepare()
    prepare_s = time.perf_counter() - t0
    return {
        "n": float(len(pop)), "frame_s": frame_s, "index_s": index_s,
        "cold_ms": _median(cold), "warm_ms": _median(warm),
        "warm_p95_ms": float(np.percentile(warm, 95)) if warm else math.nan,
        "plain_ms": _median(plain), "mask_floor_ms": _median(mask_floor), "rows_floor_ms": _median(rows_floor),
        "groups": float(index.groups), "median_group": float(sizes.median()), "refused": float(refused),
        "prepare_s": prepare_s, "cache_mb": index._cached_bytes / 1e6,
    }


def _ratio(value: float, floor: float) -> str:
    return f"× {value / floor:6.1f} the floor" if floor > 0 and math.isfinite(value / floor) else "(no floor)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="firms benchmarked (medians over them)")
    parser.add_argument("--by", default=",".join(DEFAULT_BY), help="grouping columns, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.firms < 2 or args.samples < 1:
        parser.error("--firms must be at least 2 and --samples at least 1")
    with threadpool_limits(limits=1):
        r = measure(args.firms, args.samples, args.seed, by=tuple(filter(None, args.by.split(","))))
    print(f"peer benchmark — {int(r['n']):,} synthetic firms, {int(r['groups'])} groups "
          f"(median {r['median_group']:.0f} firms), {args.samples} firms sampled"
          + (f", {int(r['refused'])} refused (group too small)" if r["refused"] else "") + "; one thread")
    print(f"  synthetic population         {r['frame_s']:8.2f} s")
    print(f"  BenchmarkIndex build         {r['index_s']:8.2f} s")
    print(f"  floor: masks + masked mean   {r['mask_floor_ms']:8.2f} ms (median)")
    print(f"  floor: mean over known rows  {r['rows_floor_ms']:8.3f} ms (median)")
    plain = _ratio(r["plain_ms"], r["mask_floor_ms"])
    print(f"  benchmark() without index    {r['plain_ms']:8.2f} ms (median)  {plain} (masks)")
    print(f"  index, cold group            {r['cold_ms']:8.2f} ms (median)  {_ratio(r['cold_ms'], r['rows_floor_ms'])}"
          " (rows)")
    print(f"  index, warm group            {r['warm_ms']:8.2f} ms (median)  {_ratio(r['warm_ms'], r['rows_floor_ms'])}"
          f" (rows); p95 {r['warm_p95_ms']:.2f} ms")
    print(f"  prepare() (sort every group) {r['prepare_s']:8.2f} s, {r['cache_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
