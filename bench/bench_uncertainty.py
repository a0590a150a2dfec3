"""Benchmark of the Monte Carlo intervals and stabilities (:mod:`innexport.core.uncertainty`).

    .venv/bin/python bench/bench_uncertainty.py [--firms 10000] [--draws 1000] [--repeat 1] [--json]

Draws ``--draws`` times each of ``--firms`` synthetic firms of the shipped framework (iiep + wine),
each leaving about 20 % of its questions unanswered (filled uniformly in the draws), and computes
their indices' intervals, class stabilities and top-priority probabilities (target: under 10 s on
2 cores for 10,000 firms × 1,000 draws). The time is printed with its ratio to a *floor* measured
in the same run: a single-thread BLAS matrix product of the same total shape, (firms × draws,
questions) @ (questions, activities), the least any Monte Carlo over these draws must do (the
floor's helpers are bench_core's). Nothing here asserts: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import median_time, synthetic_answers
from innexport.core.parallel import available_cpus
from innexport.core.scoring import ScoringModel
from innexport.core.uncertainty import simulate
from innexport.files.frameworks import load_framework

UNANSWERED = 0.20
"""Share of each synthetic firm's questions left unanswered."""
FLOOR_BLOCK_ROWS = 262_144
"""Rows of the floor's product at once (its memory stays bounded like the Monte Carlo's)."""


def floor_seconds(model: ScoringModel, rows: int, repeat: int) -> float:
    """A single-thread BLAS product of ``rows`` answer rows by the observable weights, in blocks."""
    rng = np.random.default_rng(1)
    block = rng.random((min(rows, FLOOR_BLOCK_ROWS), len(model.observable_ids)))
    weights = model.observable_weights

    def product() -> None:
        done = 0
        while done < rows:
            n = min(FLOOR_BLOCK_ROWS, rows - done)
            block[:n] @ weights
            done += n

    with threadpool_limits(limits=1, user_api="blas"):
        return median_time(product, repeat)


def run(firms: int, draws: int, repeat: int) -> dict[str, float | int | str]:
    """The Monte Carlo's time and its floor's, in seconds, with what was measured."""
    fw = load_framework("iiep", ["wine"])
    model = ScoringModel.from_framework(fw)
    values = synthetic_answers(model, firms)
    rng = np.random.default_rng(3)
    values[rng.random(values.shape) < UNANSWERED] = np.nan
    ids = [f"firm-{i}" for i in range(firms)]
    seconds = median_time(lambda: simulate(model, values, ids, draws=draws), repeat)
    floor = floor_seconds(model, firms * draws, repeat)
    return {"framework": fw.label, "firms": firms, "draws": draws, "questions": len(model.observable_ids),
            "activities": len(model.activity_ids), "cpus": available_cpus(), "seconds": round(seconds, 3),
            "floor_seconds": round(floor, 3), "ratio": round(seconds / floor, 2) if floor > 0 else float("nan")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--draws", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    r = run(args.firms, args.draws, args.repeat)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"innexport uncertainty benchmark — {r['framework']}, {r['questions']} questions, {r['activities']} "
          f"activities; {r['firms']:,} firms × {r['draws']:,} draws, {UNANSWERED:.0%} unanswered; {r['cpus']} CPU(s)")
    print(f"  intervals, stabilities, top priorities:  {r['seconds']:8.3f} s   (target < 10 s on 2 cores)")
    print(f"  floor: single-thread product ({r['firms'] * r['draws']:,}×{r['questions']}) @ "
          f"({r['questions']}×{r['activities']}): {r['floor_seconds']:8.3f} s   ratio {r['ratio']}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
