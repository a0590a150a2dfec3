"""Benchmark of the AHP aggregation of many experts (issue 14).

    .venv/bin/python bench/bench_ahp.py [--experts 1000] [--items 9] [--repeat 51] [--json]

Prints the time of ``ahp(combine_judgements(matrices))`` for M experts' reciprocal n × n matrices
(every rule of :func:`innexport.core.ahp.as_pairwise` checked, the geometric mean, the eigenvector
and the consistency ratio), the floor measured in the same run — numpy alone on the stacked array,
``np.exp(np.log(A).mean(0))`` then ``np.linalg.eig`` — and their ratio (target ≤ 5×). The matrices
are given as M separate arrays, as :mod:`innexport.files.ahp` and the frameworks pass them; the
time of the same matrices as one stacked array, and as text cells (``"1/3"``, parsed cell by cell) is printed too.
Figures are medians of runs taken in turn; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np

from innexport.core.ahp import ahp, combine_judgements


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function, run in turn ``repeat`` times (so that a change in the machine's
    load during the run weighs on all of them alike)."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def experts(m: int, n: int, seed: int = 3) -> list[np.ndarray]:
    """M reciprocal matrices on Saaty's scale around one shared opinion."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.2, 1.0, n)
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    out = []
    for _ in range(m):
        noisy = np.log(base[:, None] / base[None, :]) + rng.normal(0, 0.5, (n, n))
        upper = scale[np.abs(np.log(scale)[None, None, :] - noisy[:, :, None]).argmin(axis=2)]
        a = np.triu(upper, 1)
        a = a + np.tril(1 / upper.T, -1) + np.eye(n)
        out.append(a)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experts", type=int, default=1000)
    parser.add_argument("--items", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=51)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    matrices = experts(args.experts, args.items)
    texts = [[[f"{v:.6g}" if v >= 1 else f"1/{1 / v:.6g}" for v in row] for row in a] for a in matrices]
    stacked = np.stack(matrices)

    def floor() -> object:
        g = np.exp(np.log(stacked).mean(0))
        return np.linalg.eig(g)

    t = interleaved({"floor": floor,
                     "ours": lambda: ahp(combine_judgements(matrices)),
                     "stacked": lambda: ahp(combine_judgements(stacked))}, args.repeat)
    t_text = interleaved({"text": lambda: ahp(combine_judgements(texts))}, max(1, args.repeat // 10))["text"]
    t_floor, t_ours = t["floor"], t["ours"]
    r = {"experts": args.experts, "items": args.items, "ours_s": t_ours, "floor_s": t_floor,
         "ratio": t_ours / t_floor, "stacked_s": t["stacked"], "stacked_ratio": t["stacked"] / t_floor,
         "text_cells_s": t_text, "text_ratio": t_text / t_floor}
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"AHP aggregation — {args.experts:,} experts, {args.items}×{args.items} matrices")
    print(f"  ours, ahp(combine_judgements(arrays)):  {t_ours * 1e3:8.3f} ms   {r['ratio']:6.1f}× the floor (target ≤ 5×)")
    print(f"  the same, one (m, n, n) array:          {t['stacked'] * 1e3:8.3f} ms   {r['stacked_ratio']:6.1f}× the floor")
    print(f"  floor, numpy geometric mean + eig:      {t_floor * 1e3:8.3f} ms")
    print(f"  the same as text cells (parsed):        {t_text * 1e3:8.3f} ms   {r['text_ratio']:6.1f}× the floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
