"""Benchmark of PROMETHEE II net flows: ours (sort and prefix sums, O(k n log n)) vs `mcda` and `pymcdm` (O(k n²)).

    .venv/bin/python bench/bench_promethee.py [--sizes 1000 10000] [--criteria 11]
        [--function linear|usual] [--pymcdm-max 2000] [--mcda-max 100] [--repeat 3] [--json]

Firms × criteria scores in [0, 1] drawn around a latent capability (as dimension scores are), the
framework's 11 dimensions by default, ``linear`` preference (q = 0.05, p = 0.30) or ``usual``.
For each size: our time (best of ``--repeat``), and each peer's time and the ratio peer / ours,
measured in the same run on the same data, after checking the flows agree (to 1e-9).

The peers are quadratic in time (and pymcdm in memory: k tables of n × n floats, 800 MB each at
10,000 firms), so each is timed only up to a size (``--pymcdm-max``, ``--mcda-max``): above it the
peer is timed at that size instead and the row says so (``peer_n``). `mcda` builds a pandas object
per pair of firms (about 30 s for 100 firms × 11 criteria on this machine), so its default ceiling
is 100 firms. Nothing here asserts: the figures are printed for people to read.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from innexport.core.promethee import Preference, net_flows

Q, P = 0.05, 0.30


def data(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    latent = rng.beta(2, 3, size=(n, 1))
    x = np.clip(latent + rng.normal(0, 0.12, size=(n, k)), 0, 1).round(4)
    w = rng.uniform(0.5, 2.0, size=k)
    return x, w / w.sum()


def best(fn: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    times, out = [], np.empty(0)
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def ours(x: np.ndarray, w: np.ndarray, function: str) -> np.ndarray:
    pref = Preference("linear", q=Q, p=P) if function == "linear" else Preference()
    return net_flows(x, w, pref)


def pymcdm_flows(x: np.ndarray, w: np.ndarray, function: str) -> np.ndarray:
    from pymcdm.methods import PROMETHEE_II

    k = x.shape[1]
    method = PROMETHEE_II("vshape_2", p=[P] * k, q=[Q] * k) if function == "linear" else PROMETHEE_II("usual")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(method(x, w, np.ones(k), validation=False), dtype=float)


def mcda_flows(x: np.ndarray, w: np.ndarray, function: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mcda.functions import UShapeFunction, VShapeFunction
        from mcda.matrices import PerformanceTable
        from mcda.outranking.promethee import Promethee2
        from mcda.scales import PreferenceDirection, QuantitativeScale
        cols = [f"c{j}" for j in range(x.shape[1])]
        table = PerformanceTable(pd.DataFrame(x, columns=cols), scales={
            c: QuantitativeScale(0, 1, preference_direction=PreferenceDirection.MAX) for c in cols})
        funcs = {c: VShapeFunction(p=P, q=Q) if function == "linear" else UShapeFunction(p=0) for c in cols}
        flows = Promethee2(table, dict(zip(cols, w.tolist(), strict=True)), funcs).rank().data.to_numpy(dtype=float)
    return flows / (len(x) - 1)  # mcda sums over the others: divided, the flows of Brans & Mareschal


PEERS: dict[str, Callable[[np.ndarray, np.ndarray, str], np.ndarray]] = {"pymcdm": pymcdm_flows, "mcda": mcda_flows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--criteria", type=int, default=11)
    parser.add_argument("--function", choices=["linear", "usual"], default="linear")
    parser.add_argument("--pymcdm-max", type=int, default=2000)
    parser.add_argument("--mcda-max", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ceilings = {"pymcdm": args.pymcdm_max, "mcda": args.mcda_max}

    rows = []
    for n in args.sizes:
        x, w = data(n, args.criteria)
        t_ours, flows = best(lambda x=x, w=w: ours(x, w, args.function), args.repeat)
        row: dict[str, object] = {"firms": n, "criteria": args.criteria, "function": args.function,
                                  "ours_s": t_ours}
        for name, peer in PEERS.items():
            m = min(n, ceilings[name])
            if m < 2:
                continue
            xs, ws = (x, w) if m == n else data(m, args.criteria)
            t_ours_m, mine = (t_ours, flows) if m == n else best(lambda xs=xs, ws=ws: ours(xs, ws, args.function),
                                                                    args.repeat)
            t_peer, theirs = best(lambda xs=xs, ws=ws, peer=peer: peer(xs, ws, args.function), 1)
            diff = float(np.abs(theirs - mine).max())
            row[name] = {"peer_n": m, "peer_s": t_peer, "ours_s": t_ours_m, "ratio": t_peer / t_ours_m,
                         "max_abs_diff": diff, "agree": diff < 1e-9}
        rows.append(row)
        if not args.json:
            line = f"{n:>9,} firms × {args.criteria} criteria ({args.function}): ours {t_ours * 1e3:9.2f} ms"
            for name in PEERS:
                r = row.get(name)
                if isinstance(r, dict):
                    at = "" if r["peer_n"] == n else f" (timed at {r['peer_n']:,} firms)"
                    line += (f" | {name} {r['peer_s'] * 1e3:10.1f} ms = {r['ratio']:8.1f}× ours{at}"
                             f"{'' if r['agree'] else ' DISAGREE ' + format(r['max_abs_diff'], '.1e')}")
            print(line, flush=True)
    if args.json:
        print(json.dumps({"benchmark": "promethee", "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
