"""Benchmark of the next-class plans: the exact integer program against the greedy.

    .venv/bin/python bench/bench_plans.py [--firms 10000] [--target proactive]

Prints, for N synthetic firms on the shipped framework (iiep + wine, the answers of
``bench_core.synthetic_answers``), the time to plan every firm exactly (target: under 30 s on
2 cores), the greedy's time measured in the same run and their ratio, how many firms needed a plan,
how many exact plans are shorter than the greedy's (and by how much) and how many fell back to the
greedy. Nothing here asserts: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import synthetic_answers
from innexport.core.parallel import available_cpus
from innexport.core.priorities import next_class_plans
from innexport.core.scoring import ScoringModel, score
from innexport.files.frameworks import load_framework


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--target", default=None, help="a class id (default: each index's next class)")
    args = parser.parse_args()

    fw = load_framework("iiep", ["wine"])
    model = ScoringModel.from_framework(fw)
    scores = score(model, synthetic_answers(model, args.firms))
    next_class_plans(model, scores, [0], args.target)  # imports scipy.optimize outside the timings
    print(f"innexport next-class plans — {fw.label}; {args.firms:,} synthetic firms; "
          f"target {args.target or 'next class'}; {available_cpus()} CPU(s); numpy {np.__version__}")

    start = time.perf_counter()
    greedy = next_class_plans(model, scores, target=args.target, exact=False)
    t_greedy = time.perf_counter() - start
    start = time.perf_counter()
    exact = next_class_plans(model, scores, target=args.target)
    t_exact = time.perf_counter() - start

    planned = [(e, g) for e, g in zip(exact, greedy, strict=True) if e.reachable and e.steps]
    saved = Counter(len(g.steps) - len(e.steps) for e, g in planned)
    longer = sum(n for d, n in saved.items() if d < 0)
    methods = Counter(e.method for e, _ in planned)
    print(f"  greedy plans (the fallback):                {t_greedy:8.3f} s")
    print(f"  exact plans (integer program):              {t_exact:8.3f} s   (target < 30 s)   "
          f"ratio to the greedy {t_exact / t_greedy:5.2f}×")
    print(f"  firms needing a plan: {len(planned):,}; exact plan shorter than the greedy's: "
          f"{sum(n for d, n in saved.items() if d > 0):,} ({dict(sorted(saved.items()))} steps saved: firms); "
          f"longer: {longer}; methods: {dict(methods)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
