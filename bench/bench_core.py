"""Benchmark of the diagnostic core and of the reports.

    .venv/bin/python bench/bench_core.py [--firms 1000000] [--repeat 3]

Prints, for N synthetic assessments on the shipped framework (iiep + wine):
* the time to score, classify (thresholds and FlowSort on the three indices) and prioritise them
  (target: under 3 s on 2 cores), and its ratio to a bare numpy matrix product of the same shape,
  (answers × observables) @ (observables × activities) (target: scoring within 3×);
* the time to render one firm's HTML report (target under 300 ms) and PDF report (under 3 s).
Figures are medians of several runs. Nothing here asserts: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from innexport.core.assessment import assess, diagnose
from innexport.core.classes import classify, thresholds
from innexport.core.priorities import prioritise
from innexport.core.scoring import ScoringModel, score
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_answers(model: ScoringModel, n: int, seed: int = 7) -> np.ndarray:
    """Random answers on each question's own scale, 5% "don't know", each firm with its own level."""
    rng = np.random.default_rng(seed)
    fw = model.framework
    values = np.empty((n, len(model.observable_ids)))
    propensity = rng.beta(2, 2, size=n)  # firms differ: some answer high, some low
    for j, oid in enumerate(model.observable_ids):
        levels = fw.scale_by_id[fw.observable_by_id[oid].scale].values
        k = np.clip(rng.binomial(len(levels) - 1, propensity), 0, len(levels) - 1)
        values[:, j] = levels[k]
    values[rng.random(values.shape) < 0.05] = np.nan
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    fw = load_framework("iiep", ["wine"])
    model = ScoringModel.from_framework(fw)
    n, o, a = args.firms, len(model.observable_ids), len(model.activity_ids)
    print(f"innexport core benchmark — {fw.label}, {o} questions, {a} activities; {n:,} synthetic firms; "
          f"{os.cpu_count()} CPU(s); numpy {np.__version__}")
    values = synthetic_answers(model, n)

    filled = np.nan_to_num(values)
    w = model.observable_weights
    t_matmul = median_time(lambda: filled @ w, args.repeat)
    t_score = median_time(lambda: score(model, values), args.repeat)
    scores = score(model, values)
    t_classes = median_time(lambda: classify(scores.indices, thresholds(fw)), args.repeat)
    t_prior = median_time(lambda: prioritise(model, scores), args.repeat)
    t_all = median_time(lambda: assess(model, values), args.repeat)

    print(f"  bare matrix product ({n:,}×{o}) @ ({o}×{a}):   {t_matmul:8.3f} s")
    print(f"  score (IIP, IEP, IIEP, activities, dims):     {t_score:8.3f} s   "
          f"ratio to the bare product {t_score / t_matmul:5.2f}× (target ≤ 3×)")
    print(f"  threshold classes:                            {t_classes:8.3f} s")
    print(f"  priorities (gap × leverage, ranked):          {t_prior:8.3f} s")
    print(f"  score + classify + FlowSort + prioritise:     {t_all:8.3f} s   (target < 3 s)   "
          f"ratio to the bare product {t_all / t_matmul:5.2f}×")

    examples = sorted((ROOT / "examples").glob("*.yaml"))
    if not examples:
        print("  reports: skipped (no examples/*.yaml)")
        return 0
    from innexport.rendering import report

    sheet = read_answers(examples[0])
    result = diagnose(fw, sheet)[0]
    t_html = median_time(lambda: report.render_html(result, fw), 7)
    print(f"  one firm's HTML report ({examples[0].name}):  {t_html * 1000:8.1f} ms  (target < 300 ms)")
    try:
        t_pdf = median_time(lambda: report.render_pdf(result, fw), 3)
        print(f"  one firm's PDF report:                        {t_pdf:8.3f} s   (target < 3 s)")
    except RuntimeError as exc:
        print(f"  PDF report: skipped ({exc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
